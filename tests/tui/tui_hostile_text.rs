//! Names, tags and messages come from the input. Whatever they hold (escape
//! sequences, C0/C1 controls, bidirectional overrides that reorder what is shown),
//! nothing of it reaches the terminal from any view of the TUI: the cells drawn hold
//! only printable text.

use meshtcp::resolve::KumaVersion;
use meshtcp::source::Loaded;
use meshtcp::tui::action::{self, Action};
use meshtcp::tui::keymap::map_key;
use meshtcp::tui::{App, render, resolve_loaded};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::time::Instant;

/// A Universal mesh whose proxy, service, tag and route names carry hostile text.
const HOSTILE: &str = "type: Mesh\nname: default\n---\ntype: Dataplane\nname: \"web\\u202Egnp.exe\\e]52;c;ZXZpbA==\\a\"\nmesh: default\nnetworking:\n  address: 10.0.0.1\n  inbound: [{port: 80, tags: {kuma.io/service: \"web\\u2067x\\u2069\", team: \"\\e[2J\\x9bred\"}}]\n  outbound: [{port: 10001, tags: {kuma.io/service: \"api\\u202Dz\"}}]\n---\ntype: MeshTCPRoute\nname: \"route\\u202E\\e[31m\"\nmesh: default\nspec:\n  targetRef: {kind: Mesh}\n  to:\n    - targetRef: {kind: MeshService, name: \"api\\u202Dz\"}\n      rules: [{default: {backendRefs: [{kind: MeshService, name: \"gone\\u202E\", weight: 1}]}}]\n";

fn bad(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn press(app: &mut App, code: KeyCode) {
    if let Some(a) = map_key(app, KeyEvent::new(code, KeyModifiers::NONE)) {
        app.update(a);
    }
}

#[test]
fn no_control_or_bidi_character_reaches_a_cell_in_any_view() {
    let mut loaded = Loaded::default();
    loaded.add_text("hostile.yaml", HOSTILE);
    assert!(
        loaded.snapshot.resources.len() >= 3,
        "the hostile names load: {:?}",
        loaded.findings
    );
    let report = resolve_loaded(&loaded, KumaVersion::DEFAULT);
    let proxy = &report.proxies[0].name;
    assert!(
        proxy.contains('\u{202e}') && proxy.contains('\u{1b}'),
        "the fixture holds what it should: {proxy:?}"
    );
    let mut app = App::new("hostile.yaml", KumaVersion::DEFAULT, true);
    app.update(Action::Resize(140, 40));
    app.update(Action::Loaded(Box::new(action::Loaded::new(
        report,
        loaded.stats.clone(),
        false,
        Instant::now(),
    ))));
    let mut term = Terminal::new(TestBackend::new(140, 40)).unwrap();
    // Tree fully expanded, each row selected in turn (detail of mesh, proxy, outbound,
    // backend), then the Policies and Findings views and the help overlay.
    let mut screens = Vec::new();
    let mut draw = |app: &App, term: &mut Terminal<TestBackend>, what: String| {
        term.draw(|f| render(app, f)).unwrap();
        let cells: String = term
            .backend()
            .buffer()
            .content()
            .iter()
            .map(|c| c.symbol().to_string())
            .collect();
        screens.push((what, cells));
    };
    press(&mut app, KeyCode::Char('*'));
    for i in 0..app.tree.rows.len() {
        app.tree.pos.sel = i;
        draw(&app, &mut term, format!("tree row {i}"));
    }
    for (key, what) in [
        (KeyCode::Tab, "policies"),
        (KeyCode::Tab, "findings"),
        (KeyCode::Char('?'), "help"),
    ] {
        press(&mut app, key);
        draw(&app, &mut term, what.to_string());
    }
    assert!(screens.len() >= 6);
    for (what, cells) in &screens {
        let found: Vec<String> = cells
            .chars()
            .filter(|&c| bad(c))
            .map(|c| c.escape_unicode().to_string())
            .collect();
        assert!(found.is_empty(), "{what}: {found:?} reached the screen");
    }
    // The names are still shown (without the hostile characters), not dropped whole.
    assert!(screens.iter().any(|(_, c)| c.contains("webgnp.exe")));
}
