//! The binary as a user runs it: commands, exit codes, messages.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn meshtcp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_meshtcp"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn report_text_prints_the_demo_tree() {
    let o = meshtcp(&["report", "--format", "text"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s = stdout(&o);
    assert!(s.contains("● web-1  sidecar"), "{s}");
    assert!(s.contains("backend:10001  tcp  → MeshTCPRoute"));
    assert!(s.contains("⇢ backend-v1  weight 90      90%"));
    assert!(s.contains("⊘ ignored     MeshTCPRoute api-tcp-shortcut"));
    assert!(s.contains("assets/demo/universal/routes.yaml:"));
}

#[test]
fn check_strict_on_the_demo_directory_fails_naming_its_warnings() {
    let o = meshtcp(&["check", "--strict", "assets/demo"]);
    assert_eq!(o.status.code(), Some(1));
    let s = stdout(&o);
    for code in [
        "tcproute-ignored-by-httproute",
        "httproute-ignored-on-tcp",
        "trafficroute-overridden",
        "legacy-policy-unmatched",
        "targetref-deprecated",
        "backend-not-found",
    ] {
        assert!(s.contains(code), "{code} missing from:\n{s}");
    }
    assert!(
        s.contains("assets/demo/universal/routes.yaml:"),
        "findings name file:line"
    );
    assert!(s.lines().last().unwrap().starts_with("FAIL"));
    // Without --strict, warnings pass.
    assert_eq!(meshtcp(&["check", "assets/demo"]).status.code(), Some(0));
}

#[test]
fn check_fails_on_errors_and_json_carries_the_findings() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("r.yaml"),
        "type: MeshTCPRoute\nname: dp-route\nmesh: default\nspec:\n  targetRef: {kind: Dataplane, name: web-1}\n  to:\n    - targetRef: {kind: MeshService, name: a}\n      rules: [{default: {backendRefs: [{kind: MeshService, name: b}]}}]\n",
    )
    .unwrap();
    let dir = d.path().to_str().unwrap();
    let o = meshtcp(&["check", dir, "--kuma-version", "2.9", "-o", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["findings"][0]["code"], "targetref-kind-unsupported");
    assert_eq!(v["findings"][0]["location"]["line"], 1);
    assert_eq!(
        meshtcp(&["check", dir, "--kuma-version", "2.10"])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn json_report_follows_the_contract() {
    let o = meshtcp(&["report", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["schema"], "meshtcp.report/v2");
    assert_eq!(v["kumaVersion"], "2.14");
    let web1 = v["proxies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "web-1")
        .unwrap();
    assert_eq!(web1["type"], "sidecar");
    assert!(
        web1.get("namespace").is_none(),
        "Universal proxies have no namespace"
    );
    let backend = &web1["outbounds"][0];
    assert_eq!(backend["destination"]["kind"], "service");
    assert_eq!(backend["destination"]["port"], 10001);
    assert_eq!(backend["route"], "MeshTCPRoute");
    assert_eq!(backend["backends"][0]["share"], 0.9);
    assert_eq!(backend["policies"][1]["status"], "applied");
    // v2: grouped findings carry `affected` and the sorted `proxies`, never `proxy`.
    let findings = v["findings"].as_array().unwrap();
    let grouped = findings
        .iter()
        .find(|f| f["code"] == "tcproute-ignored-by-httproute")
        .unwrap();
    assert_eq!(grouped["affected"]["proxies"], 2);
    let names: Vec<&str> = grouped["proxies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["web-1", "web-2"]);
    assert_eq!(grouped["proxies"][0]["mesh"], "default");
    assert_eq!(grouped["proxies"][0]["outbounds"][0], "api:10003");
    assert!(findings.iter().all(|f| f.get("proxy").is_none()));
    let about_a_resource = findings
        .iter()
        .find(|f| f["code"] == "targetref-deprecated")
        .unwrap();
    assert!(about_a_resource.get("affected").is_none());
    assert!(about_a_resource.get("proxies").is_none());
}

/// The text form names a finding's proxies as a count and the first few; `--verbose`
/// lists every one with its outbounds.
#[test]
fn check_text_counts_proxies_and_verbose_lists_them() {
    let d = tempfile::tempdir().unwrap();
    let mut yaml = String::from(
        "type: Mesh\nname: default\n---\ntype: MeshService\nname: ledger\nmesh: default\nspec:\n  ports: [{port: 5432, targetPort: 5432}]\nstatus:\n  vips: [{ip: 241.0.0.9}]\n---\ntype: MeshHTTPRoute\nname: ledger-http\nmesh: default\nspec:\n  targetRef: {kind: Mesh}\n  to:\n    - targetRef: {kind: MeshService, name: ledger}\n      rules: [{matches: [{path: {type: PathPrefix, value: /}}], default: {}}]\n",
    );
    for i in 1..=5 {
        yaml.push_str(&format!(
            "---\ntype: Dataplane\nname: web-{i}\nmesh: default\nnetworking:\n  address: 10.0.1.{i}\n  inbound: [{{port: 80, tags: {{kuma.io/service: web}}}}]\n  transparentProxying:\n    redirectPortInbound: 15006\n    redirectPortOutbound: 15001\n"
        ));
    }
    std::fs::write(d.path().join("mesh.yaml"), yaml).unwrap();
    let dir = d.path().to_str().unwrap();
    let o = meshtcp(&["check", dir]);
    let s = stdout(&o);
    let line = s
        .lines()
        .find(|l| l.contains("httproute-ignored-on-tcp"))
        .unwrap_or_else(|| panic!("{s}"));
    assert!(
        line.contains("[on 5 proxies: web-1, web-2, web-3, … 2 more]"),
        "{line}"
    );
    assert_eq!(s.matches("httproute-ignored-on-tcp").count(), 1, "{s}");
    let o = meshtcp(&["check", dir, "--verbose"]);
    let s = stdout(&o);
    for i in 1..=5 {
        assert!(s.contains(&format!("\n    web-{i}: ledger:5432")), "{s}");
    }
}

#[test]
fn yaml_report_and_filters() {
    let o = meshtcp(&[
        "report",
        "-o",
        "yaml",
        "--mesh",
        "shop",
        "--kuma-version",
        "2.13",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s = stdout(&o);
    assert!(
        s.contains("kumaVersion: '2.13'") || s.contains("kumaVersion: \"2.13\""),
        "{s}"
    );
    assert!(s.contains("storefront-6d9f7-abcde"));
    assert!(!s.contains("web-1"));
    let o = meshtcp(&["report", "-o", "json", "--proxy", "web-2"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["proxies"].as_array().unwrap().len(), 1);
}

#[test]
fn explain_tells_the_precedence_story() {
    let o = meshtcp(&["explain", "web-2", "backend"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s = stdout(&o);
    assert!(s.contains("web-2 → backend:10001 (tcp) · Kuma 2.14"));
    assert!(s.contains("Route: MeshTCPRoute"));
    let over = s
        .find("↓ overridden MeshTCPRoute backend-split-90-10")
        .expect(&s);
    let appl = s
        .find("✓ applied    MeshTCPRoute web-2-pin-backend-v2")
        .expect(&s);
    assert!(over < appl, "lowest precedence first");
    assert!(s.contains("keys: kind Dataplane(2)"));
    assert!(s.contains("kind: Dataplane(2) beats Mesh(1)"));
    let o = meshtcp(&["explain", "web-2", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("has no outbound `nope`"));
}

#[test]
fn unusable_command_lines_exit_2_with_a_message() {
    let o = meshtcp(&["report", "does/not/exist"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("SOURCE `does/not/exist` does not exist"));
    let o = meshtcp(&["report", "--kuma-version", "3.0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("2.3 to 2.14"));
    let o = meshtcp(&["report", "--frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
    let o = meshtcp(&["report", "--proxy", "ghost"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no proxy named `ghost`"));
}

#[test]
fn stdin_is_a_source() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_meshtcp"))
        .args(["report", "-o", "json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"type: Dataplane\nname: solo\nmesh: m\nnetworking:\n  inbound: [{port: 1, tags: {kuma.io/service: s}}]\n  outbound: [{port: 2, tags: {kuma.io/service: s}}]\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["proxies"][0]["name"], "solo");
    assert_eq!(v["proxies"][0]["location"]["file"], "-");
    assert_eq!(v["proxies"][0]["outbounds"][0]["route"], "default");
}

#[cfg(unix)]
#[test]
fn a_closed_pipe_ends_quietly() {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "'{}' report -o json | head -c 10 >/dev/null; echo \"${{PIPESTATUS:-0}}\"",
            env!("CARGO_BIN_EXE_meshtcp")
        ))
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What a kubectl/istioctl user expects of the command line: a wrong `--mesh` or `-n`
/// names what there is, an input without Kuma resources says so, `explain` with a
/// SOURCE where the DESTINATION belongs does not silently load the demo (exit 2 each).
#[test]
fn wrong_names_and_empty_inputs_exit_2_naming_what_there_is() {
    let o = meshtcp(&["report", "--mesh", "nosuch"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no mesh `nosuch`") && stderr(&o).contains("default, shop"),
        "{}",
        stderr(&o)
    );
    let o = meshtcp(&["report", "--mesh", "nosuch", "--format", "json"]);
    assert_eq!(o.status.code(), Some(2));
    let o = meshtcp(&["report", "-n", "nowhere"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("namespaces with proxies: "),
        "{}",
        stderr(&o)
    );
    // -n on files: only that namespace's proxies.
    let o = meshtcp(&["report", "-n", "storefront", "--output", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let names: Vec<&str> = r["proxies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["storefront-6d9f7-abcde"]);

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: y}\ndata: {a: b}\n",
    )
    .unwrap();
    let o = meshtcp(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no Kuma resources found in"),
        "{}",
        stderr(&o)
    );

    let o = meshtcp(&["explain", "web-1", "assets/demo"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("DESTINATION is missing"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn explain_as_json_and_completions() {
    let o = meshtcp(&["explain", "web-1", "backend", "-o", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let e: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(e["proxy"]["name"], "web-1");
    assert_eq!(e["outbound"]["route"], "MeshTCPRoute");
    assert!(e["outbound"]["policies"].as_array().unwrap().len() >= 2);
    let o = meshtcp(&["check", "--output", "json"]);
    assert!(serde_json::from_slice::<serde_json::Value>(&o.stdout).is_ok());
    for shell in ["bash", "zsh", "fish"] {
        let o = meshtcp(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0));
        let s = stdout(&o);
        assert!(
            s.contains("explain") && s.contains("kuma-version"),
            "{shell}"
        );
    }
}
#[test]
fn check_on_three_files_with_the_same_parse_error_reports_three() {
    let d = tempfile::tempdir().unwrap();
    for f in ["a.yaml", "b.yaml", "c.yaml"] {
        std::fs::write(
            d.path().join(f),
            "type: Mesh\nname: default\nlabels: {a: [\n",
        )
        .unwrap();
    }
    let o = meshtcp(&["check", d.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let s = stdout(&o);
    assert_eq!(s.matches("parse-error").count(), 3, "{s}");
    for f in ["a.yaml:3", "b.yaml:3", "c.yaml:3"] {
        assert!(s.contains(f), "{f} in {s}");
    }
    assert!(s.lines().last().unwrap().contains("3 errors"), "{s}");
    let o = meshtcp(&["check", d.path().to_str().unwrap(), "-o", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["findings"].as_array().unwrap().len(), 3);
}

#[test]
fn a_resource_in_a_file_and_on_standard_input_is_kept_once_the_later() {
    let d = tempfile::tempdir().unwrap();
    let route = |backend: &str| {
        format!(
            "type: MeshTCPRoute\nname: pin\nmesh: default\nspec:\n  targetRef: {{kind: Mesh}}\n  to:\n    - targetRef: {{kind: MeshService, name: web}}\n      rules: [{{default: {{backendRefs: [{{kind: MeshService, name: {backend}}}]}}}}]\n"
        )
    };
    let file = d.path().join("pin.yaml");
    std::fs::write(&file, format!("type: Mesh\nname: default\n---\ntype: Dataplane\nname: web-1\nmesh: default\nnetworking:\n  address: 10.0.0.1\n  inbound: [{{port: 80, tags: {{kuma.io/service: web}}}}]\n  outbound: [{{port: 10001, tags: {{kuma.io/service: web}}}}]\n---\n{}", route("from-file"))).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_meshtcp"))
        .args(["report", "-o", "json", file.to_str().unwrap(), "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(route("from-stdin").as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let backends = &v["proxies"][0]["outbounds"][0]["backends"];
    assert_eq!(backends.as_array().unwrap().len(), 1, "{backends}");
    assert_eq!(backends[0]["name"], "from-stdin", "{backends}");
    let dups: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "duplicate-resource")
        .collect();
    assert_eq!(dups.len(), 1, "{}", v["findings"]);
    assert_eq!(dups[0]["location"]["line"], 12);
    assert!(
        dups[0]["message"].as_str().unwrap().contains("-:1 is used"),
        "{}",
        dups[0]
    );
}

/// `--zone` says which zone files without `kuma.io/zone` were applied to: a route by
/// name then reaches that zone's exported MeshService.
#[test]
fn zone_flag_places_unlabelled_resources() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("all.yaml"),
        r#"type: Mesh
name: default
meshServices: {mode: Exclusive}
---
type: MeshService
name: db
mesh: default
labels: {kuma.io/zone: east}
spec: {ports: [{port: 5432, targetPort: 5432}]}
status: {vips: [{ip: 241.0.0.1}]}
---
type: MeshService
name: db
mesh: default
labels: {kuma.io/zone: west}
spec: {ports: [{port: 5432, targetPort: 5432}]}
status: {vips: [{ip: 241.0.0.2}]}
---
type: Dataplane
name: app-1
mesh: default
labels: {kuma.io/zone: east}
networking:
  address: 10.0.0.1
  inbound: [{port: 80, tags: {kuma.io/service: app}}]
  outbound: [{port: 15432, backendRef: {kind: MeshService, name: db, port: 5432}}]
---
type: MeshTCPRoute
name: db-route
mesh: default
spec:
  to:
    - targetRef: {kind: MeshService, name: db}
      rules: [{default: {backendRefs: [{kind: MeshService, name: db, port: 5432, weight: 3}]}}]
"#,
    )
    .unwrap();
    let route = |extra: &[&str]| {
        let mut args = vec!["report", "-o", "json", dir.path().to_str().unwrap()];
        args.extend_from_slice(extra);
        let o = meshtcp(&args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        r["proxies"][0]["outbounds"][0]["route"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // Two zones and no --zone: the unlabelled route has no zone and matches nothing.
    assert_eq!(route(&[]), "default");
    assert_eq!(route(&["--zone", "east"]), "MeshTCPRoute");
    // In zone west the route names west's db, which app-1 (east) has no outbound to.
    assert_eq!(route(&["--zone", "west"]), "default");
}

#[test]
fn the_manual_page_renders_and_names_every_subcommand() {
    use clap::CommandFactory;
    let o = meshtcp(&["man"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = stdout(&o);
    assert!(page.starts_with(".ie \\n(.g .ds Aq"), "roff: {page:.200}");
    assert!(page.contains(".TH meshtcp 1"), "{page:.400}");
    let cmd = meshtcp::cli::Cli::command();
    let shown: Vec<&str> = cmd
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| c.get_name())
        .collect();
    assert!(shown.len() >= 8, "{shown:?}");
    for name in shown {
        assert!(
            page.contains(&format!("meshtcp\\-{name}")),
            "the page names `{name}`"
        );
    }
}

#[test]
fn an_unknown_format_or_colour_exits_2_listing_the_accepted_values() {
    for (args, values) in [
        (
            &["report", "-o", "xml"][..],
            "[possible values: json, yaml, text]",
        ),
        (
            &["check", "-o", "yaml"][..],
            "[possible values: json, text]",
        ),
        (
            &["diff", "-o", "html"][..],
            "[possible values: text, json, markdown]",
        ),
        (
            &["explain", "a", "b", "-o", "yaml"][..],
            "[possible values: json, text]",
        ),
        (
            &["report", "--color", "sometimes"][..],
            "[possible values: auto, always, never]",
        ),
    ] {
        let o = meshtcp(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let e = stderr(&o);
        assert!(e.contains("invalid value"), "{args:?}: {e}");
        assert!(e.contains(values), "{args:?}: {e}");
    }
    let help = stdout(&meshtcp(&["report", "--help"]));
    assert!(
        help.contains("[default: text] [alias: --output] [possible values: json, yaml, text]"),
        "{help}"
    );
    assert!(
        help.contains("[default: auto] [possible values: auto, always, never]"),
        "{help}"
    );
}

#[test]
fn colour_always_and_never_hold_whatever_the_terminal() {
    let always = stdout(&meshtcp(&["report", "-o", "text", "--color", "always"]));
    assert!(
        always.contains("\u{1b}["),
        "escape codes with --color always"
    );
    let never = stdout(&meshtcp(&["report", "-o", "text", "--color", "never"]));
    assert!(!never.contains('\u{1b}'), "none with --color never");
}
