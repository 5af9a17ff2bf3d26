//! The Policies and Findings views.

use super::*;

#[test]
fn views_switch_and_findings_jump_to_the_node() {
    let mut a = app();
    key(&mut a, KeyCode::Tab);
    assert_eq!(a.view, View::Policies);
    key(&mut a, KeyCode::Tab);
    assert_eq!(a.view, View::Findings);
    key(&mut a, KeyCode::BackTab);
    assert_eq!(a.view, View::Policies);
    key(&mut a, KeyCode::Char('3'));
    assert_eq!(a.view, View::Findings);
    move_to_finding(&mut a, "tcproute-ignored-by-httproute");
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.view, View::Tree);
    assert_eq!(sel_name(&a), "web-1 → api:10003");
}

#[test]
fn policies_view_lists_every_route_policy_with_status() {
    let a = app();
    let m = a.model.as_ref().unwrap();
    let p = m
        .policies
        .iter()
        .find(|p| p.name == "api-tcp-shortcut")
        .unwrap();
    assert!(p.uses.iter().all(|u| u.2 == Status::Ignored));
    assert_eq!(p.uses.len(), 2);
    let tr = m
        .policies
        .iter()
        .find(|p| p.kind == "TrafficRoute")
        .unwrap();
    assert!(tr.count(Status::Overridden) > 0);
}

#[test]
fn policies_view_lists_route_policies_that_act_on_no_outbound() {
    let dir = fixture_copy(&std::fs::read_to_string(IDLE_POLICIES).unwrap());
    let mut a = app_on(dir.path());
    let m = a.model.as_ref().unwrap();
    let entry = |name: &str| {
        m.policies
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("{name} is not listed"))
    };
    let typo = entry("typo-route");
    assert!(typo.uses.is_empty(), "{typo:?}");
    assert_eq!(
        typo.selects as usize,
        m.report
            .proxies
            .iter()
            .filter(|p| p.mesh == "default")
            .count(),
        "a Mesh targetRef selects every proxy of the mesh"
    );
    assert!(!typo.refused);
    assert!(
        typo.location
            .as_ref()
            .is_some_and(|l| l.file.ends_with("zz-extra.yaml") && l.line == 4),
        "found in the input (its `type:` line, below the comment): {:?}",
        typo.location
    );
    let lonely = entry("lonely");
    assert_eq!((lonely.selects, lonely.uses.len()), (0, 0));
    let refused = entry("refused-route");
    assert!(refused.refused, "{refused:?}");
    assert!(
        refused
            .findings
            .iter()
            .any(|&f| m.report.findings[f as usize].code.as_str() == "invalid-resource"),
        "its finding is its own"
    );
    assert!(
        refused.location.is_some(),
        "its file comes from its finding"
    );
    assert_eq!(refused.severities, [1, 0, 0], "one error");

    // :policy finds each, and the row says why it acts on nothing, in words.
    for (name, says) in [
        ("typo-route", "○ routes nothing on 9 proxies"),
        ("lonely", "∅ selects no proxy"),
        ("refused-route", "✖ refused"),
    ] {
        typed(&mut a, &format!(":policy {name}"));
        key(&mut a, KeyCode::Enter);
        assert_eq!(a.view, View::Policies);
        let row = a.selected_policy_row().unwrap();
        let m = a.model.as_ref().unwrap();
        assert_eq!(m.policies[row.policy()].name, name);
        assert!(matches!(row, PRow::Policy(_)), "{row:?}");
        let s = screen(&a);
        let line = s
            .lines()
            .find(|l| l.contains(&format!("MeshTCPRoute  {name}")))
            .unwrap_or_else(|| panic!("{s}"));
        assert!(line.contains(says), "{line}");
    }
    // The refused policy's finding is a row under it; Enter on it shows it in the
    // Findings view.
    key(&mut a, KeyCode::Char('j'));
    let Some(PRow::Finding(p, g)) = a.selected_policy_row() else {
        panic!("{:?}", a.selected_policy_row())
    };
    let m = a.model.as_ref().unwrap();
    let fi = m.policies[p].groups[g].0 as usize;
    assert_eq!(m.report.findings[fi].code.as_str(), "invalid-resource");
    let s = screen(&a);
    assert!(
        s.lines()
            .any(|l| l.contains("> ") && l.contains("✖ error invalid-resource")),
        "{s}"
    );
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.view, View::Findings);
    assert_eq!(a.selected_finding(), Some(fi));
}

#[test]
fn findings_list_shows_each_findings_file_and_line() {
    let mut a = app();
    key(&mut a, KeyCode::Char('3'));
    let s = screen(&a);
    let m = a.model.as_ref().unwrap();
    let f = &m.report.findings[a.lists.findings.rows[0].finding()];
    let loc = f.location.as_ref().unwrap();
    let name = loc.file.rsplit('/').next().unwrap();
    let row = s.lines().find(|l| l.contains("> ")).unwrap();
    assert!(
        row.contains(&format!("{name}:{}", loc.line)),
        "the selected finding's row names its file: {row}"
    );
    // Every row of the list has a file:line (the fixture's findings all have one).
    let rows = s
        .lines()
        .filter(|l| l.contains("▲ warning") && l.starts_with('│'))
        .count();
    let with_file = s
        .lines()
        .filter(|l| l.contains("▲ warning") && l.contains(".yaml:"))
        .count();
    assert!(rows > 0);
    assert_eq!(rows, with_file, "{s}");
}

#[test]
fn short_location_keeps_the_line_and_drops_leading_directories() {
    use crate::tui::render::short_location;
    let loc = Location {
        file: "deploy/kuma/policies/routes.yaml".into(),
        line: 129,
    };
    assert_eq!(
        short_location(&loc, 0, 80),
        "deploy/kuma/policies/routes.yaml:129"
    );
    assert_eq!(
        short_location(&loc, "deploy/kuma/".len(), 80),
        "policies/routes.yaml:129",
        "the directory every finding shares goes first"
    );
    assert_eq!(short_location(&loc, 0, 26), "…/policies/routes.yaml:129");
    assert_eq!(short_location(&loc, 0, 17), "…/routes.yaml:129");
    assert_eq!(short_location(&loc, 0, 16), "…routes.yaml:129");
    assert_eq!(short_location(&loc, 0, 12), "…es.yaml:129");
    assert_eq!(
        short_location(&loc, 0, 2),
        "…l:129",
        "the line always stays"
    );
    for max in 6..40 {
        let s = short_location(&loc, 0, max);
        assert!(s.chars().count() <= max, "{max}: {s}");
        assert!(s.ends_with(":129"), "{max}: {s}");
    }
}

#[test]
fn a_grouped_finding_opens_to_its_proxies_and_enter_goes_to_each() {
    let mut a = app();
    key(&mut a, KeyCode::Char('3'));
    move_to_finding(&mut a, "tcproute-ignored-by-httproute");
    let fi = a.selected_finding().unwrap();
    // Closed: one row, a count of the proxies it concerns.
    let s = screen(&a);
    let line = s
        .lines()
        .find(|l| l.contains("tcproute-ignored-by-httproute"))
        .unwrap();
    assert!(line.contains("▸") && line.contains("[2 proxies]"), "{line}");
    assert!(!s.contains("└ web-2"), "{s}");
    // → opens it: a row per proxy with the outbounds it concerns.
    key(&mut a, KeyCode::Right);
    assert_eq!(a.selected_finding_row(), Some(FRow::Finding(fi)));
    let s = screen(&a);
    assert!(s.contains("▾"), "{s}");
    assert!(s.contains("└ web-1 → api:10003"), "{s}");
    assert!(s.contains("└ web-2 → api:10003"), "{s}");
    // → again steps onto the proxies; the detail names the proxy and its outbounds.
    key(&mut a, KeyCode::Right);
    key(&mut a, KeyCode::Char('j'));
    assert_eq!(a.selected_finding_row(), Some(FRow::Proxy(fi, 1)));
    let s = screen(&a);
    assert!(s.contains("Proxy web-2"), "{s}");
    // Enter goes to that proxy's outbound, not the first proxy's.
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.view, View::Tree);
    assert_eq!(sel_name(&a), "web-2 → api:10003");
    // Back in the Findings view, ← on a proxy row closes the finding and selects it.
    key(&mut a, KeyCode::Char('3'));
    assert_eq!(a.selected_finding_row(), Some(FRow::Proxy(fi, 1)));
    key(&mut a, KeyCode::Left);
    assert_eq!(a.selected_finding_row(), Some(FRow::Finding(fi)));
    assert!(!screen(&a).contains("└ web-2"));
    // Space toggles.
    key(&mut a, KeyCode::Char(' '));
    assert!(screen(&a).contains("└ web-2"));
    key(&mut a, KeyCode::Char(' '));
    assert!(!screen(&a).contains("└ web-2"));
}

#[test]
fn a_finding_about_a_resource_alone_has_no_proxies_to_open() {
    let mut a = app();
    key(&mut a, KeyCode::Char('3'));
    move_to_finding(&mut a, "backend-not-found");
    let before = a.lists.findings.rows.len();
    key(&mut a, KeyCode::Right);
    assert_eq!(a.lists.findings.rows.len(), before);
    assert!(
        a.status
            .message
            .as_ref()
            .is_some_and(|m| m.text.contains("no proxies")),
        "{:?}",
        a.status.message
    );
}

#[test]
fn a_proxys_badge_counts_the_grouped_findings_that_concern_it() {
    let a = app();
    let m = a.model.as_ref().unwrap();
    let web1 = m.find_proxy("web-1").unwrap();
    // Four findings concern web-1 (three shared with web-2, one its own); the legacy
    // finding about web-2 alone does not count on web-1.
    let concern = m
        .report
        .findings
        .iter()
        .filter(|f| f.proxies.iter().any(|h| &*h.proxy.name == "web-1"))
        .count();
    assert_eq!(concern, 4);
    assert_eq!(m.proxy_counts[web1 as usize], (0, 4, 0));
    let s = screen(&a);
    let row = s.lines().find(|l| l.contains("web-1")).unwrap();
    assert!(row.contains("▲ 4 warnings"), "{row}");
}
