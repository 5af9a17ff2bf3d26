//! From Kubernetes objects to the Dataplanes and MeshServices Kuma's Kubernetes
//! controllers would make of them, so that a GitOps repository (Namespaces,
//! Deployments, Services and policies, but never Dataplanes or MeshServices, which the
//! control plane generates) can be inspected offline. Pure: no IO.
//!
//! Mirrors kumahq/kuma v2.13.0 and v2.14.3 (they agree on everything derived here):
//! - which Pods get a sidecar: the injector's `needToInject` (the
//!   `kuma.io/sidecar-injection` *label* of the Pod, else of its Namespace);
//! - the mesh: `MeshOfByLabelOrAnnotation` (`kuma.io/mesh` label, then annotation, of
//!   the Pod, then of the Namespace, else `default`);
//! - Dataplanes: `pod_converter.go` `dataplaneFor` and `inbound_converter.go` (the
//!   Services of the Pod's namespace whose selector matches its labels, sorted by
//!   name; an inbound per TCP port whose targetPort is found; Kuma's tags; a
//!   service-less inbound on port 49151 when there is none; delegated gateways;
//!   transparent proxying always on, with the control plane's redirect ports);
//! - MeshServices: `meshservice_controller.go` (Services of a namespace with injection
//!   enabled or with a `kuma.io/mesh` label, when the Mesh's `meshServices.mode` is not
//!   Disabled; headless Services get one MeshService per Pod).
//!
//! One proxy per workload, named after it (a Deployment of 3 replicas is one proxy:
//! the replicas are alike). What only exists at run time is not invented: the Pod IP
//! of a template is a placeholder (said so on the resource), labels Kubernetes adds to
//! Pods (`pod-template-hash`…) are absent, and a Service's `clusterIP`, unless
//! written, is unknown (the MeshService has no VIP).

pub mod objects;

use crate::model::{
    Body, Code, DataplaneSpec, Derived, DerivedFrom, Finding, Format, GatewayDecl, Inbound,
    MeshServiceSpec, MeshServicesMode, Meta, Networking, Origin, ReachableBackends, Resource,
    ResourceKind, ResourceRef, ServicePort, Tags, TransparentProxying, keys,
};
pub use objects::{KubeKind, KubeObject, StrMap};
use objects::{at, port, scalar, str_map};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// The control plane's default redirect ports (`runtime.kubernetes.injector.
/// sidecarContainer.redirectPortInbound/Outbound`); per-Pod annotations cannot change
/// them (the injector says so and uses these).
pub const REDIRECT_PORT_INBOUND: u32 = 15006;
pub const REDIRECT_PORT_OUTBOUND: u32 = 15001;
/// The inbound port of a Pod that no Service selects (`TCPPortReserved`).
pub const SERVICELESS_PORT: u32 = 49151;
/// The address of a Dataplane derived from a Pod template: the Pod IP exists only at
/// run time.
pub const PLACEHOLDER_ADDRESS: &str = "0.0.0.0";

const SIDECAR_INJECTION: &str = "kuma.io/sidecar-injection";
const GATEWAY: &str = "kuma.io/gateway";
const IGNORE: &str = "kuma.io/ignore";
const TAGS: &str = "kuma.io/tags";
const REACHABLE_SERVICES: &str = "kuma.io/transparent-proxying-reachable-services";
const REACHABLE_BACKENDS: &str = "kuma.io/reachable-backends";
const ZONE_PROXY_TYPE: &str = "k8s.kuma.io/zone-proxy-type";
const SERVICE_NAME: &str = "k8s.kuma.io/service-name";
const SERVICE_PORT: &str = "k8s.kuma.io/service-port";
const HEADLESS: &str = "k8s.kuma.io/is-headless-service";
const INSTANCE: &str = "kuma.io/instance";
const SIDECAR_CONTAINER: &str = "kuma-sidecar";

/// What the derivation made, and what it has to say.
#[derive(Debug, Default)]
pub struct Derivation {
    pub resources: Vec<Resource>,
    pub findings: Vec<Finding>,
}

/// The Dataplanes and MeshServices Kuma would make of `objects`, given the resources
/// already in the input (its Meshes; its exported Dataplanes and MeshServices, which
/// win over what would be derived).
pub fn derive(objects: &[KubeObject], existing: &[Resource]) -> Derivation {
    let mut out = Derivation::default();
    if !objects.iter().any(|o| o.kind != KubeKind::Namespace) {
        return out;
    }
    let namespaces: HashMap<&str, &KubeObject> = objects
        .iter()
        .filter(|o| o.kind == KubeKind::Namespace)
        .map(|o| (o.name.as_str(), o))
        .collect();
    // Kuma lists the Services of the Pod's namespace and sorts them by name.
    let mut services: Vec<&KubeObject> = objects
        .iter()
        .filter(|o| o.kind == KubeKind::Service)
        .collect();
    services.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    let mut ctx = Context {
        namespaces,
        services,
        meshes: HashMap::new(),
        existing_dataplanes: Vec::new(),
        existing_services: HashSet::new(),
    };
    for r in existing {
        match &r.body {
            Body::Mesh(m) => {
                ctx.meshes.insert(r.meta.name.as_str(), m.mode());
            }
            Body::Dataplane(_) => {
                if let Some(ns) = r.meta.kri_namespace() {
                    ctx.existing_dataplanes.push((ns, r.meta.name.as_str()));
                }
            }
            Body::MeshService(_) => {
                if let Some(ns) = r.meta.kri_namespace() {
                    ctx.existing_services.insert((ns, r.meta.name.as_str()));
                }
            }
            _ => {}
        }
    }
    let mut pods = Vec::new();
    for o in objects.iter().filter(|o| o.kind.is_workload()) {
        match ctx.proxy(o) {
            Ok(Some((pod, r))) => {
                out.resources.push(r);
                pods.push(pod);
            }
            Ok(None) => {}
            Err(f) => out.findings.push(f),
        }
    }
    let mut pods_by_ns: HashMap<&str, Vec<&Pod>> = HashMap::new();
    for p in &pods {
        pods_by_ns.entry(p.namespace).or_default().push(p);
    }
    for svc in &ctx.services {
        let pods = pods_by_ns
            .get(svc.namespace.as_str())
            .map_or(&[][..], Vec::as_slice);
        match ctx.mesh_services(svc, pods) {
            Ok(mut rs) => out.resources.append(&mut rs),
            Err(Some(f)) => out.findings.push(f),
            Err(None) => {}
        }
    }
    out
}

struct Context<'o> {
    namespaces: HashMap<&'o str, &'o KubeObject>,
    services: Vec<&'o KubeObject>,
    meshes: HashMap<&'o str, MeshServicesMode>,
    /// (namespace, name) of the Dataplanes in the input.
    existing_dataplanes: Vec<(&'o str, &'o str)>,
    existing_services: HashSet<(&'o str, &'o str)>,
}

/// A container port: (name, number, protocol).
type ContainerPort = (String, u32, String);

/// The Pod a workload makes, as the controllers see it.
struct Pod<'o> {
    obj: &'o KubeObject,
    /// The Pod's name: the workload's (one proxy per workload).
    name: &'o str,
    namespace: &'o str,
    labels: StrMap,
    annotations: StrMap,
    ports: Vec<ContainerPort>,
    service_account: String,
    pod_ip: Option<String>,
    /// Whether this Pod runs a gateway (its Services get no MeshService).
    gateway: bool,
}

/// A `kuma.io/…` boolean as Kuma's `GetEnabled` reads it (`with_enabled`) or
/// `GetBoolean` (without `enabled`/`disabled`).
fn flag(map: &StrMap, key: &str, with_enabled: bool) -> Result<Option<bool>, String> {
    let Some(v) = map.get(key) else {
        return Ok(None);
    };
    match v.as_str() {
        "true" | "yes" => Ok(Some(true)),
        "false" | "no" => Ok(Some(false)),
        "enabled" if with_enabled => Ok(Some(true)),
        "disabled" if with_enabled => Ok(Some(false)),
        _ => Err(format!("`{key}` has the value `{v}`, which Kuma refuses")),
    }
}

fn non_empty<'m>(map: &'m StrMap, key: &str) -> Option<&'m str> {
    map.get(key).map(String::as_str).filter(|v| !v.is_empty())
}

/// Does the selector (a non-empty map) match `labels`?
fn selects(selector: &StrMap, labels: &StrMap) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

fn origin_of(obj: &KubeObject, placeholder_address: bool) -> Origin {
    Origin::Derived(Box::new(Derived {
        from: DerivedFrom {
            kind: obj.kind.as_str().into(),
            namespace: obj.namespace.clone(),
            name: obj.name.clone(),
        },
        at: obj.origin.clone(),
        placeholder_address,
    }))
}

fn finding(code: Code, obj: &KubeObject, kind: ResourceKind, msg: String) -> Finding {
    Finding::new(code, msg)
        .with_resource(ResourceRef {
            kind: kind.as_str().into(),
            name: obj.name.clone(),
            namespace: Some(obj.namespace.clone()),
            mesh: None,
            context: obj.origin.context().map(String::from),
        })
        .with_location(obj.origin.location())
}

/// Is `dp` the name of a Pod that `obj` makes (`web` → `web-5c8d7f9b4-x2x7q`)?
fn pod_of(obj: &KubeObject, dp: &str) -> bool {
    if dp == obj.name {
        return true;
    }
    let Some(rest) = dp
        .strip_prefix(obj.name.as_str())
        .and_then(|r| r.strip_prefix('-'))
    else {
        return false;
    };
    let parts: Vec<&str> = rest.split('-').collect();
    let alnum = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric());
    match obj.kind {
        KubeKind::StatefulSet => rest.bytes().all(|b| b.is_ascii_digit()) && !rest.is_empty(),
        KubeKind::Deployment | KubeKind::CronJob => {
            parts.len() == 2 && parts.iter().all(|p| alnum(p))
        }
        KubeKind::DaemonSet | KubeKind::ReplicaSet | KubeKind::Job => {
            parts.len() == 1 && alnum(parts[0])
        }
        _ => false,
    }
}

impl<'o> Context<'o> {
    /// The Services of namespace `ns`, by name (`services` is sorted by namespace,
    /// then name).
    fn in_namespace(&self, ns: &str) -> &[&'o KubeObject] {
        let start = self.services.partition_point(|s| s.namespace.as_str() < ns);
        let len = self.services[start..].partition_point(|s| s.namespace == ns);
        &self.services[start..start + len]
    }

    fn namespace_labels(&self, ns: &str) -> Option<&'o StrMap> {
        self.namespaces.get(ns).map(|n| &n.labels)
    }

    /// `MeshOfByLabelOrAnnotation`.
    fn mesh_of(&self, labels: &StrMap, annotations: &StrMap, ns: &str) -> String {
        let nso = self.namespaces.get(ns);
        non_empty(labels, keys::MESH)
            .or_else(|| non_empty(annotations, keys::MESH))
            .or_else(|| nso.and_then(|n| non_empty(&n.labels, keys::MESH)))
            .or_else(|| nso.and_then(|n| non_empty(&n.annotations, keys::MESH)))
            .unwrap_or("default")
            .to_string()
    }

    /// The Pod of a workload, with the Dataplane Kuma makes for it; `None` when it
    /// gets no sidecar.
    fn proxy(&self, obj: &'o KubeObject) -> Result<Option<(Pod<'o>, Resource)>, Finding> {
        let template = match obj.kind {
            KubeKind::Pod => None,
            KubeKind::CronJob => at(&obj.spec, &["jobTemplate", "spec", "template"]),
            _ => obj.spec.get("template"),
        };
        let (labels, annotations, spec) = match template {
            None if obj.kind == KubeKind::Pod => {
                (obj.labels.clone(), obj.annotations.clone(), &obj.spec)
            }
            None => return Ok(None),
            Some(t) => (
                str_map(at(t, &["metadata", "labels"])),
                str_map(at(t, &["metadata", "annotations"])),
                t.get("spec").unwrap_or(&Value::Null),
            ),
        };
        let not_derived = |msg: String| {
            finding(
                Code::NotDerived,
                obj,
                ResourceKind::Dataplane,
                format!("{}: {msg}; no proxy derived", obj.describe()),
            )
        };
        let containers = spec
            .get("containers")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        let mut ports = Vec::new();
        for c in containers {
            for p in c
                .get("ports")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(n) = port(p.get("containerPort")) {
                    ports.push((
                        p.get("name").and_then(scalar).unwrap_or_default(),
                        n,
                        p.get("protocol")
                            .and_then(Value::as_str)
                            .unwrap_or("TCP")
                            .to_string(),
                    ));
                }
            }
        }
        let mut pod = Pod {
            obj,
            name: &obj.name,
            namespace: &obj.namespace,
            labels,
            annotations,
            ports,
            service_account: spec
                .get("serviceAccountName")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .unwrap_or("default")
                .to_string(),
            pod_ip: (obj.kind == KubeKind::Pod)
                .then(|| at(&obj.status, &["podIP"]).and_then(Value::as_str))
                .flatten()
                .filter(|ip| !ip.is_empty())
                .map(String::from),
            gateway: false,
        };
        let gateway = pod.annotations.get(GATEWAY).cloned();
        pod.gateway = gateway.is_some();
        let builtin = gateway.as_deref() == Some("builtin");
        if !builtin {
            // The injector: the Pod's label, else its Namespace's.
            let inject = flag(&pod.labels, SIDECAR_INJECTION, true)
                .and_then(|p| match p {
                    Some(v) => Ok(Some(v)),
                    None => self
                        .namespace_labels(pod.namespace)
                        .map_or(Ok(None), |l| flag(l, SIDECAR_INJECTION, true)),
                })
                .map_err(&not_derived)?;
            if inject != Some(true) {
                return Ok(None);
            }
            if containers
                .iter()
                .any(|c| c.get("name").and_then(Value::as_str) == Some(SIDECAR_CONTAINER))
            {
                // Already has a sidecar: the injector leaves it alone.
                return Ok(None);
            }
        }
        if let Some((_, dp)) = self
            .existing_dataplanes
            .iter()
            .find(|(ns, dp)| *ns == obj.namespace && pod_of(obj, dp))
        {
            return Err(finding(
                Code::ExportedResourceUsed,
                obj,
                ResourceKind::Dataplane,
                format!(
                    "{}: the input holds its Dataplane {}/{dp} (the control plane's own); nothing derived",
                    obj.describe(),
                    obj.namespace
                ),
            ));
        }
        let mesh = self.mesh_of(&pod.labels, &pod.annotations, pod.namespace);
        // The injector labels the Pod with its mesh.
        pod.labels.insert(keys::MESH.into(), mesh.clone());
        let networking = if builtin {
            let tags: Tags = match pod.annotations.get(TAGS) {
                None => {
                    return Err(not_derived(format!(
                        "a builtin gateway Pod needs the `{TAGS}` annotation"
                    )));
                }
                Some(t) => serde_json::from_str::<StrMap>(t)
                    .map_err(|_| not_derived(format!("`{TAGS}` is not a JSON object of strings")))?
                    .into_iter()
                    .collect(),
            };
            Networking {
                address: Some(self.address(&pod)),
                gateway: Some(GatewayDecl {
                    gateway_type: Some("BUILTIN".into()),
                    tags,
                }),
                ..Default::default()
            }
        } else {
            self.networking(&pod, gateway.as_deref())
                .map_err(&not_derived)?
        };
        let proxy_type = if networking.gateway.is_some() {
            "gateway"
        } else {
            "sidecar"
        };
        let mut labels: Tags = pod
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        labels.insert(keys::K8S_NAMESPACE.into(), pod.namespace.to_string());
        labels.insert("kuma.io/proxy-type".into(), proxy_type.into());
        labels.insert(
            "k8s.kuma.io/service-account".into(),
            pod.service_account.clone(),
        );
        labels.insert("kuma.io/workload".into(), pod.service_account.clone());
        let resource = Resource {
            meta: Meta {
                kind: ResourceKind::Dataplane,
                name: obj.name.clone(),
                namespace: Some(obj.namespace.clone()),
                mesh,
                labels,
                format: Format::Kubernetes,
                origin: origin_of(obj, pod.pod_ip.is_none()),
                created: None,
            },
            body: Body::Dataplane(DataplaneSpec { networking }),
        };
        Ok(Some((pod, resource)))
    }

    fn address(&self, pod: &Pod) -> String {
        pod.pod_ip
            .clone()
            .unwrap_or_else(|| PLACEHOLDER_ADDRESS.to_string())
    }

    /// `dataplaneFor` for a sidecar or a delegated gateway.
    fn networking(&self, pod: &Pod, gateway: Option<&str>) -> Result<Networking, String> {
        // On Kubernetes the injector always turns transparent proxying on.
        let mut tp = TransparentProxying {
            redirect_port_inbound: Some(REDIRECT_PORT_INBOUND),
            redirect_port_outbound: Some(REDIRECT_PORT_OUTBOUND),
            ..Default::default()
        };
        if let Some(v) = pod.annotations.get(REACHABLE_SERVICES) {
            tp.reachable_services = Some(
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect(),
            );
        }
        if let Some(v) = pod.annotations.get(REACHABLE_BACKENDS) {
            let refs: ReachableBackends = serde_saphyr::from_str(v)
                .map_err(|_| format!("`{REACHABLE_BACKENDS}` has an invalid format"))?;
            tp.reachable_backends = Some(refs);
        }
        let services: Vec<&KubeObject> = self
            .in_namespace(pod.namespace)
            .iter()
            .copied()
            .filter(|s| !matches!(flag(&s.annotations, IGNORE, true), Ok(Some(true))))
            .filter(|s| selects(&selector(s), &pod.labels))
            .collect();
        let mut n = Networking {
            address: Some(self.address(pod)),
            transparent_proxying: Some(tp),
            ..Default::default()
        };
        let delegated = |tags: Tags| {
            Some(GatewayDecl {
                gateway_type: Some("DELEGATED".into()),
                tags,
            })
        };
        match gateway {
            Some("enabled") => {
                n.gateway = delegated(self.inbounds(pod, &services, true).swap_remove(0).tags);
            }
            Some("provided") => {
                n.gateway = if pod.obj.kind == KubeKind::Deployment {
                    delegated(Tags::from([(
                        "kuma.io/service-name".to_string(),
                        format!("{}_{}_svc", pod.obj.name, pod.namespace),
                    )]))
                } else {
                    delegated(self.inbounds(pod, &services, false).swap_remove(0).tags)
                };
            }
            Some(other) => return Err(format!("invalid delegated gateway type `{other}`")),
            None => {
                let regular: Vec<&KubeObject> = services
                    .into_iter()
                    .filter(|s| !s.labels.contains_key(ZONE_PROXY_TYPE))
                    .collect();
                n.inbound = self.inbounds(pod, &regular, false);
            }
        }
        Ok(n)
    }

    /// `inboundInterfacesFor`: an inbound per TCP port of each Service whose target
    /// port the Pod has; the service-less inbound when there is none.
    fn inbounds(&self, pod: &Pod, services: &[&KubeObject], gateway_enabled: bool) -> Vec<Inbound> {
        let mut out = Vec::new();
        for svc in services {
            if svc.spec.get("type").and_then(Value::as_str) == Some("ExternalName") {
                continue;
            }
            let headless = svc.spec.get("clusterIP").and_then(Value::as_str) == Some("None");
            for sp in svc
                .spec
                .get("ports")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let protocol = sp.get("protocol").and_then(Value::as_str).unwrap_or("TCP");
                if !protocol.is_empty() && protocol != "TCP" {
                    continue;
                }
                let Some(svc_port) = port(sp.get("port")) else {
                    continue;
                };
                let Some(container_port) = find_port(pod, sp, svc_port) else {
                    continue;
                };
                let mut tags: Tags = pod
                    .labels
                    .iter()
                    .filter(|(k, v)| !v.is_empty() && !k.contains("kuma.io/"))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                tags.insert(keys::K8S_NAMESPACE.into(), pod.namespace.to_string());
                tags.insert(SERVICE_NAME.into(), svc.name.clone());
                tags.insert(SERVICE_PORT.into(), svc_port.to_string());
                tags.insert(
                    keys::SERVICE.into(),
                    format!("{}_{}_svc_{svc_port}", svc.name, svc.namespace),
                );
                let proto = protocol_tag(svc, sp, svc_port);
                // A provided gateway only supports tcp: its protocol tag is left out.
                if !(gateway_enabled && proto != "tcp") {
                    tags.insert(keys::PROTOCOL.into(), proto);
                }
                if headless {
                    tags.insert(INSTANCE.into(), pod.name.to_string());
                }
                out.push(Inbound {
                    port: Some(container_port),
                    tags,
                    ..Default::default()
                });
            }
        }
        if out.is_empty() {
            let mut tags: Tags = pod
                .labels
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            tags.insert(keys::K8S_NAMESPACE.into(), pod.namespace.to_string());
            tags.insert(
                keys::SERVICE.into(),
                format!("{}_{}_svc", pod.obj.name, pod.namespace),
            );
            tags.insert(keys::PROTOCOL.into(), "tcp".into());
            tags.insert(INSTANCE.into(), pod.name.to_string());
            out.push(Inbound {
                port: Some(SERVICELESS_PORT),
                tags,
                ..Default::default()
            });
        }
        out
    }

    /// `meshservice_controller.go` for one Service: its MeshServices, or why none
    /// (`Err(None)`: Kuma makes none, nothing to say).
    fn mesh_services(
        &self,
        svc: &'o KubeObject,
        pods: &[&Pod<'o>],
    ) -> Result<Vec<Resource>, Option<Finding>> {
        let injected = self
            .namespace_labels(&svc.namespace)
            .is_some_and(|l| matches!(flag(l, SIDECAR_INJECTION, true), Ok(Some(true))));
        if !svc.labels.contains_key(keys::MESH) && !injected {
            return Err(None);
        }
        let mesh = self.mesh_of(&svc.labels, &svc.annotations, &svc.namespace);
        match self.meshes.get(mesh.as_str()) {
            None | Some(MeshServicesMode::Disabled) => return Err(None),
            Some(_) => {}
        }
        if matches!(flag(&svc.annotations, IGNORE, false), Ok(Some(true)))
            || svc.annotations.contains_key(GATEWAY)
            || svc.labels.contains_key(ZONE_PROXY_TYPE)
            || svc.spec.get("type").and_then(Value::as_str) == Some("ExternalName")
        {
            return Err(None);
        }
        let sel = selector(svc);
        // `pods` are those of the Service's namespace.
        let selected: Vec<&Pod> = pods
            .iter()
            .copied()
            .filter(|p| selects(&sel, &p.labels))
            .collect();
        // A Service in front of gateway Pods gets none.
        if selected.first().is_some_and(|p| p.gateway) {
            return Err(None);
        }
        if self
            .existing_services
            .contains(&(svc.namespace.as_str(), svc.name.as_str()))
        {
            return Err(Some(finding(
                Code::ExportedResourceUsed,
                svc,
                ResourceKind::MeshService,
                format!(
                    "{}: the input holds its MeshService (the control plane's own); nothing derived",
                    svc.describe()
                ),
            )));
        }
        let mut ports = Vec::new();
        for sp in svc
            .spec
            .get("ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if sp.get("protocol").and_then(Value::as_str).unwrap_or("TCP") != "TCP" {
                continue;
            }
            let Some(p) = port(sp.get("port")) else {
                continue;
            };
            ports.push(ServicePort {
                name: Some(
                    sp.get("name")
                        .and_then(Value::as_str)
                        .filter(|n| !n.is_empty())
                        .map_or_else(|| p.to_string(), String::from),
                ),
                port: p,
                // The API server defaults targetPort to the port.
                target_port: Some(sp.get("targetPort").cloned().unwrap_or(Value::from(p))),
                app_protocol: Some(
                    sp.get("appProtocol")
                        .and_then(Value::as_str)
                        .unwrap_or("tcp")
                        .to_string(),
                ),
            });
        }
        let mut labels: Tags = svc
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        labels.insert(keys::MESH.into(), mesh.clone());
        labels.insert(SERVICE_NAME.into(), svc.name.clone());
        labels.insert("kuma.io/managed-by".into(), "k8s-controller".into());
        labels.insert("kuma.io/env".into(), "kubernetes".into());
        let make = |name: String, labels: Tags, selector: Value, vips: Vec<String>, placeholder| {
            Resource {
                meta: Meta {
                    kind: ResourceKind::MeshService,
                    name,
                    namespace: Some(svc.namespace.clone()),
                    mesh: mesh.clone(),
                    labels,
                    format: Format::Kubernetes,
                    origin: origin_of(svc, placeholder),
                    created: None,
                },
                body: Body::MeshService(MeshServiceSpec {
                    selector: Some(selector),
                    ports: ports.clone(),
                    vips,
                }),
            }
        };
        let cluster_ip = svc.spec.get("clusterIP").and_then(Value::as_str);
        if cluster_ip != Some("None") {
            let mut l = labels;
            l.insert(HEADLESS.into(), "false".into());
            let mut tags: serde_json::Map<String, Value> = sel
                .iter()
                .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                .collect();
            tags.insert(
                keys::K8S_NAMESPACE.into(),
                Value::from(svc.namespace.as_str()),
            );
            let vips = cluster_ip
                .filter(|ip| !ip.is_empty())
                .map(|ip| vec![ip.to_string()])
                .unwrap_or_default();
            return Ok(vec![make(
                svc.name.clone(),
                l,
                serde_json::json!({ "dataplaneTags": tags }),
                vips,
                false,
            )]);
        }
        // Headless: one MeshService per Pod behind it.
        Ok(selected
            .iter()
            .map(|p| {
                let mut l = labels.clone();
                l.insert(HEADLESS.into(), "true".into());
                make(
                    headless_name(p.name, &svc.name, &svc.namespace),
                    l,
                    serde_json::json!({ "dataplaneRef": { "name": format!("{}.{}", p.name, p.namespace) } }),
                    p.pod_ip.iter().cloned().collect(),
                    p.pod_ip.is_none(),
                )
            })
            .collect())
    }
}

/// `spec.selector` of a Service.
fn selector(svc: &KubeObject) -> StrMap {
    str_map(svc.spec.get("selector"))
}

/// `util_k8s.FindPort`: the container port a Service port targets.
fn find_port(pod: &Pod, sp: &Value, svc_port: u32) -> Option<u32> {
    let protocol = sp
        .get("protocol")
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty())
        .unwrap_or("TCP");
    match sp.get("targetPort") {
        Some(Value::String(name)) => pod
            .ports
            .iter()
            .find(|(n, _, p)| n == name && p == protocol)
            .map(|(_, n, _)| *n),
        // By number the port is used even when no container declares it.
        Some(v) => port(Some(v)),
        None => Some(svc_port),
    }
}

/// `ProtocolTagFor`: a supported `appProtocol`, else the
/// `<port>.service.kuma.io/protocol` annotation, else `tcp`; lower case.
fn protocol_tag(svc: &KubeObject, sp: &Value, svc_port: u32) -> String {
    const KNOWN: [&str; 7] = ["http", "http2", "tcp", "tls", "grpc", "kafka", "mysql"];
    let app = sp
        .get("appProtocol")
        .and_then(Value::as_str)
        .filter(|p| KNOWN.contains(&p.to_ascii_lowercase().as_str()))
        .map(String::from);
    let v = app
        .filter(|p| !p.is_empty())
        .or_else(|| {
            svc.annotations
                .get(&format!("{svc_port}.service.kuma.io/protocol"))
                .cloned()
        })
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "tcp".into());
    v.to_ascii_lowercase()
}

/// The name of the MeshService of one Pod behind a headless Service: the Pod's name
/// and a hash of the Service's identity (FNV-1a, written as Kubernetes writes Pod
/// template hashes), the name cut so that the whole fits 63 characters.
pub fn headless_name(pod: &str, svc: &str, namespace: &str) -> String {
    const MAX_HASH: usize = 10;
    let mut h = Fnv1a::new();
    h.write(svc.as_bytes());
    h.write(namespace.as_bytes());
    let mut prefix = pod;
    if pod.len() + MAX_HASH + 1 > 63 {
        h.write(pod.as_bytes());
        // Kubernetes names are ASCII; a name that is not is cut at a character.
        let mut cut = 63 - MAX_HASH - 1;
        while !pod.is_char_boundary(cut) {
            cut -= 1;
        }
        prefix = &pod[..cut];
    }
    format!("{prefix}-{}", safe_encode(&h.0.to_string()))
}

struct Fnv1a(u32);

impl Fnv1a {
    fn new() -> Fnv1a {
        Fnv1a(0x811c_9dc5)
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u32::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0193);
        }
    }
}

/// Kubernetes' `rand.SafeEncodeString`: each character mapped to an alphabet without
/// vowels or look-alike digits.
fn safe_encode(s: &str) -> String {
    const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    s.chars()
        .map(|c| ALPHANUMS[(c as usize) % ALPHANUMS.len()] as char)
        .collect()
}

#[cfg(test)]
mod tests;
