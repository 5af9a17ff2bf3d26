//! kumactl's own configuration (`~/.kumactl/config`): control planes (API server URL,
//! headers, token authentication, certificate files) and contexts naming one of them.

use super::{Endpoint, Tls};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Config {
    control_planes: Vec<ControlPlane>,
    contexts: Vec<Context>,
    current_context: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ControlPlane {
    name: String,
    coordinates: Coordinates,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Coordinates {
    api_server: ApiServer,
}

/// Holds credentials: no `Debug`, never printed.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ApiServer {
    url: String,
    ca_cert_file: String,
    client_cert_file: String,
    client_key_file: String,
    headers: Vec<Header>,
    auth_type: String,
    auth_conf: BTreeMap<String, String>,
    skip_verify: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Header {
    key: String,
    value: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Context {
    name: String,
    control_plane: String,
}

/// `~/.kumactl/config`.
pub fn default_path() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| Path::new(&h).join(".kumactl").join("config"))
}

/// The endpoint of context `name` (the current context when `None`) of the kumactl
/// config at `path`. Errors name the file, the context and the field, never a value.
pub fn endpoint(path: &Path, name: Option<&str>) -> Result<Endpoint, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the kumactl config {}: {e}", path.display()))?;
    let cfg: Config = serde_saphyr::from_str(&text).map_err(|_| {
        format!(
            "the kumactl config {} is not valid YAML of kumactl's shape",
            path.display()
        )
    })?;
    let ctx_name = match name {
        Some(n) if !n.is_empty() => n.to_string(),
        _ if cfg.current_context.is_empty() => {
            return Err(format!(
                "the kumactl config {} has no currentContext; name one with --kumactl-context NAME",
                path.display()
            ));
        }
        _ => cfg.current_context.clone(),
    };
    let Some(ctx) = cfg.contexts.iter().find(|c| c.name == ctx_name) else {
        let known: Vec<&str> = cfg.contexts.iter().map(|c| c.name.as_str()).collect();
        return Err(format!(
            "context `{ctx_name}` is not in the kumactl config {} (contexts: {})",
            path.display(),
            known.join(", ")
        ));
    };
    let Some(cp) = cfg
        .control_planes
        .iter()
        .find(|c| c.name == ctx.control_plane)
    else {
        return Err(format!(
            "kumactl context `{ctx_name}` names control plane `{}`, which the config {} does not list",
            ctx.control_plane,
            path.display()
        ));
    };
    let api = &cp.coordinates.api_server;
    if api.url.is_empty() {
        return Err(format!(
            "control plane `{}` in the kumactl config has no coordinates.apiServer.url",
            cp.name
        ));
    }
    let file = |s: &str| (!s.is_empty()).then(|| PathBuf::from(s));
    let mut headers: Vec<(String, String)> = api
        .headers
        .iter()
        .filter(|h| !h.key.is_empty())
        .map(|h| (h.key.clone(), h.value.clone()))
        .collect();
    match api.auth_type.as_str() {
        "" => {}
        "tokens" => {
            let Some(t) = api.auth_conf.get("token").filter(|t| !t.is_empty()) else {
                return Err(format!(
                    "control plane `{}` in the kumactl config: authType tokens without authConf.token",
                    cp.name
                ));
            };
            headers.push(("authorization".into(), format!("Bearer {}", t.trim())));
        }
        other => {
            return Err(format!(
                "control plane `{}` in the kumactl config: authType `{other}` is not supported \
                 (only `tokens`); use --cp-token-file or the headers",
                cp.name
            ));
        }
    }
    Endpoint::new(
        &api.url,
        headers,
        Tls {
            ca_file: file(&api.ca_cert_file),
            client_cert: file(&api.client_cert_file),
            client_key: file(&api.client_key_file),
            insecure: api.skip_verify,
        },
        Some(format!("kumactl context `{ctx_name}`")),
    )
}
