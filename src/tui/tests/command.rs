//! The command line.

use super::*;

#[test]
fn command_line_quit_version_and_completion() {
    let mut a = app();
    key(&mut a, KeyCode::Char(':'));
    typed(&mut a, "pro");
    key(&mut a, KeyCode::Tab);
    let command_line = |a: &App| match &a.mode {
        Mode::Command(c) => c.clone(),
        m => panic!("not typing a command: {m:?}"),
    };
    assert_eq!(command_line(&a).input, "proxy ");
    typed(&mut a, "we");
    key(&mut a, KeyCode::Tab);
    let c = command_line(&a);
    assert_eq!(c.input, "proxy web-", "Tab completes the common prefix");
    assert_eq!(c.completions, vec!["web-1", "web-2"]);
    key(&mut a, KeyCode::Esc);
    assert_eq!(a.mode, Mode::Normal);

    let sel = a.selected_node();
    typed(&mut a, ":version 2.9");
    let fx = key(&mut a, KeyCode::Enter);
    assert_eq!(fx, vec![Effect::Resolve(KumaVersion::new(2, 9))]);
    assert_eq!(a.status.pending_version, Some(KumaVersion::new(2, 9)));
    // The runtime re-resolves on the loaded snapshot and sends the model back.
    a.update(loaded_action(
        Path::new(FIXTURE),
        KumaVersion::new(2, 9),
        true,
        Instant::now(),
    ));
    assert_eq!(a.version, KumaVersion::new(2, 9));
    assert_eq!(a.status.pending_version, None);
    assert_eq!(a.selected_node(), sel, "selection kept across versions");

    typed(&mut a, ":version 9.9");
    assert!(key(&mut a, KeyCode::Enter).is_empty());
    assert!(
        a.status.message.as_ref().is_some_and(|m| m.error),
        "a bad version is an error message"
    );

    typed(&mut a, ":q");
    assert_eq!(key(&mut a, KeyCode::Enter), vec![Effect::Quit]);
    assert!(a.quit);
}

#[test]
fn q_and_ctrl_c_quit() {
    let mut a = app();
    assert_eq!(key(&mut a, KeyCode::Char('q')), vec![Effect::Quit]);
    assert!(!a.interrupted, "q is a plain quit (exit 0)");
    let mut a = app();
    key(&mut a, KeyCode::Char('/'));
    assert_eq!(
        key_mod(&mut a, KeyCode::Char('c'), KeyModifiers::CONTROL),
        vec![Effect::Quit],
        "Ctrl-C quits even while typing"
    );
    assert!(a.interrupted, "Ctrl-C is an interrupt: exit code 130");
    let mut a = app();
    a.update(Action::ShowHelp);
    key_mod(&mut a, KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert!(a.quit && a.interrupted, "and from an overlay");
}

#[test]
fn mesh_and_policy_commands() {
    let mut a = app();
    typed(&mut a, ":mesh nope");
    key(&mut a, KeyCode::Enter);
    assert!(a.status.message.as_ref().unwrap().error);
    assert_eq!(a.filter.mesh, None);
    typed(&mut a, ":policy redis-http");
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.view, View::Policies);
    let m = a.model.as_ref().unwrap();
    match a.selected_policy_row() {
        Some(PRow::Policy(p)) => assert_eq!(m.policies[p].name, "redis-http"),
        r => panic!("{r:?}"),
    }
}

#[test]
fn apply_command_asks_the_runtime_and_jumps_say_when_nothing_changed() {
    let mut a = app();
    assert_eq!(
        typed_command(&mut a, "apply changes/a.yaml changes/b.yaml"),
        vec![Effect::Apply(vec![
            "changes/a.yaml".to_string(),
            "changes/b.yaml".to_string()
        ])]
    );
    assert!(typed_command(&mut a, "apply").is_empty());
    assert!(
        a.status
            .message
            .as_ref()
            .unwrap()
            .text
            .contains(":apply FILE")
    );
    key(&mut a, KeyCode::Char(']'));
    assert!(
        a.status
            .message
            .as_ref()
            .unwrap()
            .text
            .contains("no changed outbound"),
        "{:?}",
        a.status.message
    );
}
