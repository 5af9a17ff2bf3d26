//! One test per conversion rule, on small manifests written for them.

use super::*;
use crate::model::{Code, ProxyType, Severity};
use crate::source::Loaded;

/// Namespace `shop` with injection on, a mesh with MeshServices, and `extra`.
fn load(extra: &str) -> Loaded {
    let text = format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {{kuma.io/sidecar-injection: enabled}}\n---\n\
         apiVersion: kuma.io/v1alpha1\nkind: Mesh\nmetadata: {{name: default}}\nspec:\n  meshServices: {{mode: Exclusive}}\n---\n{extra}"
    );
    let mut l = Loaded::default();
    l.add_text("repo.yaml", &text);
    l.derive();
    l
}

const WEB: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  template:\n    metadata:\n      labels: {app: web, version: v1}\n    spec:\n      containers:\n        - name: app\n          ports:\n            - {name: http, containerPort: 5000}\n            - {name: admin, containerPort: 9901}\n---\n";

fn svc(name: &str, ports: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n  selector: {{app: web}}\n  ports:\n{ports}---\n"
    )
}

fn dataplanes(l: &Loaded) -> Vec<&Resource> {
    l.snapshot
        .resources
        .iter()
        .filter(|r| r.meta.kind == ResourceKind::Dataplane)
        .collect()
}

fn mesh_services(l: &Loaded) -> Vec<&Resource> {
    l.snapshot
        .resources
        .iter()
        .filter(|r| r.meta.kind == ResourceKind::MeshService)
        .collect()
}

fn spec(r: &Resource) -> &DataplaneSpec {
    match &r.body {
        Body::Dataplane(d) => d,
        _ => panic!("not a Dataplane"),
    }
}

fn ms(r: &Resource) -> &MeshServiceSpec {
    match &r.body {
        Body::MeshService(m) => m,
        _ => panic!("not a MeshService"),
    }
}

fn only_dp(l: &Loaded) -> &DataplaneSpec {
    let dps = dataplanes(l);
    assert_eq!(dps.len(), 1, "{:?}", l.findings);
    spec(dps[0])
}

fn inbound_ports(d: &DataplaneSpec) -> Vec<u32> {
    d.networking.inbound.iter().filter_map(|i| i.port).collect()
}

#[test]
fn a_deployment_in_an_injected_namespace_is_one_proxy_named_after_it() {
    let l = load(WEB);
    let dps = dataplanes(&l);
    assert_eq!(dps.len(), 1);
    let m = &dps[0].meta;
    assert_eq!(
        (m.name.as_str(), m.namespace.as_deref()),
        ("web", Some("shop"))
    );
    assert_eq!(m.mesh, "default");
    assert_eq!(
        m.origin.derived_from(),
        Some(&DerivedFrom {
            kind: "Deployment".into(),
            namespace: "shop".into(),
            name: "web".into()
        })
    );
    assert_eq!(m.origin.location().unwrap().to_string(), "repo.yaml:13");
    assert_eq!(m.labels.get("kuma.io/mesh").unwrap(), "default");
    assert_eq!(m.labels.get("app").unwrap(), "web");
    assert_eq!(l.stats.derived, 1);
    // No Service selects it: the service-less inbound.
    let d = spec(dps[0]);
    assert_eq!(inbound_ports(d), vec![SERVICELESS_PORT]);
    let t = &d.networking.inbound[0].tags;
    assert_eq!(t.get("kuma.io/service").unwrap(), "web_shop_svc");
    assert_eq!(t.get("kuma.io/protocol").unwrap(), "tcp");
    assert_eq!(t.get("kuma.io/instance").unwrap(), "web");
    // A template has no Pod IP: a placeholder, said so on the origin.
    assert_eq!(d.networking.address.as_deref(), Some(PLACEHOLDER_ADDRESS));
    let Origin::Derived(o) = &m.origin else {
        panic!()
    };
    assert!(o.placeholder_address);
}

#[test]
fn injection_follows_the_pod_label_then_the_namespace_label() {
    // No label on the namespace `other`: no sidecar.
    let plain = "apiVersion: v1\nkind: Namespace\nmetadata: {name: other}\n---\n\
                 apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: other, labels: {app: p}}\nspec: {containers: [{name: a}]}\n---\n";
    assert!(dataplanes(&load(plain)).is_empty());
    // The Pod's own label turns it on…
    let on = plain.replace(
        "labels: {app: p}",
        "labels: {app: p, kuma.io/sidecar-injection: enabled}",
    );
    assert_eq!(dataplanes(&load(&on)).len(), 1);
    // …or off, whatever the namespace says.
    let off = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop, labels: {kuma.io/sidecar-injection: disabled}}\nspec: {containers: [{name: a}]}\n";
    assert!(dataplanes(&load(off)).is_empty());
    // An annotation is not what the injector reads.
    let ann = plain.replace(
        "labels: {app: p}",
        "labels: {app: p}, annotations: {kuma.io/sidecar-injection: enabled}",
    );
    assert!(dataplanes(&load(&ann)).is_empty());
    // A namespace that is not in the input injects nothing.
    let elsewhere = WEB.replace("namespace: shop", "namespace: nowhere");
    assert!(dataplanes(&load(&elsewhere)).is_empty());
}

#[test]
fn a_value_the_injector_refuses_is_a_warning_and_no_proxy() {
    let l = load(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop, labels: {kuma.io/sidecar-injection: maybe}}\nspec: {}\n",
    );
    assert!(dataplanes(&l).is_empty());
    assert_eq!(l.findings.len(), 1);
    assert_eq!(l.findings[0].code, Code::NotDerived);
    assert_eq!(l.findings[0].severity, Severity::Warning);
    assert!(
        l.findings[0].message.contains("maybe"),
        "{}",
        l.findings[0].message
    );
}

#[test]
fn the_mesh_comes_from_the_pod_then_the_namespace() {
    let ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: pay\n  labels: {kuma.io/sidecar-injection: enabled, kuma.io/mesh: payments}\n---\n";
    let l = load(&format!(
        "{ns}{}",
        WEB.replace("namespace: shop", "namespace: pay")
    ));
    assert_eq!(dataplanes(&l)[0].meta.mesh, "payments");
    let own = WEB.replace(
        "labels: {app: web, version: v1}",
        "labels: {app: web, kuma.io/mesh: own}",
    );
    assert_eq!(dataplanes(&load(&own))[0].meta.mesh, "own");
}

#[test]
fn an_inbound_per_service_port_with_kumas_tags() {
    let l = load(&format!(
        "{WEB}{}",
        svc(
            "web",
            "    - {name: http, port: 80, targetPort: 5000, appProtocol: http}\n"
        )
    ));
    let d = only_dp(&l);
    assert_eq!(inbound_ports(d), vec![5000]);
    let t = &d.networking.inbound[0].tags;
    let want = [
        ("app", "web"),
        ("k8s.kuma.io/namespace", "shop"),
        ("k8s.kuma.io/service-name", "web"),
        ("k8s.kuma.io/service-port", "80"),
        ("kuma.io/protocol", "http"),
        ("kuma.io/service", "web_shop_svc_80"),
        ("version", "v1"),
    ];
    let got: Vec<(&str, &str)> = t.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    // The injector's kuma.io/mesh label is a Pod label, but kuma.io/ labels are not tags.
    assert_eq!(got, want);
}

#[test]
fn only_services_of_the_pods_namespace_count() {
    let elsewhere = svc("web", "    - {port: 80, targetPort: 5000}\n")
        .replace("namespace: shop", "namespace: other");
    let l = load(&format!(
        "{WEB}{elsewhere}{}",
        svc("zz", "    - {port: 81, targetPort: 5000}\n")
    ));
    let names: Vec<&str> = only_dp(&l)
        .networking
        .inbound
        .iter()
        .map(|i| i.tags.get("kuma.io/service").unwrap().as_str())
        .collect();
    assert_eq!(names, ["zz_shop_svc_81"]);
}

#[test]
fn target_ports_match_by_number_even_undeclared_and_default_to_the_port() {
    let l = load(&format!(
        "{WEB}{}",
        svc(
            "web",
            "    - {name: a, port: 80, targetPort: 9901}\n    - {name: b, port: 81, targetPort: 7777}\n    - {name: c, port: 6000}\n"
        )
    ));
    assert_eq!(inbound_ports(only_dp(&l)), vec![9901, 7777, 6000]);
}

#[test]
fn target_ports_match_by_container_port_name() {
    let l = load(&format!(
        "{WEB}{}",
        svc(
            "web",
            "    - {name: a, port: 80, targetPort: admin}\n    - {name: b, port: 81, targetPort: nosuch}\n"
        )
    ));
    // `nosuch` names no container port: that Service port gets no inbound.
    let d = only_dp(&l);
    assert_eq!(inbound_ports(d), vec![9901]);
    assert_eq!(
        d.networking.inbound[0].tags.get("kuma.io/service").unwrap(),
        "web_shop_svc_80"
    );
}

#[test]
fn udp_ports_ignored_and_services_sorted_by_name() {
    let l = load(&format!(
        "{WEB}{}{}",
        svc("zeta", "    - {port: 1, targetPort: 5000}\n"),
        svc(
            "alpha",
            "    - {port: 2, targetPort: 5000, protocol: UDP}\n    - {port: 3, targetPort: 9901}\n"
        ),
    ));
    let names: Vec<&str> = only_dp(&l)
        .networking
        .inbound
        .iter()
        .map(|i| i.tags.get("kuma.io/service").unwrap().as_str())
        .collect();
    assert_eq!(names, ["alpha_shop_svc_3", "zeta_shop_svc_1"]);
}

#[test]
fn protocol_from_app_protocol_then_annotation_then_tcp() {
    let with = |app: &str, ann: &str| {
        let s = format!(
            "apiVersion: v1\nkind: Service\nmetadata: {{name: web, namespace: shop{ann}}}\nspec:\n  selector: {{app: web}}\n  ports:\n    - {{port: 80, targetPort: 5000{app}}}\n"
        );
        let l = load(&format!("{WEB}{s}"));
        let d = only_dp(&l);
        d.networking.inbound[0]
            .tags
            .get("kuma.io/protocol")
            .cloned()
            .unwrap()
    };
    assert_eq!(with(", appProtocol: GRPC", ""), "grpc");
    assert_eq!(
        with("", ", annotations: {80.service.kuma.io/protocol: http2}"),
        "http2"
    );
    // An appProtocol Kuma does not know falls through to the annotation, then tcp.
    assert_eq!(with(", appProtocol: kubernetes.io/h2c", ""), "tcp");
    assert_eq!(
        with(
            ", appProtocol: kubernetes.io/h2c",
            ", annotations: {80.service.kuma.io/protocol: http}"
        ),
        "http"
    );
    assert_eq!(with("", ""), "tcp");
}

#[test]
fn transparent_proxying_with_the_control_planes_ports_whatever_the_pod_says() {
    let web = WEB.replace(
        "labels: {app: web, version: v1}",
        "labels: {app: web}\n      annotations: {kuma.io/transparent-proxying-inbound-port: '1234', kuma.io/transparent-proxying-reachable-services: 'a_shop_svc_80, b_shop_svc_81'}",
    );
    let l = load(&web);
    let tp = only_dp(&l).networking.transparent_proxying.clone().unwrap();
    assert_eq!(tp.redirect_port_inbound, Some(15006));
    assert_eq!(tp.redirect_port_outbound, Some(15001));
    assert_eq!(
        tp.reachable_services.unwrap(),
        ["a_shop_svc_80", "b_shop_svc_81"]
    );
    let rb = WEB.replace(
        "labels: {app: web, version: v1}",
        "labels: {app: web}\n      annotations: {kuma.io/reachable-backends: '{refs: [{kind: MeshService, name: db, port: 5432}]}'}",
    );
    let l = load(&rb);
    let refs = only_dp(&l)
        .networking
        .transparent_proxying
        .clone()
        .unwrap()
        .reachable_backends
        .unwrap()
        .refs;
    assert_eq!(refs.len(), 1);
    assert_eq!(refs[0].name.as_deref(), Some("db"));
    assert_eq!(refs[0].port, Some(5432));
}

#[test]
fn delegated_gateways_take_the_first_inbounds_tags_or_the_deployment_name() {
    let gw = |value: &str| {
        WEB.replace(
            "labels: {app: web, version: v1}",
            &format!("labels: {{app: web}}\n      annotations: {{kuma.io/gateway: {value}}}"),
        )
    };
    let s = svc(
        "web",
        "    - {port: 80, targetPort: 5000, appProtocol: http}\n",
    );
    let l = load(&format!("{}{s}", gw("enabled")));
    let d = only_dp(&l);
    assert_eq!(d.proxy_type(), ProxyType::DelegatedGateway);
    assert!(d.networking.inbound.is_empty());
    let tags = &d.networking.gateway.as_ref().unwrap().tags;
    assert_eq!(tags.get("kuma.io/service").unwrap(), "web_shop_svc_80");
    // Such a gateway only speaks tcp: the http protocol tag is left out.
    assert_eq!(tags.get("kuma.io/protocol"), None);
    // A gateway's Service gets no MeshService.
    assert!(mesh_services(&l).is_empty());
    let l = load(&format!("{}{s}", gw("provided")));
    let tags = &only_dp(&l).networking.gateway.as_ref().unwrap().tags;
    let got: Vec<_> = tags.iter().collect();
    assert_eq!(got.len(), 1);
    assert_eq!(tags.get("kuma.io/service-name").unwrap(), "web_shop_svc");
    let l = load(&gw("sideways"));
    assert!(dataplanes(&l).is_empty());
    assert_eq!(l.findings[0].code, Code::NotDerived);
}

#[test]
fn a_builtin_gateway_pod_needs_no_injection_and_takes_its_tags_annotation() {
    let l = load(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: edge, namespace: plain}\nspec:\n  template:\n    metadata:\n      annotations: {kuma.io/gateway: builtin, kuma.io/tags: '{\"kuma.io/service\": \"edge_plain_svc\"}'}\n    spec: {containers: [{name: gw}]}\n",
    );
    let d = only_dp(&l);
    assert_eq!(d.proxy_type(), ProxyType::BuiltinGateway);
    assert_eq!(
        d.networking
            .gateway
            .as_ref()
            .unwrap()
            .tags
            .get("kuma.io/service")
            .unwrap(),
        "edge_plain_svc"
    );
}

#[test]
fn an_ignored_service_makes_no_inbound_and_no_mesh_service() {
    let ignored = "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop, annotations: {kuma.io/ignore: 'true'}}\nspec:\n  selector: {app: web}\n  ports: [{port: 80, targetPort: 5000}]\n";
    let l = load(&format!("{WEB}{ignored}"));
    assert_eq!(inbound_ports(only_dp(&l)), vec![SERVICELESS_PORT]);
    assert!(mesh_services(&l).is_empty());
}

#[test]
fn mesh_services_from_services_when_the_mesh_asks_for_them() {
    let s = "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop, labels: {team: a}}\nspec:\n  clusterIP: 10.96.0.12\n  selector: {app: web}\n  ports:\n    - {name: http, port: 80, targetPort: http, appProtocol: http}\n    - {port: 81, targetPort: 9901}\n    - {name: dns, port: 53, protocol: UDP}\n";
    let l = load(&format!("{WEB}{s}"));
    let all = mesh_services(&l);
    assert_eq!(all.len(), 1);
    let m = &all[0].meta;
    assert_eq!(
        (m.name.as_str(), m.namespace.as_deref()),
        ("web", Some("shop"))
    );
    assert_eq!(m.labels.get("team").unwrap(), "a");
    assert_eq!(
        m.labels.get("k8s.kuma.io/is-headless-service").unwrap(),
        "false"
    );
    assert_eq!(m.origin.derived_from().unwrap().kind, "Service");
    let spec = ms(all[0]);
    assert_eq!(spec.vips, ["10.96.0.12"]);
    let ports: Vec<(String, u32, String)> = spec
        .ports
        .iter()
        .map(|p| (p.section_name(), p.port, p.protocol()))
        .collect();
    assert_eq!(
        ports,
        [
            ("http".to_string(), 80, "http".to_string()),
            ("81".to_string(), 81, "tcp".to_string())
        ]
    );
    assert_eq!(
        spec.selector.as_ref().unwrap(),
        &serde_json::json!({"dataplaneTags": {"app": "web", "k8s.kuma.io/namespace": "shop"}})
    );
    // Mode Disabled (or no Mesh in the input: Kuma's default mesh has it off): none.
    let mut l = Loaded::default();
    l.add_text(
        "r.yaml",
        &format!("apiVersion: v1\nkind: Namespace\nmetadata: {{name: shop, labels: {{kuma.io/sidecar-injection: enabled}}}}\n---\n{WEB}{s}"),
    );
    l.derive();
    assert!(mesh_services(&l).is_empty());
    assert_eq!(dataplanes(&l).len(), 1);
    let mut l = Loaded::default();
    l.add_text(
        "r.yaml",
        &format!("apiVersion: v1\nkind: Namespace\nmetadata: {{name: shop, labels: {{kuma.io/sidecar-injection: enabled}}}}\n---\n\
                  apiVersion: kuma.io/v1alpha1\nkind: Mesh\nmetadata: {{name: default}}\nspec: {{meshServices: {{mode: Disabled}}}}\n---\n{WEB}{s}"),
    );
    l.derive();
    assert!(mesh_services(&l).is_empty());
}

#[test]
fn a_service_outside_the_mesh_gets_no_mesh_service_unless_labelled() {
    let s = "apiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: plain}\nspec:\n  selector: {app: db}\n  ports: [{port: 5432}]\n";
    assert!(mesh_services(&load(s)).is_empty());
    let labelled = s.replace(
        "namespace: plain}",
        "namespace: plain, labels: {kuma.io/mesh: default}}",
    );
    let l = load(&labelled);
    assert_eq!(mesh_services(&l).len(), 1);
    // No clusterIP in the manifest: allocated at apply time, so no VIP is known.
    assert!(ms(mesh_services(&l)[0]).vips.is_empty());
}

#[test]
fn headless_services_tag_the_instance_and_get_a_mesh_service_per_pod() {
    let db = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: shop}\nspec:\n  template:\n    metadata: {labels: {app: db}}\n    spec: {containers: [{name: pg, ports: [{name: pg, containerPort: 5432}]}]}\n---\n\
              apiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: shop}\nspec:\n  clusterIP: None\n  selector: {app: db}\n  ports: [{name: pg, port: 5432, targetPort: pg}]\n";
    let l = load(db);
    let d = only_dp(&l);
    assert_eq!(
        d.networking.inbound[0]
            .tags
            .get("kuma.io/instance")
            .unwrap(),
        "db"
    );
    let all = mesh_services(&l);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].meta.name, "db-69fcd685c9");
    assert_eq!(
        all[0]
            .meta
            .labels
            .get("k8s.kuma.io/is-headless-service")
            .unwrap(),
        "true"
    );
    assert_eq!(
        ms(all[0]).selector.as_ref().unwrap(),
        &serde_json::json!({"dataplaneRef": {"name": "db.shop"}})
    );
    assert!(ms(all[0]).vips.is_empty());
}

#[test]
fn a_long_pod_name_is_cut_so_the_headless_name_fits() {
    let pod = "p".repeat(60);
    let n = headless_name(&pod, "db", "shop");
    // The hash is at most 10 characters (a 32-bit number in decimal, encoded).
    assert!(n.len() <= 63, "{n}");
    assert!(n.starts_with(&format!("{}-", "p".repeat(52))), "{n}");
    assert_ne!(n, headless_name(&pod, "db", "other"));
    // Not a Kubernetes name, but no panic: cut at a character.
    let wide = "é".repeat(40);
    assert!(headless_name(&wide, "db", "shop").starts_with(&"é".repeat(26)));
}

#[test]
fn an_exported_dataplane_or_mesh_service_wins_over_derivation() {
    let exported = "apiVersion: kuma.io/v1alpha1\nkind: Dataplane\nmetadata: {name: web-5c8d7f9b4-x2x7q, namespace: shop}\nmesh: default\nspec:\n  networking:\n    address: 10.0.0.1\n    inbound: [{port: 5000, tags: {kuma.io/service: web_shop_svc_80}}]\n---\n\
                    apiVersion: kuma.io/v1alpha1\nkind: MeshService\nmetadata: {name: web, namespace: shop, labels: {kuma.io/mesh: default}}\nspec:\n  ports: [{port: 80}]\n---\n";
    let l = load(&format!(
        "{exported}{WEB}{}",
        svc("web", "    - {port: 80, targetPort: 5000}\n")
    ));
    let dps = dataplanes(&l);
    assert_eq!(dps.len(), 1);
    assert_eq!(dps[0].meta.name, "web-5c8d7f9b4-x2x7q");
    assert_eq!(dps[0].meta.origin.derived_from(), None);
    assert_eq!(mesh_services(&l).len(), 1);
    let codes: Vec<(Code, Severity)> = l.findings.iter().map(|f| (f.code, f.severity)).collect();
    assert_eq!(
        codes,
        [
            (Code::ExportedResourceUsed, Severity::Info),
            (Code::ExportedResourceUsed, Severity::Info)
        ]
    );
    // A Dataplane of another Deployment with a longer name does not count.
    let other = exported.replace("web-5c8d7f9b4-x2x7q", "web-admin-5c8d7f9b4-x2x7q");
    let l = load(&format!("{other}{WEB}"));
    assert_eq!(dataplanes(&l).len(), 2);
}

#[test]
fn every_workload_kind_reads_its_pod_template() {
    let tpl = "    metadata: {labels: {app: x}}\n    spec: {containers: [{name: a}]}\n";
    let indent = |s: &str, n: usize| {
        s.lines()
            .map(|l| format!("{}{l}\n", " ".repeat(n)))
            .collect::<String>()
    };
    let mut text = String::new();
    for (api, kind) in [
        ("apps/v1", "Deployment"),
        ("apps/v1", "StatefulSet"),
        ("apps/v1", "DaemonSet"),
        ("apps/v1", "ReplicaSet"),
        ("batch/v1", "Job"),
    ] {
        text.push_str(&format!(
            "apiVersion: {api}\nkind: {kind}\nmetadata: {{name: {}, namespace: shop}}\nspec:\n  template:\n{tpl}---\n",
            kind.to_lowercase()
        ));
    }
    text.push_str(&format!(
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {{name: cron, namespace: shop}}\nspec:\n  jobTemplate:\n    spec:\n      template:\n{}---\n",
        indent(tpl, 4)
    ));
    text.push_str("apiVersion: v1\nkind: Pod\nmetadata: {name: pod, namespace: shop}\nspec: {containers: [{name: a}]}\nstatus: {podIP: 10.1.2.3}\n");
    let l = load(&text);
    let names: Vec<(&str, &str)> = dataplanes(&l)
        .iter()
        .map(|r| {
            (
                r.meta.name.as_str(),
                r.meta.origin.derived_from().unwrap().kind.as_str(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("deployment", "Deployment"),
            ("statefulset", "StatefulSet"),
            ("daemonset", "DaemonSet"),
            ("replicaset", "ReplicaSet"),
            ("job", "Job"),
            ("cron", "CronJob"),
            ("pod", "Pod")
        ]
    );
    // A Pod's status gives its address.
    let pod = dataplanes(&l)[6];
    assert_eq!(spec(pod).networking.address.as_deref(), Some("10.1.2.3"));
    let Origin::Derived(o) = &pod.meta.origin else {
        panic!()
    };
    assert!(!o.placeholder_address);
}

#[test]
fn a_pod_that_already_has_a_sidecar_is_left_alone() {
    let l = load(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec: {containers: [{name: app}, {name: kuma-sidecar}]}\n",
    );
    assert!(dataplanes(&l).is_empty());
}
