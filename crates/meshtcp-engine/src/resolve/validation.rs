//! §9: what the chosen version's control plane would refuse (`invalid-resource`,
//! `targetref-kind-unsupported`) and what it accepts although its docs no longer list
//! it (`targetref-deprecated`). A refused policy is left out of resolution.

use super::selection::{Role, policy_role};
use super::version::{Bucket, Feature, KumaVersion};
use crate::model::TargetKind;
use crate::model::{Code, Finding, Format, Meta, ResourceKind, RouteSpec, TargetRef};

/// Where a targetRef stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    Top,
    /// `to[].targetRef`; carries the top-level kind.
    To,
    BackendRef,
}

impl Position {
    fn path(self) -> &'static str {
        match self {
            Position::Top => "spec.targetRef",
            Position::To => "to[].targetRef",
            Position::BackendRef => "backendRefs[]",
        }
    }
}

/// Kinds the control plane accepts at `pos` (the code rows of the matrix). Checked for
/// every targetRef of every route policy: static lists, not built per call.
pub fn code_kinds(pos: Position, top_kind: &str, v: KumaVersion) -> &'static [&'static str] {
    let gateway = v.has(Feature::MeshGatewayTarget);
    let (mes, mzs) = (
        v.has(Feature::MeshExternalService),
        v.has(Feature::MeshMultiZoneService),
    );
    match pos {
        Position::Top => match (gateway, v.has(Feature::DataplaneTarget)) {
            (false, false) => &["Mesh", "MeshSubset", "MeshService", "MeshServiceSubset"],
            (true, false) => &[
                "Mesh",
                "MeshSubset",
                "MeshService",
                "MeshServiceSubset",
                "MeshGateway",
            ],
            (false, true) => &[
                "Mesh",
                "MeshSubset",
                "MeshService",
                "MeshServiceSubset",
                "Dataplane",
            ],
            (true, true) => &[
                "Mesh",
                "MeshSubset",
                "MeshService",
                "MeshServiceSubset",
                "MeshGateway",
                "Dataplane",
            ],
        },
        Position::To if top_kind == "MeshGateway" => &["Mesh"],
        Position::To => match (mes, mzs) {
            (false, false) => &["MeshService"],
            (true, false) => &["MeshService", "MeshExternalService"],
            (false, true) => &["MeshService", "MeshMultiZoneService"],
            (true, true) => &["MeshService", "MeshExternalService", "MeshMultiZoneService"],
        },
        Position::BackendRef => match (mes, mzs) {
            (false, false) => &["MeshService", "MeshServiceSubset"],
            (true, false) => &["MeshService", "MeshServiceSubset", "MeshExternalService"],
            (false, true) => &["MeshService", "MeshServiceSubset", "MeshMultiZoneService"],
            (true, true) => &[
                "MeshService",
                "MeshServiceSubset",
                "MeshExternalService",
                "MeshMultiZoneService",
            ],
        },
    }
}

/// Kinds the docs page lists at `pos` (sidecar ∪ delegated ∪ builtin gateway tabs).
fn docs_kinds(pos: Position, top_kind: &str, v: KumaVersion) -> &'static [&'static str] {
    match (pos, v.bucket()) {
        (Position::Top, Bucket::A) => &["Mesh", "MeshSubset", "MeshService", "MeshServiceSubset"],
        (Position::Top, Bucket::B) => &[
            "Mesh",
            "MeshSubset",
            "MeshService",
            "MeshServiceSubset",
            "MeshGateway",
        ],
        (Position::Top, Bucket::C) => &["Mesh", "MeshSubset", "MeshGateway"],
        // MeshSubset is listed as "(deprecated)" from 2.10.
        (Position::Top, Bucket::D) => &["Mesh", "Dataplane", "MeshGateway"],
        (Position::To, _) if top_kind == "MeshGateway" => &["Mesh"],
        (Position::To, _) => &["MeshService"],
        (Position::BackendRef, _) => code_kinds(pos, top_kind, v),
    }
}

/// The release lines whose control plane accepts `kind` at `pos`, as `2.6–2.14`.
fn accepted_range(pos: Position, top_kind: &str, kind: &str) -> Option<String> {
    let vs: Vec<KumaVersion> = KumaVersion::all()
        .filter(|v| code_kinds(pos, top_kind, *v).contains(&kind))
        .collect();
    match (vs.first(), vs.last()) {
        (Some(a), Some(b)) if a == b => Some(a.to_string()),
        (Some(a), Some(b)) => Some(format!("{a}–{b}")),
        _ => None,
    }
}

fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.' | '_'))
}

/// Field rules of one targetRef (§9.2 items 2–7).
fn field_errors(t: &TargetRef, pos: Position, v: KumaVersion) -> Vec<String> {
    let mut e = Vec::new();
    let p = pos.path();
    let set = |name: &str, is: bool, e: &mut Vec<String>| {
        if is {
            e.push(format!(
                "{p}: `{name}` is not allowed with kind {}",
                t.kind_name()
            ));
        }
    };
    let bad_tags = t
        .tags
        .as_ref()
        .is_some_and(|tags| tags.iter().any(|(k, v)| k.is_empty() || v.is_empty()));
    match t.kind() {
        TargetKind::Mesh => {
            if t.name.is_some() {
                e.push(format!("{p}: using name with kind Mesh is not supported"));
            }
            set("mesh", t.mesh.is_some(), &mut e);
            set("tags", t.tags.is_some(), &mut e);
            set("labels", t.labels.is_some(), &mut e);
            set("namespace", t.namespace.is_some(), &mut e);
            set("sectionName", t.section_name.is_some(), &mut e);
            if t.proxy_types.as_ref().is_some_and(|p| p.is_empty()) {
                e.push(format!("{p}: proxyTypes must be undefined or non-empty"));
            }
        }
        TargetKind::MeshSubset => {
            set("name", t.name.is_some(), &mut e);
            set("mesh", t.mesh.is_some(), &mut e);
            set("labels", t.labels.is_some(), &mut e);
            set("namespace", t.namespace.is_some(), &mut e);
            set("sectionName", t.section_name.is_some(), &mut e);
            if bad_tags {
                e.push(format!("{p}: tags must have non-empty keys and values"));
            }
        }
        TargetKind::MeshService => {
            if let Some(n) = &t.name
                && !valid_name(n)
            {
                e.push(format!(
                    "{p}: name `{n}` has invalid characters (lowercase letters, digits, '-', '.', '_')"
                ));
            }
            set("mesh", t.mesh.is_some(), &mut e);
            set("tags", t.tags.is_some(), &mut e);
            set("proxyTypes", t.proxy_types.is_some(), &mut e);
            if v.bucket() <= Bucket::B && t.name.is_none() {
                e.push(format!("{p}: name must be set"));
            } else if t.name.is_none() && t.labels.is_none() {
                e.push(format!("{p}: one of name or labels must be set"));
            }
            if t.labels.is_some() && (t.name.is_some() || t.namespace.is_some()) {
                e.push(format!(
                    "{p}: labels cannot be combined with name or namespace"
                ));
            }
            if v.bucket() == Bucket::C && t.labels.is_some() && t.section_name.is_some() {
                e.push(format!(
                    "{p}: labels cannot be combined with sectionName in 2.9"
                ));
            }
        }
        TargetKind::MeshServiceSubset | TargetKind::MeshGateway => {
            if t.name.is_none() {
                e.push(format!("{p}: name must be set"));
            }
            if bad_tags {
                e.push(format!("{p}: tags must have non-empty keys and values"));
            }
            set("mesh", t.mesh.is_some(), &mut e);
            set("proxyTypes", t.proxy_types.is_some(), &mut e);
            set("labels", t.labels.is_some(), &mut e);
            set("namespace", t.namespace.is_some(), &mut e);
            set("sectionName", t.section_name.is_some(), &mut e);
            if t.kind() == TargetKind::MeshGateway
                && t.tags.is_some()
                && (pos != Position::Top || !v.has(Feature::GatewayTagsAtTop))
            {
                e.push(format!(
                    "{p}: MeshGateway listener tags are only allowed at the top level from 2.7"
                ));
            }
        }
        TargetKind::Dataplane => {
            set("tags", t.tags.is_some(), &mut e);
            set("mesh", t.mesh.is_some(), &mut e);
            set("proxyTypes", t.proxy_types.is_some(), &mut e);
            if t.labels.is_some() && (t.name.is_some() || t.namespace.is_some()) {
                e.push(format!(
                    "{p}: labels cannot be combined with name or namespace"
                ));
            }
            if t.section_name.is_some() {
                e.push(format!(
                    "{p}: sectionName can only be used with inbound policies"
                ));
            }
        }
        TargetKind::MeshExternalService | TargetKind::MeshMultiZoneService => {
            if t.name.is_none() && t.labels.is_none() {
                e.push(format!("{p}: one of name or labels must be set"));
            }
            if t.labels.is_some() && t.name.is_some() {
                e.push(format!("{p}: labels cannot be combined with name"));
            }
            if t.kind() == TargetKind::MeshExternalService && pos != Position::BackendRef {
                set("sectionName", t.section_name.is_some(), &mut e);
            }
            set("tags", t.tags.is_some(), &mut e);
            set("mesh", t.mesh.is_some(), &mut e);
        }
        _ => {}
    }
    e
}

/// What validation decided for one route policy.
#[derive(Debug, Default)]
pub struct Validated {
    pub findings: Vec<Finding>,
    /// False when the control plane would refuse the resource.
    pub accepted: bool,
    pub role: Option<Role>,
}

struct Collector<'a> {
    meta: &'a Meta,
    out: Vec<Finding>,
    refused: bool,
}

impl Collector<'_> {
    fn invalid(&mut self, msg: String) {
        self.refused = true;
        self.out.push(Finding::about(
            Code::InvalidResource,
            self.meta,
            format!("{} {}: {msg}", self.meta.kind, self.meta.qualified_name()),
        ));
    }

    fn kind_check(&mut self, t: &TargetRef, pos: Position, top_kind: &str, v: KumaVersion) {
        let kind = t.kind_name();
        let mk = self.meta.kind;
        if kind.is_empty() {
            self.invalid(format!("{}.kind must be defined", pos.path()));
            return;
        }
        if !code_kinds(pos, top_kind, v).contains(&kind) {
            self.refused = true;
            let when = match accepted_range(pos, top_kind, kind) {
                Some(r) => format!("; it is accepted there in Kuma {r}"),
                None if pos == Position::To && top_kind == "MeshGateway" => {
                    "; under a MeshGateway top-level targetRef, to[].targetRef.kind must be Mesh"
                        .into()
                }
                None => String::new(),
            };
            let what = self.meta.qualified_name();
            self.out.push(Finding::about(
                Code::TargetrefKindUnsupported,
                self.meta,
                format!(
                    "{mk} {what}: {} kind `{kind}` is not supported by Kuma {v}{when}. The control plane rejects this policy",
                    pos.path()
                ),
            ));
            return;
        }
        if pos != Position::BackendRef && !docs_kinds(pos, top_kind, v).contains(&kind) {
            let what = self.meta.qualified_name();
            // Only kinds Kuma really deprecates are `targetref-deprecated`; a newer kind
            // the docs table has not caught up with (MeshExternalService and
            // MeshMultiZoneService in to[]) is accepted and here to stay.
            let deprecated = match (pos, t.kind()) {
                (Position::Top, TargetKind::MeshSubset) => {
                    Some("deprecated from Kuma 2.10 and removed in 3.0")
                }
                (Position::Top, TargetKind::MeshService | TargetKind::MeshServiceSubset) => {
                    Some("not in the documented matrix from Kuma 2.9 and removed in 3.0")
                }
                _ => None,
            };
            let finding = match deprecated {
                Some(why) => Finding::about(
                    Code::TargetrefDeprecated,
                    self.meta,
                    format!(
                        "{mk} {what}: {} kind `{kind}` is {why}; the Kuma {v} control plane still accepts it",
                        pos.path()
                    ),
                ),
                None => Finding::about(
                    Code::TargetrefUndocumented,
                    self.meta,
                    format!(
                        "{mk} {what}: {} kind `{kind}` is accepted by the Kuma {v} control plane but not \
                         listed in the documented targetRef matrix (newer than the docs table)",
                        pos.path()
                    ),
                ),
            };
            self.out.push(finding);
        }
        for e in field_errors(t, pos, v) {
            self.invalid(e);
        }
    }
}

/// Validate a MeshTCPRoute or MeshHTTPRoute for `v`.
pub fn validate_route(meta: &Meta, spec: &RouteSpec, v: KumaVersion) -> Validated {
    let is_tcp = meta.kind == ResourceKind::MeshTCPRoute;
    let mut c = Collector {
        meta,
        out: Vec::new(),
        refused: false,
    };
    let role = match policy_role(meta, spec, v) {
        Ok(r) => r,
        Err(e) => {
            if v.has(Feature::MixedRolesRefused) {
                c.invalid(e);
            }
            None
        }
    };
    let top = match &spec.target_ref {
        Some(t) => t.clone(),
        None if v.has(Feature::OptionalTopTargetRef) => TargetRef {
            kind: Some("Mesh".into()),
            ..Default::default()
        },
        None => {
            c.invalid(format!(
                "spec.targetRef must be defined (optional only from Kuma 2.9; this is {v})"
            ));
            TargetRef::default()
        }
    };
    if spec.target_ref.is_some() || v.has(Feature::OptionalTopTargetRef) {
        c.kind_check(&top, Position::Top, "", v);
    }
    if top.kind() == TargetKind::MeshGateway
        && v.has(Feature::PolicyRoles)
        && role.is_some_and(|r| r != Role::System)
    {
        c.invalid(
            "a top-level MeshGateway targetRef is only accepted for system policies \
             (Universal, or the kuma-system namespace) from Kuma 2.8"
                .into(),
        );
    }
    let to = spec.to.as_deref().unwrap_or_default();
    if to.is_empty() {
        c.invalid("spec.to must have at least one item".into());
    }
    for (i, item) in to.iter().enumerate() {
        let Some(t) = &item.target_ref else {
            c.invalid(format!("spec.to[{i}].targetRef must be defined"));
            continue;
        };
        c.kind_check(t, Position::To, top.kind_name(), v);
        let rules = item.rules.as_deref();
        if is_tcp {
            match rules {
                // Kuma's validator accepts a to[] item without rules and implies one
                // (the destination itself, weight 1: `To.GetDefault`); only the
                // Kubernetes CRD schema requires the field from 2.10, so the API server
                // refuses such a document (`validator_test.go@v2.13.0`).
                None if v.bucket() == Bucket::D && meta.format == Format::Kubernetes => {
                    c.invalid(format!(
                        "spec.to[{i}].rules must be defined: the MeshTCPRoute CRD requires it from Kuma \
                         2.10 (on Universal the control plane implies a rule to the destination itself)"
                    ))
                }
                Some(r) if r.len() > 1 => {
                    c.invalid(format!("spec.to[{i}].rules must have at most 1 item"))
                }
                _ => {}
            }
        }
        for (j, rule) in rules.unwrap_or_default().iter().enumerate() {
            let refs = rule.default.as_ref().and_then(|d| d.backend_refs.as_ref());
            match refs {
                Some(list) if !list.is_empty() => {
                    for b in list {
                        let bt = b.as_target_ref();
                        c.kind_check(&bt, Position::BackendRef, top.kind_name(), v);
                        if b.kind() == TargetKind::MeshMultiZoneService && b.port.is_none() {
                            c.invalid(format!(
                                "spec.to[{i}].rules[{j}].default.backendRefs: MeshMultiZoneService needs a port"
                            ));
                        }
                    }
                }
                _ if is_tcp && v.bucket() == Bucket::D => c.invalid(format!(
                    "spec.to[{i}].rules[{j}].default.backendRefs must be defined and non-empty"
                )),
                _ if is_tcp => c.out.push(Finding::about(
                    Code::RuleWithoutBackends,
                    meta,
                    format!(
                        "{} {}: spec.to[{i}].rules[{j}] has no backendRefs; Kuma {v} then builds no \
                         listener for the outbounds it wins on",
                        meta.kind,
                        meta.qualified_name()
                    ),
                )),
                _ => {}
            }
        }
    }
    // Deterministic order, and no repeated messages.
    c.out
        .dedup_by(|a, b| a.code == b.code && a.message == b.message);
    Validated {
        findings: c.out,
        accepted: !c.refused,
        role,
    }
}
