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
        TextOptions {
            color: false,
            verbose: false
        }
    ));
}

#[test]
fn demo_text_report_under_2_5() {
    insta::assert_snapshot!(report::render_text(
        &demo_report(KumaVersion::new(2, 5)),
        TextOptions {
            color: false,
            verbose: false
        }
    ));
}

#[test]
fn colour_is_a_second_channel_only() {
    let r = demo_report(KumaVersion::DEFAULT);
    let plain = report::render_text(
        &r,
        TextOptions {
            color: false,
            verbose: false,
        },
    );
    let colour = report::render_text(
        &r,
        TextOptions {
            color: true,
            verbose: false,
        },
    );
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

#[test]
fn the_streamed_json_report_is_byte_for_byte_the_same() {
    for v in [KumaVersion::DEFAULT, KumaVersion::new(2, 5)] {
        let loaded = load(&[Source::Demo]);
        let engine = Engine::new(&loaded.snapshot, v);
        let whole = report::to_json(&engine.report(&Filter::default()));
        let mut streamed = Vec::new();
        report::write_json_streaming(&mut streamed, &engine, &Filter::default(), vec![]).unwrap();
        assert_eq!(String::from_utf8(streamed).unwrap(), whole);
    }
    // And with no proxy at all.
    let empty = meshtcp::model::Snapshot::default();
    let engine = Engine::new(&empty, KumaVersion::DEFAULT);
    let mut streamed = Vec::new();
    report::write_json_streaming(&mut streamed, &engine, &Filter::default(), vec![]).unwrap();
    assert_eq!(
        String::from_utf8(streamed).unwrap(),
        report::to_json(&engine.report(&Filter::default()))
    );
}
