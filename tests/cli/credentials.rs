//! Credentials: no token, client key or password from a kubeconfig reaches
//! stdout, stderr (meshtcp's only log), a finding, a snapshot file or a panic message,
//! whatever happens: success, 401, a server that fails, a kubeconfig that is broken or
//! holds several kinds of credentials at once. Each kubeconfig here holds recognisable
//! secrets; every command runs with `RUST_LOG=trace` and `RUST_BACKTRACE=full`.

use crate::support::fake_apiserver;

use fake_apiserver::{FakeApi, TOKEN, fixture, write_kubeconfig};
use std::path::Path;
use std::process::{Command, Output, Stdio};

const PASSWORD: &str = "PASSWORD-SECRET-7f3a";
const KEY_MARK: &str = "CLIENTKEY-SECRET-91bd";
const FILE_TOKEN: &str = "FILE-TOKEN-SECRET-5e2c";

fn b64(s: &str) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = s.as_bytes();
    let mut out = String::new();
    for c in b.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Every secret, and the forms it could leak in (base64 of the key, the bearer header).
fn secrets() -> Vec<String> {
    let key_pem = format!("-----BEGIN PRIVATE KEY-----\n{KEY_MARK}\n-----END PRIVATE KEY-----\n");
    vec![
        TOKEN.into(),
        PASSWORD.into(),
        KEY_MARK.into(),
        FILE_TOKEN.into(),
        b64(&key_pem),
        // Shorter pieces: a truncated or re-wrapped secret still counts.
        TOKEN[..12].into(),
        PASSWORD[..14].into(),
        KEY_MARK[..14].into(),
    ]
}

fn assert_clean(what: &str, text: &str) {
    for s in secrets() {
        assert!(!text.contains(&s), "`{s}` leaked in {what}:\n{text}");
    }
}

fn run(args: &[&str]) -> Output {
    let home = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_meshtcp"))
        .args(args)
        .env_remove("KUBECONFIG")
        .env("HOME", home.path())
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "trace")
        .env("RUST_BACKTRACE", "full")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let all = format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        !all.contains("panicked"),
        "meshtcp {args:?} panicked:\n{all}"
    );
    assert_clean(&format!("`meshtcp {args:?}`"), &all);
    o
}

/// Every command that reads a cluster, through `kc`; snapshot files are checked too.
fn every_command(kc: &Path) -> Vec<Output> {
    let kc = kc.to_str().unwrap();
    let snap = tempfile::tempdir().unwrap();
    let snap_dir = snap.path().join("out");
    let outs = vec![
        run(&["report", "--kube", "--kubeconfig", kc, "-o", "json"]),
        run(&["report", "--kube", "--kubeconfig", kc, "-o", "yaml"]),
        run(&["report", "--kube", "--kubeconfig", kc, "-o", "text"]),
        run(&["check", "--kube", "--kubeconfig", kc, "-o", "json"]),
        run(&["explain", "nobody", "nothing", "--kube", "--kubeconfig", kc]),
        run(&[
            "snapshot",
            "--kube",
            "--kubeconfig",
            kc,
            "-o",
            snap_dir.to_str().unwrap(),
        ]),
    ];
    if snap_dir.exists() {
        let mut stack = vec![snap_dir];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let t = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned();
                    assert_clean(&p.display().to_string(), &t);
                }
            }
        }
    }
    outs
}

fn kubeconfig(server: &str, user: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {server}\n\
         contexts:\n- name: zone-1\n  context:\n    cluster: c\n    user: u\ncurrent-context: zone-1\n\
         users:\n- name: u\n  user:\n{user}"
    )
}

fn key_and_cert() -> String {
    let key = format!("-----BEGIN PRIVATE KEY-----\n{KEY_MARK}\n-----END PRIVATE KEY-----\n");
    let cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    format!(
        "    client-certificate-data: {}\n    client-key-data: {}\n",
        b64(cert),
        b64(&key)
    )
}

#[test]
fn a_working_token_never_shows_even_with_trace_logging() {
    let s = FakeApi::start(&fixture("zone-1"));
    let d = tempfile::tempdir().unwrap();
    let kc = write_kubeconfig(
        d.path(),
        &kubeconfig(&s.url(), &format!("    token: {TOKEN}\n")),
    );
    let outs = every_command(&kc);
    assert_eq!(outs[0].status.code(), Some(0), "the token works");
}

#[test]
fn a_rejected_token_and_a_rejected_password_never_show() {
    let s = FakeApi::start(&fixture("zone-1"));
    s.set(|f| f.unauthorized = true);
    let d = tempfile::tempdir().unwrap();
    let kc = write_kubeconfig(
        d.path(),
        &kubeconfig(&s.url(), &format!("    token: {TOKEN}\n")),
    );
    for o in every_command(&kc) {
        assert_ne!(o.status.code(), Some(0));
    }
    let kc = write_kubeconfig(
        d.path(),
        &kubeconfig(
            &s.url(),
            &format!("    username: admin\n    password: {PASSWORD}\n"),
        ),
    );
    for o in every_command(&kc) {
        assert_ne!(o.status.code(), Some(0));
    }
}

#[test]
fn every_credential_at_once_and_a_failing_server_never_show() {
    let s = FakeApi::start(&fixture("zone-1"));
    s.set(|f| {
        f.fail_500 = ["meshtcproutes".to_string(), "dataplanes".to_string()].into();
    });
    let d = tempfile::tempdir().unwrap();
    let token_file = d.path().join("token");
    std::fs::write(&token_file, FILE_TOKEN).unwrap();
    let user = format!(
        "    token: {TOKEN}\n    tokenFile: {}\n    username: admin\n    password: {PASSWORD}\n{}",
        token_file.display(),
        key_and_cert()
    );
    let kc = write_kubeconfig(d.path(), &kubeconfig(&s.url(), &user));
    every_command(&kc);
}

#[test]
fn an_unreachable_server_and_a_broken_kubeconfig_never_show_a_secret() {
    let d = tempfile::tempdir().unwrap();
    // Port 9 (discard) on loopback: nothing listens.
    let kc = write_kubeconfig(
        d.path(),
        &kubeconfig(
            "http://127.0.0.1:9",
            &format!("    token: {TOKEN}\n{}", key_and_cert()),
        ),
    );
    for o in every_command(&kc) {
        assert_ne!(o.status.code(), Some(0));
    }
    // Broken in ways that make parsers quote what they read.
    let broken = [
        format!("    token: [{TOKEN}\n"),
        format!("    password: {PASSWORD}\n    username: [a, b]\n"),
        format!(
            "    client-key-data: {KEY_MARK}!!not-base64\n    client-certificate-data: {KEY_MARK}\n"
        ),
        format!("    token: {{{TOKEN}: {PASSWORD}}}\n"),
        format!("    exec: {PASSWORD}\n    token: {TOKEN}\n"),
    ];
    for user in broken {
        let kc = write_kubeconfig(d.path(), &kubeconfig("http://127.0.0.1:9", &user));
        for o in every_command(&kc) {
            assert_ne!(o.status.code(), Some(0), "{user}");
        }
    }
}
