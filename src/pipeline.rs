//! From loaded resources to what is shown: the engine resolves them, and the loader's
//! findings join the engine's. The one path every command, the TUI, the streaming JSON
//! writer and the fuzzers take, so that they all show the same findings.

use crate::model::Finding;
use crate::resolve::{Engine, Filter, Findings, KumaVersion, Report, Skeleton};
use crate::source::Loaded;

/// The engine's findings (in the lists it found them in) and the loader's, sorted and
/// their repeats merged.
pub fn merge_findings(mut engine: Vec<Vec<Finding>>, load: Vec<Finding>) -> Findings {
    engine.push(load);
    crate::resolve::merge(engine)
}

/// `r` with the loader's findings merged into its own.
fn with_load_findings(mut r: Report, load: Vec<Finding>) -> Report {
    let engine = std::mem::take(&mut r.findings);
    r.findings = merge_findings(vec![engine], load).into_vec();
    r
}

/// The report of the proxies `filter` keeps, with the loader's findings.
pub fn report(engine: &Engine, load: Vec<Finding>, filter: &Filter) -> Report {
    with_load_findings(engine.report(filter), load)
}

/// The findings only (no outbound reports), with the loader's: what `check` prints.
pub fn check(engine: &Engine, load: Vec<Finding>, filter: &Filter) -> Report {
    with_load_findings(engine.check(filter), load)
}

/// Every proxy without outbounds and without the engine's findings (see
/// [`Engine::proxies`]), with the loader's findings: shown while [`skeleton`] runs.
pub fn proxies(engine: &Engine, load: Vec<Finding>, filter: &Filter) -> Skeleton {
    let mut sk = engine.proxies(filter);
    sk.report = with_load_findings(sk.report, load);
    sk
}

/// Every proxy and finding without outbounds (see [`Engine::skeleton`]), with the
/// loader's findings.
pub fn skeleton(engine: &Engine, load: Vec<Finding>, filter: &Filter) -> Skeleton {
    let mut sk = engine.skeleton(filter);
    sk.report = with_load_findings(sk.report, load);
    sk
}

/// Everything loaded, resolved under `version` with the default engine options: the
/// report `meshtcp report` prints for it.
pub fn resolve(loaded: &Loaded, version: KumaVersion) -> Report {
    report(
        &Engine::new(&loaded.snapshot, version),
        loaded.findings.clone(),
        &Filter::default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Code;

    fn finding(file: &str, proxy: Option<&str>, outbound: Option<&str>) -> Finding {
        let mut f = Finding::new(Code::ParseError, "broken");
        f.location = Some(crate::model::Location {
            file: file.into(),
            line: 3,
        });
        if let Some(name) = proxy {
            f = f.with_proxy(std::sync::Arc::new(crate::model::ProxyRef {
                mesh: "default".into(),
                name: name.into(),
                namespace: None,
                context: None,
            }));
        }
        match outbound {
            Some(o) => f.on_outbound(o),
            None => f,
        }
    }

    #[test]
    fn load_and_engine_findings_are_sorted_and_merged_whichever_list_holds_them() {
        let load = vec![finding("b.yaml", None, None), finding("a.yaml", None, None)];
        let engine = vec![
            vec![finding("a.yaml", None, None)],
            vec![finding("c.yaml", Some("web"), Some("x"))],
            vec![finding("c.yaml", Some("web"), Some("y"))],
        ];
        let merged = merge_findings(engine, load).into_vec();
        let files: Vec<&str> = merged
            .iter()
            .map(|f| &*f.location.as_ref().unwrap().file)
            .collect();
        assert_eq!(files, ["a.yaml", "b.yaml", "c.yaml"]);
        let outbounds: Vec<&str> = merged[2].proxies[0]
            .outbounds
            .iter()
            .map(|o| &**o)
            .collect();
        assert_eq!(outbounds, ["x", "y"]);
    }
}
