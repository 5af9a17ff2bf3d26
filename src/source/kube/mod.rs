//! The live cluster source (`--kube`): Kuma resources read from Kubernetes through
//! kube's client, read-only by construction (only GET: discovery, get, list, watch).
//!
//! - [`connect`]: one client per kubeconfig context (`KUBECONFIG`, the default file, or
//!   the in-cluster config), with bounded connect and read timeouts.
//! - [`list_all`]: discovery of the `kuma.io` group, then a paginated list of every kind
//!   meshtcp models; the result is a [`Loaded`] like the file loader's. A kind whose CRD
//!   is absent is an `info` finding (`kind-not-installed`); a 403 on one kind is a
//!   warning (`access-denied`) naming the kind and the RBAC verb; other failures of one
//!   kind are an error finding (`source-unreadable`). 401, an unreachable server and a
//!   stalled one are a [`KubeError`] (the command exits 2).
//! - [`version`]: which Kuma version runs there (control-plane image tag, else the CRDs).
//! - [`snapshot`]: writes what was listed as YAML files that load offline.
//! - [`watch`]: kube-runtime watchers feeding a [`Store`]; the TUI consumes its events.
//!
//! **Locations.** Cluster objects carry `Origin::Cluster { context, namespace, name }`.
//! Their findings have no `location` (there is no file); the finding's `resource` names
//! kind, namespace, name, mesh and `context`, which is where the object is.
//!
//! **Credentials.** No message here includes a token, a password, a client key or a
//! kubeconfig snippet: errors are reduced to their kind, the context name and the server
//! address without user info.

pub mod snapshot;
pub mod store;
pub mod version;
pub mod watch;

pub use store::{ObjKey, Store};
pub use version::Detected;

use super::Loaded;
use crate::model::{Code, Finding, ResourceKind, ResourceRef};
use ::kube::api::{Api, ApiResource, DynamicObject, ListParams};
use ::kube::config::{KubeConfigOptions, Kubeconfig};
use ::kube::discovery::{ApiCapabilities, Discovery, Scope};
use ::kube::{Client, Config};
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;

/// The API group of every Kuma resource.
pub const GROUP: &str = "kuma.io";
/// Shown as the context of the in-cluster configuration.
pub const IN_CLUSTER: &str = "in-cluster";

/// What `--kube`, `--context`, `-n` and `--kubeconfig` asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeOptions {
    /// A kubeconfig file; `None`: as kubectl finds it (`KUBECONFIG`, `~/.kube/config`,
    /// then the in-cluster config).
    pub kubeconfig: Option<PathBuf>,
    /// Contexts to load, in order; empty: the current context.
    pub contexts: Vec<String>,
    /// Only this namespace (namespaced kinds); `None`: all namespaces.
    pub namespace: Option<String>,
    /// Connect and read timeout of every request but watches.
    pub timeout: Duration,
    /// Items per list page (`limit`; the rest follows with `continue`).
    pub page_size: u32,
}

impl Default for KubeOptions {
    fn default() -> Self {
        KubeOptions {
            kubeconfig: None,
            contexts: Vec::new(),
            namespace: None,
            timeout: Duration::from_secs(30),
            page_size: 500,
        }
    }
}

/// Why the cluster could not be used at all. Messages never carry credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KubeError {
    #[error("kubeconfig: {0}")]
    Config(String),
    #[error(
        "context `{context}`: the API server rejected the credentials (401 Unauthorized): \
         the token or certificate is missing, wrong or expired; log in again and retry"
    )]
    Unauthorized { context: String },
    #[error("context `{context}`: cannot reach the API server at {server}: {reason}")]
    Unreachable {
        context: String,
        server: String,
        reason: String,
    },
    #[error(
        "context `{context}`: the API server at {server} did not answer within {secs} s ({what})"
    )]
    Timeout {
        context: String,
        server: String,
        what: String,
        secs: u64,
    },
    #[error("context `{context}`: {what} failed: {message}")]
    Api {
        context: String,
        what: String,
        message: String,
    },
}

impl KubeError {
    /// Authentication and connection failures: the TUI offers a retry.
    pub fn is_retryable(&self) -> bool {
        !matches!(self, KubeError::Config(_))
    }
}

/// One kubeconfig context, connected.
#[derive(Clone)]
pub struct Cluster {
    pub context: String,
    /// `scheme://host:port` of the API server (no user info).
    pub server: String,
    /// For discovery, get and list: bounded read timeout.
    pub client: Client,
    /// For watches: no read timeout (the watcher has its own idle timeout).
    pub watch_client: Client,
    pub timeout: Duration,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("context", &self.context)
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

/// The first line of an error, cut: kubeconfig parse errors may quote the file.
fn one_line(e: &dyn std::fmt::Display) -> String {
    let s = e.to_string();
    let first = s.lines().next().unwrap_or("").trim();
    let mut out: String = first.chars().take(200).collect();
    if out.len() < first.len() {
        out.push('…');
    }
    out
}

/// `scheme://host:port` of the server URL, without user info.
fn server_label(scheme: Option<&str>, authority: Option<&str>) -> String {
    let host = authority
        .map(|a| a.rsplit('@').next().unwrap_or(""))
        .unwrap_or("");
    format!("{}://{host}", scheme.unwrap_or("https"))
}

/// A kubeconfig error in one line, with quoted values blanked: a parse error may quote
/// the value it choked on, and that value may be a credential.
fn kubeconfig_error(e: &dyn std::fmt::Display) -> String {
    let line = one_line(e);
    let mut out = String::with_capacity(line.len());
    let mut quoted = None;
    for c in line.chars() {
        match quoted {
            None if c == '"' || c == '`' || c == '\'' => {
                quoted = Some(c);
                out.push(c);
                out.push('…');
            }
            Some(q) if c == q => {
                quoted = None;
                out.push(c);
            }
            Some(_) => {}
            None => out.push(c),
        }
    }
    out
}

fn read_kubeconfig(opts: &KubeOptions) -> Result<Option<Kubeconfig>, KubeError> {
    match &opts.kubeconfig {
        Some(p) => Kubeconfig::read_from(p).map(Some).map_err(|e| {
            KubeError::Config(format!(
                "cannot read {}: {}",
                p.display(),
                kubeconfig_error(&e)
            ))
        }),
        None => match Kubeconfig::read() {
            Ok(k) => Ok(Some(k)),
            // No kubeconfig at all: the in-cluster config may still work.
            Err(_) if opts.contexts.is_empty() => Ok(None),
            Err(e) => Err(KubeError::Config(format!(
                "cannot read the kubeconfig (KUBECONFIG or ~/.kube/config): {}",
                kubeconfig_error(&e)
            ))),
        },
    }
}

fn finish_config(
    mut cfg: Config,
    context: String,
    timeout: Duration,
) -> Result<Cluster, KubeError> {
    cfg.connect_timeout = Some(timeout);
    cfg.read_timeout = Some(timeout);
    cfg.write_timeout = Some(timeout);
    cfg.reset_reader_on_write = true;
    let server = server_label(
        cfg.cluster_url.scheme_str(),
        cfg.cluster_url.authority().map(|a| a.as_str()),
    );
    let mut wcfg = cfg.clone();
    wcfg.read_timeout = None;
    let mk = |c: Config| {
        Client::try_from(c).map_err(|e| {
            KubeError::Config(format!(
                "context `{context}`: cannot build a client: {}",
                one_line(&e)
            ))
        })
    };
    let client = mk(cfg)?;
    let watch_client = mk(wcfg)?;
    Ok(Cluster {
        context,
        server,
        client,
        watch_client,
        timeout,
    })
}

/// One client per context asked for (the current context when none was).
pub async fn connect(opts: &KubeOptions) -> Result<Vec<Cluster>, KubeError> {
    let Some(kc) = read_kubeconfig(opts)? else {
        let cfg = Config::incluster().map_err(|e| {
            KubeError::Config(format!(
                "no kubeconfig (KUBECONFIG, ~/.kube/config) and not running in a cluster: {}",
                one_line(&e)
            ))
        })?;
        return Ok(vec![finish_config(cfg, IN_CLUSTER.into(), opts.timeout)?]);
    };
    let names: Vec<String> = if opts.contexts.is_empty() {
        match kc.current_context.clone().filter(|c| !c.is_empty()) {
            Some(c) => vec![c],
            None => {
                return Err(KubeError::Config(
                    "the kubeconfig has no current-context; name one with --context".into(),
                ));
            }
        }
    } else {
        opts.contexts.clone()
    };
    let mut out = Vec::new();
    for name in names {
        if !kc.contexts.iter().any(|c| c.name == name) {
            let known: Vec<&str> = kc.contexts.iter().map(|c| c.name.as_str()).collect();
            return Err(KubeError::Config(format!(
                "context `{name}` is not in the kubeconfig (contexts: {})",
                known.join(", ")
            )));
        }
        let o = KubeConfigOptions {
            context: Some(name.clone()),
            cluster: None,
            user: None,
        };
        let cfg = Config::from_custom_kubeconfig(kc.clone(), &o)
            .await
            .map_err(|e| {
                KubeError::Config(format!("context `{name}`: {}", kubeconfig_error(&e)))
            })?;
        out.push(finish_config(cfg, name, opts.timeout)?);
    }
    Ok(out)
}

/// What went wrong with one request, by kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    Unauthorized,
    Forbidden(String),
    NotFound,
    Gone,
    Timeout,
    Unreachable(String),
    Server(u16, String),
    Other(String),
}

pub(crate) fn classify(e: &::kube::Error) -> Failure {
    if let ::kube::Error::Api(s) = e {
        return match s.code {
            401 => Failure::Unauthorized,
            403 => Failure::Forbidden(s.message.clone()),
            404 => Failure::NotFound,
            410 => Failure::Gone,
            c => Failure::Server(c, format!("{c} {}: {}", s.reason, one_line(&s.message))),
        };
    }
    if let ::kube::Error::Auth(a) = e {
        return Failure::Other(format!("authentication: {}", one_line(a)));
    }
    let mut src: Option<&dyn std::error::Error> = Some(e);
    let mut last = String::new();
    while let Some(x) = src {
        if let Some(io) = x.downcast_ref::<std::io::Error>() {
            return match io.kind() {
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => Failure::Timeout,
                _ => Failure::Unreachable(one_line(io)),
            };
        }
        let s = x.to_string();
        if s.contains("timed out") || s.contains("deadline has elapsed") {
            return Failure::Timeout;
        }
        last = s;
        src = x.source();
    }
    let msg = one_line(&last);
    if matches!(e, ::kube::Error::HyperError(_) | ::kube::Error::Service(_)) {
        Failure::Unreachable(msg)
    } else {
        Failure::Other(msg)
    }
}

impl Cluster {
    /// A failure that stops the whole load, or `None` when it concerns one kind only.
    pub(crate) fn fatal(&self, f: &Failure, what: &str) -> Option<KubeError> {
        match f {
            Failure::Unauthorized => Some(KubeError::Unauthorized {
                context: self.context.clone(),
            }),
            Failure::Timeout => Some(KubeError::Timeout {
                context: self.context.clone(),
                server: self.server.clone(),
                what: what.into(),
                secs: self.timeout.as_secs(),
            }),
            Failure::Unreachable(r) => Some(KubeError::Unreachable {
                context: self.context.clone(),
                server: self.server.clone(),
                reason: r.clone(),
            }),
            _ => None,
        }
    }

    /// Run a request, bounded by the timeout even if the transport's is not.
    pub(crate) async fn bounded<T>(
        &self,
        fut: impl std::future::Future<Output = Result<T, ::kube::Error>>,
    ) -> Result<T, Failure> {
        match tokio::time::timeout(self.timeout + Duration::from_secs(1), fut).await {
            Ok(r) => r.map_err(|e| classify(&e)),
            Err(_) => Err(Failure::Timeout),
        }
    }

    /// Discovery of the `kuma.io` group: its resources (preferred versions), or `None`
    /// when the cluster does not serve the group.
    pub async fn discover(&self) -> Result<Option<Group>, KubeError> {
        let d = self
            .bounded(Discovery::new(self.client.clone()).filter(&[GROUP]).run())
            .await;
        match d {
            Ok(d) => Ok(d.get(GROUP).map(|g| g.recommended_resources())),
            Err(f) => Err(self
                .fatal(&f, "discovery")
                .unwrap_or_else(|| KubeError::Api {
                    context: self.context.clone(),
                    what: "API discovery".into(),
                    message: failure_text(&f),
                })),
        }
    }
}

pub(crate) fn failure_text(f: &Failure) -> String {
    match f {
        Failure::Unauthorized => "401 Unauthorized".into(),
        Failure::Forbidden(m) => format!("403 Forbidden: {}", one_line(m)),
        Failure::NotFound => "404 Not Found".into(),
        Failure::Gone => "410 Gone".into(),
        Failure::Timeout => "timed out".into(),
        Failure::Unreachable(m) | Failure::Server(_, m) | Failure::Other(m) => m.clone(),
    }
}

/// The resources of the `kuma.io` group as discovery found them.
pub type Group = Vec<(ApiResource, ApiCapabilities)>;

/// A kind meshtcp reads, as the cluster serves it.
#[derive(Debug, Clone)]
pub struct Served {
    pub kind: ResourceKind,
    pub resource: ApiResource,
    pub namespaced: bool,
}

/// Which modelled kinds the group serves; the others as `kind-not-installed` findings.
pub fn served_kinds(context: &str, group: Option<&Group>) -> (Vec<Served>, Vec<Finding>) {
    let mut served = Vec::new();
    let mut findings = Vec::new();
    let Some(g) = group else {
        findings.push(
            Finding::new(
                Code::KindNotInstalled,
                format!(
                    "context `{context}` serves no kuma.io resources: Kuma's CRDs are not \
                     installed there; nothing loaded from it"
                ),
            )
            .with_resource(kind_ref(context, "CustomResourceDefinition", "kuma.io")),
        );
        return (served, findings);
    };
    for kind in ResourceKind::ALL {
        match g.iter().find(|(ar, _)| ar.kind == kind.as_str()) {
            Some((ar, caps)) => served.push(Served {
                kind,
                namespaced: caps.scope == Scope::Namespaced,
                resource: ar.clone(),
            }),
            None => findings.push(
                Finding::new(
                    Code::KindNotInstalled,
                    format!(
                        "context `{context}`: the cluster has no {kind} CRD ({}.kuma.io); \
                         {kind} resources were not loaded",
                        kind.plural()
                    ),
                )
                .with_resource(kind_ref(context, kind.as_str(), "")),
            ),
        }
    }
    (served, findings)
}

fn kind_ref(context: &str, kind: &str, name: &str) -> ResourceRef {
    ResourceRef {
        kind: kind.into(),
        name: name.into(),
        namespace: None,
        mesh: None,
        context: Some(context.into()),
    }
}

/// The finding for a kind that could not be listed or watched (not fatal).
pub(crate) fn kind_failure(
    context: &str,
    s: &Served,
    namespace: Option<&str>,
    verb: &str,
    f: &Failure,
) -> Finding {
    let kind = s.kind;
    let plural = kind.plural();
    let scope = match (s.namespaced, namespace) {
        (true, Some(ns)) => format!("in namespace `{ns}`"),
        (true, None) => "in all namespaces".to_string(),
        (false, _) => "cluster-wide".to_string(),
    };
    match f {
        Failure::Forbidden(_) => Finding::new(
            Code::AccessDenied,
            format!(
                "context `{context}`: RBAC forbids `{verb}` on {plural}.kuma.io ({kind}) {scope}; \
                 {kind} resources were not loaded. Grant get, list and watch on it \
                 (see assets/rbac.yaml)"
            ),
        ),
        Failure::NotFound => Finding::new(
            Code::KindNotInstalled,
            format!(
                "context `{context}`: {plural}.kuma.io ({kind}) disappeared while loading; \
                 {kind} resources were not loaded"
            ),
        ),
        other => Finding::new(
            Code::SourceUnreadable,
            format!(
                "context `{context}`: `{verb}` {plural}.kuma.io ({kind}) {scope} failed: {}; \
                 {kind} resources were not loaded, so this report is incomplete",
                failure_text(other)
            ),
        ),
    }
    .with_resource(kind_ref(context, kind.as_str(), ""))
}

impl Served {
    pub fn api(&self, client: Client, namespace: Option<&str>) -> Api<DynamicObject> {
        match (self.namespaced, namespace) {
            (true, Some(ns)) => Api::namespaced_with(client, ns, &self.resource),
            _ => Api::all_with(client, &self.resource),
        }
    }
}

/// An object as JSON with `apiVersion` and `kind` set (list items may omit them).
pub fn object_json(s: &Served, o: &DynamicObject) -> Value {
    let mut v = serde_json::to_value(o).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert(
            "apiVersion".into(),
            Value::String(s.resource.api_version.clone()),
        );
        m.insert("kind".into(), Value::String(s.resource.kind.clone()));
    }
    v
}

/// List one kind, page by page. A `410 Gone` on a continue token restarts the list once.
pub(crate) async fn list_kind(
    c: &Cluster,
    s: &Served,
    namespace: Option<&str>,
    page_size: u32,
) -> Result<Vec<DynamicObject>, Failure> {
    let api = s.api(c.client.clone(), namespace);
    let mut restarted = false;
    'again: loop {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut lp = ListParams::default().limit(page_size);
            if let Some(t) = &token {
                lp = lp.continue_token(t);
            }
            let page = match c.bounded(api.list(&lp)).await {
                Ok(p) => p,
                Err(Failure::Gone) if token.is_some() && !restarted => {
                    restarted = true;
                    continue 'again;
                }
                Err(f) => return Err(f),
            };
            out.extend(page.items);
            match page.metadata.continue_.filter(|t| !t.is_empty()) {
                Some(t) => token = Some(t),
                None => return Ok(out),
            }
        }
    }
}

/// Everything read from the clusters.
#[derive(Debug, Clone, Default)]
pub struct ClusterLoad {
    pub store: Store,
    /// The Kuma version each context runs, as far as it could be told.
    pub detected: Vec<Detected>,
}

impl ClusterLoad {
    pub fn loaded(&self) -> Loaded {
        self.store.to_loaded()
    }
}

/// Progress of a load: called after each kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindProgress {
    pub context: String,
    pub kind: ResourceKind,
    pub items: usize,
    pub kinds_done: usize,
    pub kinds_total: usize,
}

/// List every modelled kind of every context, and tell the Kuma version of each.
pub async fn list_all(
    opts: &KubeOptions,
    progress: &(dyn Fn(KindProgress) + Send + Sync),
) -> Result<ClusterLoad, KubeError> {
    let clusters = connect(opts).await?;
    let mut out = ClusterLoad {
        store: Store::new(clusters.iter().map(|c| c.context.clone()).collect()),
        detected: Vec::new(),
    };
    for (ci, c) in clusters.iter().enumerate() {
        let group = c.discover().await?;
        let (served, findings) = served_kinds(&c.context, group.as_ref());
        for f in findings {
            out.store.note(ci, f);
        }
        let ns = opts.namespace.as_deref();
        let total = served.len();
        for (i, s) in served.iter().enumerate() {
            match list_kind(c, s, ns, opts.page_size).await {
                Ok(items) => {
                    let n = items.len();
                    let objs = items.iter().map(|o| object_json(s, o)).collect::<Vec<_>>();
                    out.store.replace_kind(ci, s.kind, objs);
                    progress(KindProgress {
                        context: c.context.clone(),
                        kind: s.kind,
                        items: n,
                        kinds_done: i + 1,
                        kinds_total: total,
                    });
                }
                Err(f) => {
                    if let Some(e) = c.fatal(&f, &format!("list {}", s.kind.plural())) {
                        return Err(e);
                    }
                    out.store
                        .note(ci, kind_failure(&c.context, s, ns, "list", &f));
                }
            }
        }
        out.detected.push(version::detect(c, group.as_ref()).await?);
    }
    Ok(out)
}

/// Add what the clusters gave to what the files gave.
pub fn merge(dst: &mut Loaded, src: Loaded) {
    dst.snapshot.resources.extend(src.snapshot.resources);
    dst.findings.extend(src.findings);
    dst.stats.documents += src.stats.documents;
    dst.stats.resources += src.stats.resources;
    dst.stats.foreign += src.stats.foreign;
}

/// [`list_all`] for synchronous callers (`report`, `check`, `snapshot`).
pub fn list_all_blocking(
    opts: &KubeOptions,
    progress: &(dyn Fn(KindProgress) + Send + Sync),
) -> Result<ClusterLoad, KubeError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| KubeError::Config(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(list_all(opts, progress))
}
