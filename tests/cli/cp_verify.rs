//! `meshtcp verify`: meshtcp's resolution against the control plane's own `_rules`
//! answer (shaped like Kuma's `pkg/api-server` answers, written for this mesh), served
//! by the fake control plane.

use crate::support::fake_cp;

use fake_cp::{FakeCp, State, documents};
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Output};

fn meshtcp(args: &[&str]) -> Output {
    let home = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_meshtcp"))
        .args(args)
        .env("HOME", home.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn origin(name: &str) -> Value {
    json!({"labels": {}, "mesh": "shop", "name": name, "type": "MeshTCPRoute"})
}

fn to_rule(service: &str, refs: Value, origins: &[&str]) -> Value {
    json!({
        "conf": {"rules": [{"default": {"backendRefs": refs}}]},
        "matchers": [{"key": "kuma.io/service", "not": false, "value": service}],
        "origin": origins.iter().map(|o| origin(o)).collect::<Vec<_>>(),
    })
}

/// The control plane's `_rules` for storefront-1, as Kuma computes it for the fixture
/// mesh: both MeshTCPRoutes, each on its service; and a MeshHTTPRoute listed for `cart`
/// too, which does not route a `tcp` outbound.
fn faithful_rules(cart_refs: Value) -> Value {
    json!({
        "httpMatches": [],
        "resource": {"labels": {"team": "web"}, "mesh": "shop", "name": "storefront-1", "type": "Dataplane"},
        "rules": [
            {
                "fromRules": [], "inboundRules": [], "toResourceRules": [], "warnings": [],
                "type": "MeshHTTPRoute",
                "toRules": [{
                    "conf": {"rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                                        "default": {"backendRefs": [{"kind": "MeshService", "name": "cart-next", "weight": 1}]}}]},
                    "matchers": [{"key": "kuma.io/service", "not": false, "value": "cart"}],
                    "origin": [{"labels": {}, "mesh": "shop", "name": "cart-http", "type": "MeshHTTPRoute"}]
                }]
            },
            {
                "fromRules": [], "inboundRules": [], "toResourceRules": [], "warnings": [],
                "type": "MeshTCPRoute",
                "toRules": [
                    to_rule("ledger", json!([{"kind": "MeshService", "name": "ledger", "weight": 1}]), &["ledger-pin"]),
                    to_rule("cart", cart_refs, &["cart-canary"]),
                ]
            }
        ]
    })
}

fn faithful_cart() -> Value {
    json!([
        {"kind": "MeshService", "name": "cart", "weight": 75},
        {"kind": "MeshService", "name": "cart-next", "weight": 25}
    ])
}

fn start(rules: Value) -> FakeCp {
    let shop = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cp/shop");
    let mut s = State {
        objects: documents(&shop),
        ..State::default()
    };
    s.answers
        .insert("/meshes/shop/dataplanes/storefront-1/_rules".into(), rules);
    FakeCp::start(s)
}

#[test]
fn verify_agrees_with_a_faithful_answer() {
    let cp = start(faithful_rules(faithful_cart()));
    let out = meshtcp(&["verify", "--cp", &cp.url, "--proxy", "storefront-1"]);
    let s = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{s}{}", text(&out.stderr));
    assert!(s.contains("✓ cart:"), "{s}");
    assert!(s.contains("✓ ledger:"), "{s}");
    assert!(s.contains("2 outbounds agree, 0 disagree"), "{s}");
    cp.assert_only_get();
}

#[test]
fn verify_points_at_the_outbound_whose_answer_differs() {
    let altered = json!([
        {"kind": "MeshService", "name": "cart", "weight": 50},
        {"kind": "MeshService", "name": "cart-next", "weight": 50}
    ]);
    let cp = start(faithful_rules(altered));
    let out = meshtcp(&["verify", "--cp", &cp.url, "--proxy", "storefront-1"]);
    let s = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{s}{}", text(&out.stderr));
    assert!(
        s.contains("✗ cart:") && s.contains("differs in backendRefs"),
        "{s}"
    );
    assert!(
        s.contains("weight 75") && s.contains("weight 50"),
        "both answers are printed: {s}"
    );
    assert!(s.contains("✓ ledger:"), "{s}");

    let json = meshtcp(&[
        "verify",
        "--cp",
        &cp.url,
        "--proxy",
        "storefront-1",
        "-o",
        "json",
    ]);
    assert_eq!(json.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["schema"], "meshtcp.verify/v1");
    assert_eq!(v["disagree"], 1);
    let bad: Vec<&Value> = v["proxies"][0]["outbounds"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["agree"] == false)
        .collect();
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0]["destination"]["name"], "cart");
    assert_eq!(bad[0]["differences"], json!(["backendRefs"]));
    assert_eq!(bad[0]["controlPlane"]["backends"][0]["weight"], 50);
    assert_eq!(bad[0]["meshtcp"]["backends"][0]["weight"], 75);
}

#[test]
fn verify_reports_another_winning_policy() {
    let mut rules = faithful_rules(faithful_cart());
    rules["rules"][1]["toRules"][0]["origin"] = json!([origin("ledger-old")]);
    let cp = start(rules);
    let out = meshtcp(&["verify", "--cp", &cp.url, "--proxy", "storefront-1"]);
    let s = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{s}");
    assert!(
        s.contains("✗ ledger:") && s.contains("differs in policies"),
        "{s}"
    );
    assert!(
        s.contains("[ledger-old]") && s.contains("[ledger-pin]"),
        "{s}"
    );
}

#[test]
fn verify_exits_2_when_the_control_plane_cannot_answer() {
    let cp = start(faithful_rules(faithful_cart()));
    // cart-a's rules are not served (404, as before 2.9).
    let out = meshtcp(&["verify", "--cp", &cp.url, "--proxy", "cart-a"]);
    let s = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{s}");
    assert!(
        s.contains("cannot ask the control plane") && s.contains("404"),
        "{s}"
    );
    // Without --cp there is nothing to ask.
    let none = meshtcp(&["verify"]);
    assert_eq!(none.status.code(), Some(2));
}

/// `_routes` for teller-1's outbound to `ledger` in the Exclusive mesh `pay`, shaped as
/// Kuma answers it: the MeshTCPRoute by KRI, backendRefs by display-name label and port.
fn ledger_routes(v2_weight: u64) -> Value {
    json!({"routes": [{
        "kind": "MeshTCPRoute",
        "origins": [{"kri": "kri_mtcpr_pay___ledger-split_"}],
        "rules": [{
            "conf": {"backendRefs": [
                {"kind": "MeshService", "labels": {"kuma.io/display-name": "ledger"}, "port": 5432, "weight": 80},
                {"kind": "MeshService", "labels": {"kuma.io/display-name": "ledger-v2"}, "port": 5432, "weight": v2_weight}
            ]},
            "kri": "",
            "matches": null
        }]
    }]})
}

fn start_exclusive(ledger: Value) -> FakeCp {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cp/exclusive");
    let mut s = State {
        objects: documents(&dir),
        index: json!({"product": "Kuma", "version": "2.13.1"}),
        ..State::default()
    };
    let base = "/meshes/pay/dataplanes/teller-1/_outbounds";
    s.answers
        .insert(format!("{base}/kri_msvc_pay___ledger_5432/_routes"), ledger);
    s.answers.insert(
        format!("{base}/kri_msvc_pay___ledger-v2_5432/_routes"),
        json!({"routes": []}),
    );
    FakeCp::start(s)
}

#[test]
fn verify_asks_each_outbound_routes_on_an_exclusive_mesh() {
    let cp = start_exclusive(ledger_routes(20));
    let out = meshtcp(&["verify", "--cp", &cp.url, "--proxy", "teller-1"]);
    let s = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{s}{}", text(&out.stderr));
    assert!(
        s.contains("✓ ledger:5432") && s.contains("✓ ledger-v2:5432"),
        "{s}"
    );
    assert!(
        !cp.requests().iter().any(|r| r.uri.ends_with("/_rules")),
        "an Exclusive mesh is asked per outbound"
    );

    let altered = start_exclusive(ledger_routes(30));
    let out = meshtcp(&["verify", "--cp", &altered.url, "--proxy", "teller-1"]);
    let s = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{s}");
    assert!(s.contains("✗ ledger:5432  differs in backendRefs"), "{s}");
    assert!(s.contains("✓ ledger-v2:5432"), "{s}");
}
