//! `--kube` listing against a loopback API server driven by kube's real client through
//! a generated kubeconfig: discovery, paginated lists, faults, version detection and the
//! multi-context merge. Every test also asserts that only GET requests were sent.

use crate::support::fake_apiserver;

use fake_apiserver::{
    FakeApi, TOKEN, assert_only_get, fixture, read_fixture_dir, write_kubeconfig,
};
use meshtcp::model::{Code, Origin, ResourceKind, Severity};
use meshtcp::resolve::{Filter, KumaVersion, Report, RouteKind, resolve};
use meshtcp::source::kube::{ClusterLoad, KubeError, KubeOptions, list_all_blocking, version};
use std::time::{Duration, Instant};

fn opts(dir: &tempfile::TempDir, kubeconfig: &str, contexts: &[&str]) -> KubeOptions {
    KubeOptions {
        kubeconfig: Some(write_kubeconfig(dir.path(), kubeconfig)),
        contexts: contexts.iter().map(|s| s.to_string()).collect(),
        namespace: None,
        timeout: Duration::from_secs(2),
        page_size: 2,
    }
}

fn load(o: &KubeOptions) -> Result<ClusterLoad, KubeError> {
    list_all_blocking(o, &|_| {})
}

fn report(l: &ClusterLoad, v: KumaVersion) -> Report {
    let loaded = l.loaded();
    let mut r = resolve(&loaded.snapshot, v, &Filter::default());
    r.findings.extend(loaded.findings);
    r
}

fn no_secret(s: &str) {
    assert!(!s.contains(TOKEN), "the token leaked: {s}");
    assert!(!s.contains("SECRET"), "a secret leaked: {s}");
}

#[test]
fn lists_every_kind_with_pages_and_only_gets() {
    let s = FakeApi::start(&fixture("zone-1"));
    let dir = tempfile::tempdir().unwrap();
    let o = opts(&dir, &FakeApi::kubeconfig(&[("zone-1", &s)]), &[]);
    let l = load(&o).unwrap();
    // 1 Mesh, 4 services, 3 Dataplanes, 2 policies; the Deployment is not a Kuma kind.
    assert_eq!(l.store.len(), 10);
    let loaded = l.loaded();
    assert_eq!(loaded.snapshot.resources.len(), 10);
    assert!(loaded.findings.is_empty(), "{:?}", loaded.findings);
    for r in &loaded.snapshot.resources {
        match &r.meta.origin {
            Origin::Cluster {
                context,
                name,
                namespace,
            } => {
                assert_eq!(context, "zone-1");
                assert_eq!(name, &r.meta.name);
                assert_eq!(namespace, &r.meta.namespace);
            }
            o => panic!("not a cluster origin: {o:?}"),
        }
    }
    let reqs = s.requests();
    let uris: Vec<&str> = reqs.iter().map(|r| r.uri.as_str()).collect();
    assert!(uris.contains(&"/apis"), "{uris:?}");
    assert!(uris.contains(&"/apis/kuma.io/v1alpha1"), "{uris:?}");
    // Four MeshServices and MeshExternalServices… in pages of 2: a continue was followed.
    assert!(
        uris.iter()
            .any(|u| u.starts_with("/apis/kuma.io/v1alpha1/meshservices?")
                && u.contains("continue=")),
        "{uris:?}"
    );
    assert!(uris.iter().any(|u| u.contains("limit=2")));
    // Version from the control-plane image.
    assert_eq!(l.detected.len(), 1);
    assert_eq!(l.detected[0].version, KumaVersion::new(2, 9));
    assert!(l.detected[0].exact);
    assert!(
        l.detected[0].how.contains("kumahq/kuma-cp:2.9.3"),
        "{}",
        l.detected[0].how
    );
    // The model resolves like the files do: web's backend outbound splits 90/10.
    let r = report(&l, KumaVersion::new(2, 9));
    let web = r.proxy("web-7d9c5b-x2k4q").unwrap();
    assert_eq!(web.context.as_deref(), Some("zone-1"));
    assert!(web.location.is_none());
    let ob = web.outbound("kuma-demo/backend:3001").unwrap();
    assert_eq!(ob.route, RouteKind::MeshTCPRoute);
    let w: Vec<u32> = ob.backends.iter().map(|b| b.weight).collect();
    assert_eq!(w, vec![90, 10]);
    assert_only_get(&s);
}

#[test]
fn namespace_narrows_namespaced_kinds_only() {
    let s = FakeApi::start(&fixture("zone-1"));
    let dir = tempfile::tempdir().unwrap();
    let mut o = opts(&dir, &FakeApi::kubeconfig(&[("zone-1", &s)]), &[]);
    o.namespace = Some("kuma-system".into());
    let l = load(&o).unwrap();
    let kinds: Vec<ResourceKind> = l.store.objects().map(|(k, _)| k.kind).collect();
    // The Mesh and the TrafficRoute are cluster-scoped; the MES lives in kuma-system.
    assert_eq!(
        kinds,
        vec![
            ResourceKind::Mesh,
            ResourceKind::MeshExternalService,
            ResourceKind::TrafficRoute
        ]
    );
    assert!(s.requests().iter().any(|r| {
        r.uri
            .starts_with("/apis/kuma.io/v1alpha1/namespaces/kuma-system/dataplanes?")
    }));
    assert_only_get(&s);
}

#[test]
fn absent_crd_is_an_info_finding_and_the_rest_loads() {
    let absent = [
        ResourceKind::MeshMultiZoneService,
        ResourceKind::MeshExternalService,
    ];
    let objs: Vec<_> = read_fixture_dir(&fixture("zone-1"))
        .into_iter()
        .filter(|o| o["kind"] != "MeshExternalService")
        .collect();
    let s = FakeApi::start_with(objs, &absent);
    let dir = tempfile::tempdir().unwrap();
    let l = load(&opts(&dir, &FakeApi::kubeconfig(&[("zone-1", &s)]), &[])).unwrap();
    let loaded = l.loaded();
    assert_eq!(loaded.snapshot.resources.len(), 9);
    let f: Vec<_> = loaded
        .findings
        .iter()
        .filter(|f| f.code == Code::KindNotInstalled)
        .collect();
    assert_eq!(f.len(), 2, "{f:?}");
    for x in &f {
        assert_eq!(x.severity, Severity::Info);
        assert!(x.message.contains("CRD"), "{}", x.message);
        assert_eq!(
            x.resource.as_ref().unwrap().context.as_deref(),
            Some("zone-1")
        );
    }
    assert!(f.iter().any(|x| x.message.contains("MeshMultiZoneService")));
    // An absent kind is never listed.
    assert!(
        !s.requests()
            .iter()
            .any(|r| r.uri.contains("meshmultizoneservices"))
    );
    assert_only_get(&s);
}

#[test]
fn forbidden_kind_warns_naming_kind_and_verb() {
    let s = FakeApi::start(&fixture("zone-1"));
    s.set(|f| {
        f.forbidden.insert("meshtcproutes".into());
    });
    let dir = tempfile::tempdir().unwrap();
    let l = load(&opts(&dir, &FakeApi::kubeconfig(&[("zone-1", &s)]), &[])).unwrap();
    let loaded = l.loaded();
    assert_eq!(loaded.snapshot.resources.len(), 9);
    let f: Vec<_> = loaded
        .findings
        .iter()
        .filter(|f| f.code == Code::AccessDenied)
        .collect();
    assert_eq!(f.len(), 1, "{:?}", loaded.findings);
    assert_eq!(f[0].severity, Severity::Warning);
    assert!(f[0].message.contains("`list`"), "{}", f[0].message);
    assert!(
        f[0].message.contains("meshtcproutes.kuma.io"),
        "{}",
        f[0].message
    );
    assert_eq!(f[0].resource.as_ref().unwrap().kind, "MeshTCPRoute");
    no_secret(&f[0].message);
    assert_only_get(&s);
}

#[test]
fn server_error_on_one_kind_is_an_error_finding() {
    let s = FakeApi::start(&fixture("zone-1"));
    s.set(|f| {
        f.fail_500.insert("dataplanes".into());
    });
    let dir = tempfile::tempdir().unwrap();
    let l = load(&opts(&dir, &FakeApi::kubeconfig(&[("zone-1", &s)]), &[])).unwrap();
    let loaded = l.loaded();
    assert_eq!(loaded.snapshot.resources.len(), 7);
    let f: Vec<_> = loaded
        .findings
        .iter()
        .filter(|f| f.code == Code::SourceUnreadable)
        .collect();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, Severity::Error);
    assert!(f[0].message.contains("500"), "{}", f[0].message);
    assert!(f[0].message.contains("Dataplane"), "{}", f[0].message);
    assert_only_get(&s);
}

#[test]
fn expired_continue_token_restarts_the_list() {
    let s = FakeApi::start(&fixture("zone-1"));
    s.set(|f| {
        f.expire_continue.insert("meshservices".into());
    });
    let dir = tempfile::tempdir().unwrap();
    let l = load(&opts(&dir, &FakeApi::kubeconfig(&[("zone-1", &s)]), &[])).unwrap();
    assert_eq!(l.loaded().snapshot.resources.len(), 10);
    let ms_first_pages = s
        .requests()
        .iter()
        .filter(|r| {
            r.uri.starts_with("/apis/kuma.io/v1alpha1/meshservices?") && !r.uri.contains("continue")
        })
        .count();
    assert_eq!(ms_first_pages, 2, "the list started over after 410 Gone");
    assert_only_get(&s);
}

#[test]
fn unauthorized_is_a_clear_error_without_the_token() {
    let s = FakeApi::start(&fixture("zone-1"));
    s.set(|f| f.unauthorized = true);
    let dir = tempfile::tempdir().unwrap();
    let e = load(&opts(&dir, &FakeApi::kubeconfig(&[("zone-1", &s)]), &[])).unwrap_err();
    assert!(matches!(e, KubeError::Unauthorized { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("401") && msg.contains("zone-1"), "{msg}");
    no_secret(&msg);
    no_secret(&format!("{e:?}"));
    assert_only_get(&s);
}

#[test]
fn stalled_response_times_out_quickly() {
    let s = FakeApi::start(&fixture("zone-1"));
    s.set(|f| {
        f.stall.insert("dataplanes".into());
    });
    let dir = tempfile::tempdir().unwrap();
    let mut o = opts(&dir, &FakeApi::kubeconfig(&[("zone-1", &s)]), &[]);
    o.timeout = Duration::from_secs(1);
    let t = Instant::now();
    let e = load(&o).unwrap_err();
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "took {:?}",
        t.elapsed()
    );
    assert!(matches!(e, KubeError::Timeout { .. }), "{e:?}");
    assert!(e.to_string().contains("did not answer within 1 s"), "{e}");
    assert_only_get(&s);
}

#[test]
fn unreachable_server_is_a_clear_error() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let kc = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:{port}\n\
         contexts:\n- name: gone\n  context:\n    cluster: c\n    user: u\ncurrent-context: gone\n\
         users:\n- name: u\n  user:\n    token: {TOKEN}\n"
    );
    let dir = tempfile::tempdir().unwrap();
    let e = load(&opts(&dir, &kc, &[])).unwrap_err();
    assert!(matches!(e, KubeError::Unreachable { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains(&format!("127.0.0.1:{port}")), "{msg}");
    no_secret(&msg);
}

#[test]
fn unknown_context_names_the_known_ones() {
    let s = FakeApi::start(&fixture("zone-1"));
    let dir = tempfile::tempdir().unwrap();
    let e = load(&opts(
        &dir,
        &FakeApi::kubeconfig(&[("zone-1", &s)]),
        &["nope"],
    ))
    .unwrap_err();
    assert!(matches!(e, KubeError::Config(_)));
    assert!(
        e.to_string().contains("`nope`") && e.to_string().contains("zone-1"),
        "{e}"
    );
    no_secret(&e.to_string());
}

#[test]
fn contexts_merge_into_one_model_and_keep_their_names() {
    let z1 = FakeApi::start(&fixture("zone-1"));
    let z2 = FakeApi::start(&fixture("zone-2"));
    let dir = tempfile::tempdir().unwrap();
    let kc = FakeApi::kubeconfig(&[("zone-1", &z1), ("zone-2", &z2)]);
    let l = load(&opts(&dir, &kc, &["zone-1", "zone-2"])).unwrap();
    let r = report(&l, KumaVersion::new(2, 9));
    // One mesh (merged by name), both zones' proxies, the same-named web in each.
    assert!(r.proxies.iter().all(|p| p.mesh == "default"));
    let webs: Vec<_> = r
        .proxies
        .iter()
        .filter(|p| p.name == "web-7d9c5b-x2k4q")
        .collect();
    assert_eq!(webs.len(), 2);
    assert_eq!(webs[0].context.as_deref(), Some("zone-1"));
    assert_eq!(webs[1].context.as_deref(), Some("zone-2"));
    let batch = r.proxy("batch-6b7c8-zzzzz").unwrap();
    assert_eq!(batch.context.as_deref(), Some("zone-2"));
    assert_eq!(r.proxies.len(), 5);
    // Both zones' backend MeshServices are kept (same namespace and name, no collision).
    let backends = l
        .store
        .objects()
        .filter(|(k, _)| k.kind == ResourceKind::MeshService && k.name == "backend")
        .count();
    assert_eq!(backends, 2);
    // Versions: zone-1 runs 2.9, zone-2 2.10; the first context's is used, the other named.
    let (v, how) = version::choose(None, &l.detected);
    assert_eq!(v, KumaVersion::new(2, 9));
    assert!(how.contains("zone-2") && how.contains("2.10"), "{how}");
    assert_only_get(&z1);
    assert_only_get(&z2);
}

#[test]
fn version_is_guessed_from_crds_when_deployments_are_forbidden() {
    let s = FakeApi::start(&fixture("zone-1"));
    s.set(|f| f.deployments_forbidden = true);
    let dir = tempfile::tempdir().unwrap();
    let l = load(&opts(&dir, &FakeApi::kubeconfig(&[("zone-1", &s)]), &[])).unwrap();
    let d = &l.detected[0];
    assert!(!d.exact);
    // meshmultizoneservices and meshtlses served, meshidentities not: 2.9 to 2.11.
    assert_eq!(d.version, KumaVersion::new(2, 11));
    assert!(d.how.contains("guessed from CRDs"), "{}", d.how);
    assert!(
        d.how.contains("RBAC forbids listing deployments"),
        "{}",
        d.how
    );
    let (_, how) = version::choose(None, &l.detected);
    assert!(how.starts_with("Kuma 2.11 (context `zone-1`"), "{how}");
    // --kuma-version wins and says so.
    let (v, how) = version::choose(Some(KumaVersion::new(2, 6)), &l.detected);
    assert_eq!(v, KumaVersion::new(2, 6));
    assert!(how.contains("--kuma-version"));
    assert_only_get(&s);
}

#[test]
fn version_defaults_when_nothing_tells() {
    let every_kind: Vec<ResourceKind> = ResourceKind::ALL.to_vec();
    let s = FakeApi::start_with(Vec::new(), &every_kind);
    let dir = tempfile::tempdir().unwrap();
    let l = load(&opts(&dir, &FakeApi::kubeconfig(&[("bare", &s)]), &[])).unwrap();
    // No kuma.io group and no control plane: the default, and it says so.
    assert_eq!(l.detected[0].version, KumaVersion::DEFAULT);
    assert!(
        l.detected[0].how.contains("using the default"),
        "{}",
        l.detected[0].how
    );
    assert_eq!(l.store.len(), 0);
    let f = l.loaded().findings;
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].code, Code::KindNotInstalled);
    assert!(
        f[0].message.contains("serves no kuma.io resources"),
        "{}",
        f[0].message
    );
    assert_only_get(&s);
}

#[test]
fn a_broken_kubeconfig_is_an_error_that_quotes_no_value() {
    let dir = tempfile::tempdir().unwrap();
    // `users` must be a sequence: the parser complains about the value it found.
    let kc = format!("apiVersion: v1\nkind: Config\ncurrent-context: x\nusers: \"{TOKEN}\"\n");
    let e = load(&opts(&dir, &kc, &[])).unwrap_err();
    assert!(matches!(e, KubeError::Config(_)), "{e:?}");
    assert!(e.to_string().contains("kubeconfig"), "{e}");
    no_secret(&e.to_string());
    no_secret(&format!("{e:?}"));
}
