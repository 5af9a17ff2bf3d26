//! Source documents: which one the selection comes from, the YAML overlay, and which
//! document the screen needs read.

use super::*;

impl App {
    /// The source document of the selection: (title, location), or why there is none.
    pub fn selection_source(&self) -> Result<(String, Location), String> {
        let m = self.model.as_ref().ok_or("nothing loaded yet")?;
        let none = |what: &str| {
            Err(format!(
                "{what} has no source location (stdin or the cluster)"
            ))
        };
        match self.view {
            View::Tree => match self.selected_node() {
                None => Err("nothing selected".into()),
                Some(Node::Mesh(_)) | Some(Node::Placeholder) => Err(
                    "a mesh has no single document: select a proxy, an outbound or a backend"
                        .into(),
                ),
                Some(Node::Pending(_)) => Err(
                    "still resolving this proxy's outbounds: select the proxy for its YAML".into(),
                ),
                Some(Node::Proxy(p)) => {
                    let pr = m.proxy(p);
                    match &pr.location {
                        Some(l) => Ok((format!("Dataplane {}", pr.name), l.clone())),
                        None => none("this proxy"),
                    }
                }
                Some(Node::Outbound(p, o)) | Some(Node::Backend(p, o, _)) => {
                    let ob = m.outbound(p, o);
                    match ob
                        .policies
                        .iter()
                        .rev()
                        .find(|s| s.status == Status::Applied)
                    {
                        Some(s) => match &s.location {
                            Some(l) => Ok((format!("{} {}", s.kind, s.name), l.clone())),
                            None => none("the applied policy"),
                        },
                        None => Err(format!(
                            "no policy routes {}: it goes straight to the destination",
                            ob.destination.label()
                        )),
                    }
                }
            },
            View::Policies => {
                let row = self.selected_policy_row().ok_or("nothing selected")?;
                let p = &m.policies[row.policy()];
                let loc = match row {
                    PRow::Finding(_, g) => m.report.findings[p.groups[g].0 as usize]
                        .location
                        .as_ref()
                        .or(p.location.as_ref()),
                    _ => p.location.as_ref(),
                };
                match loc {
                    Some(l) => Ok((format!("{} {}", p.kind, p.qualified()), l.clone())),
                    None => Err("no source location is known for this policy".into()),
                }
            }
            View::Findings => {
                let f = self
                    .selected_finding()
                    .map(|i| &m.report.findings[i])
                    .ok_or("nothing selected")?;
                let title = f
                    .resource
                    .as_ref()
                    .map(|r| format!("{} {}", r.kind, r.name))
                    .unwrap_or_else(|| f.code.as_str().to_string());
                match &f.location {
                    Some(l) => Ok((title, l.clone())),
                    None => none("this finding"),
                }
            }
        }
    }

    pub(super) fn show_yaml(&mut self) {
        match self.selection_source() {
            Ok((title, location)) => {
                self.mode = Mode::Yaml(YamlView {
                    title,
                    location,
                    scroll: 0,
                });
            }
            Err(e) => self.say_about_selection(e),
        }
    }

    /// A document the screen needs and nobody has asked for yet.
    pub(super) fn wanted_source(&mut self) -> Option<Effect> {
        let loc = if let Mode::Yaml(y) = &self.mode {
            Some(y.location.clone())
        } else if self.view == View::Policies && self.mode == Mode::Normal {
            match (self.selected_policy_row(), &self.model) {
                (Some(PRow::Policy(p)), Some(m)) => m.policies[p].location.clone(),
                _ => None,
            }
        } else {
            None
        }?;
        if self.sources.contains_key(&loc) {
            return None;
        }
        self.sources.insert(loc.clone(), SourceText::Pending);
        Some(Effect::ReadSource(loc))
    }
}
