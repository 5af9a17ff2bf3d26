//! Measures (prints, asserts nothing about time): first-frame latency, load + resolve,
//! and the cost of a key press (update + full redraw) on a ~100k-row tree.
//!
//! cargo test --release --test tui_perf -- --ignored --nocapture

use meshtcp::resolve::KumaVersion;
use meshtcp::source::{self, Source};
use meshtcp::tui::action::{self, Action};
use meshtcp::tui::keymap::map_key;
use meshtcp::tui::{App, render, resolve_loaded};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::fmt::Write;
use std::time::{Duration, Instant};

/// `n` sidecars with three outbounds each, and one MeshTCPRoute splitting each
/// destination in two: 1 + n + 3n + 6n rows when fully expanded.
fn big_mesh(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        let _ = write!(
            s,
            "---\ntype: Dataplane\nname: web-{i}\nmesh: default\nnetworking:\n  address: 10.{}.{}.{}\n  inbound: [{{port: 8080, tags: {{kuma.io/service: web-{}, kuma.io/protocol: tcp}}}}]\n  outbound:\n    - {{port: 10001, tags: {{kuma.io/service: backend}}}}\n    - {{port: 10002, tags: {{kuma.io/service: db}}}}\n    - {{port: 10003, tags: {{kuma.io/service: cache}}}}\n",
            i / 65536,
            (i / 256) % 256,
            i % 256,
            i % 100
        );
    }
    for svc in ["backend", "db", "cache"] {
        let _ = write!(
            s,
            "---\ntype: MeshTCPRoute\nname: split-{svc}\nmesh: default\nspec:\n  targetRef: {{kind: Mesh}}\n  to:\n    - targetRef: {{kind: MeshService, name: {svc}}}\n      rules:\n        - default:\n            backendRefs:\n              - {{kind: MeshService, name: {svc}-v1, weight: 90}}\n              - {{kind: MeshService, name: {svc}-v2, weight: 10}}\n"
        );
    }
    s
}

fn press(app: &mut App, code: KeyCode) {
    if let Some(a) = map_key(app, KeyEvent::new(code, KeyModifiers::NONE)) {
        app.update(a);
    }
}

fn per_press(app: &mut App, term: &mut Terminal<TestBackend>, code: KeyCode, n: u32) -> Duration {
    let t = Instant::now();
    for _ in 0..n {
        press(app, code);
        term.draw(|f| render(app, f)).unwrap();
    }
    t.elapsed() / n
}

#[test]
#[ignore = "measurement; run with --release --ignored --nocapture"]
fn key_press_on_a_100k_row_tree() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.yaml");
    std::fs::write(&file, big_mesh(10_000)).unwrap();

    // First frame: the app exists and draws its loading screen before anything is read.
    let t0 = Instant::now();
    let mut app = App::new(file.display().to_string(), KumaVersion::DEFAULT, true);
    app.update(Action::Resize(120, 40));
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    term.draw(|f| render(&app, f)).unwrap();
    let first_frame = t0.elapsed();

    let t = Instant::now();
    let loaded = source::load(&[Source::Path(file.clone())]);
    let load = t.elapsed();
    let t = Instant::now();
    let report = resolve_loaded(&loaded, KumaVersion::DEFAULT);
    let resolve = t.elapsed();
    let t = Instant::now();
    let shown = action::Loaded::new(report, loaded.stats.clone(), false, Instant::now());
    let index = t.elapsed();
    let t = Instant::now();
    app.update(Action::Loaded(Box::new(shown)));
    term.draw(|f| render(&app, f)).unwrap();
    let model = t.elapsed();

    let t = Instant::now();
    press(&mut app, KeyCode::Char('*'));
    term.draw(|f| render(&app, f)).unwrap();
    let expand_all = t.elapsed();
    let rows = app.rows.len();

    let down = per_press(&mut app, &mut term, KeyCode::Char('j'), 2000);
    press(&mut app, KeyCode::Home);
    let pgdn = per_press(&mut app, &mut term, KeyCode::PageDown, 500);
    let t = Instant::now();
    press(&mut app, KeyCode::End);
    term.draw(|f| render(&app, f)).unwrap();
    let end = t.elapsed();
    let up = per_press(&mut app, &mut term, KeyCode::Char('k'), 2000);
    let t = Instant::now();
    press(&mut app, KeyCode::Char('/'));
    press(&mut app, KeyCode::Char('9'));
    term.draw(|f| render(&app, f)).unwrap();
    let filter_key = t.elapsed();
    press(&mut app, KeyCode::Esc);
    let t = Instant::now();
    press(&mut app, KeyCode::Char('-'));
    term.draw(|f| render(&app, f)).unwrap();
    let collapse_all = t.elapsed();

    println!("tree rows when fully expanded: {rows}");
    println!("first frame (App::new + loading frame): {first_frame:?}");
    println!(
        "load {} resources: {load:?}; resolve {} proxies: {resolve:?}; display index (worker): {index:?}; model on the UI thread + first tree frame: {model:?}",
        loaded.stats.resources,
        app.model.as_ref().unwrap().report.proxies.len()
    );
    println!("`*` expand all + redraw: {expand_all:?}");
    println!("j (down) + redraw, mean of 2000: {down:?}");
    println!("k (up) + redraw, mean of 2000: {up:?}");
    println!("PgDn + redraw, mean of 500: {pgdn:?}");
    println!("End + redraw: {end:?}");
    println!("filter keystroke over all rows + redraw: {filter_key:?}");
    println!("`-` collapse all + redraw: {collapse_all:?}");
    assert!(rows > 100_000);
}
