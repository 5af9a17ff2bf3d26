//! A Kuma control plane's REST API on loopback, enough of it for `--cp` and `verify`:
//! `GET /` (the index), `GET /_resources`, `GET /meshes`, paginated lists
//! `GET /meshes/{mesh}/{path}?size=&offset=` with a `next` URL, bearer-token
//! authentication (the index needs none, as Kuma's), canned answers for other paths
//! (`_rules`, `_routes`), and injected faults (401, 403, 404, 500, a stalled answer).
//!
//! Every request is recorded (method and URI, and whether it carried the token) so tests
//! can assert that only GET was sent. The server runs on its own thread and runtime.
#![allow(dead_code)]

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const CP_TOKEN: &str = "cp-user-token-9f8e7d";

/// Kind name → API path, as Kuma's `/_resources` names them.
pub const PATHS: &[(&str, &str)] = &[
    ("Dataplane", "dataplanes"),
    ("MeshService", "meshservices"),
    ("MeshExternalService", "meshexternalservices"),
    ("MeshMultiZoneService", "meshmultizoneservices"),
    ("MeshGateway", "meshgateways"),
    ("MeshTCPRoute", "meshtcproutes"),
    ("MeshHTTPRoute", "meshhttproutes"),
    ("TrafficRoute", "traffic-routes"),
    ("ExternalService", "external-services"),
    ("Retry", "retries"),
    ("Timeout", "timeouts"),
    ("TrafficLog", "traffic-logs"),
    ("CircuitBreaker", "circuit-breakers"),
    ("HealthCheck", "health-checks"),
    ("FaultInjection", "fault-injections"),
    ("RateLimit", "rate-limits"),
    ("TrafficTrace", "traffic-traces"),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub method: String,
    pub uri: String,
    pub authorized: bool,
}

#[derive(Debug, Clone)]
pub struct State {
    pub index: Value,
    /// Serve `/_resources` (2.6+); false: 404, as older control planes.
    pub resources_endpoint: bool,
    /// Universal documents (`type`, `name`, `mesh`…).
    pub objects: Vec<Value>,
    /// Require `Authorization: Bearer CP_TOKEN` on everything but `/`.
    pub require_token: bool,
    /// At most this many items a page, whatever `size` asks.
    pub page_cap: usize,
    /// Paths (`meshtcproutes`) answered with 401, 403, 500, or never.
    pub unauthorized: BTreeSet<String>,
    pub forbidden: BTreeSet<String>,
    pub fail_500: BTreeSet<String>,
    pub stall: BTreeSet<String>,
    /// Kinds the control plane does not know (absent from `/_resources`, 404).
    pub not_served: BTreeSet<String>,
    /// Exact paths → canned JSON answers.
    pub answers: BTreeMap<String, Value>,
    pub requests: Vec<Recorded>,
}

impl Default for State {
    fn default() -> Self {
        State {
            index: json!({
                "hostname": "cp-0",
                "tagline": "Kuma",
                "product": "Kuma",
                "version": "2.9.3",
                "instanceId": "cp-0-abcd",
                "clusterId": "6b3c-ffee",
                "gui": "The gui is available at /gui"
            }),
            resources_endpoint: true,
            objects: Vec::new(),
            require_token: false,
            page_cap: 1000,
            unauthorized: BTreeSet::new(),
            forbidden: BTreeSet::new(),
            fail_500: BTreeSet::new(),
            stall: BTreeSet::new(),
            not_served: BTreeSet::new(),
            answers: BTreeMap::new(),
            requests: Vec::new(),
        }
    }
}

pub struct FakeCp {
    pub url: String,
    pub state: Arc<Mutex<State>>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// Every Universal document of the YAML files in `dir` (sorted by name).
pub fn documents(dir: &Path) -> Vec<Value> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for doc in text.split("\n---\n") {
            let v: Value = serde_saphyr::from_str(doc).unwrap();
            if !v.is_null() {
                out.push(v);
            }
        }
    }
    out
}

fn answer(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(serde_json::to_vec(body).unwrap())))
        .unwrap()
}

fn error(status: StatusCode, title: &str) -> Response<Full<Bytes>> {
    answer(
        status,
        &json!({"type": "/std-errors", "status": status.as_u16(), "title": title, "detail": title}),
    )
}

fn query_param(q: &str, key: &str) -> Option<usize> {
    q.split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .and_then(|(_, v)| v.parse().ok())
}

fn page(items: Vec<Value>, q: &str, cap: usize, host: &str, path: &str) -> Value {
    let size = query_param(q, "size").unwrap_or(100).min(cap).max(1);
    let offset = query_param(q, "offset").unwrap_or(0);
    let total = items.len();
    let end = (offset + size).min(total);
    let next = if end < total {
        Value::String(format!("http://{host}{path}?offset={end}&size={size}"))
    } else {
        Value::Null
    };
    json!({"total": total, "items": items[offset.min(total)..end], "next": next})
}

async fn handle(state: Arc<Mutex<State>>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let host = req
        .headers()
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_string();
    let authorized = req
        .headers()
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        == Some(&format!("Bearer {CP_TOKEN}"));
    let s = {
        let mut st = state.lock().unwrap();
        st.requests.push(Recorded {
            method: req.method().to_string(),
            uri: req.uri().to_string(),
            authorized,
        });
        st.clone()
    };
    if req.method() != Method::GET {
        return error(StatusCode::METHOD_NOT_ALLOWED, "read-only");
    }
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let stall_key = segs.last().copied().unwrap_or("");
    if s.stall.contains(stall_key) || (path == "/" && s.stall.contains("/")) {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    if path == "/" {
        return answer(StatusCode::OK, &s.index);
    }
    if s.require_token && !authorized {
        return error(StatusCode::UNAUTHORIZED, "Unauthenticated");
    }
    if path == "/config" && s.forbidden.contains("config") {
        return error(StatusCode::FORBIDDEN, "Access Denied");
    }
    if let Some(v) = s.answers.get(&path) {
        return answer(StatusCode::OK, v);
    }
    let served = |kind: &str| !s.not_served.contains(kind);
    match segs.as_slice() {
        ["_resources"] if s.resources_endpoint => {
            let mut rs = vec![json!({"name": "Mesh", "path": "meshes", "scope": "Global"})];
            for (k, p) in PATHS.iter().filter(|(k, _)| served(k)) {
                rs.push(json!({"name": k, "path": p, "scope": "Mesh", "readOnly": false}));
            }
            answer(StatusCode::OK, &json!({"resources": rs}))
        }
        ["meshes"] => {
            let items = s
                .objects
                .iter()
                .filter(|o| o["type"] == "Mesh")
                .cloned()
                .collect();
            answer(
                StatusCode::OK,
                &page(items, &query, s.page_cap, &host, &path),
            )
        }
        ["meshes", mesh, p] => {
            let Some((kind, _)) = PATHS.iter().find(|(k, x)| x == p && served(k)) else {
                return error(StatusCode::NOT_FOUND, "Not found");
            };
            if s.unauthorized.contains(*p) {
                return error(StatusCode::UNAUTHORIZED, "Unauthenticated");
            }
            if s.forbidden.contains(*p) {
                return error(StatusCode::FORBIDDEN, "Access Denied");
            }
            if s.fail_500.contains(*p) {
                return error(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
            }
            let items = s
                .objects
                .iter()
                .filter(|o| o["type"] == *kind && o["mesh"] == *mesh)
                .cloned()
                .collect();
            answer(
                StatusCode::OK,
                &page(items, &query, s.page_cap, &host, &path),
            )
        }
        _ => error(StatusCode::NOT_FOUND, "Not found"),
    }
}

impl FakeCp {
    pub fn start(state: State) -> FakeCp {
        Self::serve(state, None)
    }

    /// [`FakeCp::start`] over TLS, with the test certificate for 127.0.0.1 signed by
    /// `tests/fixtures/cp/tls/ca.pem` (the URL is `https://…`).
    pub fn start_tls(state: State) -> FakeCp {
        Self::serve(state, Some(tls_acceptor(false)))
    }

    /// [`FakeCp::start_tls`], and a client certificate signed by the test CA required.
    pub fn start_mtls(state: State) -> FakeCp {
        Self::serve(state, Some(tls_acceptor(true)))
    }

    fn serve(state: State, tls: Option<tokio_rustls::TlsAcceptor>) -> FakeCp {
        let secure = tls.is_some();
        let state = Arc::new(Mutex::new(state));
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let st = state.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(l.local_addr().unwrap()).unwrap();
                loop {
                    tokio::select! {
                        _ = &mut stopped => break,
                        a = l.accept() => {
                            let Ok((sock, _)) = a else { continue };
                            let st = st.clone();
                            let tls = tls.clone();
                            tokio::spawn(async move {
                                let svc = service_fn(move |r| {
                                    let st = st.clone();
                                    async move { Ok::<_, std::convert::Infallible>(handle(st, r).await) }
                                });
                                match tls {
                                    Some(acceptor) => {
                                        let Ok(stream) = acceptor.accept(sock).await else { return };
                                        let _ = http1::Builder::new()
                                            .serve_connection(TokioIo::new(stream), svc)
                                            .await;
                                    }
                                    None => {
                                        let _ = http1::Builder::new()
                                            .serve_connection(TokioIo::new(sock), svc)
                                            .await;
                                    }
                                }
                            });
                        }
                    }
                }
            });
        });
        let addr = addr_rx.recv().unwrap();
        FakeCp {
            url: format!("{}://{addr}", if secure { "https" } else { "http" }),
            state,
            _stop: stop,
        }
    }

    pub fn set(&self, f: impl FnOnce(&mut State)) {
        f(&mut self.state.lock().unwrap());
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().unwrap().requests.clone()
    }

    /// Every request was a GET.
    pub fn assert_only_get(&self) {
        let r = self.requests();
        assert!(!r.is_empty(), "no request reached the fake control plane");
        for x in &r {
            assert_eq!(
                x.method, "GET",
                "a {} request was sent: {}",
                x.method, x.uri
            );
        }
    }
}

/// The fake control plane's TLS: the test certificate for 127.0.0.1 signed by
/// `tests/fixtures/cp/tls/ca.pem`, and, when `client_auth`, client certificates signed
/// by that CA required.
fn tls_acceptor(client_auth: bool) -> tokio_rustls::TlsAcceptor {
    use tokio_rustls::rustls::{self, pki_types::pem::PemObject};
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cp/tls");
    let pems = |f: &str| {
        rustls::pki_types::CertificateDer::pem_file_iter(dir.join(f))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap()
    };
    let key = rustls::pki_types::PrivateKeyDer::from_pem_file(dir.join("server.key")).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = if client_auth {
        let mut roots = rustls::RootCertStore::empty();
        for c in pems("ca.pem") {
            roots.add(c).unwrap();
        }
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap();
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let config = builder.with_single_cert(pems("server.pem"), key).unwrap();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}
