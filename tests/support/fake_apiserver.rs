//! A Kubernetes API server on loopback that speaks enough of the API for meshtcp's
//! `--kube`: discovery (`/api`, `/apis`, `/apis/kuma.io/v1alpha1`), list with
//! resourceVersion and pagination (`limit`/`continue`), watch streams (ADDED, MODIFIED,
//! DELETED, BOOKMARK, and `410 Gone` as an ERROR event after a compaction), `apps/v1`
//! Deployments in `kuma-system`, bearer-token authentication, and injected faults (401,
//! 403 on one kind, a CRD not installed, 500, a stalled response, dropped watches).
//!
//! Objects come from YAML fixtures (multi-document, the shapes Kuma's CRDs define). Every
//! request is recorded (method, path and query) so tests can assert that only GET was
//! sent. The server runs on its own thread and tokio runtime, so sync tests and the
//! `meshtcp` binary can both talk to it through a generated kubeconfig.
#![allow(dead_code)]

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use meshtcp::model::ResourceKind;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, oneshot};

pub const TOKEN: &str = "SECRET-TOKEN-abc123";

type Body = BoxBody<Bytes, std::io::Error>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub method: String,
    pub uri: String,
}

/// Faults to inject; change them at any time through [`FakeApi::set`].
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Every request gets 401.
    pub unauthorized: bool,
    /// Plurals whose list and watch get 403.
    pub forbidden: BTreeSet<String>,
    /// Plurals whose list and watch get 500.
    pub fail_500: BTreeSet<String>,
    /// Plurals whose list never answers.
    pub stall: BTreeSet<String>,
    /// Deployments in kuma-system get 403.
    pub deployments_forbidden: bool,
    /// Watch requests get 500 (a watch that cannot reconnect yet).
    pub watch_500: bool,
    /// Plurals whose next `continue` request gets 410 Gone (the token expired).
    pub expire_continue: BTreeSet<String>,
}

#[derive(Debug, Clone)]
struct Res {
    kind: String,
    plural: String,
    namespaced: bool,
}

#[derive(Debug, Default)]
struct State {
    /// Kuma kinds served (discovery); a kind absent here is "CRD not installed".
    served: Vec<Res>,
    /// (plural, namespace, name) → object with metadata.resourceVersion.
    objects: BTreeMap<(String, String, String), Value>,
    deployments: Vec<Value>,
    rv: u64,
    /// Watch history: (rv, plural, type, object).
    events: Vec<(u64, String, &'static str, Value)>,
    /// Watches and continue tokens from before this rv get 410 Gone.
    compacted: u64,
    /// Bumped to cut every open watch stream with an error.
    watch_generation: u64,
    faults: Faults,
    requests: Vec<Recorded>,
}

pub struct FakeApi {
    pub port: u16,
    state: Arc<Mutex<State>>,
    notify: Arc<Notify>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn kind_res(kind: ResourceKind) -> Res {
    Res {
        kind: kind.as_str().into(),
        plural: kind.plural(),
        namespaced: !kind.k8s_cluster_scoped(),
    }
}

/// Every document of every YAML file under `dir`, sorted by path.
pub fn read_fixture_dir(dir: &Path) -> Vec<Value> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let docs: Vec<Value> = serde_saphyr::from_multiple(&text).unwrap();
        out.extend(docs.into_iter().filter(|d| !d.is_null()));
    }
    out
}

impl FakeApi {
    /// A server holding the objects of the YAML files in `dir`, serving every Kuma kind.
    pub fn start(dir: &Path) -> FakeApi {
        Self::start_with(read_fixture_dir(dir), &[])
    }

    /// `absent`: kinds whose CRD is not installed (not in discovery, 404 on list).
    pub fn start_with(objects: Vec<Value>, absent: &[ResourceKind]) -> FakeApi {
        let mut st = State {
            rv: 100,
            ..State::default()
        };
        for k in ResourceKind::ALL {
            if !absent.contains(&k) {
                st.served.push(kind_res(k));
            }
        }
        // A kind meshtcp does not model, to be ignored (and to make version guesses real);
        // a server without any Kuma kind serves no kuma.io group at all.
        if !st.served.is_empty() {
            st.served.push(Res {
                kind: "MeshTLS".into(),
                plural: "meshtlses".into(),
                namespaced: true,
            });
        }
        for o in objects {
            if o["kind"] == "Deployment" {
                st.deployments.push(o);
            } else {
                insert(&mut st, o, None);
            }
        }
        st.events.clear();
        let state = Arc::new(Mutex::new(st));
        let notify = Arc::new(Notify::new());
        let (port_tx, port_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let (s2, n2) = (state.clone(), notify.clone());
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                port_tx.send(l.local_addr().unwrap().port()).unwrap();
                let accept = async {
                    loop {
                        let Ok((stream, _)) = l.accept().await else { continue };
                        let (s, n) = (s2.clone(), n2.clone());
                        tokio::spawn(async move {
                            let svc = service_fn(move |req| {
                                let (s, n) = (s.clone(), n.clone());
                                async move { Ok::<_, std::convert::Infallible>(handle(req, s, n).await) }
                            });
                            let _ = http1::Builder::new()
                                .serve_connection(TokioIo::new(stream), svc)
                                .await;
                        });
                    }
                };
                tokio::select! {
                    _ = accept => {}
                    _ = stop_rx => {}
                }
            });
            rt.shutdown_background();
        });
        let port = port_rx.recv().unwrap();
        FakeApi {
            port,
            state,
            notify,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn set(&self, f: impl FnOnce(&mut Faults)) {
        f(&mut self.state.lock().unwrap().faults);
        self.notify.notify_waiters();
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().unwrap().requests.clone()
    }

    pub fn resource_version(&self) -> u64 {
        self.state.lock().unwrap().rv
    }

    /// Create or replace an object (ADDED or MODIFIED to watchers).
    pub fn apply(&self, obj: Value) {
        let mut st = self.state.lock().unwrap();
        insert(&mut st, obj, Some(()));
        drop(st);
        self.notify.notify_waiters();
    }

    pub fn apply_yaml(&self, yaml: &str) {
        self.apply(serde_saphyr::from_str(yaml).unwrap());
    }

    /// Delete an object (DELETED to watchers).
    pub fn delete(&self, kind: ResourceKind, namespace: Option<&str>, name: &str) {
        let mut st = self.state.lock().unwrap();
        let key = (
            kind.plural(),
            namespace.unwrap_or("").to_string(),
            name.to_string(),
        );
        if let Some(mut o) = st.objects.remove(&key) {
            st.rv += 1;
            let rv = st.rv;
            o["metadata"]["resourceVersion"] = json!(rv.to_string());
            st.events.push((rv, key.0, "DELETED", o));
        }
        drop(st);
        self.notify.notify_waiters();
    }

    /// Forget history: watches resuming from an older resourceVersion get 410 Gone.
    pub fn compact(&self) {
        let mut st = self.state.lock().unwrap();
        st.compacted = st.rv;
        st.events.clear();
        drop(st);
        self.notify.notify_waiters();
    }

    /// Cut every open watch stream with a transport error.
    pub fn drop_watches(&self) {
        self.state.lock().unwrap().watch_generation += 1;
        self.notify.notify_waiters();
    }

    /// A kubeconfig (YAML) with one context per (name, server), all with [`TOKEN`].
    pub fn kubeconfig(contexts: &[(&str, &FakeApi)]) -> String {
        let mut clusters = String::new();
        let mut ctxs = String::new();
        for (name, s) in contexts {
            clusters.push_str(&format!(
                "- name: {name}-cluster\n  cluster:\n    server: {}\n",
                s.url()
            ));
            ctxs.push_str(&format!(
                "- name: {name}\n  context:\n    cluster: {name}-cluster\n    user: tester\n"
            ));
        }
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n{clusters}contexts:\n{ctxs}current-context: {}\n\
             users:\n- name: tester\n  user:\n    token: {TOKEN}\n",
            contexts[0].0
        )
    }
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn insert(st: &mut State, mut o: Value, event: Option<()>) {
    let kind = o["kind"].as_str().unwrap_or("").to_string();
    let Some(k) = ResourceKind::parse(&kind) else {
        panic!("fixture kind {kind} is not a Kuma kind");
    };
    let plural = k.plural();
    let ns = if k.k8s_cluster_scoped() {
        String::new()
    } else {
        o["metadata"]["namespace"]
            .as_str()
            .unwrap_or("default")
            .to_string()
    };
    let name = o["metadata"]["name"].as_str().unwrap().to_string();
    st.rv += 1;
    let rv = st.rv;
    o["metadata"]["resourceVersion"] = json!(rv.to_string());
    o["metadata"]["managedFields"] = json!([{"manager": "kubectl", "operation": "Apply"}]);
    let key = (plural.clone(), ns, name);
    let t = if st.objects.contains_key(&key) {
        "MODIFIED"
    } else {
        "ADDED"
    };
    st.objects.insert(key, o.clone());
    if event.is_some() {
        st.events.push((rv, plural, t, o));
    }
}

fn json_response(code: StatusCode, v: &Value) -> Response<Body> {
    Response::builder()
        .status(code)
        .header("content-type", "application/json")
        .body(
            Full::new(Bytes::from(serde_json::to_vec(v).unwrap()))
                .map_err(|never| match never {})
                .boxed(),
        )
        .unwrap()
}

fn status(code: u16, reason: &str, message: &str) -> Response<Body> {
    json_response(
        StatusCode::from_u16(code).unwrap(),
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": message, "reason": reason, "code": code}),
    )
}

fn query(uri: &http::Uri) -> BTreeMap<String, String> {
    uri.query()
        .unwrap_or("")
        .split('&')
        .filter(|s| !s.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k.to_string(), v.replace("%3D", "=").replace("%2C", ","))
        })
        .collect()
}

async fn handle(
    req: Request<Incoming>,
    state: Arc<Mutex<State>>,
    notify: Arc<Notify>,
) -> Response<Body> {
    let uri = req.uri().clone();
    let path = uri.path().to_string();
    let authorized = req
        .headers()
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .is_some_and(|h| h == format!("Bearer {TOKEN}"));
    let faults = {
        let mut st = state.lock().unwrap();
        st.requests.push(Recorded {
            method: req.method().to_string(),
            uri: uri
                .path_and_query()
                .map(|p| p.to_string())
                .unwrap_or_default(),
        });
        st.faults.clone()
    };
    if req.method() != Method::GET {
        return status(405, "MethodNotAllowed", "this fake API server is read-only");
    }
    if faults.unauthorized || !authorized {
        return status(401, "Unauthorized", "Unauthorized");
    }
    let q = query(&uri);
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segs.as_slice() {
        ["version"] => json_response(
            StatusCode::OK,
            &json!({"major": "1", "minor": "33", "gitVersion": "v1.33.1", "platform": "linux/amd64"}),
        ),
        ["api"] => json_response(
            StatusCode::OK,
            &json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}),
        ),
        ["apis"] => {
            let st = state.lock().unwrap();
            let mut groups = vec![
                json!({"name": "apps", "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
                "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"}}),
            ];
            if !st.served.is_empty() {
                groups.push(json!({"name": "kuma.io",
                    "versions": [{"groupVersion": "kuma.io/v1alpha1", "version": "v1alpha1"}],
                    "preferredVersion": {"groupVersion": "kuma.io/v1alpha1", "version": "v1alpha1"}}));
            }
            json_response(
                StatusCode::OK,
                &json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}),
            )
        }
        ["apis", "kuma.io", "v1alpha1"] => {
            let st = state.lock().unwrap();
            let resources: Vec<Value> = st
                .served
                .iter()
                .map(|r| {
                    json!({"name": r.plural, "singularName": r.kind.to_lowercase(),
                        "namespaced": r.namespaced, "kind": r.kind,
                        "verbs": ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"],
                        "categories": ["kuma"]})
                })
                .collect();
            json_response(
                StatusCode::OK,
                &json!({"kind": "APIResourceList", "apiVersion": "v1",
                        "groupVersion": "kuma.io/v1alpha1", "resources": resources}),
            )
        }
        [
            "apis",
            "apps",
            "v1",
            "namespaces",
            "kuma-system",
            "deployments",
        ] => {
            if faults.deployments_forbidden {
                return status(
                    403,
                    "Forbidden",
                    "deployments.apps is forbidden: User \"tester\" cannot list resource \"deployments\" in API group \"apps\" in the namespace \"kuma-system\"",
                );
            }
            let st = state.lock().unwrap();
            json_response(
                StatusCode::OK,
                &json!({"kind": "DeploymentList", "apiVersion": "apps/v1",
                        "metadata": {"resourceVersion": st.rv.to_string()}, "items": st.deployments}),
            )
        }
        ["apis", "kuma.io", "v1alpha1", plural] => {
            collection(plural, None, &q, &faults, state, notify).await
        }
        ["apis", "kuma.io", "v1alpha1", "namespaces", ns, plural] => {
            collection(plural, Some(ns), &q, &faults, state, notify).await
        }
        _ => status(
            404,
            "NotFound",
            "the server could not find the requested resource",
        ),
    }
}

async fn collection(
    plural: &str,
    ns: Option<&str>,
    q: &BTreeMap<String, String>,
    faults: &Faults,
    state: Arc<Mutex<State>>,
    notify: Arc<Notify>,
) -> Response<Body> {
    let watch = q.get("watch").is_some_and(|v| v == "true" || v == "1");
    let res = {
        let st = state.lock().unwrap();
        st.served.iter().find(|r| r.plural == plural).cloned()
    };
    let Some(res) = res else {
        return status(
            404,
            "NotFound",
            "the server could not find the requested resource",
        );
    };
    if faults.forbidden.contains(plural) {
        let verb = if watch { "watch" } else { "list" };
        return status(
            403,
            "Forbidden",
            &format!(
                "{plural}.kuma.io is forbidden: User \"tester\" cannot {verb} resource \"{plural}\" in API group \"kuma.io\" at the cluster scope"
            ),
        );
    }
    if faults.fail_500.contains(plural) || (watch && faults.watch_500) {
        return status(500, "InternalError", "etcdserver: request timed out");
    }
    if !watch && faults.stall.contains(plural) {
        std::future::pending::<()>().await;
    }
    let ns = ns.map(String::from);
    let in_ns = {
        let (ns, namespaced) = (ns.clone(), res.namespaced);
        move |o: &Value| {
            !namespaced
                || ns
                    .as_deref()
                    .is_none_or(|n| o["metadata"]["namespace"].as_str() == Some(n))
        }
    };
    if !watch {
        let mut st = state.lock().unwrap();
        if q.contains_key("continue") {
            st.faults.expire_continue.remove(plural);
        }
        let st = st;
        let limit: usize = q
            .get("limit")
            .and_then(|l| l.parse().ok())
            .unwrap_or(usize::MAX);
        let (offset, list_rv) = match q.get("continue") {
            Some(t) if !t.is_empty() => {
                let (rv, off) = t.split_once('-').unwrap();
                let rv: u64 = rv.parse().unwrap();
                if rv < st.compacted || faults.expire_continue.contains(plural) {
                    return status(
                        410,
                        "Expired",
                        "The provided continue parameter is too old to display a consistent list result.",
                    );
                }
                (off.parse::<usize>().unwrap(), rv)
            }
            _ => (0, st.rv),
        };
        let all: Vec<&Value> = st
            .objects
            .iter()
            .filter(|(k, v)| k.0 == plural && in_ns(v))
            .map(|(_, v)| v)
            .collect();
        let page: Vec<&Value> = all.iter().skip(offset).take(limit).copied().collect();
        let mut md = json!({"resourceVersion": list_rv.to_string()});
        if offset + page.len() < all.len() {
            md["continue"] = json!(format!("{list_rv}-{}", offset + page.len()));
            md["remainingItemCount"] = json!(all.len() - offset - page.len());
        }
        return json_response(
            StatusCode::OK,
            &json!({"apiVersion": "kuma.io/v1alpha1", "kind": format!("{}List", res.kind),
                    "metadata": md, "items": page}),
        );
    }
    // Watch: history after resourceVersion, then live events, bookmarks on the way.
    let from: u64 = q
        .get("resourceVersion")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let bookmarks = q.get("allowWatchBookmarks").is_some_and(|v| v == "true");
    let timeout = q
        .get("timeoutSeconds")
        .and_then(|v| v.parse().ok())
        .unwrap_or(290u64);
    let (tx, rx) = futures::channel::mpsc::unbounded::<Result<Frame<Bytes>, std::io::Error>>();
    let line = |v: Value| {
        let mut b = serde_json::to_vec(&v).unwrap();
        b.push(b'\n');
        Ok(Frame::data(Bytes::from(b)))
    };
    let plural = plural.to_string();
    let kind = res.kind.clone();
    tokio::spawn(async move {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout.min(30));
        let (compacted, generation) = {
            let st = state.lock().unwrap();
            (st.compacted, st.watch_generation)
        };
        if from < compacted {
            let _ = tx.unbounded_send(line(json!({"type": "ERROR", "object": {
                "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": format!("too old resource version: {from} ({compacted})"),
                "reason": "Expired", "code": 410}})));
            return;
        }
        let mut sent = from;
        let mut first = true;
        loop {
            let notified = notify.notified();
            let (batch, rv, cut) = {
                let st = state.lock().unwrap();
                let batch: Vec<(u64, &'static str, Value)> = st
                    .events
                    .iter()
                    .filter(|(rv, p, _, o)| *rv > sent && *p == plural && in_ns(o))
                    .map(|(rv, _, t, o)| (*rv, *t, o.clone()))
                    .collect();
                (batch, st.rv, st.watch_generation != generation)
            };
            if cut {
                let _ = tx.unbounded_send(Err(std::io::Error::other("watch cut by the test")));
                return;
            }
            for (rv, t, o) in batch {
                sent = rv;
                if tx
                    .unbounded_send(line(json!({"type": t, "object": o})))
                    .is_err()
                {
                    return;
                }
            }
            if bookmarks && first {
                first = false;
                let _ = tx.unbounded_send(line(json!({"type": "BOOKMARK", "object": {
                    "kind": kind, "apiVersion": "kuma.io/v1alpha1",
                    "metadata": {"resourceVersion": rv.max(sent).to_string()}}})));
            }
            tokio::select! {
                _ = notified => {}
                _ = tokio::time::sleep_until(deadline) => return,
            }
        }
    });
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .body(BodyExt::boxed(StreamBody::new(rx)))
        .unwrap()
}

/// Write `kubeconfig` into `dir` and return its path.
pub fn write_kubeconfig(dir: &Path, kubeconfig: &str) -> std::path::PathBuf {
    let p = dir.join("kubeconfig");
    std::fs::write(&p, kubeconfig).unwrap();
    p
}

/// Assert that every request the server saw was a GET.
pub fn assert_only_get(s: &FakeApi) {
    let reqs = s.requests();
    assert!(!reqs.is_empty(), "the server saw no request");
    for r in &reqs {
        assert_eq!(r.method, "GET", "non-GET request: {r:?}");
    }
}

pub fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/kube")
        .join(name)
}
