//! The mouse, the help overlay and messages.

use super::*;

#[test]
fn mouse_click_selects_and_double_click_toggles() {
    let mut a = app();
    let l = crate::tui::render::layout(ratatui::layout::Rect::new(0, 0, 120, 40));
    let row = l.list_inner.y + 1;
    a.update(Action::Click {
        col: l.list_inner.x + 3,
        row,
    });
    assert_eq!(a.tree.pos.sel, 1);
    let was_open = a.is_open(1);
    a.update(Action::DoubleClick {
        col: l.list_inner.x + 3,
        row,
    });
    assert_ne!(
        a.is_open(1),
        was_open || !a.model.as_ref().unwrap().has_children(a.tree.rows[1])
    );
    a.update(Action::ScrollDown {
        col: l.list_inner.x + 3,
        row,
    });
    assert_eq!(a.tree.pos.sel, 4, "the wheel moves three rows");
    a.update(Action::Click {
        col: tab_col(View::Findings),
        row: 0,
    });
    assert_eq!(a.view, View::Findings, "clicking a tab switches the view");
}

#[test]
fn help_overlay_lists_the_keys_of_the_view() {
    let mut a = app();
    key(&mut a, KeyCode::Char('?'));
    assert!(matches!(a.mode, Mode::Help { .. }), "{:?}", a.mode);
    let keys: Vec<&str> = crate::tui::keymap::help(View::Tree)
        .iter()
        .map(|k| k.0)
        .collect();
    assert!(
        keys.contains(&"*") && keys.contains(&"-"),
        "tree keys are listed"
    );
    let keys: Vec<&str> = crate::tui::keymap::help(View::Findings)
        .iter()
        .map(|k| k.0)
        .collect();
    assert!(
        !keys.contains(&"*"),
        "tree-only keys are not listed elsewhere"
    );
    key(&mut a, KeyCode::Esc);
    assert_eq!(a.mode, Mode::Normal);
}

#[test]
fn a_message_about_the_selection_goes_when_the_selection_moves() {
    let mut a = app();
    // `y` on a mesh: nothing to show, and it says so.
    key(&mut a, KeyCode::Home);
    assert!(matches!(a.selected_node(), Some(Node::Mesh(_))));
    key(&mut a, KeyCode::Char('y'));
    assert_eq!(a.mode, Mode::Normal);
    assert!(
        a.status
            .message
            .as_ref()
            .is_some_and(|m| m.text.contains("a mesh has no single document")),
        "{:?}",
        a.status.message
    );
    // Time passing alone keeps it.
    a.update(Action::Tick(Instant::now()));
    assert!(a.status.message.is_some());
    key(&mut a, KeyCode::Char('j'));
    assert!(
        a.status.message.is_none(),
        "it was about the mesh: {:?}",
        a.status.message
    );

    // Switching views moves the selection too.
    key(&mut a, KeyCode::Char('k'));
    key(&mut a, KeyCode::Char('y'));
    assert!(a.status.message.is_some());
    key(&mut a, KeyCode::Char('2'));
    assert!(
        a.status.message.is_none(),
        "another view is another selection"
    );

    // A message that is not about the selection stays when it moves.
    typed(&mut a, ":mesh nope");
    key(&mut a, KeyCode::Enter);
    assert!(a.status.message.as_ref().unwrap().error);
    key(&mut a, KeyCode::Char('j'));
    assert!(a.status.message.is_some(), "an error about a command stays");
}
