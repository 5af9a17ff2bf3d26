//! Snapshots of the demo's JSON and text reports: any change in the model shows up here.

use meshtcp::report::{self, TextOptions};
use meshtcp::resolve::{Engine, Filter, KumaVersion};
use meshtcp::source::{Source, load};

fn demo_report(v: KumaVersion) -> meshtcp::resolve::Report {
    let loaded = load(&[Source::Demo]);
    assert!(
        loaded.findings.is_empty(),
        "the demo loads cleanly: {:?}",
        loaded.findings
    );
    Engine::new(&loaded.snapshot, v).report(&Filter::default())
}

#[test]
fn demo_json_report() {
    insta::assert_snapshot!(report::to_json(&demo_report(KumaVersion::DEFAULT)));
}

#[test]
fn demo_text_report() {
    insta::assert_snapshot!(report::render_text(
        &demo_report(KumaVersion::DEFAULT),
        TextOptions { color: false }
    ));
}

#[test]
fn demo_text_report_under_2_5() {
    insta::assert_snapshot!(report::render_text(
        &demo_report(KumaVersion::new(2, 5)),
        TextOptions { color: false }
    ));
}

#[test]
fn colour_is_a_second_channel_only() {
    let r = demo_report(KumaVersion::DEFAULT);
    let plain = report::render_text(&r, TextOptions { color: false });
    let colour = report::render_text(&r, TextOptions { color: true });
    assert!(colour.contains("\x1b["));
    let stripped: String = {
        let mut s = String::new();
        let mut it = colour.chars().peekable();
        while let Some(c) = it.next() {
            if c == '\x1b' {
                for d in it.by_ref() {
                    if d == 'm' {
                        break;
                    }
                }
            } else {
                s.push(c);
            }
        }
        s
    };
    assert_eq!(
        stripped, plain,
        "the same words and symbols with and without colour"
    );
}
