//! TUI screens rendered into ratatui's TestBackend at fixed sizes and compared with
//! insta snapshots. The model always comes from the real loader and engine; keys go
//! through the real keymap; effects that read sources are performed the way the
//! runtime performs them.

use meshtcp::resolve::{KumaVersion, Status};
use meshtcp::source::{self, Source};
use meshtcp::tui::action::{self, Action, Effect};
use meshtcp::tui::keymap::map_key;
use meshtcp::tui::runtime::read_document;
use meshtcp::tui::{App, render, resolve_loaded};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Color;
use std::time::Instant;

const FIXTURE: &str = "tests/fixtures/tui/mesh";

struct Harness {
    app: App,
    sources: Vec<Source>,
}

impl Harness {
    fn new(sources: Vec<Source>, label: &str, w: u16, h: u16, color: bool) -> Harness {
        let mut app = App::new(label, KumaVersion::DEFAULT, color);
        app.update(Action::Resize(w, h));
        let loaded = source::load(&sources);
        let mut hs = Harness { app, sources };
        hs.act(Action::Loaded(Box::new(
            action::Loaded::new(
                resolve_loaded(&loaded, KumaVersion::DEFAULT),
                loaded.stats.clone(),
                false,
                Instant::now(),
            )
            .with_sources(&loaded.snapshot.resources),
        )));
        hs
    }

    fn fixture(w: u16, h: u16) -> Harness {
        Harness::new(vec![Source::Path(FIXTURE.into())], FIXTURE, w, h, false)
    }

    /// Apply an action and perform its source reads like the runtime does.
    fn act(&mut self, a: Action) {
        for fx in self.app.update(a) {
            if let Effect::ReadSource(location) = fx {
                let text = read_document(&self.sources, &location);
                self.act(Action::SourceText { location, text });
            }
        }
    }

    fn keys(&mut self, s: &str) {
        for c in s.chars() {
            let code = match c {
                '\n' => KeyCode::Enter,
                '\t' => KeyCode::Tab,
                '\u{1b}' => KeyCode::Esc,
                c => KeyCode::Char(c),
            };
            if let Some(a) = map_key(&self.app, KeyEvent::new(code, KeyModifiers::NONE)) {
                self.act(a);
            }
        }
    }

    fn screen(&self) -> Terminal<TestBackend> {
        let (w, h) = self.app.size;
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|f| render(&self.app, f)).unwrap();
        t
    }

    fn text(&self) -> String {
        self.screen().backend().to_string()
    }
}

#[test]
fn demo_tree_fully_expanded() {
    let mut h = Harness::new(vec![Source::Demo], "demo (embedded)", 120, 60, false);
    h.keys("*g");
    insta::assert_snapshot!(h.screen().backend());
}

#[test]
fn detail_of_an_ignored_meshtcproute() {
    let mut h = Harness::fixture(120, 40);
    // web-1's outbounds: backend, redis, api (where api-tcp-shortcut is ignored).
    h.keys(":proxy web-1\njjj");
    let screen = h.text();
    assert!(
        screen.contains("⊘ ignored    MeshTCPRoute api-tcp-shortcut"),
        "{screen}"
    );
    // The detail pane is `meshtcp explain`'s text.
    let m = h.app.model.as_ref().unwrap();
    let pr = m.report.proxy("web-1").unwrap();
    let o = pr.outbound("api").unwrap();
    assert_eq!(
        o.policy("api-tcp-shortcut").unwrap().status,
        Status::Ignored
    );
    let story = meshtcp::report::explain(pr, o, &m.report.findings, &m.report.kuma_version);
    let first = story.lines().next().unwrap();
    assert!(
        screen.contains(first),
        "the detail starts with explain's first line: {first}"
    );
    insta::assert_snapshot!(h.screen().backend());
}

#[test]
fn help_overlay() {
    let mut h = Harness::fixture(120, 40);
    h.keys("?");
    insta::assert_snapshot!(h.screen().backend());
}

#[test]
fn policies_view() {
    let mut h = Harness::fixture(120, 40);
    h.keys("\t");
    let screen = h.text();
    assert!(screen.contains("▸2 Policies"));
    assert!(
        screen.contains("type: MeshHTTPRoute"),
        "the first policy's YAML is in the detail"
    );
    insta::assert_snapshot!(h.screen().backend());
}

#[test]
fn policy_that_selects_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lonely.yaml");
    std::fs::write(
        &file,
        "type: MeshTCPRoute\nname: lonely\nmesh: default\nspec:\n  targetRef: {kind: Dataplane, name: nobody}\n  to:\n    - targetRef: {kind: MeshService, name: nowhere}\n      rules:\n        - default:\n            backendRefs:\n              - {kind: MeshService, name: elsewhere}\n",
    )
    .unwrap();
    let mut h = Harness::new(
        vec![Source::Path(FIXTURE.into()), Source::Path(file)],
        "fixture",
        120,
        40,
        false,
    );
    h.keys(":policy lonely\n");
    let screen = h.text();
    assert!(screen.contains("lonely  ∅ selects no proxy"), "{screen}");
    assert!(
        screen.contains("∅ Selects no proxy: its top-level targetRef matches"),
        "{screen}"
    );
}

#[test]
fn policies_that_route_nothing_or_are_refused() {
    // A typo in to[] (`bakcend`): it selects every proxy and routes none of them; a
    // policy that selects no proxy; one whose to[] targetRef has no kind, which the
    // control plane refuses.
    let file = std::path::PathBuf::from("tests/fixtures/tui/idle-policies.yaml");
    let mut h = Harness::new(
        vec![Source::Path(FIXTURE.into()), Source::Path(file)],
        "fixture",
        120,
        40,
        false,
    );
    h.keys(":policy typo-route\n");
    let screen = h.text();
    assert!(
        screen.contains("typo-route  ○ routes nothing on 9 proxies"),
        "{screen}"
    );
    assert!(screen.contains("refused-route  ✖ refused"), "{screen}");
    insta::assert_snapshot!(h.screen().backend());
}

#[test]
fn findings_view_narrow() {
    // 60 columns: the list is 40 wide; file:line is shortened, the line kept.
    let mut h = Harness::fixture(60, 16);
    h.keys("3");
    insta::assert_snapshot!(h.screen().backend());
}

#[test]
fn findings_view() {
    let mut h = Harness::fixture(120, 40);
    h.keys("\t\t");
    insta::assert_snapshot!(h.screen().backend());
}

#[test]
fn findings_view_with_a_finding_open_on_one_of_its_proxies() {
    // The TrafficRoute finding (third) opened: one row per proxy with its outbounds; the
    // second proxy selected, its detail above the finding's.
    let mut h = Harness::fixture(120, 40);
    h.keys("3jjllj");
    insta::assert_snapshot!(h.screen().backend());
}

#[test]
fn filter_in_action() {
    let mut h = Harness::fixture(120, 40);
    h.keys("/canary");
    let screen = h.text();
    assert!(screen.contains("/canary█"));
    assert!(screen.contains("filter /canary"));
    insta::assert_snapshot!(h.screen().backend());
}

#[test]
fn too_small_terminal() {
    let h = Harness::fixture(50, 10);
    insta::assert_snapshot!(h.screen().backend());
}

#[test]
fn loading_frame_has_a_progress_indicator() {
    let mut app = App::new("deploy/", KumaVersion::DEFAULT, false);
    app.update(Action::Resize(100, 20));
    app.update(Action::Progress(action::Progress {
        current: "deploy/".into(),
        sources_done: 0,
        sources_total: 1,
        files: 12,
        resources: 40,
    }));
    let mut t = Terminal::new(TestBackend::new(100, 20)).unwrap();
    t.draw(|f| render(&app, f)).unwrap();
    let s = t.backend().to_string();
    assert!(s.contains("Loading deploy/…"), "{s}");
    assert!(s.contains("12 files and 40 resources read"), "{s}");
}

#[test]
fn yaml_overlay_shows_the_source_with_file_and_line() {
    let mut h = Harness::fixture(120, 40);
    h.keys(":proxy web-1\ny");
    let s = h.text();
    assert!(
        s.contains("Dataplane web-1 · tests/fixtures/tui/mesh/dataplanes.yaml:"),
        "{s}"
    );
    assert!(s.contains("name: web-1"), "{s}");
}

#[test]
fn no_color_means_no_colour_and_marks_still_read() {
    let mut h = Harness::fixture(120, 40);
    h.keys(":proxy web-1\n");
    let t = h.screen();
    let buf = t.backend().buffer();
    for cell in buf.content() {
        assert_eq!(
            cell.fg,
            Color::Reset,
            "NO_COLOR: no foreground colour at all"
        );
        assert_eq!(
            cell.bg,
            Color::Reset,
            "NO_COLOR: no background colour at all"
        );
    }
    let s = t.backend().to_string();
    assert!(
        s.contains("⊘ ignored") && s.contains("↓ overridden"),
        "marks are symbol + word"
    );

    // With colour, the same mark is coloured too (a second channel).
    let mut h = Harness::new(vec![Source::Path(FIXTURE.into())], FIXTURE, 120, 40, true);
    h.keys(":proxy web-1\n");
    let t = h.screen();
    let buf = t.backend().buffer();
    let area = buf.area;
    let pos = (0..area.height)
        .flat_map(|y| (0..area.width).map(move |x| (x, y)))
        .find(|&(x, y)| buf[(x, y)].symbol() == "⊘")
        .expect("an ignored mark");
    assert_eq!(buf[pos].fg, Color::Red);
}

#[test]
fn selected_row_is_highlighted_without_colour() {
    let h = Harness::fixture(120, 40);
    let t = h.screen();
    let buf = t.backend().buffer();
    let row = (0..buf.area.height)
        .find(|&y| buf[(1, y)].symbol() == ">")
        .expect("a selected row");
    assert!(
        buf[(5, row)]
            .modifier
            .contains(ratatui::style::Modifier::REVERSED)
    );
}
