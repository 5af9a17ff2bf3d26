//! Loads: reloads, broken files, applied changes and versions.

use super::*;

#[test]
fn reload_keeps_selection_and_expansion_and_marks_changes_for_a_while() {
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(FIXTURE).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
    }
    let t0 = Instant::now();
    let mut a = App::new("tmp", KumaVersion::DEFAULT, false);
    a.update(Action::Resize(120, 40));
    a.update(loaded_action(dir.path(), KumaVersion::DEFAULT, false, t0));
    typed(&mut a, ":proxy web-1");
    key(&mut a, KeyCode::Enter);
    key(&mut a, KeyCode::Char('l'));
    key(&mut a, KeyCode::Char('l'));
    let sel = sel_name(&a);
    let opened = a.tree.opened.len();
    assert_eq!(sel, "web-1 → backend:10001");

    let routes = dir.path().join("routes.yaml");
    let text = std::fs::read_to_string(&routes).unwrap();
    assert!(text.contains("weight: 90"));
    std::fs::write(&routes, text.replace("weight: 90", "weight: 70")).unwrap();
    a.update(loaded_action(dir.path(), KumaVersion::DEFAULT, true, t0));
    assert_eq!(sel_name(&a), sel, "selection kept");
    assert_eq!(a.tree.opened.len(), opened, "expansion kept");
    let (p, o) = match a.selected_node() {
        Some(Node::Outbound(p, o)) => (p, o),
        n => panic!("{n:?}"),
    };
    assert!(
        a.changes.nodes.contains(&Node::Outbound(p, o)),
        "the changed outbound is marked"
    );
    assert!(a.changes.nodes.contains(&Node::Proxy(p)));
    let api = a
        .model
        .as_ref()
        .unwrap()
        .proxy(p)
        .outbounds
        .iter()
        .position(|x| x.destination.name == "api")
        .unwrap();
    assert!(
        !a.changes.nodes.contains(&Node::Outbound(p, api as u32)),
        "unchanged outbounds are not marked"
    );
    a.update(Action::Tick(t0 + Duration::from_secs(1)));
    assert!(!a.changes.nodes.is_empty(), "marks stay for a few seconds");
    a.update(Action::Tick(t0 + Duration::from_secs(10)));
    assert!(a.changes.nodes.is_empty(), "then they go");
}

#[test]
fn broken_file_shows_its_finding_and_the_rest_keeps_working() {
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(FIXTURE).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
    }
    std::fs::write(
        dir.path().join("zz-broken.yaml"),
        "type: MeshTCPRoute\nname: [unclosed\n",
    )
    .unwrap();
    let mut a = App::new("tmp", KumaVersion::DEFAULT, false);
    a.update(loaded_action(
        dir.path(),
        KumaVersion::DEFAULT,
        false,
        Instant::now(),
    ));
    let m = a.model.as_ref().unwrap();
    assert!(m.report.findings.iter().any(|f| {
        f.code.as_str() == "parse-error"
            && f.location
                .as_ref()
                .is_some_and(|l| l.file.ends_with("zz-broken.yaml"))
    }));
    assert!(m.find_proxy("web-1").is_some());
}

#[test]
fn reload_status_counts_the_outbounds_that_changed() {
    let dir = fixture_copy("");
    let t0 = Instant::now();
    let mut a = App::new("tmp", KumaVersion::DEFAULT, false);
    a.update(Action::Resize(120, 40));
    a.update(loaded_action(dir.path(), KumaVersion::DEFAULT, false, t0));
    let text = |a: &App| {
        a.status
            .message
            .as_ref()
            .map(|m| m.text.clone())
            .unwrap_or_default()
    };

    // Nothing changed on disk.
    a.update(loaded_action(dir.path(), KumaVersion::DEFAULT, true, t0));
    assert_eq!(text(&a), "reloaded: no outbound changed");

    // One weight changes: the backend outbound of the proxies where that route applies.
    let routes = dir.path().join("routes.yaml");
    let yaml = std::fs::read_to_string(&routes).unwrap();
    std::fs::write(&routes, yaml.replace("weight: 90", "weight: 70")).unwrap();
    a.update(loaded_action(dir.path(), KumaVersion::DEFAULT, true, t0));
    let marked = a
        .changes
        .nodes
        .iter()
        .filter(|n| matches!(n, Node::Outbound(..)))
        .count();
    assert!(marked > 0);
    let want = if marked == 1 {
        "reloaded: 1 outbound changed".to_string()
    } else {
        format!("reloaded: {marked} outbounds changed")
    };
    assert_eq!(text(&a), want);

    // A proxy goes: its outbounds count as changed too.
    let before = a.model.as_ref().unwrap();
    let web2 = before.find_proxy("web-2").unwrap();
    let gone = before.proxy(web2).outbounds.len();
    assert!(gone > 0);
    let dps = dir.path().join("dataplanes.yaml");
    let yaml = std::fs::read_to_string(&dps).unwrap();
    let docs: Vec<&str> = yaml
        .split("\n---")
        .filter(|d| !d.contains("name: web-2\n"))
        .collect();
    std::fs::write(&dps, docs.join("\n---")).unwrap();
    a.update(loaded_action(dir.path(), KumaVersion::DEFAULT, true, t0));
    assert!(a.model.as_ref().unwrap().find_proxy("web-2").is_none());
    assert_eq!(text(&a), format!("reloaded: {gone} outbounds changed"));

    // `:version` says which version it re-resolved under.
    typed(&mut a, ":version 2.9");
    key(&mut a, KeyCode::Enter);
    a.update(loaded_action(dir.path(), "2.9".parse().unwrap(), true, t0));
    assert!(text(&a).starts_with("Kuma 2.9: "), "{}", text(&a));
}

/// `--apply` / `:apply`: the model with the changes replaces the one without them, the
/// changed outbounds stay marked (no fading), `]` and `[` walk them, and a changed
/// outbound's detail says what it was before.
#[test]
fn applied_changes_stay_marked_are_walked_and_say_what_was_before() {
    let dir = fixture_copy("");
    let t0 = Instant::now();
    let mut a = App::new("tmp", KumaVersion::DEFAULT, false);
    a.update(Action::Resize(120, 40));
    a.update(loaded_action(dir.path(), KumaVersion::DEFAULT, false, t0));
    // The same sources with one weight changed, shown as applied.
    let routes = dir.path().join("routes.yaml");
    let yaml = std::fs::read_to_string(&routes).unwrap();
    std::fs::write(&routes, yaml.replace("weight: 90", "weight: 70")).unwrap();
    let Action::Loaded(mut l) = loaded_action(dir.path(), KumaVersion::DEFAULT, true, t0) else {
        unreachable!()
    };
    l.applied = true;
    a.update(Action::Loaded(l));
    let msg = a
        .status
        .message
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default();
    assert!(
        msg.starts_with("applied: ") && msg.contains("] [ jump"),
        "{msg}"
    );
    let changed: Vec<Node> = {
        let mut v: Vec<Node> = a
            .changes
            .nodes
            .iter()
            .copied()
            .filter(|n| matches!(n, Node::Outbound(..)))
            .collect();
        v.sort_unstable();
        v
    };
    assert!(!changed.is_empty());
    // Marks stay (a reload's fade after a while).
    a.update(Action::Tick(t0 + Duration::from_secs(3600)));
    assert!(!a.changes.nodes.is_empty(), "applied changes stay marked");
    // `]` selects the first changed outbound, `[` from there wraps to the last.
    key(&mut a, KeyCode::Char(']'));
    assert_eq!(a.selected_node(), Some(changed[0]));
    key(&mut a, KeyCode::Char('['));
    assert_eq!(a.selected_node(), changed.last().copied());
    // Its detail: before → after.
    let before = a.before_outbound(changed[0]).expect("it was there before");
    let after = {
        let Node::Outbound(p, o) = changed[0] else {
            unreachable!()
        };
        a.model.as_ref().unwrap().outbound(p, o).clone()
    };
    assert_ne!(before.backends, after.backends);
    let screen = screen(&a);
    assert!(
        screen.contains("✱ changed by the applied changes") && screen.contains("→"),
        "{screen}"
    );
    // A plain reload afterwards clears the applied state.
    a.update(loaded_action(dir.path(), KumaVersion::DEFAULT, true, t0));
    assert!(a.changes.before.is_none());
}

/// `:version X.Y` compares like `--apply`: what the other version changes stays marked,
/// and a changed outbound's detail shows it under the version before.
#[test]
fn a_version_change_stays_marked_and_shows_before() {
    let t0 = Instant::now();
    let mut a = app();
    let v = KumaVersion::new(2, 5);
    assert_eq!(
        typed_command(&mut a, "version 2.5"),
        vec![Effect::Resolve(v)]
    );
    a.update(loaded_action(Path::new(FIXTURE), v, true, t0));
    let changed: Vec<Node> = a
        .changes
        .nodes
        .iter()
        .copied()
        .filter(|n| matches!(n, Node::Outbound(..)))
        .collect();
    assert!(!changed.is_empty(), "2.5 resolves the fixture differently");
    a.update(Action::Tick(t0 + Duration::from_secs(3600)));
    assert!(!a.changes.nodes.is_empty(), "the marks stay");
    assert!(a.before_outbound(changed[0]).is_some());
}
