//! Lazy mode (a large mesh: proxies resolved on demand).

use super::*;

#[test]
fn engine_resolves_any_proxy_of_the_skeleton_like_the_full_report() {
    // The demo (gateways, legacy routes, two meshes) and the fixture, in any order and
    // with one cache shared by every request: each proxy equals its full-report self.
    let sources = [Source::Demo, Source::Path(FIXTURE.into())];
    for src in sources {
        let loaded = source::load(std::slice::from_ref(&src));
        for v in [KumaVersion::DEFAULT, "2.5".parse().unwrap()] {
            let engine = Engine::new(&loaded.snapshot, v);
            let full = crate::tui::resolve_loaded(&loaded, v);
            let crate::tui::Prepared::Lazy(sk) = crate::tui::prepare(&engine, &loaded, 0) else {
                panic!("lazy")
            };
            assert_eq!(
                sk.report.findings, full.findings,
                "{src:?} {v}: same findings"
            );
            assert_eq!(sk.report.proxies.len(), full.proxies.len());
            let mut cache = ProxyCache::default();
            let n = sk.ids.len();
            for i in (0..n).rev().chain(0..n) {
                let skel = &sk.report.proxies[i];
                let want = &full.proxies[i];
                assert!(skel.outbounds.is_empty());
                assert_eq!(
                    sk.outbounds[i] as usize,
                    want.outbounds.len(),
                    "count of {}",
                    want.name
                );
                let mut bare = want.clone();
                bare.outbounds = Default::default();
                assert_eq!(skel, &bare, "{src:?} {v}: skeleton of {}", want.name);
                let got = engine.resolve_id(sk.ids[i], &mut cache).unwrap();
                assert_eq!(&got, want, "{src:?} {v}: {}", want.name);
            }
        }
    }
}

#[test]
fn lazy_load_shows_every_proxy_and_finding_and_asks_for_the_first_proxy() {
    let eager = app();
    let (a, mesh, fx) = lazy_app();
    let (m, em) = (a.model.as_ref().unwrap(), eager.model.as_ref().unwrap());
    assert!(m.is_lazy() && !em.is_lazy());
    assert_eq!(
        m.report.findings, em.report.findings,
        "findings are complete"
    );
    assert_eq!(
        m.proxy_counts, em.proxy_counts,
        "per-proxy warning counts are right"
    );
    assert_eq!(m.proxy_names(), em.proxy_names());
    assert_eq!(
        sel_name(&a),
        sel_name(&eager),
        "the same first proxy is selected"
    );
    let p = proxy_named(&a, "edge-gateway-1");
    assert_eq!(requests(&fx), vec![(7, p, true)], "and asked for, once");
    assert_eq!(
        a.tree.rows[a.tree.pos.sel + 1],
        Node::Pending(p),
        "resolving… under it"
    );
    assert!(a.is_open(a.tree.pos.sel));
    let s = screen(&a);
    assert!(s.contains("resolving 2 outbounds…"), "{s}");
    assert!(s.contains("proxies resolved, 1 resolving"), "{s}");
    // Nothing is asked twice while the answer is on its way.
    let mut a = a;
    assert!(requests(&key(&mut a, KeyCode::Char('j'))).is_empty());
    assert!(requests(&key(&mut a, KeyCode::Char('k'))).is_empty());
    // The answer fills the tree: the same rows as resolving everything up front.
    serve(&mut a, &mesh, fx);
    assert!(a.lazy.requested.is_empty());
    assert_eq!(a.tree.rows, eager.tree.rows);
    assert_eq!(
        a.model.as_ref().unwrap().proxy(p),
        eager.model.as_ref().unwrap().proxy(p)
    );
    assert_eq!(sel_name(&a), "edge-gateway-1");
}

#[test]
fn expanding_a_pending_proxy_asks_for_it_and_the_answer_fills_the_tree() {
    let (mut a, mesh, fx) = lazy_app();
    serve(&mut a, &mesh, fx);
    let web1 = proxy_named(&a, "web-1");
    assert!(!a.model.as_ref().unwrap().is_resolved(web1));
    // Selecting a proxy asks for it (a request a later selection may supersede).
    let fx = typed(&mut a, ":proxy web-1");
    assert!(requests(&fx).is_empty());
    let fx = key(&mut a, KeyCode::Enter);
    assert_eq!(
        requests(&fx),
        vec![(7, web1, true)],
        ":proxy opens it: {fx:?}"
    );
    assert_eq!(a.tree.rows[a.tree.pos.sel + 1], Node::Pending(web1));
    // → on the open proxy goes to its "resolving…" row.
    key(&mut a, KeyCode::Char('l'));
    assert_eq!(a.selected_node(), Some(Node::Pending(web1)));
    let s = screen(&a);
    assert!(s.contains("Resolving the 4 outbounds of web-1…"), "{s}");
    serve(&mut a, &mesh, fx);
    assert_eq!(
        sel_name(&a),
        "web-1 → backend:10001",
        "the resolving row gives way to the first outbound"
    );
    key(&mut a, KeyCode::Char('l'));
    key(&mut a, KeyCode::Char('j'));
    assert_eq!(sel_name(&a), "web-1 → backend:10001 ⇢ backend-v1");
    // Moving onto another proxy asks for it as a selection only.
    let web2 = proxy_named(&a, "web-2");
    let mut fx = Vec::new();
    while a.selected_node() != Some(Node::Proxy(web2)) {
        fx.extend(key(&mut a, KeyCode::Char('j')));
    }
    assert_eq!(requests(&fx), vec![(7, web2, false)]);
    // A dropped selection request is asked again while the proxy is still selected.
    let fx = a.update(Action::ProxySkipped {
        generation: 7,
        proxy: web2,
    });
    assert_eq!(requests(&fx), vec![(7, web2, false)]);
    serve(&mut a, &mesh, fx);
    assert!(a.model.as_ref().unwrap().is_resolved(web2));
    assert!(!a.is_open(a.tree.pos.sel), "selected, resolved, not opened");
}

#[test]
fn a_stale_or_unasked_answer_is_ignored() {
    let (mut a, mesh, fx) = lazy_app();
    let before = a.model.clone();
    let rows = a.tree.rows.clone();
    // The same answer from an older generation (a reload or :version overtook it).
    let old = LazyMesh {
        generation: 6,
        ..LazyMesh::new(Path::new(FIXTURE), KumaVersion::DEFAULT, 6)
    };
    let stale: Vec<Effect> = fx
        .iter()
        .map(|e| match *e {
            Effect::ResolveProxy { proxy, opened, .. } => Effect::ResolveProxy {
                generation: 6,
                proxy,
                opened,
            },
            ref e => e.clone(),
        })
        .collect();
    for act in old.answer(&stale) {
        a.update(act);
    }
    assert_eq!(a.model, before, "an answer of generation 6 changes nothing");
    assert_eq!(a.tree.rows, rows);
    assert_eq!(
        a.lazy.requested.len(),
        1,
        "the request of generation 7 still waits"
    );
    // An answer for a proxy nobody asked for is ignored too.
    let web1 = proxy_named(&a, "web-1");
    let fx_web1 = vec![Effect::ResolveProxy {
        generation: 7,
        proxy: web1,
        opened: true,
    }];
    for act in mesh.answer(&fx_web1) {
        a.update(act);
    }
    assert!(!a.model.as_ref().unwrap().is_resolved(web1));
    serve(&mut a, &mesh, fx);
    assert_eq!(a.lazy.requested.len(), 0);
}

#[test]
fn lazy_filter_searches_proxies_and_resolved_outbounds_only_and_says_so() {
    let (mut a, mesh, fx) = lazy_app();
    serve(&mut a, &mesh, fx);
    // `canary` names route policies on web-1's and web-2's outbounds: not resolved yet.
    key(&mut a, KeyCode::Char('/'));
    typed(&mut a, "canary");
    key(&mut a, KeyCode::Enter);
    assert!(a.tree.rows.is_empty(), "{:?}", a.tree.rows);
    let msg = a.status.message.as_ref().unwrap().text.clone();
    assert!(
        msg.contains("it searches every proxy, but outbounds only on resolved proxies"),
        "{msg}"
    );
    let s = screen(&a);
    assert!(
        s.contains("filter /canary (resolved outbounds only)"),
        "{s}"
    );
    assert!(
        s.contains("outbounds are searched on resolved proxies only"),
        "{s}"
    );
    // Proxy names and tags are searched on every proxy.
    key(&mut a, KeyCode::Esc);
    key(&mut a, KeyCode::Char('/'));
    let fx = typed(&mut a, "web-2");
    key(&mut a, KeyCode::Enter);
    assert_eq!(sel_name(&a), "web-2");
    // (Typing `web-` selected web-1, then web-2: both were asked for. The runtime
    // drops the first request, superseded; here both are answered.)
    let asked: Vec<u32> = requests(&fx).iter().map(|r| r.1).collect();
    assert_eq!(
        asked,
        vec![proxy_named(&a, "web-1"), proxy_named(&a, "web-2")]
    );
    // Once web-1 is resolved its outbounds match, as they would up front.
    key(&mut a, KeyCode::Esc);
    assert!(a.model.as_ref().unwrap().resolved_count().0 < 9);
    serve(&mut a, &mesh, fx);
    typed(&mut a, ":proxy web-1");
    let fx = key(&mut a, KeyCode::Enter);
    serve(&mut a, &mesh, fx);
    key(&mut a, KeyCode::Char('/'));
    typed(&mut a, "canary");
    let mut eager = app();
    key(&mut eager, KeyCode::Char('/'));
    typed(&mut eager, "canary");
    let m = a.model.as_ref().unwrap();
    let names = |a: &App, only: &dyn Fn(&str) -> bool| -> Vec<String> {
        let m = a.model.as_ref().unwrap();
        a.tree
            .rows
            .iter()
            .filter(|n| match n {
                Node::Proxy(p) | Node::Outbound(p, _) | Node::Backend(p, _, _) => {
                    only(&m.proxy(*p).name)
                }
                _ => true,
            })
            .map(|n| match *n {
                Node::Outbound(p, o) => {
                    format!(
                        "{} → {}",
                        m.proxy(p).name,
                        m.outbound(p, o).destination.label()
                    )
                }
                Node::Proxy(p) => m.proxy(p).name.clone(),
                n => format!("{n:?}"),
            })
            .collect()
    };
    let resolved = |name: &str| m.find_proxy(name).is_some_and(|p| m.is_resolved(p));
    let shown = names(&a, &|_| true);
    assert!(
        shown.contains(&"web-1 → redis:10002".to_string()),
        "{shown:?}"
    );
    assert_eq!(
        shown,
        names(&eager, &resolved),
        "what resolving everything shows, on the resolved proxies"
    );
}

#[test]
fn lazy_expand_all_opens_resolved_proxies_only_and_says_how_many_are_not() {
    let (mut a, mesh, fx) = lazy_app();
    serve(&mut a, &mesh, fx);
    let fx = key(&mut a, KeyCode::Char('*'));
    assert!(requests(&fx).is_empty(), "* resolves nothing");
    let m = a.model.as_ref().unwrap();
    let (done, all) = m.resolved_count();
    assert!(done < all);
    let msg = &a.status.message.as_ref().unwrap().text;
    assert!(
        msg.contains(&format!("{} not resolved", all - done)),
        "{msg}"
    );
    for n in &a.tree.rows {
        if let Node::Proxy(p) = n {
            assert_eq!(
                a.tree.opened.contains(n),
                m.is_resolved(*p) && m.outbound_count(*p) > 0
            );
        }
        assert!(!matches!(n, Node::Pending(_)), "no resolving rows: {n:?}");
    }
    // Every row of the resolved proxies is there.
    let gw = proxy_named(&a, "edge-gateway-1");
    let obs = a.model.as_ref().unwrap().proxy(gw).outbounds.clone();
    let backends: usize = obs.iter().map(|o| o.backends.len()).sum();
    let shown = a
        .tree
        .rows
        .iter()
        .filter(|n| matches!(n, Node::Outbound(p, _) | Node::Backend(p, _, _) if *p == gw))
        .count();
    assert_eq!(shown, obs.len() + backends);
}

#[test]
fn lazy_policies_view_lists_uses_on_resolved_proxies_and_says_so() {
    let (mut a, mesh, fx) = lazy_app();
    serve(&mut a, &mesh, fx);
    let uses = |a: &App, name: &str| {
        a.model
            .as_ref()
            .unwrap()
            .policies
            .iter()
            .find(|p| p.name == name)
            .map_or(0, |p| p.uses.len())
    };
    assert_eq!(
        uses(&a, "api-tcp-shortcut"),
        0,
        "web-1 and web-2 are not resolved"
    );
    key(&mut a, KeyCode::Char('2'));
    let s = screen(&a);
    assert!(
        s.contains("as seen on resolved proxies only (7 of 9)"),
        "{s}"
    );
    // Listed from the start (it selects every proxy), and honest about what is known.
    assert!(
        s.contains("api-tcp-shortcut  ○ routes nothing on resolved proxies (selects 9)"),
        "{s}"
    );
    // A policy selected in the view stays selected while other proxies arrive.
    let sel = a.selected_policy_row().unwrap();
    let name = a.model.as_ref().unwrap().policies[sel.policy()].qualified();
    for p in ["web-1", "web-2"] {
        let web = proxy_named(&a, p);
        let fx = vec![Effect::ResolveProxy {
            generation: 7,
            proxy: web,
            opened: true,
        }];
        a.lazy.requested.insert(web);
        serve(&mut a, &mesh, fx);
    }
    assert_eq!(uses(&a, "api-tcp-shortcut"), 2);
    let eager = app();
    let em = eager.model.as_ref().unwrap();
    let m = a.model.as_ref().unwrap();
    let e = em
        .policies
        .iter()
        .find(|p| p.name == "api-tcp-shortcut")
        .unwrap();
    let l = m
        .policies
        .iter()
        .find(|p| p.name == "api-tcp-shortcut")
        .unwrap();
    assert_eq!(e.uses, l.uses, "in report order, as up front");
    let now = m.policies[a.selected_policy_row().unwrap().policy()].qualified();
    assert_eq!(now, name, "selection kept");
}

#[test]
fn lazy_findings_jump_resolves_the_proxy_then_selects_the_outbound() {
    let (mut a, mesh, fx) = lazy_app();
    serve(&mut a, &mesh, fx);
    key(&mut a, KeyCode::Char('3'));
    move_to_finding(&mut a, "tcproute-ignored-by-httproute");
    let fx = key(&mut a, KeyCode::Enter);
    assert_eq!(a.view, View::Tree);
    assert_eq!(sel_name(&a), "web-1");
    assert_eq!(requests(&fx).len(), 1);
    serve(&mut a, &mesh, fx);
    assert_eq!(sel_name(&a), "web-1 → api:10003");
}

#[test]
fn lazy_version_change_and_reload_ask_again_for_what_is_open() {
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(FIXTURE).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
    }
    let t0 = Instant::now();
    let mesh = LazyMesh::new(dir.path(), KumaVersion::DEFAULT, 1);
    let mut a = App::new("tmp", KumaVersion::DEFAULT, false);
    a.update(Action::Resize(120, 40));
    let fx = a.update(mesh.loaded(false, t0));
    serve(&mut a, &mesh, fx);
    typed(&mut a, ":proxy web-1");
    let fx = key(&mut a, KeyCode::Enter);
    serve(&mut a, &mesh, fx);
    key(&mut a, KeyCode::Char('l'));
    key(&mut a, KeyCode::Char('l'));
    assert_eq!(sel_name(&a), "web-1 → backend:10001");
    assert!(a.is_open(a.tree.pos.sel));

    // :version asks the runtime to re-resolve; its lazy model comes back re-skeletoned.
    typed(&mut a, ":version 2.9");
    let fx = key(&mut a, KeyCode::Enter);
    let v29: KumaVersion = "2.9".parse().unwrap();
    assert_eq!(fx, vec![Effect::Resolve(v29)]);
    let mesh = LazyMesh::new(dir.path(), v29, 2);
    let fx = a.update(mesh.loaded(true, t0));
    assert_eq!(a.version, v29);
    let msg = &a.status.message.as_ref().unwrap().text;
    assert!(msg.starts_with("Kuma 2.9: "), "{msg}");
    let web1 = proxy_named(&a, "web-1");
    let gw = proxy_named(&a, "edge-gateway-1");
    let mut asked = requests(&fx);
    asked.sort();
    assert_eq!(
        asked,
        vec![(2, gw, true), (2, web1, true)],
        "every open proxy, again"
    );
    assert_eq!(sel_name(&a), "web-1", "the selection waits on its proxy");
    serve(&mut a, &mesh, fx);
    assert_eq!(sel_name(&a), "web-1 → backend:10001", "and comes back");
    assert!(a.is_open(a.tree.pos.sel), "with its expansion");

    // A reload that changes a route: the outbound is marked once it resolves again.
    let routes = dir.path().join("routes.yaml");
    let text = std::fs::read_to_string(&routes).unwrap();
    std::fs::write(&routes, text.replace("weight: 90", "weight: 70")).unwrap();
    let mesh = LazyMesh::new(dir.path(), v29, 3);
    let fx = a.update(mesh.loaded(true, t0));
    serve(&mut a, &mesh, fx);
    assert_eq!(sel_name(&a), "web-1 → backend:10001");
    let Some(Node::Outbound(p, o)) = a.selected_node() else {
        panic!()
    };
    assert!(
        a.changes.nodes.contains(&Node::Outbound(p, o)),
        "{:?}",
        a.changes.nodes
    );
    let msg = &a.status.message.as_ref().unwrap().text;
    assert_eq!(msg, "reloaded: web-1: 1 outbound changed");
}

#[test]
fn lazy_mode_gives_back_outbounds_of_proxies_neither_open_nor_selected() {
    let (mut a, mesh, fx) = lazy_app();
    a.lazy.keep_outbounds = 5;
    serve(&mut a, &mesh, fx);
    let gw = proxy_named(&a, "edge-gateway-1");
    // A row of the Policies view is selected, then the tree is shown again: the rows
    // follow the model as proxies come and go.
    key(&mut a, KeyCode::Char('2'));
    while !matches!(a.selected_policy_row(), Some(PRow::Use(..))) {
        key(&mut a, KeyCode::Char('j'));
    }
    key(&mut a, KeyCode::Char('1'));
    // Select web-1 and web-2 in turn (each resolved), then open web-2.
    for name in ["web-1", "web-2"] {
        let p = proxy_named(&a, name);
        a.reveal(Node::Proxy(p));
        let fx = a.update(Action::Tick(Instant::now()));
        serve(&mut a, &mesh, fx);
        assert!(a.model.as_ref().unwrap().is_resolved(p));
    }
    let m = a.model.as_ref().unwrap();
    let (web1, web2) = (proxy_named(&a, "web-1"), proxy_named(&a, "web-2"));
    assert!(m.is_resolved(gw), "open: kept");
    assert!(
        !m.is_resolved(web1),
        "neither open nor selected: given back"
    );
    assert!(m.is_resolved(web2), "selected: kept");
    assert!(m.held().0 <= 4 + 2 + 2, "{:?}", m.held());
    // The filter still works over what is left, and web-1 comes back when selected.
    key(&mut a, KeyCode::Char('/'));
    typed(&mut a, "backend");
    key(&mut a, KeyCode::Esc);
    a.reveal(Node::Proxy(web1));
    let fx = a.update(Action::Tick(Instant::now()));
    assert_eq!(requests(&fx), vec![(7, web1, false)]);
    serve(&mut a, &mesh, fx);
    assert!(a.model.as_ref().unwrap().is_resolved(web1));
    key(&mut a, KeyCode::Char('2'));
    let m = a.model.as_ref().unwrap();
    assert!(
        a.lists.policies.rows.iter().all(|r| match *r {
            PRow::Policy(p) => p < m.policies.len(),
            PRow::Finding(p, g) => g < m.policies[p].groups.len(),
            PRow::Use(p, u) => m.policies[p].uses[u].0 != web2 || m.is_resolved(web2),
        }),
        "no row points at what was given back"
    );
    let s = screen(&a);
    assert!(s.contains("edge-redis"), "{s}");
}

#[test]
fn a_large_mesh_shows_its_proxies_first_and_its_findings_when_the_pass_is_over() {
    // The reference: the whole skeleton at once, its first proxy resolved.
    let (mut whole, mesh, fx) = lazy_app();
    serve(&mut whole, &mesh, fx);
    let mut a = App::new(FIXTURE, KumaVersion::DEFAULT, false);
    a.update(Action::Resize(120, 40));
    let fx = a.update(mesh.proxies_first(Instant::now()));
    {
        let (m, wm) = (a.model.as_ref().unwrap(), whole.model.as_ref().unwrap());
        assert!(m.findings_pending && !wm.findings_pending);
        assert_eq!(m.proxy_names(), wm.proxy_names(), "every proxy, at once");
        assert!(m.report.findings.len() < wm.report.findings.len());
        assert_eq!(
            sel_name(&a),
            "edge-gateway-1",
            "the first proxy selected and asked for"
        );
    }
    assert_eq!(
        requests(&fx),
        vec![(7, proxy_named(&a, "edge-gateway-1"), true)]
    );
    let s = screen(&a);
    assert!(s.contains("checking every proxy for findings"), "{s}");
    assert!(s.contains("Findings: not known yet"), "{s}");
    // The first proxy's outbounds arrive before the findings do.
    serve(&mut a, &mesh, fx);
    let before = sel_name(&a);
    let p = proxy_named(&a, "edge-gateway-1");
    // The Findings view says why it is (nearly) empty.
    let mut f = App::new(FIXTURE, KumaVersion::DEFAULT, false);
    f.update(Action::Resize(120, 40));
    f.update(mesh.proxies_first(Instant::now()));
    key(&mut f, KeyCode::Char('3'));
    assert!(
        screen(&f).contains("checking every proxy"),
        "{}",
        screen(&f)
    );
    // Another load's findings change nothing.
    a.update(mesh.findings(6));
    assert!(a.model.as_ref().unwrap().findings_pending);
    a.update(mesh.findings(7));
    let (m, wm) = (a.model.as_ref().unwrap(), whole.model.as_ref().unwrap());
    assert!(!m.findings_pending);
    assert_eq!(m.report.findings, wm.report.findings);
    assert_eq!(m.proxy_counts, wm.proxy_counts, "the badges count them");
    assert_eq!(m.outbound_errors, wm.outbound_errors);
    assert_eq!(
        m.policies, wm.policies,
        "policies: findings, uses and locations"
    );
    assert!(
        m.is_resolved(p),
        "the proxy resolved meanwhile stays resolved"
    );
    assert_eq!(sel_name(&a), before, "and selected");
    assert_eq!(a.tree.rows, whole.tree.rows, "the same tree");
    let s = screen(&a);
    assert!(!s.contains("checking every proxy"), "{s}");
    assert!(s.contains("every proxy checked:"), "{s}");
}
