//! `--cp URL`: the `meshtcp` binary against a fake Kuma control plane on loopback
//! (tests/support/fake_cp.rs): pagination, authentication, faults, a global's synced
//! copies, Kong Mesh's index, only GET requests, no credential in any output, and the
//! same report as the same resources read from files.

use crate::support::fake_cp;

use fake_cp::{CP_TOKEN, FakeCp, State, documents};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn shop() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cp/shop")
}

fn shop_state() -> State {
    State {
        objects: documents(&shop()),
        ..State::default()
    }
}

/// Run meshtcp with HOME in a temporary directory; no output may hold the token.
fn meshtcp_home(args: &[&str], home: &Path) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_meshtcp"))
        .args(args)
        .env("HOME", home)
        .env_remove("KUBECONFIG")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(
        !all.contains(CP_TOKEN) && !all.contains("cp-user-token"),
        "the token leaked in `meshtcp {args:?}`: {all}"
    );
    assert!(
        !all.contains("X-Secret-Value"),
        "a header value leaked: {all}"
    );
    out
}

fn meshtcp(args: &[&str]) -> Output {
    let home = tempfile::tempdir().unwrap();
    meshtcp_home(args, home.path())
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn json_of(out: &Output) -> Value {
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The report without what differs between a control plane and files: locations
/// (objects read over the API have none) and contexts (files have none).
fn portable(mut v: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.remove("location");
                m.remove("context");
                m.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

fn findings_with(v: &Value, code: &str) -> Vec<Value> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .cloned()
        .collect()
}

#[test]
fn report_over_the_api_equals_report_of_the_same_files() {
    let cp = FakeCp::start(shop_state());
    let live = json_of(&meshtcp(&["report", "--cp", &cp.url, "-o", "json"]));
    let files = json_of(&meshtcp(&[
        "report",
        shop().to_str().unwrap(),
        "--kuma-version",
        "2.9",
        "-o",
        "json",
    ]));
    assert_eq!(live["kumaVersion"], "2.9", "the version the index reports");
    assert!(!live["proxies"].as_array().unwrap().is_empty());
    assert_eq!(portable(live), portable(files));
    cp.assert_only_get();
}

#[test]
fn lists_follow_next_across_pages_with_the_size_asked() {
    let cp = FakeCp::start(State {
        page_cap: 1,
        ..shop_state()
    });
    let out = meshtcp(&["report", "--cp", &cp.url, "-o", "json"]);
    let v = json_of(&out);
    let names: Vec<&str> = v["proxies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 4, "every Dataplane of every page: {names:?}");
    let reqs = cp.requests();
    let dp: Vec<&str> = reqs
        .iter()
        .map(|r| r.uri.as_str())
        .filter(|u| u.starts_with("/meshes/shop/dataplanes"))
        .collect();
    assert_eq!(
        dp,
        [
            "/meshes/shop/dataplanes?size=1000",
            "/meshes/shop/dataplanes?offset=1&size=1",
            "/meshes/shop/dataplanes?offset=2&size=1",
            "/meshes/shop/dataplanes?offset=3&size=1",
        ]
    );
    cp.assert_only_get();
}

#[test]
fn a_token_is_sent_when_required_and_a_missing_one_exits_2() {
    let cp = FakeCp::start(State {
        require_token: true,
        ..shop_state()
    });
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, format!("{CP_TOKEN}\n")).unwrap();
    let ok = meshtcp(&[
        "report",
        "--cp",
        &cp.url,
        "--cp-token-file",
        token.to_str().unwrap(),
        "-o",
        "json",
    ]);
    let v = json_of(&ok);
    assert_eq!(v["proxies"].as_array().unwrap().len(), 4);
    assert!(
        cp.requests()
            .iter()
            .filter(|r| r.uri != "/")
            .all(|r| r.authorized)
    );

    let missing = meshtcp(&["report", "--cp", &cp.url, "-o", "json"]);
    assert_eq!(missing.status.code(), Some(2));
    let err = text(&missing.stderr);
    assert!(
        err.contains(&cp.url) && err.contains("401") && err.contains("--cp-token-file"),
        "{err}"
    );
    cp.assert_only_get();
}

#[test]
fn a_kind_refused_or_missing_or_failing_is_a_finding_and_the_rest_loads() {
    let cp = FakeCp::start(State {
        forbidden: ["meshtcproutes".to_string()].into(),
        unauthorized: ["traffic-routes".to_string()].into(),
        fail_500: ["health-checks".to_string()].into(),
        not_served: ["MeshHTTPRoute".to_string()].into(),
        ..shop_state()
    });
    let v = json_of(&meshtcp(&["report", "--cp", &cp.url, "-o", "json"]));
    assert_eq!(v["proxies"].as_array().unwrap().len(), 4);
    let denied = findings_with(&v, "access-denied");
    let kinds: Vec<&str> = denied
        .iter()
        .map(|f| f["resource"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["MeshTCPRoute", "TrafficRoute"], "{denied:?}");
    assert!(denied[0]["message"].as_str().unwrap().contains("403"));
    assert!(denied[1]["message"].as_str().unwrap().contains("401"));
    let missing = findings_with(&v, "kind-not-installed");
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert_eq!(missing[0]["resource"]["kind"], "MeshHTTPRoute");
    assert_eq!(missing[0]["severity"], "info");
    let failed = findings_with(&v, "source-unreadable");
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(failed[0]["message"].as_str().unwrap().contains("HTTP 500"));
    // No MeshTCPRoute was read: the outbounds fall back to the TrafficRoute or default.
    let routes: Vec<&str> = v["proxies"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["outbounds"].as_array().unwrap())
        .map(|o| o["route"].as_str().unwrap())
        .collect();
    assert!(!routes.contains(&"MeshTCPRoute"), "{routes:?}");
}

#[test]
fn an_old_control_plane_without_resources_endpoint_uses_the_fixed_paths() {
    let cp = FakeCp::start(State {
        resources_endpoint: false,
        not_served: ["MeshService".to_string()].into(),
        index: json!({"product": "Kuma", "version": "2.5.1"}),
        ..shop_state()
    });
    let out = meshtcp(&["report", "--cp", &cp.url, "-o", "json"]);
    let v = json_of(&out);
    assert_eq!(v["kumaVersion"], "2.5");
    assert_eq!(v["proxies"].as_array().unwrap().len(), 4);
    let missing = findings_with(&v, "kind-not-installed");
    assert!(
        missing
            .iter()
            .any(|f| f["resource"]["kind"] == "MeshService"
                && f["message"].as_str().unwrap().contains("404")),
        "{missing:?}"
    );
    assert!(
        cp.requests()
            .iter()
            .any(|r| r.uri.starts_with("/meshes/shop/traffic-routes?"))
    );
}

#[test]
fn kong_mesh_index_picks_the_kuma_version_it_is_based_on() {
    let cp = FakeCp::start(State {
        index: json!({
            "hostname": "kong-cp", "product": "Kong Mesh", "version": "2.7.4",
            "basedOnKuma": "2.11.2", "instanceId": "x", "clusterId": "y"
        }),
        ..shop_state()
    });
    let out = meshtcp(&["report", "--cp", &cp.url, "-o", "json"]);
    let v = json_of(&out);
    assert_eq!(v["kumaVersion"], "2.11");
    let err = text(&out.stderr);
    assert!(
        err.contains("Kong Mesh 2.7.4 based on Kuma 2.11.2"),
        "{err}"
    );
    // --kuma-version wins over what the control plane says.
    let given = json_of(&meshtcp(&[
        "report",
        "--cp",
        &cp.url,
        "--kuma-version",
        "2.6",
        "-o",
        "json",
    ]));
    assert_eq!(given["kumaVersion"], "2.6");
}

#[test]
fn a_global_control_plane_synced_copies_are_named_by_their_display_name() {
    let mut state = shop_state();
    for o in state.objects.iter_mut() {
        if o["type"] == "Mesh" {
            continue;
        }
        let name = o["name"].as_str().unwrap().to_string();
        o["name"] = Value::String(format!("{name}-7c9f4d2b8e"));
        // ledger-pin was made in another zone: a zone-origin policy selects only that
        // zone's proxies.
        let zone = if name == "ledger-pin" {
            "zone-west"
        } else {
            "zone-east"
        };
        o["labels"] = json!({
            "kuma.io/display-name": name,
            "kuma.io/zone": zone,
            "kuma.io/origin": "zone",
        });
    }
    let cp = FakeCp::start(state);
    let v = json_of(&meshtcp(&["report", "--cp", &cp.url, "-o", "json"]));
    let cart = v["proxies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "storefront-1-7c9f4d2b8e")
        .expect("the proxy as the global names it");
    let o = cart["outbounds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["destination"]["name"] == "cart")
        .unwrap();
    assert_eq!(o["route"], "MeshTCPRoute", "{o}");
    let applied: Vec<&str> = o["policies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["status"] == "applied")
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        applied,
        ["cart-canary-7c9f4d2b8e"],
        "the name the global holds"
    );
    let backends: Vec<&str> = o["backends"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(backends, ["cart", "cart-next"]);
    let ledger = cart["outbounds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["destination"]["name"] == "ledger")
        .unwrap();
    assert_ne!(
        ledger["route"], "MeshTCPRoute",
        "ledger-pin comes from zone-west and does not select a zone-east proxy: {ledger}"
    );
}

#[test]
fn a_stalled_control_plane_times_out_with_exit_2() {
    let cp = FakeCp::start(State {
        stall: ["dataplanes".to_string()].into(),
        ..shop_state()
    });
    let t = Instant::now();
    let out = meshtcp(&[
        "report",
        "--cp",
        &cp.url,
        "--request-timeout",
        "1s",
        "-o",
        "json",
    ]);
    assert!(t.elapsed() < Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains(&cp.url) && err.contains("within 1 s") && err.contains("dataplanes"),
        "{err}"
    );
}

#[test]
fn an_unreachable_control_plane_exits_2_with_url_and_cause() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let out = meshtcp(&["check", "--cp", &url]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains(&url) && err.contains("cannot connect") && err.contains("refused"),
        "{err}"
    );
}

#[test]
fn tls_without_the_right_ca_fails_with_exit_2() {
    // A plain-HTTP server spoken to over TLS: the handshake fails.
    let cp = FakeCp::start(shop_state());
    let url = cp.url.replace("http://", "https://");
    let out = meshtcp(&["check", "--cp", &url]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains(&url) && err.contains("cannot connect"),
        "{err}"
    );
}

#[test]
fn the_kumactl_context_gives_url_headers_and_token_and_none_is_printed() {
    let cp = FakeCp::start(State {
        require_token: true,
        ..shop_state()
    });
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".kumactl")).unwrap();
    let config = format!(
        "contexts:\n\
         - controlPlane: zone-east\n  name: zone-east\n\
         - controlPlane: nowhere\n  name: other\n\
         controlPlanes:\n\
         - coordinates:\n    apiServer:\n      url: {}\n      authType: tokens\n      authConf:\n        token: {CP_TOKEN}\n      headers:\n      - key: x-team\n        value: X-Secret-Value\n  name: zone-east\n\
         currentContext: zone-east\n",
        cp.url
    );
    std::fs::write(home.path().join(".kumactl/config"), config).unwrap();
    let out = meshtcp_home(&["report", "--kumactl-context", "-o", "json"], home.path());
    let v = json_of(&out);
    assert_eq!(v["proxies"].as_array().unwrap().len(), 4);
    assert!(
        cp.requests()
            .iter()
            .filter(|r| r.uri != "/")
            .all(|r| r.authorized)
    );
    let named = meshtcp_home(
        &["report", "--kumactl-context", "zone-east", "-o", "json"],
        home.path(),
    );
    assert_eq!(named.status.code(), Some(0));
    let bad = meshtcp_home(&["report", "--kumactl-context", "other"], home.path());
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("`nowhere`"),
        "{}",
        text(&bad.stderr)
    );
    cp.assert_only_get();
}

#[test]
fn snapshot_of_a_control_plane_loads_offline_to_the_same_report() {
    let cp = FakeCp::start(shop_state());
    let dir = tempfile::tempdir().unwrap();
    let out = meshtcp(&[
        "snapshot",
        "--cp",
        &cp.url,
        "-o",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let offline = json_of(&meshtcp(&[
        "report",
        dir.path().to_str().unwrap(),
        "--kuma-version",
        "2.9",
        "-o",
        "json",
    ]));
    let live = json_of(&meshtcp(&["report", "--cp", &cp.url, "-o", "json"]));
    assert_eq!(portable(offline), portable(live));
    // Universal YAML: `type:` documents, no Kubernetes envelope.
    let any = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect::<String>();
    assert!(any.contains("type: Dataplane") && !any.contains("apiVersion"));
    cp.assert_only_get();
}

#[test]
fn kumactl_export_files_load_as_they_are() {
    // kumactl export writes Universal documents with creationTime, modificationTime and
    // (2.12+) kri; they load as written.
    let dir = tempfile::tempdir().unwrap();
    let mut export = String::new();
    for (i, mut d) in documents(&shop()).into_iter().enumerate() {
        d["creationTime"] = json!("2026-02-01T00:00:00Z");
        d["modificationTime"] = json!("2026-02-02T00:00:00Z");
        d["kri"] = json!(format!("kri_x_shop___{i}_"));
        if i > 0 {
            export.push_str("---\n");
        }
        export.push_str(&serde_json::to_string(&d).unwrap());
        export.push('\n');
    }
    let f = dir.path().join("export.yaml");
    std::fs::write(&f, export).unwrap();
    let exported = json_of(&meshtcp(&[
        "report",
        f.to_str().unwrap(),
        "--kuma-version",
        "2.9",
        "-o",
        "json",
    ]));
    let files = json_of(&meshtcp(&[
        "report",
        shop().to_str().unwrap(),
        "--kuma-version",
        "2.9",
        "-o",
        "json",
    ]));
    assert!(findings_with(&exported, "parse-error").is_empty());
    assert!(findings_with(&exported, "invalid-resource").is_empty());
    assert_eq!(portable(exported)["proxies"], portable(files)["proxies"]);
}

#[test]
fn a_bad_client_key_is_named_by_path_and_never_quoted() {
    let cp = FakeCp::start(shop_state());
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("client.pem");
    let key = dir.path().join("client-key.pem");
    std::fs::write(
        &cert,
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    std::fs::write(
        &key,
        format!("-----BEGIN PRIVATE KEY-----\n{CP_TOKEN}\n-----END PRIVATE KEY-----\n"),
    )
    .unwrap();
    let out = meshtcp(&[
        "check",
        "--cp",
        &cp.url,
        "--cp-client-cert",
        cert.to_str().unwrap(),
        "--cp-client-key",
        key.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("client-key.pem") || err.contains("client.pem"),
        "{err}"
    );
}

/// `GET /config` says whether the control plane is a global, a zone (and which) or
/// standalone (`mode`, `multizone.zone.name`: `pkg/config/app/kuma-cp/config.go@v2.13.0`);
/// a user who may not read it still gets everything else, and an info says so.
#[test]
fn the_config_says_the_control_plane_mode_and_a_refusal_is_only_info() {
    let mut answers = std::collections::BTreeMap::new();
    answers.insert(
        "/config".to_string(),
        json!({"mode": "zone", "environment": "universal",
               "multizone": {"zone": {"name": "east", "globalAddress": "grpcs://global:5685"}}}),
    );
    let cp = FakeCp::start(State {
        answers,
        ..shop_state()
    });
    let out = meshtcp(&["report", "--cp", &cp.url, "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("is a zone control plane (zone `east`)"),
        "{err}"
    );

    let mut forbidden = std::collections::BTreeSet::new();
    forbidden.insert("config".to_string());
    let cp = FakeCp::start(State {
        forbidden,
        ..shop_state()
    });
    let out = meshtcp(&["report", "--cp", &cp.url, "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v = json_of(&out);
    let refused: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["message"]
                .as_str()
                .unwrap_or("")
                .contains("GET /config was refused")
        })
        .collect();
    assert_eq!(refused.len(), 1, "{v}");
    assert_eq!(refused[0]["severity"], "info");
    assert!(
        !v["proxies"].as_array().unwrap().is_empty(),
        "the rest loads"
    );
    assert!(
        !text(&out.stderr).contains("control plane ("),
        "no mode is claimed"
    );
    // Only GETs, as ever.
    assert!(
        cp.state
            .lock()
            .unwrap()
            .requests
            .iter()
            .all(|r| r.method == "GET")
    );
}

/// Over TLS: the control plane's certificate checked against `--cp-ca-file`, or not
/// checked with `--cp-insecure-skip-verify`; without either, the system's CAs refuse
/// the test CA (exit 2, naming the URL).
#[test]
fn tls_with_the_ca_file_or_insecure_skip_verify_loads() {
    let cp = FakeCp::start_tls(shop_state());
    assert!(cp.url.starts_with("https://127.0.0.1:"), "{}", cp.url);
    let ca = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cp/tls/ca.pem");
    let with_ca = meshtcp(&[
        "report",
        "--cp",
        &cp.url,
        "--cp-ca-file",
        ca.to_str().unwrap(),
        "-o",
        "json",
    ]);
    assert_eq!(with_ca.status.code(), Some(0), "{}", text(&with_ca.stderr));
    let v = json_of(&with_ca);
    assert!(!v["proxies"].as_array().unwrap().is_empty());
    let insecure = meshtcp(&[
        "report",
        "--cp",
        &cp.url,
        "--cp-insecure-skip-verify",
        "-o",
        "json",
    ]);
    assert_eq!(
        insecure.status.code(),
        Some(0),
        "{}",
        text(&insecure.stderr)
    );
    assert_eq!(json_of(&insecure)["proxies"], v["proxies"]);
    let untrusted = meshtcp(&["report", "--cp", &cp.url, "-o", "json"]);
    assert_eq!(untrusted.status.code(), Some(2));
    assert!(
        text(&untrusted.stderr).contains(&cp.url),
        "{}",
        text(&untrusted.stderr)
    );
}

/// A control plane that asks for a client certificate: `--cp-client-cert` and
/// `--cp-client-key` answer it; without them the handshake fails (exit 2). A key that
/// does not fit is named by its path, never shown.
#[test]
fn a_client_certificate_is_presented_and_a_key_is_never_shown() {
    let cp = FakeCp::start_mtls(shop_state());
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cp/tls");
    let p = |f: &str| dir.join(f).to_str().unwrap().to_string();
    let (ca, cert, key) = (p("ca.pem"), p("client.pem"), p("client.key"));
    let ok = meshtcp(&[
        "report",
        "--cp",
        &cp.url,
        "--cp-ca-file",
        &ca,
        "--cp-client-cert",
        &cert,
        "--cp-client-key",
        &key,
        "-o",
        "json",
    ]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    assert!(!json_of(&ok)["proxies"].as_array().unwrap().is_empty());
    let without = meshtcp(&["report", "--cp", &cp.url, "--cp-ca-file", &ca]);
    assert_eq!(without.status.code(), Some(2), "{}", text(&without.stderr));
    // The server's key beside the client's certificate: refused, and no key material
    // reaches the output.
    let wrong = meshtcp(&[
        "report",
        "--cp",
        &cp.url,
        "--cp-ca-file",
        &ca,
        "--cp-client-cert",
        &cert,
        "--cp-client-key",
        &p("server.key"),
    ]);
    assert_eq!(wrong.status.code(), Some(2));
    let all = format!("{}{}", text(&wrong.stdout), text(&wrong.stderr));
    let secret = std::fs::read_to_string(dir.join("server.key")).unwrap();
    for line in secret.lines().filter(|l| !l.starts_with("-----")) {
        assert!(!all.contains(line), "key material in the output: {all}");
    }
    assert!(!all.contains("PRIVATE KEY-----"), "{all}");
}
