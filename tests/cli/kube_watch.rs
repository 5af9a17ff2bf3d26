//! Watching the cluster (the TUI's `--kube`): kube-runtime watchers against the loopback
//! API server; watch events update the model, a dropped watch reconnects, 410 Gone
//! re-lists, 401 ends the watch, 403 on one kind is a finding. Only GET is ever sent.

use crate::support::fake_apiserver;

use fake_apiserver::{FakeApi, TOKEN, assert_only_get, fixture, write_kubeconfig};
use meshtcp::model::{Code, ResourceKind};
use meshtcp::resolve::{Filter, KumaVersion, Report, RouteKind, resolve};
use meshtcp::source::Loaded;
use meshtcp::source::kube::KubeOptions;
use meshtcp::source::kube::watch::{WatchEvent, WatchHandle, spawn};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(15);

struct Watch {
    rx: Receiver<WatchEvent>,
    /// The newest model seen by [`Watch::until`], whatever it waited for.
    last: std::cell::RefCell<Option<Loaded>>,
    _h: WatchHandle,
    _dir: tempfile::TempDir,
}

fn start(s: &FakeApi, version: Option<KumaVersion>) -> Watch {
    let dir = tempfile::tempdir().unwrap();
    let o = KubeOptions {
        kubeconfig: Some(write_kubeconfig(
            dir.path(),
            &FakeApi::kubeconfig(&[("zone-1", s)]),
        )),
        timeout: Duration::from_secs(2),
        page_size: 2,
        ..Default::default()
    };
    let (tx, rx) = channel();
    let h = spawn(o, version, move |e| {
        let _ = tx.send(e);
    });
    Watch {
        rx,
        last: Default::default(),
        _h: h,
        _dir: dir,
    }
}

impl Watch {
    /// The next event that `f` accepts, skipping others; panics after [`WAIT`].
    fn until<T>(&self, what: &str, mut f: impl FnMut(&WatchEvent) -> Option<T>) -> T {
        let end = Instant::now() + WAIT;
        let mut seen = Vec::new();
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            match self.rx.recv_timeout(left) {
                Ok(e) => {
                    assert!(!format!("{e:?}").contains(TOKEN), "token in {e:?}");
                    if let WatchEvent::Model { loaded, .. } = &e {
                        *self.last.borrow_mut() = Some((**loaded).clone());
                    }
                    if let Some(t) = f(&e) {
                        return t;
                    }
                    seen.push(short(&e));
                }
                Err(_) => break,
            }
        }
        panic!("no {what} within {WAIT:?}; saw {seen:#?}");
    }

    fn model(&self, what: &str) -> (Loaded, Vec<String>, bool) {
        self.until(what, |e| match e {
            WatchEvent::Model {
                loaded,
                changes,
                initial,
            } => Some(((**loaded).clone(), changes.clone(), *initial)),
            _ => None,
        })
    }
}

fn short(e: &WatchEvent) -> String {
    match e {
        WatchEvent::Model {
            loaded, changes, ..
        } => format!(
            "Model({} resources, {changes:?})",
            loaded.snapshot.resources.len()
        ),
        other => format!("{other:?}"),
    }
}

fn report(l: &Loaded) -> Report {
    let mut r = resolve(&l.snapshot, KumaVersion::new(2, 9), &Filter::default());
    r.findings.extend(l.findings.iter().cloned());
    r
}

fn weights(r: &Report) -> (RouteKind, Vec<u32>) {
    let ob = r
        .proxy("web-7d9c5b-x2k4q")
        .unwrap()
        .outbound("kuma-demo/backend:3001")
        .unwrap();
    (ob.route, ob.backends.iter().map(|b| b.weight).collect())
}

const SPLIT_50_50: &str = r#"
apiVersion: kuma.io/v1alpha1
kind: MeshTCPRoute
metadata:
  name: backend-split
  namespace: kuma-demo
  labels: {kuma.io/mesh: default, kuma.io/origin: zone}
spec:
  to:
    - targetRef: {kind: MeshService, name: backend}
      rules:
        - default:
            backendRefs:
              - {kind: MeshService, name: backend-v1, port: 3001, weight: 50}
              - {kind: MeshService, name: backend-v2, port: 3001, weight: 50}
"#;

#[test]
fn watch_events_update_the_resolved_report() {
    let s = FakeApi::start(&fixture("zone-1"));
    let w = start(&s, None);
    let (v, how) = w.until("version", |e| match e {
        WatchEvent::Version(v, how) => Some((*v, how.clone())),
        _ => None,
    });
    assert_eq!(v, KumaVersion::new(2, 9));
    assert!(how.contains("kuma-cp:2.9.3"), "{how}");
    // Progress per kind, then the first model.
    let p = w.until("progress", |e| match e {
        WatchEvent::Progress(p) => Some(p.clone()),
        _ => None,
    });
    assert_eq!(p.context, "zone-1");
    assert_eq!(p.kinds_total, ResourceKind::ALL.len());
    let (l, _, initial) = w.model("initial model");
    assert!(initial);
    assert_eq!(l.snapshot.resources.len(), 10);
    assert_eq!(
        weights(&report(&l)),
        (RouteKind::MeshTCPRoute, vec![90, 10])
    );

    // MODIFIED
    s.apply_yaml(SPLIT_50_50);
    let (l, changes, initial) = w.model("model after MODIFIED");
    assert!(!initial);
    assert_eq!(
        changes,
        vec!["MeshTCPRoute kuma-demo/backend-split modified"]
    );
    assert_eq!(
        weights(&report(&l)),
        (RouteKind::MeshTCPRoute, vec![50, 50])
    );

    // ADDED
    s.apply_yaml(
        r#"
apiVersion: kuma.io/v1alpha1
kind: Dataplane
mesh: default
metadata: {name: web-2, namespace: kuma-demo, labels: {app: web}}
spec:
  networking:
    address: 10.244.1.16
    inbound:
      - port: 8080
        tags: {kuma.io/service: web_kuma-demo_svc_8080, kuma.io/protocol: http, app: web, k8s.kuma.io/namespace: kuma-demo}
    transparentProxying: {redirectPortInbound: 15006, redirectPortOutbound: 15001}
"#,
    );
    let (l, changes, _) = w.model("model after ADDED");
    assert_eq!(changes, vec!["Dataplane kuma-demo/web-2 added"]);
    let r = report(&l);
    assert_eq!(r.proxy("web-2").unwrap().context.as_deref(), Some("zone-1"));

    // DELETED: the route goes. The mesh has a TrafficRoute, which never builds a
    // real-resource outbound, and no new route selects the proxy now: no listener.
    s.delete(
        ResourceKind::MeshTCPRoute,
        Some("kuma-demo"),
        "backend-split",
    );
    let (l, changes, _) = w.model("model after DELETED");
    assert_eq!(
        changes,
        vec!["MeshTCPRoute kuma-demo/backend-split deleted"]
    );
    assert_eq!(weights(&report(&l)), (RouteKind::None, vec![]));

    // The watch resumed from the list's resourceVersion, with bookmarks.
    let reqs = s.requests();
    assert!(reqs.iter().any(|r| r.uri.contains("/meshtcproutes?")
        && r.uri.contains("watch=true")
        && r.uri.contains("allowWatchBookmarks=true")
        && r.uri.contains("resourceVersion=")));
    assert_only_get(&s);
}

#[test]
fn dropped_watch_reconnects_and_410_gone_relists() {
    let s = FakeApi::start(&fixture("zone-1"));
    let w = start(&s, Some(KumaVersion::new(2, 9)));
    let (v, how) = w.until("version", |e| match e {
        WatchEvent::Version(v, how) => Some((*v, how.clone())),
        _ => None,
    });
    assert_eq!(v, KumaVersion::new(2, 9));
    assert!(how.contains("--kuma-version"));
    w.model("initial model");
    // Dataplanes did not change, so their watch resumes from before the compaction: 410.
    let lists_before = s
        .requests()
        .iter()
        .filter(|r| r.uri.contains("/dataplanes?") && !r.uri.contains("watch=true"))
        .count();
    // The history is gone and every watch is cut: resuming gets 410, so it lists again.
    s.apply_yaml(SPLIT_50_50);
    s.compact();
    s.set(|f| f.watch_500 = true);
    s.drop_watches();
    let status = w.until("reconnecting status", |e| match e {
        WatchEvent::Status(s) if s.contains("reconnecting") => Some(s.clone()),
        _ => None,
    });
    assert!(status.contains("zone-1"), "{status}");
    s.set(|f| f.watch_500 = false);
    w.until("recovered status", |e| match e {
        WatchEvent::Status(s) if s.starts_with("watching") => Some(()),
        _ => None,
    });
    // The change made while cut arrives through the re-list.
    let is_50_50 = |l: &Loaded| weights(&report(l)).1 == vec![50, 50];
    let seen = w.last.borrow().clone().filter(is_50_50);
    let l = match seen {
        Some(l) => l,
        None => w.until("model with 50/50", |e| match e {
            WatchEvent::Model { loaded, .. } if is_50_50(loaded) => Some((**loaded).clone()),
            _ => None,
        }),
    };
    assert!(l.findings.iter().all(|f| f.code != Code::SourceUnreadable));
    let relists = || {
        s.requests()
            .iter()
            .filter(|r| r.uri.contains("/dataplanes?") && !r.uri.contains("watch=true"))
            .count()
    };
    let end = Instant::now() + WAIT;
    while relists() <= lists_before {
        assert!(Instant::now() < end, "no re-list after 410 Gone");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_only_get(&s);
}

#[test]
fn forbidden_kind_is_a_finding_and_401_ends_the_watch() {
    let s = FakeApi::start(&fixture("zone-1"));
    s.set(|f| {
        f.forbidden.insert("trafficroutes".into());
    });
    let w = start(&s, Some(KumaVersion::new(2, 9)));
    let (l, _, _) = w.model("initial model");
    let f: Vec<_> = l
        .findings
        .iter()
        .filter(|f| f.code == Code::AccessDenied)
        .collect();
    assert_eq!(f.len(), 1, "{:?}", l.findings);
    assert!(f[0].message.contains("trafficroutes.kuma.io"));
    assert_eq!(l.snapshot.resources.len(), 9);
    // The credentials stop working: the watch ends with a clear error.
    s.set(|f| f.unauthorized = true);
    s.drop_watches();
    let e = w.until("failure", |e| match e {
        WatchEvent::Failed(e) => Some(e.clone()),
        _ => None,
    });
    assert!(e.to_string().contains("401"), "{e}");
    assert!(e.is_retryable());
    assert_only_get(&s);
}

#[test]
fn unreachable_at_start_fails_at_once() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let kc = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:{port}\n\
         contexts:\n- name: gone\n  context:\n    cluster: c\n    user: u\ncurrent-context: gone\n\
         users:\n- name: u\n  user:\n    token: {TOKEN}\n"
    );
    let o = KubeOptions {
        kubeconfig: Some(write_kubeconfig(dir.path(), &kc)),
        timeout: Duration::from_secs(2),
        ..Default::default()
    };
    let (tx, rx) = channel();
    let _h = spawn(o, None, move |e| {
        let _ = tx.send(e);
    });
    match rx.recv_timeout(WAIT).unwrap() {
        WatchEvent::Failed(e) => {
            assert!(e.to_string().contains("cannot reach"), "{e}");
            assert!(!e.to_string().contains(TOKEN));
        }
        other => panic!("{other:?}"),
    }
}
