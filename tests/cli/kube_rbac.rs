//! `assets/rbac.yaml` grants exactly what `--kube` uses: read-only verbs, every kind
//! meshtcp lists, and Deployments in kuma-system only.

use meshtcp::model::ResourceKind;
use serde_json::Value;
use std::collections::BTreeSet;

#[test]
fn rbac_is_read_only_and_covers_every_kind() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/rbac.yaml")).unwrap();
    let docs: Vec<Value> = serde_saphyr::from_multiple(&text).unwrap();
    let mut kuma = BTreeSet::new();
    for d in &docs {
        for r in d["rules"].as_array().into_iter().flatten() {
            for v in r["verbs"].as_array().unwrap() {
                assert!(
                    matches!(v.as_str(), Some("get" | "list" | "watch")),
                    "not read-only: {v}"
                );
            }
            let groups: Vec<&str> = r["apiGroups"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g.as_str().unwrap())
                .collect();
            let res: Vec<&str> = r["resources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g.as_str().unwrap())
                .collect();
            match groups.as_slice() {
                ["kuma.io"] => kuma.extend(res.into_iter().map(String::from)),
                ["apps"] => {
                    assert_eq!(res, vec!["deployments"]);
                    assert_eq!(d["kind"], "Role");
                    assert_eq!(d["metadata"]["namespace"], "kuma-system");
                }
                g => panic!("unexpected API groups {g:?}"),
            }
        }
    }
    let want: BTreeSet<String> = ResourceKind::ALL.iter().map(|k| k.plural()).collect();
    assert_eq!(kuma, want);
}
