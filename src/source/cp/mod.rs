//! The Kuma control plane as a source (`--cp URL`): the REST API that kumactl and the
//! GUI read (port 5681), on Universal, Kubernetes and global control planes alike.
//! Read-only by construction: [`http`] builds GET requests only.
//!
//! - `GET /` (no authentication): product and version; Kong Mesh reports its own
//!   version and the Kuma one in `basedOnKuma`, which picks `--kuma-version` when it is
//!   not given.
//! - `GET /_resources` (2.6+): each kind's path; older control planes answer 404 and the
//!   fixed table [`legacy_path`] is used.
//! - `GET /meshes`, then `GET /meshes/{mesh}/{path}?size=N` for every modelled kind,
//!   following `next` until it is null. Items are Universal documents (the new
//!   policies' body under `spec`, legacy kinds at top level) decoded by the file
//!   decoder. A global control plane's synced copies keep their `kuma.io/display-name`,
//!   `kuma.io/zone` and `kuma.io/origin` labels, which the engine reads as Kuma does.
//!
//! **Faults.** 401 or 403 on one kind is an `access-denied` finding naming the kind (the
//! other kinds load); a kind the control plane does not serve (no path in
//! `/_resources`, or 404) is `kind-not-installed` (info); another error status on a kind
//! is `source-unreadable`. An unreachable control plane, a TLS failure, a timeout, and
//! 401/403 on `/meshes` itself (nothing can be read without it) are a [`CpError`]: the
//! command exits 2 with the URL and the cause.
//!
//! **Credentials.** Tokens and header values live in [`Endpoint`] only, which has no
//! `Debug` and no `Display`; no message here includes one.

pub mod client;
pub mod kumactl;

use super::Loaded;
use super::decode::{self, Decoded};
use super::kube::version::Detected;
use crate::model::{Code, Finding, Origin, ResourceKind, ResourceRef};
use crate::resolve::KumaVersion;
use client::{Conn, Failure};
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

/// TLS settings of one control plane.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tls {
    pub ca_file: Option<PathBuf>,
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    pub insecure: bool,
}

/// One control plane to read: its URL and credentials. No `Debug`: it holds them.
#[derive(Clone)]
pub struct Endpoint {
    /// `scheme://host:port[/prefix]`, no user info, no trailing slash: in messages.
    pub label: String,
    /// The URL requests are made below (the label: user info is refused).
    base: String,
    /// Sent with every request; values are secret (marked sensitive).
    headers: Vec<(::http::HeaderName, ::http::HeaderValue)>,
    pub tls: Tls,
    /// Where it came from, when not `--cp` (`kumactl context `x``).
    pub via: Option<String>,
}

impl Endpoint {
    /// `url` with `headers` (name, value). Errors never quote a header value.
    pub fn new(
        url: &str,
        headers: Vec<(String, String)>,
        tls: Tls,
        via: Option<String>,
    ) -> Result<Endpoint, String> {
        let uri: ::http::Uri = url
            .parse()
            .map_err(|_| format!("`{}` is not a URL", redact_url(url)))?;
        let scheme = uri.scheme_str().unwrap_or("");
        if scheme != "http" && scheme != "https" {
            return Err(format!(
                "`{}`: a control plane URL starts with http:// or https://",
                redact_url(url)
            ));
        }
        let Some(auth) = uri.authority() else {
            return Err(format!("`{}` has no host", redact_url(url)));
        };
        if auth.as_str().contains('@') {
            return Err(format!(
                "`{}`: user info in the URL is not supported; use --cp-token-file",
                redact_url(url)
            ));
        }
        if uri.query().is_some() {
            // Not quoted: a query may carry a credential.
            return Err(format!(
                "`{}://{}{}?…`: a control plane URL has no query",
                scheme,
                auth.as_str(),
                uri.path()
            ));
        }
        let path = uri.path().trim_end_matches('/');
        let base = format!("{scheme}://{}{path}", auth.as_str());
        let mut hs = Vec::new();
        for (k, v) in headers {
            let name = ::http::HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| format!("header name `{k}` is not valid"))?;
            let mut value = ::http::HeaderValue::from_str(&v)
                .map_err(|_| format!("the value of header `{k}` is not valid (not shown)"))?;
            value.set_sensitive(true);
            hs.push((name, value));
        }
        Ok(Endpoint {
            label: base.clone(),
            base,
            headers: hs,
            tls,
            via,
        })
    }

    /// The names (not values) of the headers sent.
    pub fn header_names(&self) -> Vec<String> {
        self.headers.iter().map(|(k, _)| k.to_string()).collect()
    }
}

/// A URL with anything between `://` and `@` blanked.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(a)) if a > s => format!("{}://…@{}", &url[..s], &url[a + 1..]),
        _ => url.to_string(),
    }
}

/// What `--cp`, its credentials and `--kumactl-context` asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpOptions {
    pub urls: Vec<String>,
    /// A file holding a user token, sent as `Authorization: Bearer`.
    pub token_file: Option<PathBuf>,
    pub tls: Tls,
    /// `Some(None)`: kumactl's current context; `Some(Some(name))`: that context.
    pub kumactl_context: Option<Option<String>>,
    /// kumactl's config file; `None`: `~/.kumactl/config`.
    pub kumactl_config: Option<PathBuf>,
    pub timeout: Duration,
    /// Items per page (`size`; Kuma serves at most 1000).
    pub page_size: u32,
}

impl Default for CpOptions {
    fn default() -> Self {
        CpOptions {
            urls: Vec::new(),
            token_file: None,
            tls: Tls::default(),
            kumactl_context: None,
            kumactl_config: None,
            timeout: Duration::from_secs(30),
            page_size: 1000,
        }
    }
}

impl CpOptions {
    pub fn is_set(&self) -> bool {
        !self.urls.is_empty() || self.kumactl_context.is_some()
    }

    /// The control planes to read, with their credentials.
    pub fn endpoints(&self) -> Result<Vec<Endpoint>, CpError> {
        let mut out = Vec::new();
        let mut headers = Vec::new();
        if let Some(f) = &self.token_file {
            let t = std::fs::read_to_string(f).map_err(|e| {
                CpError::Config(format!("cannot read the token file {}: {e}", f.display()))
            })?;
            let t = t.trim();
            if t.is_empty() {
                return Err(CpError::Config(format!(
                    "the token file {} is empty",
                    f.display()
                )));
            }
            headers.push(("authorization".to_string(), format!("Bearer {t}")));
        }
        for u in &self.urls {
            out.push(
                Endpoint::new(u, headers.clone(), self.tls.clone(), None)
                    .map_err(CpError::Config)?,
            );
        }
        if let Some(ctx) = &self.kumactl_context {
            let path = self
                .kumactl_config
                .clone()
                .or_else(kumactl::default_path)
                .ok_or_else(|| CpError::Config("no HOME: cannot find ~/.kumactl/config".into()))?;
            out.push(kumactl::endpoint(&path, ctx.as_deref()).map_err(CpError::Config)?);
        }
        Ok(out)
    }
}

/// Why a control plane could not be read at all. Messages never carry credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CpError {
    #[error("control plane: {0}")]
    Config(String),
    #[error("control plane {url}: cannot connect: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("control plane {url}: no answer to {what} within {secs} s (--request-timeout)")]
    Timeout {
        url: String,
        what: String,
        secs: u64,
    },
    #[error(
        "control plane {url}: {what} was refused ({status}): the credentials are missing, \
         wrong or expired (--cp-token-file, --kumactl-context)"
    )]
    Denied {
        url: String,
        what: String,
        status: String,
    },
    #[error("control plane {url}: {what} failed: {message}")]
    Api {
        url: String,
        what: String,
        message: String,
    },
}

/// What `GET /` says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Index {
    pub product: String,
    pub version: String,
    pub based_on_kuma: Option<String>,
    /// From `GET /config` where the user may read it: `global`, `zone` or
    /// `standalone` (`pkg/config/app/kuma-cp/config.go@v2.13.0`, `mode`).
    pub mode: Option<String>,
    /// A zone control plane's zone (`multizone.zone.name`).
    pub zone: Option<String>,
}

impl Index {
    pub fn parse(v: &Value) -> Index {
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(String::from);
        Index {
            product: s("product").unwrap_or_default(),
            version: s("version").unwrap_or_default(),
            based_on_kuma: s("basedOnKuma").filter(|b| !b.is_empty()),
            mode: None,
            zone: None,
        }
    }

    /// Take the mode and zone from a `GET /config` answer.
    pub fn set_config(&mut self, v: &Value) {
        self.mode = v
            .get("mode")
            .and_then(Value::as_str)
            .filter(|m| !m.is_empty())
            .map(String::from);
        self.zone = v
            .pointer("/multizone/zone/name")
            .and_then(Value::as_str)
            .filter(|z| !z.is_empty())
            .map(String::from);
    }

    /// `a zone control plane (zone `east`)`, `a global control plane`, … when known.
    pub fn mode_text(&self) -> Option<String> {
        let m = self.mode.as_deref()?;
        Some(match (m, &self.zone) {
            ("zone", Some(z)) => format!("a zone control plane (zone `{z}`)"),
            ("global", _) => {
                "a global control plane (policies synced to zones keep their names in \
                 kuma.io/display-name)"
                    .to_string()
            }
            (m, _) => format!("a {m} control plane"),
        })
    }

    /// The Kuma version this control plane runs, and how it was known.
    pub fn detected(&self, label: &str) -> Detected {
        let kuma = self.based_on_kuma.as_deref().unwrap_or(&self.version);
        let said = match &self.based_on_kuma {
            Some(b) => format!("{} {} based on Kuma {b}", self.product, self.version),
            None => format!("{} {}", self.product, self.version),
        };
        let (version, how, exact) = match kuma.parse::<KumaVersion>() {
            Ok(v) => (v, format!("the control plane reports {said}"), true),
            Err(_) => match major_minor(kuma) {
                Some(mm) if mm > (KumaVersion::NEWEST.major, KumaVersion::NEWEST.minor) => (
                    KumaVersion::NEWEST,
                    format!(
                        "the control plane reports {said}, newer than meshtcp models; using {}",
                        KumaVersion::NEWEST
                    ),
                    true,
                ),
                _ => (
                    KumaVersion::DEFAULT,
                    format!(
                        "the control plane reports {said}, not a version meshtcp models; using {}",
                        KumaVersion::DEFAULT
                    ),
                    false,
                ),
            },
        };
        Detected {
            context: label.to_string(),
            version,
            how,
            exact,
        }
    }
}

fn major_minor(v: &str) -> Option<(u32, u32)> {
    let mut p = v.trim_start_matches('v').split(['.', '-']);
    Some((p.next()?.parse().ok()?, p.next()?.parse().ok()?))
}

/// The path of a kind on control planes without `/_resources` (before 2.6).
pub fn legacy_path(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::Mesh => "meshes",
        ResourceKind::Dataplane => "dataplanes",
        ResourceKind::MeshService => "meshservices",
        ResourceKind::MeshExternalService => "meshexternalservices",
        ResourceKind::MeshMultiZoneService => "meshmultizoneservices",
        ResourceKind::MeshGateway => "meshgateways",
        ResourceKind::MeshTCPRoute => "meshtcproutes",
        ResourceKind::MeshHTTPRoute => "meshhttproutes",
        ResourceKind::TrafficRoute => "traffic-routes",
        ResourceKind::ExternalService => "external-services",
        ResourceKind::Retry => "retries",
        ResourceKind::Timeout => "timeouts",
        ResourceKind::TrafficLog => "traffic-logs",
        ResourceKind::CircuitBreaker => "circuit-breakers",
        ResourceKind::HealthCheck => "health-checks",
        ResourceKind::FaultInjection => "fault-injections",
        ResourceKind::RateLimit => "rate-limits",
        ResourceKind::TrafficTrace => "traffic-traces",
    }
}

/// `/_resources` as kind name → path.
pub fn paths_of(resources: &Value) -> HashMap<String, String> {
    resources
        .get("resources")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|r| {
                    Some((
                        r.get("name")?.as_str()?.to_string(),
                        r.get("path")?.as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A path segment, percent-encoded but for unreserved characters.
pub fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The query of a `next` URL (`http://host/meshes/m/x?offset=100&size=100` →
/// `offset=100&size=100`). Only its query is used: the request goes to the same path on
/// the same control plane, whatever host the answer names.
fn next_query(next: &str) -> Option<&str> {
    next.split_once('?').map(|(_, q)| q)
}

/// Everything read from the control planes.
#[derive(Debug, Clone, Default)]
pub struct CpLoad {
    pub loaded: Loaded,
    /// The Kuma version each control plane runs.
    pub detected: Vec<Detected>,
    /// Each control plane's `GET /` answer, by label.
    pub index: Vec<(String, Index)>,
}

impl Conn {
    fn fatal(&self, f: &Failure, what: &str) -> Option<CpError> {
        let url = self.endpoint.label.clone();
        match f {
            Failure::Timeout => Some(CpError::Timeout {
                url,
                what: what.into(),
                secs: self.timeout.as_secs(),
            }),
            Failure::Unreachable(r) => Some(CpError::Unreachable {
                url,
                reason: r.clone(),
            }),
            _ => None,
        }
    }

    fn error(&self, f: Failure, what: &str) -> CpError {
        if let Some(e) = self.fatal(&f, what) {
            return e;
        }
        match f {
            Failure::Unauthorized | Failure::Forbidden(_) => CpError::Denied {
                url: self.endpoint.label.clone(),
                what: what.into(),
                status: f.to_string(),
            },
            f => CpError::Api {
                url: self.endpoint.label.clone(),
                what: what.into(),
                message: f.to_string(),
            },
        }
    }

    /// Every item of a list, page by page.
    pub async fn list(&self, path: &str, page_size: u32) -> Result<Vec<Value>, Failure> {
        let mut out = Vec::new();
        let mut query = format!("size={page_size}");
        let mut seen = std::collections::HashSet::new();
        loop {
            let page = self.get_json(&format!("{path}?{query}")).await?;
            if let Some(items) = page.get("items").and_then(Value::as_array) {
                out.extend(items.iter().cloned());
            } else {
                return Err(Failure::Other("the answer has no `items` list".into()));
            }
            match page
                .get("next")
                .and_then(Value::as_str)
                .and_then(next_query)
            {
                Some(q) => {
                    if !seen.insert(q.to_string()) {
                        return Err(Failure::Other(format!(
                            "the control plane's `next` repeats ({q})"
                        )));
                    }
                    query = q.to_string();
                }
                None => return Ok(out),
            }
        }
    }
}

fn kind_ref(label: &str, kind: ResourceKind, mesh: Option<&str>) -> ResourceRef {
    ResourceRef {
        kind: kind.as_str().into(),
        name: String::new(),
        namespace: None,
        mesh: mesh.map(String::from),
        context: Some(label.into()),
    }
}

/// Decode list items into `out`.
fn add_items(out: &mut Loaded, label: &str, items: Vec<Value>) {
    for item in items {
        out.stats.documents += 1;
        let name = item
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let origin = Origin::Cluster {
            context: label.to_string(),
            namespace: None,
            name,
        };
        match decode::decode_at(origin, item) {
            Decoded::Finding(f) => out.findings.push(f),
            d => out.add_decoded(d),
        }
    }
}

/// Read one control plane.
pub async fn load_one(c: &Conn, page_size: u32) -> Result<(Loaded, Index), CpError> {
    let label = c.endpoint.label.clone();
    let mut index = match c.get_json("/").await {
        Ok(v) => Index::parse(&v),
        Err(f) => return Err(c.error(f, "GET /")),
    };
    // The mode (global, zone, standalone), where this user may read the config: it is
    // said, never needed (a refusal or an old control plane is not an error).
    let config_refused = match c.get_json("/config").await {
        Ok(v) => {
            index.set_config(&v);
            false
        }
        Err(Failure::Unauthorized | Failure::Forbidden(_)) => true,
        Err(_) => false,
    };
    let paths = match c.get_json("/_resources").await {
        Ok(v) => Some(paths_of(&v)),
        Err(Failure::NotFound) => None,
        Err(f) => {
            if let Some(e) = c.fatal(&f, "GET /_resources") {
                return Err(e);
            }
            None
        }
    };
    let mut out = Loaded::default();
    out.stats.files += 1;
    if config_refused {
        out.findings.push(
            Finding::new(
                Code::AccessDenied,
                format!(
                    "control plane {label}: GET /config was refused, so its mode (global, zone or \
                 standalone) is unknown; everything else loads"
                ),
            )
            .with_severity(crate::model::Severity::Info),
        );
    }
    let meshes = c
        .list("/meshes", page_size)
        .await
        .map_err(|f| c.error(f, "GET /meshes"))?;
    let mesh_names: Vec<String> = meshes
        .iter()
        .filter_map(|m| m.get("name").and_then(Value::as_str).map(String::from))
        .collect();
    add_items(&mut out, &label, meshes);
    for kind in ResourceKind::ALL {
        if kind == ResourceKind::Mesh {
            continue;
        }
        let path = match &paths {
            Some(p) => match p.get(kind.as_str()) {
                Some(p) => p.clone(),
                None => {
                    out.findings
                        .push(not_installed(&label, kind, "/_resources does not list it"));
                    continue;
                }
            },
            None => legacy_path(kind).to_string(),
        };
        for mesh in &mesh_names {
            let url = format!("/meshes/{}/{}", segment(mesh), segment(&path));
            match c.list(&url, page_size).await {
                Ok(items) => add_items(&mut out, &label, items),
                Err(f) => {
                    if let Some(e) = c.fatal(&f, &format!("GET {url}")) {
                        return Err(e);
                    }
                    let finding = match &f {
                        Failure::NotFound => {
                            not_installed(&label, kind, &format!("GET {url} answered 404"))
                        }
                        Failure::Unauthorized | Failure::Forbidden(_) => Finding::new(
                            Code::AccessDenied,
                            format!(
                                "control plane {label}: GET {url} was refused ({f}); {kind} \
                                 resources were not loaded. Give this user read access to {path}"
                            ),
                        )
                        .with_resource(kind_ref(&label, kind, None)),
                        other => Finding::new(
                            Code::SourceUnreadable,
                            format!(
                                "control plane {label}: GET {url} failed: {other}; {kind} \
                                 resources of mesh `{mesh}` were not loaded, so this report is incomplete"
                            ),
                        )
                        .with_resource(kind_ref(&label, kind, Some(mesh))),
                    };
                    let per_kind = !matches!(f, Failure::Server(..) | Failure::Other(_));
                    out.findings.push(finding);
                    if per_kind {
                        // The kind is missing or denied on every mesh alike.
                        break;
                    }
                }
            }
        }
    }
    Ok((out, index))
}

fn not_installed(label: &str, kind: ResourceKind, why: &str) -> Finding {
    Finding::new(
        Code::KindNotInstalled,
        format!(
            "control plane {label} does not serve {kind} ({why}); {kind} resources were not loaded"
        ),
    )
    .with_resource(kind_ref(label, kind, None))
}

/// Read every control plane asked for, in order.
pub async fn load_all(opts: &CpOptions) -> Result<CpLoad, CpError> {
    let mut out = CpLoad::default();
    for ep in opts.endpoints()? {
        let label = ep.label.clone();
        let c =
            Conn::new(ep, opts.timeout).map_err(|m| CpError::Config(format!("{label}: {m}")))?;
        let (l, index) = load_one(&c, opts.page_size.clamp(1, 1000)).await?;
        out.detected.push(index.detected(&label));
        out.index.push((label, index));
        out.loaded.merge(l);
    }
    Ok(out)
}

/// A runtime for synchronous callers.
pub fn runtime() -> Result<tokio::runtime::Runtime, CpError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CpError::Config(format!("cannot start the async runtime: {e}")))
}

/// [`load_all`] for synchronous callers (`report`, `check`, `snapshot`, the TUI).
pub fn load_all_blocking(opts: &CpOptions) -> Result<CpLoad, CpError> {
    runtime()?.block_on(load_all(opts))
}

/// `GET /meshes/{mesh}/dataplanes/{name}/_rules` (2.9+): the rules the control plane
/// computed for one proxy.
pub async fn rules_for(c: &Conn, mesh: &str, name: &str) -> Result<Value, Failure> {
    c.get_json(&format!(
        "/meshes/{}/dataplanes/{}/_rules",
        segment(mesh),
        segment(name)
    ))
    .await
}

/// `GET /meshes/{mesh}/dataplanes/{name}/_outbounds/{kri}/_routes` (2.12+, Exclusive
/// meshes): the routes of one outbound.
pub async fn routes_for(c: &Conn, mesh: &str, name: &str, kri: &str) -> Result<Value, Failure> {
    c.get_json(&format!(
        "/meshes/{}/dataplanes/{}/_outbounds/{}/_routes",
        segment(mesh),
        segment(name),
        segment(kri)
    ))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_url_with_credentials_is_refused_without_quoting_them() {
        for url in [
            "https://admin:hunter2-secret@cp:5682",
            "https://cp:5682/?token=hunter2-secret",
        ] {
            let Err(e) = Endpoint::new(url, vec![], Tls::default(), None) else {
                panic!("{url} accepted");
            };
            assert!(!e.contains("hunter2"), "{e}");
        }
        let e = Endpoint::new("https://cp:5682/", vec![], Tls::default(), None).unwrap();
        assert_eq!(e.label, "https://cp:5682");
        assert!(Endpoint::new("ftp://cp", vec![], Tls::default(), None).is_err());
    }

    #[test]
    fn a_bad_header_value_is_not_quoted() {
        let Err(e) = Endpoint::new(
            "http://cp:5681",
            vec![("x-key".into(), "bad\nhunter2-secret".into())],
            Tls::default(),
            None,
        ) else {
            panic!("accepted");
        };
        assert!(e.contains("x-key") && !e.contains("hunter2"), "{e}");
    }

    #[test]
    fn the_index_tells_the_kuma_version() {
        let d = |v: serde_json::Value| Index::parse(&v).detected("cp");
        let kuma = d(json!({"product": "Kuma", "version": "2.10.4"}));
        assert_eq!((kuma.version, kuma.exact), (KumaVersion::new(2, 10), true));
        let kong = d(json!({"product": "Kong Mesh", "version": "2.7.4", "basedOnKuma": "2.11.2"}));
        assert_eq!(kong.version, KumaVersion::new(2, 11));
        assert!(kong.how.contains("Kong Mesh 2.7.4 based on Kuma 2.11.2"));
        let newer = d(json!({"product": "Kuma", "version": "2.19.0"}));
        assert_eq!((newer.version, newer.exact), (KumaVersion::NEWEST, true));
        let dev = d(json!({"product": "Kuma", "version": "dev-4f1a"}));
        assert_eq!((dev.version, dev.exact), (KumaVersion::DEFAULT, false));
    }

    #[test]
    fn paths_come_from_resources_and_next_gives_only_its_query() {
        let p = paths_of(&json!({"resources": [
            {"name": "MeshTCPRoute", "path": "meshtcproutes"},
            {"name": "TrafficRoute", "path": "traffic-routes"}
        ]}));
        assert_eq!(p["TrafficRoute"], "traffic-routes");
        assert_eq!(
            next_query("http://elsewhere:5681/meshes/m/dataplanes?offset=2&size=1"),
            Some("offset=2&size=1")
        );
        assert_eq!(segment("a b/c"), "a%20b%2Fc");
    }
}
