//! Why an outbound is routed the way it is: each case of §6 and §7.2 as a value, put
//! into words in one place ([`Reason::words`]), the `reason` of an outbound's report.

use crate::model::Meta;

/// Which new route plugin rebuilt an outbound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plugin {
    Tcp,
    Http,
}

impl Plugin {
    fn policy_kind(self) -> &'static str {
        match self {
            Plugin::Tcp => "MeshTCPRoute",
            Plugin::Http => "MeshHTTPRoute",
        }
    }
}

/// Why the winning TrafficRoute routes a legacy outbound (no new plugin takes it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LegacyWhy {
    /// No MeshTCPRoute or MeshHTTPRoute rule selects the proxy.
    NoNewRules,
    /// An HTTP destination: the MeshHTTPRoute plugin does not run, no MeshTCPRoute
    /// selects the destination.
    HttpPluginOff,
    /// The MeshTCPRoute plugin does not run for the proxy.
    TcpPluginOff,
}

/// The reason of one outbound's route.
pub(crate) enum Reason<'a> {
    /// The highest MeshTCPRoute of `routes` applies (with why its backends may be
    /// unusable).
    MeshTcpRoute {
        winner: &'a Meta,
        routes: usize,
        unusable: Option<&'a str>,
    },
    /// The highest MeshHTTPRoute routes the destination.
    MeshHttpRoute {
        winner: &'a Meta,
        protocol: &'a str,
        /// It routes a TCP destination as HTTP (the MeshTCPRoute plugin is skipped).
        on_tcp_destination: bool,
        /// MeshTCPRoutes select the destination too (and lose).
        tcp_too: bool,
    },
    /// A new plugin rebuilt the outbound with no route.
    PluginDefault {
        plugin: Plugin,
        mesh_has_traffic_route: bool,
    },
    /// The winning TrafficRoute routes the legacy outbound.
    TrafficRoute { name: &'a str, why: LegacyWhy },
    /// No route at all: `traffic_routes` names the mesh's TrafficRoutes (none: a 2.3–2.5
    /// mesh without TrafficRoutes).
    NotRouted { traffic_routes: Option<String> },
    /// A real-resource outbound that nothing builds in a TrafficRoute mesh.
    NoListener { traffic_routes: String },
}

impl Reason<'_> {
    /// The reason in words. Joined by hand ([`super::route::cat`]) in the cases every
    /// outbound of a large mesh takes: `format!` cost several times as much.
    pub(crate) fn words(&self) -> String {
        use super::route::cat;
        match self {
            Reason::MeshTcpRoute {
                winner,
                routes,
                unusable,
            } => {
                let [ns, slash, name] = winner.qualified_parts();
                let mut n = itoa::Buffer::new();
                let mut reason = cat(&[
                    "MeshTCPRoute ",
                    ns,
                    slash,
                    name,
                    " applies: highest precedence of ",
                    n.format(*routes),
                    if *routes == 1 {
                        " MeshTCPRoute on this outbound"
                    } else {
                        " MeshTCPRoutes on this outbound"
                    },
                ]);
                if let Some(u) = unusable {
                    reason.push_str("; ");
                    reason.push_str(u);
                }
                reason
            }
            Reason::MeshHttpRoute {
                winner,
                protocol,
                on_tcp_destination,
                tcp_too,
            } => {
                let [ns, slash, name] = winner.qualified_parts();
                let tail = if *on_tcp_destination {
                    " destination as HTTP: the MeshTCPRoute plugin is skipped for this \
                     proxy (the mesh has TrafficRoutes and no MeshTCPRoute selects a MeshService destination here)"
                } else if !tcp_too {
                    " destination"
                } else {
                    " destination; MeshHTTPRoute takes priority over MeshTCPRoute"
                };
                cat(&["MeshHTTPRoute ", ns, slash, name, " routes this ", protocol, tail])
            }
            Reason::PluginDefault {
                plugin,
                mesh_has_traffic_route,
            } => {
                let who = plugin.policy_kind();
                if *mesh_has_traffic_route {
                    format!(
                        "no {who} selects this outbound, and the proxy is configured by {who} (it has {who} rules), \
                         so the {who} plugin rebuilds it with no route: traffic goes straight to the destination"
                    )
                } else {
                    "no route selects this outbound and the mesh has no TrafficRoute: traffic goes straight to the destination"
                        .to_string()
                }
            }
            Reason::TrafficRoute { name, why } => {
                let why = match why {
                    LegacyWhy::NoNewRules => "no MeshTCPRoute or MeshHTTPRoute rule selects this proxy",
                    LegacyWhy::HttpPluginOff => {
                        "the MeshHTTPRoute plugin does not run for this proxy and no MeshTCPRoute selects this destination"
                    }
                    LegacyWhy::TcpPluginOff => "the MeshTCPRoute plugin does not run for this proxy",
                };
                cat(&["TrafficRoute ", name, " routes it: ", why])
            }
            Reason::NotRouted {
                traffic_routes: Some(names),
            } => cat(&[
                "not routed: the mesh has TrafficRoutes (",
                names,
                ") but none selects this proxy and destination, and no MeshTCPRoute or MeshHTTPRoute \
                 rule builds it, so Kuma gives the outbound no route (\"the traffic won't be routed\"): \
                 connections to it fail",
            ]),
            Reason::NotRouted {
                traffic_routes: None,
            } => "not routed: Kuma 2.3–2.5 routes legacy outbounds only through TrafficRoute (each mesh then \
                  came with a default `route-all`), and this mesh has none, so the outbound has no route \
                  (\"the traffic won't be routed\"): connections to it fail"
                .to_string(),
            Reason::NoListener { traffic_routes } => cat(&[
                "no listener: the mesh has TrafficRoutes (",
                traffic_routes,
                "), which never build real-resource outbounds, and neither new route plugin runs for \
                 this proxy (no MeshTCPRoute or MeshHTTPRoute selects a MeshService destination here)",
            ]),
        }
    }
}
