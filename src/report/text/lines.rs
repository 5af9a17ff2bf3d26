//! Text as lines of tagged spans: the words, and what each piece of them is (a status
//! mark, a severity, a name, a location). The text report turns the tags into ANSI
//! colours or nothing ([`write`]); the TUI turns them into styles. Nobody reads the
//! words back to find out what they were.

use crate::model::Severity;
use crate::resolve::Status;

/// What a span is, for whoever shows it. The words never depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    Plain,
    /// A name or heading.
    Bold,
    /// A location, a reason: secondary.
    Dim,
    /// A policy's status mark (`✓ applied`).
    Status(Status),
    /// A finding's severity mark (`▲ warning`).
    Severity(Severity),
}

impl Tag {
    /// The ANSI SGR parameters of the tag; none for plain text.
    pub fn ansi(self) -> Option<&'static str> {
        Some(match self {
            Tag::Plain => return None,
            Tag::Bold => "1",
            Tag::Dim => "2",
            Tag::Status(Status::Applied) => "32",
            Tag::Status(Status::Overridden) => "33",
            Tag::Status(Status::Ignored) => "31",
            Tag::Severity(Severity::Error) => "31;1",
            Tag::Severity(Severity::Warning) => "33",
            Tag::Severity(Severity::Info) => "36",
        })
    }

    /// Is it a mark (a status or a severity) that says what its line is about?
    pub fn is_mark(self) -> bool {
        matches!(self, Tag::Status(_) | Tag::Severity(_))
    }
}

/// One line of text (no `\n` inside), as tagged spans.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Line {
    pub spans: Vec<(Tag, String)>,
}

impl Line {
    /// A line of one plain span.
    pub fn plain(s: impl Into<String>) -> Line {
        Line::default().with(Tag::Plain, s)
    }

    /// The line with a span added.
    pub fn with(mut self, tag: Tag, s: impl Into<String>) -> Line {
        self.push(tag, s);
        self
    }

    pub fn push(&mut self, tag: Tag, s: impl Into<String>) {
        self.spans.push((tag, s.into()));
    }

    /// Add the spans of `other` at the end.
    pub fn extend(&mut self, other: Line) {
        self.spans.extend(other.spans);
    }

    /// The line with the spans of `other` added.
    pub fn with_line(mut self, other: Line) -> Line {
        self.extend(other);
        self
    }

    /// The first mark of the line (see [`Tag::is_mark`]).
    pub fn mark(&self) -> Option<Tag> {
        self.spans.iter().map(|s| s.0).find(|t| t.is_mark())
    }

    /// The words, with ANSI colour codes around tagged spans when `color` is set.
    pub fn write_to(&self, out: &mut String, color: bool) {
        for (tag, text) in &self.spans {
            match tag.ansi().filter(|_| color) {
                Some(code) => {
                    out.push_str("\x1b[");
                    out.push_str(code);
                    out.push('m');
                    out.push_str(text);
                    out.push_str("\x1b[0m");
                }
                None => out.push_str(text),
            }
        }
    }

    /// The words without colour.
    pub fn text(&self) -> String {
        let mut s = String::new();
        self.write_to(&mut s, false);
        s
    }
}

/// The lines as text, each ending with `\n` (see [`Line::write_to`]).
pub fn write(lines: &[Line], color: bool) -> String {
    let mut out = String::new();
    for l in lines {
        l.write_to(&mut out, color);
        out.push('\n');
    }
    out
}

/// Builds lines from pieces of text that may hold line breaks, the way `str::lines`
/// splits them (a `\r` before a break goes too; a last line without a break counts).
#[derive(Debug, Default)]
pub struct Lines {
    done: Vec<Line>,
    cur: Line,
    open: bool,
}

impl Lines {
    /// Add `s` tagged `tag`; each `\n` in it ends a line.
    pub fn add(&mut self, tag: Tag, s: &str) -> &mut Self {
        for (i, part) in s.split('\n').enumerate() {
            if i > 0 {
                self.end_line(true);
            }
            if !part.is_empty() {
                self.cur.push(tag, part);
                self.open = true;
            }
        }
        self
    }

    /// Add plain text (see [`Lines::add`]).
    pub fn plain(&mut self, s: &str) -> &mut Self {
        self.add(Tag::Plain, s)
    }

    /// Add a whole line and a line break after it.
    pub fn line(&mut self, l: Line) -> &mut Self {
        self.cur.extend(l);
        self.end_line(false);
        self
    }

    /// Add whole lines (see [`Lines::line`]).
    pub fn lines(&mut self, ls: impl IntoIterator<Item = Line>) -> &mut Self {
        for l in ls {
            self.line(l);
        }
        self
    }

    /// End the current line; `by_break`: a `\n` ended it (and a `\r` before goes).
    fn end_line(&mut self, by_break: bool) {
        let mut l = std::mem::take(&mut self.cur);
        if by_break
            && let Some((_, last)) = l.spans.last_mut()
            && last.ends_with('\r')
        {
            last.pop();
            if last.is_empty() {
                l.spans.pop();
            }
        }
        self.done.push(l);
        self.open = false;
    }

    pub fn finish(mut self) -> Vec<Line> {
        if self.open {
            self.end_line(false);
        }
        self.done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(l: Lines) -> Vec<String> {
        l.finish().iter().map(Line::text).collect()
    }

    #[test]
    fn lines_split_pieces_like_str_lines() {
        for s in [
            "a\nb",
            "a\nb\n",
            "a\n\nb\n\n",
            "",
            "\n",
            "x\r\ny\r\n",
            "a\r\n\r\n",
            "a\r",
        ] {
            let mut l = Lines::default();
            // The same text in two pieces, split anywhere, gives the same lines.
            for cut in 0..=s.len() {
                let mut l2 = Lines::default();
                l2.plain(&s[..cut]).plain(&s[cut..]);
                assert_eq!(
                    texts(l2),
                    s.lines().collect::<Vec<_>>(),
                    "{s:?} cut at {cut}"
                );
            }
            l.plain(s);
            assert_eq!(texts(l), s.lines().collect::<Vec<_>>(), "{s:?}");
        }
    }

    #[test]
    fn colour_goes_around_tagged_spans_only() {
        let l = Line::plain("  ")
            .with(Tag::Status(Status::Ignored), "⊘ ignored")
            .with(Tag::Plain, " r ")
            .with(Tag::Dim, "f.yaml:3");
        assert_eq!(l.text(), "  ⊘ ignored r f.yaml:3");
        let mut s = String::new();
        l.write_to(&mut s, true);
        assert_eq!(s, "  \x1b[31m⊘ ignored\x1b[0m r \x1b[2mf.yaml:3\x1b[0m");
        assert_eq!(l.mark(), Some(Tag::Status(Status::Ignored)));
        assert_eq!(
            Line::plain("✓ applied").mark(),
            None,
            "words are not read back"
        );
    }
}
