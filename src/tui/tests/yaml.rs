//! Source documents and the YAML overlay.

use super::*;

#[test]
fn policy_selection_asks_for_its_yaml_and_y_opens_the_source() {
    let mut a = app();
    let fx = key(&mut a, KeyCode::Tab);
    let Some(Effect::ReadSource(loc)) = fx.first().cloned() else {
        panic!("{fx:?}")
    };
    assert!(
        loc.file.ends_with("routes.yaml")
            || loc.file.ends_with("legacy.yaml")
            || loc.file.ends_with("gateway.yaml")
    );
    assert_eq!(a.sources.get(&loc), Some(&SourceText::Pending));
    // Moving away and back does not ask twice.
    key(&mut a, KeyCode::Char('j'));
    assert!(key(&mut a, KeyCode::Char('k')).is_empty());

    let mut a = app();
    typed(&mut a, ":proxy web-1");
    key(&mut a, KeyCode::Enter);
    let fx = key(&mut a, KeyCode::Char('y'));
    assert!(matches!(a.mode, Mode::Yaml(_)), "{:?}", a.mode);
    let Some(Effect::ReadSource(loc)) = fx.first().cloned() else {
        panic!("{fx:?}")
    };
    assert!(loc.file.ends_with("dataplanes.yaml"), "{loc:?}");
    let text = read_document(&[Source::Path(FIXTURE.into())], &loc);
    assert!(text.as_ref().unwrap().contains("name: web-1"), "{text:?}");
    a.update(Action::SourceText {
        location: loc.clone(),
        text,
    });
    assert!(matches!(a.sources.get(&loc), Some(SourceText::Ready(_))));
    key(&mut a, KeyCode::Esc);
    assert_eq!(a.mode, Mode::Normal);
}

#[test]
fn extract_document_stops_at_the_next_separator() {
    let text = "---\na: 1\nb: 2\n---\nc: 3\n";
    assert_eq!(extract_document(text, 1), "a: 1\nb: 2");
    assert_eq!(extract_document(text, 2), "a: 1\nb: 2");
    assert_eq!(extract_document(text, 5), "c: 3");
    let demo = read_document(
        &[Source::Demo],
        &Location {
            file: "assets/demo/universal/routes.yaml".into(),
            line: 2,
        },
    )
    .unwrap();
    assert!(
        demo.starts_with("type: MeshTCPRoute"),
        "demo files come from the binary: {demo}"
    );
    assert!(
        read_document(
            &[],
            &Location {
                file: "/nonexistent/x.yaml".into(),
                line: 1
            }
        )
        .is_err()
    );
}
