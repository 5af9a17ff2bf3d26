//! A GitOps repository (Namespaces, Deployments, Services and a MeshTCPRoute, no
//! Dataplane, no MeshService) through the binary: the proxies Kuma would make, the
//! split they get, and a snapshot that loads back to the same report.

use serde_json::Value;
use std::process::{Command, Output};

const REPO: &str = "tests/fixtures/gitops";

fn meshtcp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_meshtcp"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("runs")
}

fn json_report(source: &str) -> Value {
    let o = meshtcp(&["report", "--format", "json", source]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

fn proxy<'r>(r: &'r Value, name: &str) -> &'r Value {
    r["proxies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no proxy {name} in {r:#}"))
}

fn outbound<'p>(p: &'p Value, dest: &str, port: u64) -> &'p Value {
    p["outbounds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["destination"]["name"] == dest && o["destination"]["port"] == port)
        .unwrap_or_else(|| panic!("no outbound {dest}:{port} in {p:#}"))
}

#[test]
fn a_gitops_directory_gives_the_proxies_kuma_would_make_and_their_split() {
    let r = json_report(REPO);
    let mut names: Vec<(&str, &str)> = r["proxies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["namespace"].as_str().unwrap(),
                p["name"].as_str().unwrap(),
            )
        })
        .collect();
    names.sort();
    // tools has no injection: its Deployment gets no proxy.
    assert_eq!(
        names,
        [
            ("shop", "cart-v1"),
            ("shop", "cart-v2"),
            ("shop", "storefront")
        ]
    );
    let sf = proxy(&r, "storefront");
    assert_eq!(sf["type"], "sidecar");
    assert_eq!(
        sf["derivedFrom"],
        serde_json::json!({"kind": "Deployment", "namespace": "shop", "name": "storefront"})
    );
    assert_eq!(
        sf["location"]["file"],
        "tests/fixtures/gitops/apps/storefront.yaml"
    );
    assert_eq!(sf["location"]["line"], 1);
    assert_eq!(sf["tags"]["kuma.io/service"], "storefront_shop_svc_80");
    assert_eq!(sf["tags"]["kuma.io/protocol"], "http");
    let cart = outbound(sf, "cart", 6379);
    assert_eq!(cart["destination"]["kind"], "MeshService");
    assert_eq!(cart["route"], "MeshTCPRoute");
    let shares: Vec<(&str, u64, f64)> = cart["backends"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["name"].as_str().unwrap(),
                b["weight"].as_u64().unwrap(),
                b["share"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(shares, [("cart-v1", 90, 0.9), ("cart-v2", 10, 0.1)]);
    assert_eq!(cart["policies"][0]["name"], "cart-canary");
    assert_eq!(cart["policies"][0]["status"], "applied");
    // Straight to the destination where no route applies.
    let direct = outbound(sf, "cart-v2", 6379);
    assert_eq!(direct["route"], "default");
    // A proxy written in the input would have no derivedFrom; these are all derived.
    assert_eq!(proxy(&r, "cart-v2")["derivedFrom"]["kind"], "Deployment");
}

#[test]
fn the_text_report_says_where_a_derived_proxy_comes_from() {
    let o = meshtcp(&["report", "--format", "text", REPO]);
    assert_eq!(o.status.code(), Some(0));
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(s.contains("⚙ from Deployment shop/storefront"), "{s}");
}

/// The report without what names where a thing was read (the snapshot's files are
/// other files) or that it was derived (the snapshot holds the derived resources).
fn portable(mut v: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.remove("location");
                m.remove("derivedFrom");
                m.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

#[test]
fn a_snapshot_of_a_gitops_directory_holds_the_derived_resources_and_reloads_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap");
    let o = meshtcp(&["snapshot", REPO, "-o", out.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let dataplanes = std::fs::read_to_string(out.join("01-dataplanes.yaml")).unwrap();
    assert!(
        dataplanes.contains("# derived from Deployment shop/storefront (tests/fixtures/gitops/apps/storefront.yaml:1)"),
        "{dataplanes}"
    );
    assert!(
        dataplanes.contains("kind: Dataplane"),
        "Kubernetes format: {dataplanes}"
    );
    let services = std::fs::read_to_string(out.join("02-meshservices.yaml")).unwrap();
    assert_eq!(
        services.matches("kind: MeshService").count(),
        4,
        "{services}"
    );
    let before = json_report(REPO);
    let after = json_report(out.to_str().unwrap());
    assert!(after["proxies"][0].get("derivedFrom").is_none());
    assert_eq!(portable(before), portable(after));
}

#[test]
fn a_snapshot_of_the_demo_reloads_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let o = meshtcp(&["snapshot", "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let demo = meshtcp(&["report", "--format", "json"]);
    let before: Value = serde_json::from_slice(&demo.stdout).unwrap();
    assert_eq!(
        portable(before),
        portable(json_report(out.to_str().unwrap()))
    );
}

#[test]
fn the_tui_proxy_details_say_where_a_derived_proxy_comes_from() {
    use meshtcp::resolve::KumaVersion;
    use meshtcp::source::{self, Source};
    use meshtcp::tui::action::{self, Action};
    use meshtcp::tui::keymap::map_key;
    use meshtcp::tui::{App, render, resolve_loaded};
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    let mut app = App::new(REPO, KumaVersion::DEFAULT, false);
    app.update(Action::Resize(140, 40));
    let loaded = source::load(&[Source::Path(REPO.into())]);
    app.update(Action::Loaded(Box::new(action::Loaded::new(
        resolve_loaded(&loaded, KumaVersion::DEFAULT),
        loaded.stats,
        false,
        std::time::Instant::now(),
    ))));
    for c in ":proxy shop/storefront\n".chars() {
        let code = if c == '\n' {
            KeyCode::Enter
        } else {
            KeyCode::Char(c)
        };
        if let Some(a) = map_key(&app, KeyEvent::new(code, KeyModifiers::NONE)) {
            app.update(a);
        }
    }
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(140, 40)).unwrap();
    t.draw(|f| render(&app, f)).unwrap();
    let screen = t.backend().to_string();
    assert!(screen.contains("Proxy shop/storefront"), "{screen}");
    assert!(
        screen.contains("⚙ from Deployment shop/storefront"),
        "{screen}"
    );
}
