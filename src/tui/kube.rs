//! `--kube` in the TUI: the cluster watch ([`crate::source::kube::watch`]) runs on its
//! own thread; its events reach the run loop through the same channel as file-watch
//! reloads. This module turns them into [`Action`]s (pure, testable); the runtime keeps
//! the latest cluster model and resolves it with the file sources.

use super::action::{Action, Progress};
use crate::resolve::KumaVersion;
use crate::source::kube::watch::WatchEvent;

/// How the version was known, in a few words for the status line.
pub fn short_how(how: &str) -> &'static str {
    if how.contains("--kuma-version") {
        "version given"
    } else if how.contains("newer than meshtcp models") {
        "kuma-cp newer than modelled"
    } else if how.contains("guessed from CRDs") {
        "version guessed from CRDs"
    } else if how.contains("control-plane image") {
        "version from the kuma-cp image"
    } else {
        "default version"
    }
}

/// Connection state and how the version was known, for the status line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterView {
    /// `connecting`, `watching 18 kinds…`, `reconnecting: …`, `✖ disconnected`.
    pub conn: String,
    /// How the version was known, short: `version from the kuma-cp image`.
    pub version: String,
    /// The version to resolve under, once known.
    pub resolved: Option<KumaVersion>,
    pub failed: bool,
    resources: usize,
}

impl ClusterView {
    pub fn connecting() -> ClusterView {
        ClusterView {
            conn: "connecting".into(),
            ..ClusterView::default()
        }
    }

    /// The status-line text (the full sentence about the version goes to the message
    /// line once).
    pub fn status(&self) -> String {
        if self.version.is_empty() {
            self.conn.clone()
        } else {
            format!("{} · {}", self.conn, self.version)
        }
    }

    /// The actions for one watch event, except models (the runtime resolves those).
    pub fn on_event(&mut self, ev: &WatchEvent) -> Vec<Action> {
        match ev {
            WatchEvent::Version(v, how) => {
                self.resolved = Some(*v);
                self.version = short_how(how).into();
                self.conn = "listing".into();
                vec![
                    Action::ClusterStatus(self.status()),
                    Action::ClusterChanged(how.clone()),
                ]
            }
            WatchEvent::Progress(p) => {
                self.resources += p.items;
                vec![Action::Progress(Progress {
                    current: format!("{}: {} ({} listed)", p.context, p.kind, p.items),
                    sources_done: p.kinds_done.saturating_sub(1),
                    sources_total: p.kinds_total,
                    files: 0,
                    resources: self.resources,
                })]
            }
            WatchEvent::Model {
                changes, initial, ..
            } => {
                self.failed = false;
                if *initial || self.conn == "listing" || self.conn == "connecting" {
                    self.conn = "watching".into();
                }
                let mut v = vec![Action::ClusterStatus(self.status())];
                if !initial && !changes.is_empty() {
                    let more = if changes.len() > 1 {
                        format!(" (+{} more)", changes.len() - 1)
                    } else {
                        String::new()
                    };
                    v.push(Action::ClusterChanged(format!(
                        "cluster: {}{more}",
                        changes[0]
                    )));
                }
                v
            }
            WatchEvent::Status(s) => {
                self.conn = if s.starts_with("watching") {
                    "watching".into()
                } else {
                    format!("⟳ {s}")
                };
                vec![Action::ClusterStatus(self.status())]
            }
            WatchEvent::Failed(e) => {
                self.failed = true;
                self.conn = "✖ disconnected (r: retry)".into();
                vec![
                    Action::ClusterStatus(self.status()),
                    Action::Failed(format!("{e}. Press r to retry.")),
                ]
            }
        }
    }
}
