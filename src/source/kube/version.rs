//! Which Kuma version a cluster runs: the control-plane image tag in `kuma-system`,
//! else a guess from the CRDs the cluster serves, else the newest modelled version.

use super::{Cluster, Failure, Group, KubeError};
use crate::model::SYSTEM_NAMESPACE;
use crate::resolve::KumaVersion;
use ::kube::api::{Api, ListParams};
use k8s_openapi::api::apps::v1::Deployment;
use std::collections::BTreeSet;

/// What one context told about its version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    pub context: String,
    pub version: KumaVersion,
    /// How it was known, in a phrase (`control-plane image kumahq/kuma-cp:2.9.3 …`).
    pub how: String,
    /// True when read from the control plane itself (not guessed).
    pub exact: bool,
}

/// The tag of a `kuma-cp` image: `kumahq/kuma-cp:2.9.3` → `2.9.3`.
pub fn cp_image_tag(image: &str) -> Option<&str> {
    let no_digest = image.split('@').next().unwrap_or(image);
    let (repo, tag) = no_digest.rsplit_once(':')?;
    if tag.contains('/') {
        return None; // a registry port, no tag
    }
    let last = repo.rsplit('/').next().unwrap_or(repo);
    last.starts_with("kuma-cp").then_some(tag)
}

/// The version a control-plane image runs, when its tag names one meshtcp models
/// (a newer 2.x is capped at the newest, with the reason).
pub fn version_of_image(image: &str) -> Option<(KumaVersion, String)> {
    let tag = cp_image_tag(image)?;
    if let Ok(v) = tag.parse::<KumaVersion>() {
        return Some((v, format!("control-plane image {image}")));
    }
    let t = tag.trim_start_matches('v');
    let mut parts = t.split(['.', '-']);
    let major: u32 = parts.next()?.parse().ok()?;
    let minor: u32 = parts.next()?.parse().ok()?;
    if (major, minor) > (KumaVersion::NEWEST.major, KumaVersion::NEWEST.minor) {
        return Some((
            KumaVersion::NEWEST,
            format!(
                "control-plane image {image} is newer than meshtcp models; using {}",
                KumaVersion::NEWEST
            ),
        ));
    }
    None
}

/// The newest version whose CRD set matches the plurals served (Kuma's chart adds CRDs
/// in 2.6, 2.7, 2.8, 2.9, 2.12, 2.13 and 2.14 and never removes one).
pub fn guess_from_crds(plurals: &BTreeSet<String>) -> Option<(KumaVersion, String)> {
    let has = |p: &str| plurals.contains(p);
    let any = |ps: &[&str]| ps.iter().any(|p| has(p));
    let (v, why) = if any(&["meshopentelemetrybackends", "meshzoneaddresses"]) {
        ((2, 14), "meshopentelemetrybackends present: 2.14 or newer")
    } else if has("workloads") {
        ((2, 13), "workloads present: 2.13")
    } else if any(&["meshidentities", "meshtrusts"]) {
        ((2, 12), "meshidentities present: 2.12")
    } else if any(&["meshmultizoneservices", "meshtlses"]) {
        (
            (2, 11),
            "meshmultizoneservices present, meshidentities absent: 2.9 to 2.11, taking 2.11",
        )
    } else if any(&[
        "meshexternalservices",
        "hostnamegenerators",
        "meshpassthroughs",
    ]) {
        ((2, 8), "meshexternalservices present: 2.8")
    } else if has("meshservices") {
        ((2, 7), "meshservices present: 2.7")
    } else if has("meshmetrics") {
        ((2, 6), "meshmetrics present: 2.6")
    } else if has("meshtcproutes") {
        (
            (2, 5),
            "meshtcproutes present, meshmetrics absent: 2.3 to 2.5, taking 2.5",
        )
    } else {
        return None;
    };
    Some((
        KumaVersion::new(v.0, v.1),
        format!("guessed from CRDs ({why})"),
    ))
}

/// Read the version of one cluster. Fatal only for 401, timeouts and lost connections.
pub async fn detect(c: &Cluster, group: Option<&Group>) -> Result<Detected, KubeError> {
    let mut why_not = String::new();
    let api: Api<Deployment> = Api::namespaced(c.client.clone(), SYSTEM_NAMESPACE);
    match c.bounded(api.list(&ListParams::default())).await {
        Ok(list) => {
            let cps = list.items.iter().filter(|d| {
                d.metadata.name.as_deref() == Some("kuma-control-plane")
                    || d.metadata
                        .labels
                        .as_ref()
                        .and_then(|l| l.get("app"))
                        .is_some_and(|a| a == "kuma-control-plane")
            });
            for d in cps {
                let images = d
                    .spec
                    .as_ref()
                    .and_then(|s| s.template.spec.as_ref())
                    .map(|p| {
                        p.containers
                            .iter()
                            .filter_map(|c| c.image.clone())
                            .collect()
                    })
                    .unwrap_or_else(Vec::new);
                for img in images {
                    if let Some((version, how)) = version_of_image(&img) {
                        return Ok(Detected {
                            context: c.context.clone(),
                            version,
                            how: format!(
                                "{how} (deployment {SYSTEM_NAMESPACE}/{})",
                                d.metadata.name.as_deref().unwrap_or("?")
                            ),
                            exact: true,
                        });
                    }
                    why_not = format!("the control-plane image {img} names no version; ");
                }
            }
            if why_not.is_empty() {
                why_not = format!("no kuma-control-plane deployment in {SYSTEM_NAMESPACE}; ");
            }
        }
        Err(f) => {
            if let Some(e) = c.fatal(&f, "list deployments") {
                return Err(e);
            }
            why_not = match f {
                Failure::Forbidden(_) => {
                    format!("RBAC forbids listing deployments in {SYSTEM_NAMESPACE}; ")
                }
                other => format!(
                    "cannot list deployments in {SYSTEM_NAMESPACE} ({}); ",
                    super::failure_text(&other)
                ),
            };
        }
    }
    let plurals: BTreeSet<String> = group
        .map(|g| g.iter().map(|(ar, _)| ar.plural.clone()).collect())
        .unwrap_or_default();
    if let Some((version, how)) = guess_from_crds(&plurals) {
        return Ok(Detected {
            context: c.context.clone(),
            version,
            how: format!("{why_not}{how}"),
            exact: false,
        });
    }
    Ok(Detected {
        context: c.context.clone(),
        version: KumaVersion::DEFAULT,
        how: format!(
            "{why_not}no Kuma CRDs either; using the default, {}",
            KumaVersion::DEFAULT
        ),
        exact: false,
    })
}

/// The version to resolve under and a sentence saying which and how it was known.
pub fn choose(given: Option<KumaVersion>, detected: &[Detected]) -> (KumaVersion, String) {
    if let Some(v) = given {
        return (v, format!("Kuma {v} (from --kuma-version)"));
    }
    let Some(first) = detected.iter().find(|d| d.exact).or(detected.first()) else {
        let v = KumaVersion::DEFAULT;
        return (v, format!("Kuma {v} (the default)"));
    };
    let mut s = format!(
        "Kuma {} (context `{}`: {})",
        first.version, first.context, first.how
    );
    for d in detected {
        if d.version != first.version {
            s.push_str(&format!(
                "; context `{}` looks like {} ({})",
                d.context, d.version, d.how
            ));
        }
    }
    (first.version, s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_tags() {
        assert_eq!(cp_image_tag("kumahq/kuma-cp:2.9.3"), Some("2.9.3"));
        assert_eq!(
            cp_image_tag("docker.io/kumahq/kuma-cp:2.10.1@sha256:abc"),
            Some("2.10.1")
        );
        assert_eq!(cp_image_tag("localhost:5000/kuma-cp"), None);
        assert_eq!(cp_image_tag("kumahq/kuma-dp:2.9.3"), None);
        assert_eq!(
            version_of_image("kumahq/kuma-cp:2.9.3").unwrap().0,
            KumaVersion::new(2, 9)
        );
        assert_eq!(
            version_of_image("kumahq/kuma-cp:2.16.0").unwrap().0,
            KumaVersion::NEWEST
        );
        assert!(version_of_image("kumahq/kuma-cp:latest").is_none());
    }

    #[test]
    fn crd_guesses() {
        let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        let g = |v: &[&str]| guess_from_crds(&set(v)).map(|x| x.0.to_string());
        assert_eq!(g(&["meshtcproutes"]).as_deref(), Some("2.5"));
        assert_eq!(
            g(&["meshtcproutes", "meshservices", "meshmultizoneservices"]).as_deref(),
            Some("2.11")
        );
        assert_eq!(g(&["workloads", "meshidentities"]).as_deref(), Some("2.13"));
        assert_eq!(g(&[]), None);
    }
}
