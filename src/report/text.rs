//! The text report and `explain`: what a person reads in a terminal. Meaning is carried
//! by a symbol and a word; colour (when enabled) is only a second channel.

use crate::model::{Finding, Severity};
use crate::resolve::{OutboundReport, ProxyReport, Report, RouteKind, Status};
use std::fmt::Write;

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

struct Painter {
    on: bool,
}

impl Painter {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn status(&self, s: Status) -> String {
        let (sym, word) = marks::status(s);
        let code = match s {
            Status::Applied => "32",
            Status::Overridden => "33",
            Status::Ignored => "31",
        };
        self.paint(code, &format!("{sym} {word:<10}"))
    }
    fn severity(&self, s: Severity) -> String {
        let (sym, word) = marks::severity(s);
        let code = match s {
            Severity::Error => "31;1",
            Severity::Warning => "33",
            Severity::Info => "36",
        };
        self.paint(code, &format!("{sym} {word:<7}"))
    }
    fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    fn dim(&self, s: &str) -> String {
        self.paint("2", s)
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

fn write_outbound(out: &mut String, o: &OutboundReport, p: &Painter, last: bool) {
    let (branch, cont) = if last {
        ("└─", "   ")
    } else {
        ("├─", "│  ")
    };
    let route = match o.route {
        RouteKind::Default => p.dim("default"),
        RouteKind::None => p.bold("none (no listener)"),
        r => p.bold(r.as_str()),
    };
    let _ = writeln!(
        out,
        "  {branch} {}  {}  → {route}",
        p.bold(&o.destination.shown()),
        o.protocol
    );
    if o.backends.is_empty() {
        // Never silent: the outbound's reason says why there is none.
        let _ = writeln!(
            out,
            "  {cont}    {}",
            p.dim(&format!("(no backend) {}", o.reason))
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
        let _ = writeln!(
            out,
            "  {cont}    ⇢ {:<w$}  weight {:<4} {:>6}  {}{mark}",
            backend_name(b),
            b.weight,
            share_pct(b.share),
            bar(b.share, 10),
        );
    }
    for pol in &o.policies {
        let loc = pol
            .location
            .as_ref()
            .map(|l| format!("  {}", p.dim(&l.to_string())))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {cont}    {}  {} {}{loc}",
            p.status(pol.status),
            pol.kind,
            pol.name
        );
        if pol.status != Status::Applied {
            let _ = writeln!(out, "  {cont}        {}", p.dim(&pol.reason));
        }
    }
    for l in &o.legacy_policies {
        let (sym, word) = marks::LEGACY;
        let _ = writeln!(
            out,
            "  {cont}    {sym} {word:<10}  {} {} ({})",
            l.kind, l.name, l.status
        );
    }
}

/// `backend-v1`, `kuma-demo/backend:8080`, `backend {version: v2}`.
pub fn backend_name(b: &crate::resolve::Backend) -> String {
    let mut s = match &b.namespace {
        Some(ns) => format!("{ns}/{}", b.name),
        None => b.name.clone(),
    };
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
    let name = match &pr.namespace {
        Some(ns) => format!("{ns}/{}", pr.name),
        None => pr.name.clone(),
    };
    printable(format!("{name}  {}", pr.proxy_type.as_str()), false)
}

/// `⚙ from Deployment shop/web`: where a derived proxy comes from.
pub fn derived_mark(d: &crate::model::DerivedFrom) -> String {
    format!("⚙ from {d}")
}

/// The whole report as text.
pub fn render_text(r: &Report, opts: TextOptions) -> String {
    let p = Painter { on: opts.color };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} · Kuma {} · {} prox{} · {}",
        p.bold("meshtcp report"),
        r.kuma_version,
        r.proxies.len(),
        if r.proxies.len() == 1 { "y" } else { "ies" },
        counts(&r.findings)
    );
    let mut mesh = None;
    for pr in &r.proxies {
        if mesh != Some(&pr.mesh) {
            let _ = writeln!(out, "\n{}", p.bold(&format!("mesh {}", pr.mesh)));
            mesh = Some(&pr.mesh);
        }
        let loc = pr
            .location
            .as_ref()
            .map(|l| format!("  {}", p.dim(&l.to_string())))
            .unwrap_or_default();
        let tags = if pr.tags.is_empty() {
            String::new()
        } else {
            format!("  {}", crate::model::fmt_tags(&pr.tags))
        };
        let _ = writeln!(out, "● {}{tags}{loc}", p.bold(&proxy_title(pr)));
        if let Some(d) = &pr.derived_from {
            let _ = writeln!(out, "  {}", printable(derived_mark(d), false));
        }
        for n in &pr.notes {
            let _ = writeln!(out, "  {}", p.dim(&format!("note: {n}")));
        }
        if pr.outbounds.is_empty() {
            let _ = writeln!(out, "  └─ {}", p.dim("(no outbounds)"));
        }
        for (i, o) in pr.outbounds.iter().enumerate() {
            write_outbound(&mut out, o, &p, i + 1 == pr.outbounds.len());
        }
    }
    if !r.findings.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            p.bold(&format!("Findings ({})", counts(&r.findings)))
        );
        for f in &r.findings {
            let _ = writeln!(out, "{}", finding_line(f, &p, opts.verbose));
        }
    }
    printable(out, opts.color)
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
/// the first few names), location. `verbose`: then every proxy on its own line, with
/// its outbounds.
fn finding_line(f: &Finding, p: &Painter, verbose: bool) -> String {
    let loc = f
        .location
        .as_ref()
        .map(|l| format!("  {}", p.dim(&l.to_string())))
        .unwrap_or_default();
    let on = concerns(f)
        .map(|c| format!(" [on {c}]"))
        .unwrap_or_default();
    let mut line = format!(
        "{} {:<30} {}{on}{loc}",
        p.severity(f.severity),
        f.code.as_str(),
        f.message
    );
    if verbose && (f.proxies.len() > 1 || f.proxies.iter().any(|h| h.outbounds.len() > NAMES_SHOWN))
    {
        for h in &f.proxies {
            let _ = write!(line, "\n    {}", h.proxy.qualified());
            if !h.outbounds.is_empty() {
                let _ = write!(line, ": {}", h.outbounds.join(", "));
            }
        }
    }
    line
}

/// One finding as a plain line (for the TUI and messages).
pub fn finding_text(f: &Finding) -> String {
    printable(finding_line(f, &Painter { on: false }, false), false)
}

/// The precedence story of one outbound (`meshtcp explain`, and the TUI's detail pane).
pub fn explain(
    pr: &ProxyReport,
    o: &OutboundReport,
    findings: &[Finding],
    kuma_version: &str,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} → {} ({}) · Kuma {kuma_version}",
        pr.name,
        o.destination.shown(),
        o.protocol
    );
    let _ = writeln!(
        out,
        "Destination: {} {}",
        o.destination.kind,
        o.destination.shown()
    );
    let _ = writeln!(out, "Route: {}", o.route.as_str());
    let _ = writeln!(out, "Why: {}", o.reason);
    let _ = writeln!(out);
    if o.policies.is_empty() {
        let _ = writeln!(
            out,
            "Candidates: none. No MeshTCPRoute, MeshHTTPRoute or TrafficRoute selects this proxy and destination."
        );
    } else {
        let _ = writeln!(
            out,
            "Candidates, lowest precedence first (the last applied one wins):"
        );
        for (i, pol) in o.policies.iter().enumerate() {
            let (sym, word) = marks::status(pol.status);
            let loc = pol
                .location
                .as_ref()
                .map(|l| format!("  ({l})"))
                .unwrap_or_default();
            let ns = pol
                .namespace
                .as_ref()
                .map(|n| format!("{n}/"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {}. {sym} {word:<10} {} {ns}{}{loc}",
                i + 1,
                pol.kind,
                pol.name
            );
            if !pol.precedence.is_empty() {
                let _ = writeln!(out, "       keys: {}", pol.precedence.join(" · "));
            }
            let _ = writeln!(out, "       {}", pol.reason);
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "Backends:");
    if o.backends.is_empty() {
        let _ = writeln!(out, "  (none: the outbound has no upstream)");
    }
    for b in &o.backends {
        let nf = if b.resolved { "" } else { "  ✖ not found" };
        let _ = writeln!(
            out,
            "  ⇢ {}  weight {}  share {}{nf}",
            backend_name(b),
            b.weight,
            share_pct(b.share)
        );
        if !b.how.is_empty() {
            let _ = writeln!(out, "      {}", b.how);
        }
    }
    if !o.legacy_policies.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "Legacy policies on this outbound:");
        for l in &o.legacy_policies {
            let loc = l
                .location
                .as_ref()
                .map(|l| format!("  ({l})"))
                .unwrap_or_default();
            let _ = writeln!(out, "  ⚑ {} {}: {}{loc}", l.kind, l.name, l.status);
        }
    }
    if !o.notes.is_empty() {
        let _ = writeln!(out);
        for n in &o.notes {
            let _ = writeln!(out, "Note: {n}");
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
        let _ = writeln!(out);
        let _ = writeln!(out, "Findings:");
        for f in related {
            let _ = writeln!(out, "  {}", finding_text(f));
        }
    }
    printable(out, false)
}

/// `check`'s text output: the findings, and a verdict line.
pub fn check_text(r: &Report, strict: bool, verbose: bool) -> String {
    let p = Painter { on: false };
    let mut out = String::new();
    for f in &r.findings {
        let _ = writeln!(out, "{}", finding_line(f, &p, verbose));
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
