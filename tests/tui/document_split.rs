//! One rule splits a text into documents, for the loader and for the TUI's document
//! view: `---` (or `...`) alone or followed by a space or a tab ends a document, and
//! content after `---` on the same line is the next document's first line.

use meshtcp::source::Loaded;
use meshtcp::source::yaml::{LineKind, line_kind};
use meshtcp::tui::runtime::extract_document;

/// Four Meshes: the second after `---` and a tab, the third after `--- `, the last
/// after a `---` followed by a tab alone.
const TEXT: &str = "type: Mesh\nname: a\n---\t{type: Mesh, name: b}\n--- {type: Mesh, name: c}\n---\t\ntype: Mesh\nname: d\n";

/// Each Mesh's name and the line the loader located it at.
fn loaded_meshes() -> Vec<(String, u32)> {
    let mut l = Loaded::default();
    l.add_text("meshes.yaml", TEXT);
    assert!(l.findings.is_empty(), "{:?}", l.findings);
    l.snapshot
        .resources
        .iter()
        .map(|r| {
            let at = r.meta.origin.location().expect("located");
            (r.meta.name.clone(), at.line)
        })
        .collect()
}

#[test]
fn the_loader_starts_a_document_after_a_tab_or_on_the_marker_line() {
    assert_eq!(
        loaded_meshes(),
        [
            ("a".to_string(), 1),
            ("b".to_string(), 3),
            ("c".to_string(), 4),
            ("d".to_string(), 6)
        ]
    );
}

#[test]
fn the_document_view_shows_what_the_loader_read_at_each_location() {
    let shown: Vec<(String, String)> = loaded_meshes()
        .into_iter()
        .map(|(name, line)| (name, extract_document(TEXT, line)))
        .collect();
    assert_eq!(
        shown,
        [
            ("a".to_string(), "type: Mesh\nname: a".to_string()),
            ("b".to_string(), "{type: Mesh, name: b}".to_string()),
            ("c".to_string(), "{type: Mesh, name: c}".to_string()),
            ("d".to_string(), "type: Mesh\nname: d".to_string()),
        ]
    );
}

#[test]
fn markers_are_told_from_content() {
    assert_eq!(line_kind("---"), LineKind::Separator);
    assert_eq!(line_kind("---\t"), LineKind::Separator);
    assert_eq!(line_kind("--- # a comment"), LineKind::Separator);
    assert_eq!(line_kind("... anything"), LineKind::Separator);
    assert_eq!(line_kind("--- a: 1"), LineKind::StartWith(" a: 1"));
    assert_eq!(line_kind("---\ta: 1"), LineKind::StartWith("\ta: 1"));
    assert_eq!(line_kind("----"), LineKind::Content);
    assert_eq!(line_kind("---a"), LineKind::Content);
    assert_eq!(line_kind("  ---"), LineKind::Content);
}
