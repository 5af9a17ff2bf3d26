//! Measures (prints, asserts nothing about time): first-frame latency, load + resolve,
//! and the cost of a key press (update + full redraw) on a ~100k-row tree.
//!
//! cargo test --release --test tui tui_perf -- --ignored --nocapture

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
    let rows = app.tree.rows.len();

    let down = per_press(&mut app, &mut term, KeyCode::Char('j'), 2000);
    press(&mut app, KeyCode::Home);
    let pgdn = per_press(&mut app, &mut term, KeyCode::PageDown, 500);
    let t = Instant::now();
    press(&mut app, KeyCode::End);
    term.draw(|f| render(&app, f)).unwrap();
    let end = t.elapsed();
    let up = per_press(&mut app, &mut term, KeyCode::Char('k'), 2000);
    // Typing a filter: each keystroke (update + redraw) timed on its own; then
    // Backspace (the filter shrinks, so the narrowing shortcut does not apply).
    press(&mut app, KeyCode::Char('/'));
    let mut filter_keys = Vec::new();
    for c in "9".chars().chain("web-1".chars()) {
        if c == 'w' {
            // Start over: "9" matched about half the rows; "web-1" narrows step by step.
            for _ in 0..1 {
                press(&mut app, KeyCode::Backspace);
            }
        }
        let t = Instant::now();
        press(&mut app, KeyCode::Char(c));
        term.draw(|f| render(&app, f)).unwrap();
        filter_keys.push((app.filter.text.clone(), t.elapsed(), app.tree.rows.len()));
    }
    let t = Instant::now();
    press(&mut app, KeyCode::Backspace);
    term.draw(|f| render(&app, f)).unwrap();
    filter_keys.push((
        format!("{} (Backspace)", app.filter.text),
        t.elapsed(),
        app.tree.rows.len(),
    ));
    // Worst case, repeated: a one-letter filter that every row matches, typed and erased.
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Backspace);
    let t = Instant::now();
    for _ in 0..50 {
        press(&mut app, KeyCode::Char('w'));
        term.draw(|f| render(&app, f)).unwrap();
        press(&mut app, KeyCode::Backspace);
        term.draw(|f| render(&app, f)).unwrap();
    }
    let whole_tree_filter = t.elapsed() / 100;
    press(&mut app, KeyCode::Esc);
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
    println!(
        "filter keystroke matching every row (/w, then Backspace) + redraw, mean of 100: {whole_tree_filter:?}"
    );
    for (text, d, rows) in &filter_keys {
        println!("filter keystroke -> /{text} ({rows} rows) + redraw: {d:?}");
    }
    println!("`-` collapse all + redraw: {collapse_all:?}");
    assert!(rows > 100_000);
}
