//! The TUI with `--kube`: watch events from the loopback API server drive the app the way
//! the runtime does (ClusterView actions; models resolved and applied as `Loaded`), and
//! the tree, status line and change marks follow.

use crate::support::fake_apiserver;

use fake_apiserver::{FakeApi, TOKEN, assert_only_get, fixture, write_kubeconfig};
use meshtcp::resolve::KumaVersion;
use meshtcp::source::kube::KubeOptions;
use meshtcp::source::kube::watch::{WatchEvent, spawn};
use meshtcp::tui::action::Loaded as Shown;
use meshtcp::tui::kube::ClusterView;
use meshtcp::tui::{Action, App, render, resolve_loaded};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

fn screen(app: &App) -> String {
    let mut t = Terminal::new(TestBackend::new(160, 30)).unwrap();
    t.draw(|f| render(app, f)).unwrap();
    let b = t.backend().buffer().clone();
    let mut s = String::new();
    for y in 0..b.area.height {
        for x in 0..b.area.width {
            s.push_str(b[(x, y)].symbol());
        }
        s.push('\n');
    }
    s
}

#[test]
fn watch_events_update_the_tui_model_and_mark_changes() {
    let s = FakeApi::start(&fixture("zone-1"));
    let dir = tempfile::tempdir().unwrap();
    let o = KubeOptions {
        kubeconfig: Some(write_kubeconfig(
            dir.path(),
            &FakeApi::kubeconfig(&[("zone-1", &s)]),
        )),
        timeout: Duration::from_secs(2),
        ..Default::default()
    };
    let (tx, rx) = channel();
    let _h = spawn(o, None, move |e| {
        let _ = tx.send(e);
    });
    let mut app = App::new("cluster (current context)", KumaVersion::DEFAULT, false);
    app.update(Action::Tick(Instant::now()));
    app.update(Action::Resize(160, 30));
    let mut view = ClusterView::connecting();
    let mut version = KumaVersion::DEFAULT;
    let mut models = 0;
    let end = Instant::now() + Duration::from_secs(15);
    // Drive the app as the runtime does, until the second model (after the change).
    while models < 2 {
        let left = end
            .checked_duration_since(Instant::now())
            .expect("the watch did not deliver two models in time");
        let ev = rx.recv_timeout(left).unwrap();
        for a in view.on_event(&ev) {
            app.update(a);
        }
        match ev {
            WatchEvent::Version(v, _) => version = v,
            WatchEvent::Model { loaded, .. } => {
                let report = resolve_loaded(&loaded, version);
                app.update(Action::Loaded(Box::new(Shown::new(
                    report,
                    loaded.stats.clone(),
                    models > 0,
                    Instant::now(),
                ))));
                models += 1;
                if models == 1 {
                    let sc = screen(&app);
                    assert!(
                        sc.contains("Kuma 2.9 · ⎈ watching · version from the kuma-cp image"),
                        "{sc}"
                    );
                    assert!(sc.contains("⎈ zone-1"), "{sc}");
                    assert!(app.changes.nodes.is_empty());
                    // A MODIFIED event: the split becomes 50/50.
                    s.apply_yaml(
                        r#"
apiVersion: kuma.io/v1alpha1
kind: MeshTCPRoute
metadata:
  name: backend-split
  namespace: kuma-demo
  labels: {kuma.io/mesh: default}
spec:
  to:
    - targetRef: {kind: MeshService, name: backend}
      rules:
        - default:
            backendRefs:
              - {kind: MeshService, name: backend-v1, port: 3001, weight: 50}
              - {kind: MeshService, name: backend-v2, port: 3001, weight: 50}
"#,
                    );
                }
            }
            _ => {}
        }
    }
    let m = app.model.as_ref().unwrap();
    let web = m.report.proxy("web-7d9c5b-x2k4q").unwrap();
    assert_eq!(web.context.as_deref(), Some("zone-1"));
    let w: Vec<u32> = web
        .outbound("kuma-demo/backend:3001")
        .unwrap()
        .backends
        .iter()
        .map(|b| b.weight)
        .collect();
    assert_eq!(w, vec![50, 50]);
    // The changed outbounds are marked (three proxies use backend:3001).
    assert!(!app.changes.nodes.is_empty());
    let sc = screen(&app);
    assert!(!sc.contains(TOKEN));
    assert_only_get(&s);
}

#[test]
fn a_failed_watch_shows_a_banner_with_retry() {
    let mut app = App::new("cluster zone-1", KumaVersion::DEFAULT, false);
    app.update(Action::Tick(Instant::now()));
    app.update(Action::Resize(160, 30));
    let mut view = ClusterView::connecting();
    let e = meshtcp::source::kube::KubeError::Unauthorized {
        context: "zone-1".into(),
    };
    for a in view.on_event(&WatchEvent::Failed(e)) {
        app.update(a);
    }
    let sc = screen(&app);
    assert!(sc.contains("Press r to try again"), "{sc}");
    assert!(sc.contains("401 Unauthorized"), "{sc}");
    assert!(sc.contains("✖ disconnected (r: retry)"), "{sc}");
    // Reconnecting shows in the status line.
    for a in view.on_event(&WatchEvent::Status(
        "reconnecting: context `zone-1`, Dataplane: timed out".into(),
    )) {
        app.update(a);
    }
    assert!(screen(&app).contains("⟳ reconnecting"));
}
