//! The TUI's change marks after a reload follow `meshtcp diff`'s definition of a change
//! (route, backends, policy statuses, protocol): a policy document that only moved in
//! its file changes nothing.

use meshtcp::resolve::KumaVersion;
use meshtcp::source::{self, Source};
use meshtcp::tui::model::Node;
use meshtcp::tui::{Action, App, action};
use std::path::Path;
use std::time::Instant;

const FIXTURE: &str = "tests/fixtures/tui/mesh";

fn loaded(dir: &Path, replace: bool, now: Instant) -> Action {
    let l = source::load(&[Source::Path(dir.to_path_buf())]);
    Action::Loaded(Box::new(
        action::Loaded::new(
            meshtcp::tui::resolve_loaded(&l, KumaVersion::DEFAULT),
            l.stats.clone(),
            replace,
            now,
        )
        .with_sources(&l.snapshot.resources),
    ))
}

fn marked(a: &App) -> usize {
    a.changes
        .nodes
        .iter()
        .filter(|n| matches!(n, Node::Outbound(..)))
        .count()
}

#[test]
fn a_moved_policy_marks_nothing_a_changed_weight_marks_its_outbounds() {
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(FIXTURE).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
    }
    let t0 = Instant::now();
    let mut a = App::new("tmp", KumaVersion::DEFAULT, false);
    a.update(Action::Resize(120, 40));
    a.update(loaded(dir.path(), false, t0));
    let text = |a: &App| {
        a.status
            .message
            .as_ref()
            .map(|m| m.text.clone())
            .unwrap_or_default()
    };

    // Two comment lines above every route: each policy's file:line moves, nothing else.
    let routes = dir.path().join("routes.yaml");
    let yaml = std::fs::read_to_string(&routes).unwrap();
    std::fs::write(&routes, format!("# moved\n# down\n{yaml}")).unwrap();
    a.update(loaded(dir.path(), true, t0));
    assert_eq!(marked(&a), 0, "{:?}", a.changes.nodes);
    assert_eq!(text(&a), "reloaded: no outbound changed");

    std::fs::write(&routes, yaml.replace("weight: 90", "weight: 70")).unwrap();
    a.update(loaded(dir.path(), true, t0));
    assert!(marked(&a) > 0);
}
