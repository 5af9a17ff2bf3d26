//! The text report and `explain`: what a person reads in a terminal. Meaning is carried
//! by a symbol and a word; colour (when enabled) is only a second channel.

use crate::model::{Finding, Severity};
use crate::resolve::{OutboundReport, ProxyReport, Report, RouteKind, Status};
use std::fmt::Write;

pub mod lines;

pub use lines::{Line, Lines, Tag};

#[derive(Debug, Clone, Copy, Default)]
pub struct TextOptions {
    pub color: bool,
    /// List every proxy (and its outbounds) a finding concerns, not a count and the
    /// first few.
    pub verbose: bool,
}

/// Symbols and words for every mark, shared with the TUI.
pub mod marks {
    use crate::model::Severity;
    use crate::resolve::Status;

    pub fn status(s: Status) -> (&'static str, &'static str) {
        match s {
            Status::Applied => ("✓", "applied"),
            Status::Overridden => ("↓", "overridden"),
            Status::Ignored => ("⊘", "ignored"),
        }
    }

    pub fn severity(s: Severity) -> (&'static str, &'static str) {
        match s {
            Severity::Error => ("✖", "error"),
            Severity::Warning => ("▲", "warning"),
            Severity::Info => ("ℹ", "info"),
        }
    }

    pub const LEGACY: (&str, &str) = ("⚑", "legacy");
    pub const UNRESOLVED: (&str, &str) = ("✖", "not found");
}

/// `90%`, `33.3%`, `0%`.
pub fn share_pct(share: f64) -> String {
    let p = share * 100.0;
    if (p - p.round()).abs() < 1e-9 {
        format!("{}%", p.round() as i64)
    } else {
        format!("{p:.1}%")
    }
}

fn bar(share: f64, width: usize) -> String {
    let filled = ((share * width as f64).round() as usize).min(width);
    format!("{}{}", "█".repeat(filled), "░".repeat(width - filled))
}

/// A status mark as the text report shows it: symbol and padded word.
fn status_span(s: Status) -> (Tag, String) {
    let (sym, word) = marks::status(s);
    (Tag::Status(s), format!("{sym} {word:<10}"))
}

/// A severity mark as the text report shows it: symbol and padded word.
fn severity_span(s: Severity) -> (Tag, String) {
    let (sym, word) = marks::severity(s);
    (Tag::Severity(s), format!("{sym} {word:<7}"))
}

/// `  file:line`, dim; nothing without a location.
fn location_spans(l: Option<&crate::model::Location>) -> Vec<(Tag, String)> {
    match l {
        Some(l) => vec![(Tag::Plain, "  ".into()), (Tag::Dim, l.to_string())],
        None => vec![],
    }
}

fn counts(findings: &[Finding]) -> String {
    let n = |s| findings.iter().filter(|f| f.severity == s).count();
    let plural =
        |k: usize, w: &str| format!("{k} {w}{}", if k == 1 || w == "info" { "" } else { "s" });
    format!(
        "{}, {}, {}",
        plural(n(Severity::Error), "error"),
        plural(n(Severity::Warning), "warning"),
        plural(n(Severity::Info), "info")
    )
}

/// Whether `c` must not reach a terminal as is: control characters (but `\n` and `\t`),
/// C1 controls, and bidirectional overrides (which reorder what is shown).
fn unprintable(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Text for a terminal: names, tags and messages come from the input, so an escape
/// sequence in a file must not clear the screen, retitle the window or write the
/// clipboard. Such characters are shown escaped (`\u{1b}`); with `keep_colour`, the
/// colour codes the painter wrote (`ESC [ digits/; m`) stay.
pub fn printable(s: String, keep_colour: bool) -> String {
    if !s.chars().any(unprintable) {
        return s;
    }
    let mut out = String::with_capacity(s.len() + 16);
    let mut rest = s.as_str();
    while let Some(c) = rest.chars().next() {
        if c == '\u{1b}' && keep_colour {
            let sgr = rest[1..]
                .strip_prefix('[')
                .map(|t| {
                    t.len()
                        - t.trim_start_matches(|x: char| x.is_ascii_digit() || x == ';')
                            .len()
                })
                .filter(|&n| rest[2 + n..].starts_with('m'));
            if let Some(n) = sgr {
                out.push_str(&rest[..3 + n]);
                rest = &rest[3 + n..];
                continue;
            }
        }
        if unprintable(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// One line naming the route of an outbound: `backend:10001  tcp  → MeshTCPRoute`.
pub fn outbound_title(o: &OutboundReport) -> String {
    printable(
        format!(
            "{}  {}  {}",
            o.destination.shown(),
            o.protocol,
            o.route.as_str()
        ),
        false,
    )
}

fn outbound_lines(out: &mut Vec<Line>, o: &OutboundReport, last: bool) {
    let (branch, cont) = if last {
        ("└─", "   ")
    } else {
        ("├─", "│  ")
    };
    let route = match o.route {
        RouteKind::Default => (Tag::Dim, "default"),
        RouteKind::None => (Tag::Bold, "none (no listener)"),
        r => (Tag::Bold, r.as_str()),
    };
    out.push(
        Line::plain(format!("  {branch} "))
            .with(Tag::Bold, o.destination.shown())
            .with(Tag::Plain, format!("  {}  → ", o.protocol))
            .with(route.0, route.1),
    );
    if o.backends.is_empty() {
        // Never silent: the outbound's reason says why there is none.
        out.push(
            Line::plain(format!("  {cont}    "))
                .with(Tag::Dim, format!("(no backend) {}", o.reason)),
        );
    }
    let w = o
        .backends
        .iter()
        .map(|b| backend_name(b).len())
        .max()
        .unwrap_or(0);
    for b in &o.backends {
        let mark = if b.resolved {
            String::new()
        } else {
            format!("  {} {}", marks::UNRESOLVED.0, marks::UNRESOLVED.1)
        };
        out.push(Line::plain(format!(
            "  {cont}    ⇢ {:<w$}  weight {:<4} {:>6}  {}{mark}",
            backend_name(b),
            b.weight,
            share_pct(b.share),
            bar(b.share, 10),
        )));
    }
    for pol in &o.policies {
        let mut l = Line::plain(format!("  {cont}    "));
        l.spans.push(status_span(pol.status));
        l.push(Tag::Plain, format!("  {} {}", pol.kind, pol.name));
        l.spans.extend(location_spans(pol.location.as_ref()));
        out.push(l);
        if pol.status != Status::Applied {
            out.push(Line::plain(format!("  {cont}        ")).with(Tag::Dim, &*pol.reason));
        }
    }
    for l in &o.legacy_policies {
        let (sym, word) = marks::LEGACY;
        out.push(Line::plain(format!(
            "  {cont}    {sym} {word:<10}  {} {} ({})",
            l.kind, l.name, l.status
        )));
    }
}

/// `backend-v1`, `kuma-demo/backend:8080`, `backend {version: v2}`.
pub fn backend_name(b: &crate::resolve::Backend) -> String {
    let mut s = crate::model::qualified_name(b.namespace.as_deref(), &b.name);
    if let Some(port) = b.port {
        s.push_str(&format!(":{port}"));
    }
    if !b.tags.is_empty() {
        s.push(' ');
        s.push_str(&crate::model::fmt_tags(&b.tags));
    }
    printable(s, false)
}

pub fn proxy_title(pr: &ProxyReport) -> String {
    let name = pr.qualified_name();
    printable(format!("{name}  {}", pr.proxy_type.as_str()), false)
}

/// `⚙ from Deployment shop/web`: where a derived proxy comes from.
pub fn derived_mark(d: &crate::model::DerivedFrom) -> String {
    format!("⚙ from {d}")
}

/// The whole report as text.
pub fn render_text(r: &Report, opts: TextOptions) -> String {
    printable(
        lines::write(&report_lines(r, opts.verbose), opts.color),
        opts.color,
    )
}

/// The whole report as lines.
fn report_lines(r: &Report, verbose: bool) -> Vec<Line> {
    let mut out = vec![Line::default().with(Tag::Bold, "meshtcp report").with(
        Tag::Plain,
        format!(
            " · Kuma {} · {} prox{} · {}",
            r.kuma_version,
            r.proxies.len(),
            if r.proxies.len() == 1 { "y" } else { "ies" },
            counts(&r.findings)
        ),
    )];
    let mut mesh = None;
    for pr in &r.proxies {
        if mesh != Some(&pr.mesh) {
            out.push(Line::default());
            out.push(Line::default().with(Tag::Bold, format!("mesh {}", pr.mesh)));
            mesh = Some(&pr.mesh);
        }
        let mut l = Line::plain("● ").with(Tag::Bold, proxy_title(pr));
        if !pr.tags.is_empty() {
            l.push(
                Tag::Plain,
                format!("  {}", crate::model::fmt_tags(&pr.tags)),
            );
        }
        l.spans.extend(location_spans(pr.location.as_ref()));
        out.push(l);
        if let Some(d) = &pr.derived_from {
            out.push(Line::plain(format!(
                "  {}",
                printable(derived_mark(d), false)
            )));
        }
        for n in &pr.notes {
            out.push(Line::plain("  ").with(Tag::Dim, format!("note: {n}")));
        }
        if pr.outbounds.is_empty() {
            out.push(Line::plain("  └─ ").with(Tag::Dim, "(no outbounds)"));
        }
        for (i, o) in pr.outbounds.iter().enumerate() {
            outbound_lines(&mut out, o, i + 1 == pr.outbounds.len());
        }
    }
    if !r.findings.is_empty() {
        out.push(Line::default());
        out.push(Line::default().with(Tag::Bold, format!("Findings ({})", counts(&r.findings))));
        for f in &r.findings {
            finding_lines(&mut out, f, verbose);
        }
    }
    out
}

/// How many names a finding's line shows before "… N more".
const NAMES_SHOWN: usize = 3;

/// `a, b, c, … 7 more`
fn first_few<S: AsRef<str>>(all: impl ExactSizeIterator<Item = S>) -> String {
    let n = all.len();
    let mut s = String::new();
    for (i, x) in all.take(NAMES_SHOWN).enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(x.as_ref());
    }
    if n > NAMES_SHOWN {
        let _ = write!(s, ", … {} more", n - NAMES_SHOWN);
    }
    s
}

/// Which proxies a finding concerns, short: `proxy web-1: api:80, db:5432` or
/// `120 proxies: web-1, web-2, web-3, … 117 more`. `None` for a finding about a
/// resource alone.
pub fn concerns(f: &Finding) -> Option<String> {
    Some(match f.proxies.as_slice() {
        [] => return None,
        [one] if one.outbounds.is_empty() => format!("proxy {}", one.proxy.qualified()),
        [one] => format!(
            "proxy {}: {}",
            one.proxy.qualified(),
            first_few(one.outbounds.iter())
        ),
        many => format!(
            "{} proxies: {}",
            many.len(),
            first_few(many.iter().map(|h| h.proxy.qualified()))
        ),
    })
}

/// One finding: severity, code, message, where it concerns (the proxies as a count and
/// the first few names), location.
pub fn finding_line(f: &Finding) -> Line {
    let on = concerns(f)
        .map(|c| format!(" [on {c}]"))
        .unwrap_or_default();
    let mut l = Line::default();
    l.spans.push(severity_span(f.severity));
    l.push(
        Tag::Plain,
        format!(" {:<30} {}{on}", f.code.as_str(), f.message),
    );
    l.spans.extend(location_spans(f.location.as_ref()));
    l
}

/// [`finding_line`] into `out`; `verbose`: then every proxy it concerns on its own
/// line, with its outbounds.
fn finding_lines(out: &mut Vec<Line>, f: &Finding, verbose: bool) {
    out.push(finding_line(f));
    if verbose && (f.proxies.len() > 1 || f.proxies.iter().any(|h| h.outbounds.len() > NAMES_SHOWN))
    {
        for h in &f.proxies {
            let mut s = format!("    {}", h.proxy.qualified());
            if !h.outbounds.is_empty() {
                let _ = write!(s, ": {}", h.outbounds.join(", "));
            }
            out.push(Line::plain(s));
        }
    }
}

/// One finding as a plain line (for the TUI and messages).
pub fn finding_text(f: &Finding) -> String {
    printable(finding_line(f).text(), false)
}

/// The precedence story of one outbound (`meshtcp explain`, and the TUI's detail pane).
pub fn explain(
    pr: &ProxyReport,
    o: &OutboundReport,
    findings: &[Finding],
    kuma_version: &str,
) -> String {
    printable(
        lines::write(&explain_lines(pr, o, findings, kuma_version), false),
        false,
    )
}

/// [`explain`] as lines.
pub fn explain_lines(
    pr: &ProxyReport,
    o: &OutboundReport,
    findings: &[Finding],
    kuma_version: &str,
) -> Vec<Line> {
    let mut out = vec![
        Line::plain(format!(
            "{} → {} ({}) · Kuma {kuma_version}",
            pr.name,
            o.destination.shown(),
            o.protocol
        )),
        Line::plain(format!(
            "Destination: {} {}",
            o.destination.kind,
            o.destination.shown()
        )),
        Line::plain(format!("Route: {}", o.route.as_str())),
        Line::plain(format!("Why: {}", o.reason)),
        Line::default(),
    ];
    if o.policies.is_empty() {
        out.push(Line::plain(
            "Candidates: none. No MeshTCPRoute, MeshHTTPRoute or TrafficRoute selects this proxy and destination.",
        ));
    } else {
        out.push(Line::plain(
            "Candidates, lowest precedence first (the last applied one wins):",
        ));
        for (i, pol) in o.policies.iter().enumerate() {
            let (sym, word) = marks::status(pol.status);
            let loc = pol
                .location
                .as_ref()
                .map(|l| format!("  ({l})"))
                .unwrap_or_default();
            let name = crate::model::qualified_name(pol.namespace.as_deref(), &pol.name);
            out.push(
                Line::plain(format!("  {}. ", i + 1))
                    .with(Tag::Status(pol.status), format!("{sym} {word:<10}"))
                    .with(Tag::Plain, format!(" {} {name}{loc}", pol.kind)),
            );
            if !pol.precedence.is_empty() {
                out.push(Line::plain(format!(
                    "       keys: {}",
                    pol.precedence.join(" · ")
                )));
            }
            out.push(Line::plain(format!("       {}", pol.reason)));
        }
    }
    out.push(Line::default());
    out.push(Line::plain("Backends:"));
    if o.backends.is_empty() {
        out.push(Line::plain("  (none: the outbound has no upstream)"));
    }
    for b in &o.backends {
        let nf = if b.resolved { "" } else { "  ✖ not found" };
        out.push(Line::plain(format!(
            "  ⇢ {}  weight {}  share {}{nf}",
            backend_name(b),
            b.weight,
            share_pct(b.share)
        )));
        if !b.how.is_empty() {
            out.push(Line::plain(format!("      {}", b.how)));
        }
    }
    if !o.legacy_policies.is_empty() {
        out.push(Line::default());
        out.push(Line::plain("Legacy policies on this outbound:"));
        for l in &o.legacy_policies {
            let loc = l
                .location
                .as_ref()
                .map(|l| format!("  ({l})"))
                .unwrap_or_default();
            out.push(Line::plain(format!(
                "  ⚑ {} {}: {}{loc}",
                l.kind, l.name, l.status
            )));
        }
    }
    if !o.notes.is_empty() {
        out.push(Line::default());
        for n in &o.notes {
            out.push(Line::plain(format!("Note: {n}")));
        }
    }
    let related: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.proxies.is_empty() || f.concerns(&pr.mesh, pr.namespace.as_deref(), &pr.name))
        .filter(|f| {
            f.resource.as_ref().is_some_and(|r| {
                o.policies
                    .iter()
                    .any(|p| p.kind == r.kind && *p.name == *r.name)
                    || o.legacy_policies
                        .iter()
                        .any(|p| p.kind == r.kind && p.name == r.name)
            })
        })
        .collect();
    if !related.is_empty() {
        out.push(Line::default());
        out.push(Line::plain("Findings:"));
        for f in related {
            out.push(Line::plain("  ").with_line(finding_line(f)));
        }
    }
    out.into_iter().map(printable_line).collect()
}

/// The line with every span made [`printable`] (colour codes are not kept: spans
/// hold none).
pub fn printable_line(mut l: Line) -> Line {
    for (_, text) in &mut l.spans {
        if text.chars().any(unprintable) {
            *text = printable(std::mem::take(text), false);
        }
    }
    l
}

/// `check`'s text output: the findings, and a verdict line.
pub fn check_text(r: &Report, strict: bool, verbose: bool) -> String {
    let mut lines = Vec::new();
    for f in &r.findings {
        finding_lines(&mut lines, f, verbose);
    }
    let mut out = String::new();
    for l in &lines {
        let _ = writeln!(out, "{}", l.text());
    }
    let failing = super::check_exit_code(r, strict) != 0;
    let _ = writeln!(
        out,
        "{}: {} (Kuma {}, threshold: {})",
        if failing { "FAIL" } else { "OK" },
        counts(&r.findings),
        r.kuma_version,
        if strict { "warning" } else { "error" }
    );
    printable(out, false)
}
