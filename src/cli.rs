//! Command-line parsing and wiring: no logic of its own.

use crate::report::{self, Format};
use crate::resolve::{Engine, Filter, KumaVersion};
use crate::source::input::Input;
use crate::source::{self, Loaded, Source};
use anyhow::{Context, Result, bail};
use clap::{Args, ColorChoice, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};

#[derive(Debug, Parser)]
#[command(
    name = "meshtcp",
    version,
    about = "See what Kuma MeshTCPRoute policies really do: per proxy, per Kuma version, and why",
    long_about = "See what Kuma MeshTCPRoute policies really do: per proxy, per Kuma version, and why.\n\n\
                  With no subcommand, opens the terminal UI. With no SOURCE, uses the embedded demo mesh.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub tui: TuiArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the terminal UI (the default).
    Tui(TuiArgs),
    /// Print the resolved routes of every proxy (JSON, YAML or text).
    Report(ReportArgs),
    /// Like report, but only findings; exit 1 when one is at or over the threshold.
    Check(CheckArgs),
    /// Tell the precedence story of one outbound of one proxy.
    Explain(ExplainArgs),
    /// What a change would do: OLD vs NEW, SOURCE vs SOURCE with --apply CHANGES, or one
    /// input under two Kuma versions. Exit 0: no change, 1: changes, 2: error.
    Diff(DiffArgs),
    /// Write every resource meshtcp sees (derived Dataplanes and MeshServices
    /// included) as YAML files that load offline to the same report; with --kube and
    /// no SOURCE, the cluster's objects as listed.
    Snapshot(SnapshotArgs),
    /// Ask the control plane (--cp) how it routes each outbound of each proxy and
    /// compare with meshtcp's answer; exit 1 on a disagreement, 2 when it cannot ask.
    Verify(VerifyArgs),
    /// Write a synthetic mesh of any size (benchmarks; deterministic for a seed).
    #[command(hide = true)]
    Generate(GenerateArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell), e.g.
    /// `source <(meshtcp completions bash)`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `meshtcp man | man -l -`.
    #[command(hide = true)]
    Man,
}

/// The manual page of the whole command line (roff), written from the same definitions
/// as `--help`.
pub fn man_page() -> Result<String> {
    use clap::CommandFactory;
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    Ok(String::from_utf8(out)?)
}

#[derive(Debug, Args)]
#[command(
    after_help = "The same SHAPE, factors and seed always write the same files. \
    docs/performance.md says what each shape holds and which measurements use it."
)]
pub struct GenerateArgs {
    /// What the mesh looks like.
    #[arg(long, value_enum, default_value_t = crate::synth::Shape::Universal)]
    pub shape: crate::synth::Shape,
    /// Multiply the shape's number of proxies (its services stay as they are).
    #[arg(long, value_name = "FACTOR", default_value_t = 1.0)]
    pub proxies: f64,
    /// Multiply the shape's number of route policies (every kind of them).
    #[arg(long, value_name = "FACTOR", default_value_t = 1.0)]
    pub routes: f64,
    /// Seed of the generator's random choices.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output directory (created).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub output: std::path::PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct Common {
    /// Files or directories (.yaml, .yml, .json; read recursively), or - for stdin.
    /// None (and no --kube): the embedded demo mesh.
    #[arg(value_name = "SOURCE")]
    pub sources: Vec<String>,
    /// Kuma version whose rules apply (2.3 … 2.14). Default: read from the cluster with
    /// --kube, else 2.14.
    #[arg(long, value_name = "X.Y", value_parser = parse_version)]
    pub kuma_version: Option<KumaVersion>,
    /// Also read Kuma resources from Kubernetes (the kubeconfig as kubectl finds it);
    /// read-only: get, list and watch.
    #[arg(long)]
    pub kube: bool,
    /// Kubeconfig context to read (repeat for several clusters, e.g. the zones of a
    /// multi-zone deployment). Default: the current context.
    #[arg(long = "context", value_name = "NAME", requires = "kube")]
    pub contexts: Vec<String>,
    /// Only this namespace. With --kube, the namespaced kinds listed; everywhere, the
    /// proxies reported (everything loaded still takes part in resolving them).
    /// Default: all namespaces.
    #[arg(long, short = 'n', value_name = "NS")]
    pub namespace: Option<String>,
    /// Kubeconfig file. Default: KUBECONFIG, ~/.kube/config, then the in-cluster config.
    #[arg(long, value_name = "PATH", requires = "kube")]
    pub kubeconfig: Option<std::path::PathBuf>,
    /// How long to wait for the API server per request (connect and read), like
    /// kubectl's: 30s, 2m.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub request_timeout: std::time::Duration,
    /// Also read Kuma resources from a control plane's REST API (port 5681, what kumactl
    /// reads): Universal, Kubernetes or global. Repeat for several control planes.
    /// Read-only: GET requests only.
    #[arg(long = "cp", value_name = "URL")]
    pub cp: Vec<String>,
    /// A file holding a user token for --cp, sent as `Authorization: Bearer` (never
    /// printed).
    #[arg(long, value_name = "FILE")]
    pub cp_token_file: Option<std::path::PathBuf>,
    /// CA certificates (PEM) that sign the control plane's certificate. Default: the
    /// system's.
    #[arg(long, value_name = "FILE")]
    pub cp_ca_file: Option<std::path::PathBuf>,
    /// Client certificate (PEM) for --cp, with --cp-client-key.
    #[arg(long, value_name = "FILE", requires = "cp_client_key")]
    pub cp_client_cert: Option<std::path::PathBuf>,
    /// Client key (PEM) for --cp, with --cp-client-cert.
    #[arg(long, value_name = "FILE", requires = "cp_client_cert")]
    pub cp_client_key: Option<std::path::PathBuf>,
    /// Accept any certificate from the control plane (testing only).
    #[arg(long)]
    pub cp_insecure_skip_verify: bool,
    /// Read the control plane of kumactl's context NAME (the current context without a
    /// NAME) from kumactl's config: URL, headers, token, certificates.
    #[arg(long, value_name = "NAME", num_args = 0..=1, default_missing_value = "")]
    pub kumactl_context: Option<String>,
    /// The terminal UI reads the control planes again this often (the API has no
    /// watch); `r` reads them at once.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub cp_poll: std::time::Duration,
    /// kumactl's config file. Default: ~/.kumactl/config.
    #[arg(long, value_name = "FILE", requires = "kumactl_context")]
    pub kumactl_config: Option<std::path::PathBuf>,
    /// The zone of resources without a kuma.io/zone label (files written by hand, as the
    /// zone control plane they are applied to would label them). Default: the one zone
    /// of the input's zone-labelled resources.
    #[arg(long, value_name = "NAME")]
    pub zone: Option<String>,
}

/// The terminal UI's arguments: the sources, and changes to show applied to them
/// (every changed outbound marked; `]` and `[` jump between them).
#[derive(Debug, Clone, Args)]
pub struct TuiArgs {
    #[command(flatten)]
    pub common: Common,
    #[command(flatten)]
    pub changes: ChangesArgs,
}

/// Changes applied on top of the SOURCEs (`diff --apply`, the TUI's `--apply`).
#[derive(Debug, Clone, Args)]
pub struct ChangesArgs {
    /// Files or directories whose resources replace those with the same
    /// kind/mesh/namespace/name in SOURCE, or are added (repeatable; - for stdin).
    #[arg(long, value_name = "CHANGES")]
    pub apply: Vec<String>,
    /// Files or directories whose resources are removed from SOURCE (repeatable).
    #[arg(long, value_name = "FILES")]
    pub delete: Vec<String>,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    #[command(flatten)]
    pub common: Common,
    /// Output directory (created); files go to DIR/NN-<plural>.yaml (with --kube and
    /// no SOURCE: DIR/<context>/NN-<plural>.yaml).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub output: std::path::PathBuf,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub common: Common,
    /// Output format.
    #[arg(long, short = 'o', visible_alias = "output", value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// Only this mesh.
    #[arg(long)]
    pub mesh: Option<String>,
    /// Only this proxy (name or namespace/name).
    #[arg(long)]
    pub proxy: Option<String>,
    /// Colour in the text format: auto (when stdout is a terminal and NO_COLOR is unset), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Text format: list every proxy a finding concerns (by default a count and the first few).
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub common: Common,
    /// Only this proxy (name).
    #[arg(long)]
    pub proxy: Option<String>,
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = JsonOrText::Text)]
    pub format: JsonOrText,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub common: Common,
    /// Fail on warnings too.
    #[arg(long)]
    pub strict: bool,
    /// Output format of the findings.
    #[arg(long, short = 'o', visible_alias = "output", value_enum, default_value_t = JsonOrText::Text)]
    pub format: JsonOrText,
    /// Text format: list every proxy a finding concerns (by default a count and the first few).
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

#[derive(Debug, Args)]
#[command(after_help = "Modes:\n  \
    meshtcp diff OLD NEW                          two inputs (file, directory, -)\n  \
    meshtcp diff [SOURCE...] --apply CHANGES      SOURCE (or --kube) with CHANGES applied on top\n  \
    meshtcp diff [SOURCE...] --delete FILES       ... with the resources of FILES removed\n  \
    meshtcp diff SOURCE... --from-version 2.5 --to-version 2.14\n\n\
    --from-version/--to-version also combine with --apply (before: FROM, after: TO);\n\
    without --apply, every SOURCE is read once and resolved under both versions.\n\
    Exit codes as kubectl diff: 0 no change, 1 changes, 2 error.")]
pub struct DiffArgs {
    #[command(flatten)]
    pub common: Common,
    #[command(flatten)]
    pub changes: ChangesArgs,
    /// Kuma version of the before side (default: --kuma-version, else 2.14).
    #[arg(long, value_name = "X.Y", value_parser = parse_version)]
    pub from_version: Option<KumaVersion>,
    /// Kuma version of the after side (default: --kuma-version, else 2.14).
    #[arg(long, value_name = "X.Y", value_parser = parse_version)]
    pub to_version: Option<KumaVersion>,
    /// Output format: text, json (meshtcp.diff/v1) or markdown (a pull-request comment).
    #[arg(long, short = 'o', value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
    /// Only this mesh.
    #[arg(long)]
    pub mesh: Option<String>,
    /// Only this proxy (name or namespace/name).
    #[arg(long)]
    pub proxy: Option<String>,
    /// Colour in the text format: auto (when stdout is a terminal and NO_COLOR is unset), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Proxy name (or namespace/name).
    pub proxy: String,
    /// Destination name, or name:port.
    pub destination: String,
    /// Output format: the story as text, or the outbound's report and its findings as JSON.
    #[arg(long, short = 'o', visible_alias = "output", value_enum, default_value_t = JsonOrText::Text)]
    pub format: JsonOrText,
    #[command(flatten)]
    pub common: Common,
}

/// `report -o`: the report's formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Json,
    Yaml,
    Text,
}

impl From<ReportFormat> for Format {
    fn from(f: ReportFormat) -> Format {
        match f {
            ReportFormat::Json => Format::Json,
            ReportFormat::Yaml => Format::Yaml,
            ReportFormat::Text => Format::Text,
        }
    }
}

/// `-o` of `check`, `explain` and `verify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum JsonOrText {
    Json,
    Text,
}

/// `diff -o`: text, JSON (`meshtcp.diff/v1`) or Markdown (a pull-request comment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Text,
    Json,
    Markdown,
}

fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let (n, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: u64 = n
        .parse()
        .map_err(|_| format!("`{s}` is not a duration (30s, 2m)"))?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60,
        _ => return Err(format!("`{s}` is not a duration (30s, 2m)")),
    };
    if secs == 0 {
        return Err("the timeout must be at least 1s".into());
    }
    Ok(std::time::Duration::from_secs(secs))
}

fn parse_version(s: &str) -> Result<KumaVersion, String> {
    s.parse::<KumaVersion>().map_err(|e| e.to_string())
}

impl Common {
    pub fn sources(&self) -> Result<Vec<Source>> {
        if self.sources.is_empty() {
            return Ok(if self.kube || self.cp_options().is_some() {
                vec![]
            } else {
                vec![Source::Demo]
            });
        }
        let mut out = Vec::new();
        for s in &self.sources {
            let src = Source::parse(s);
            if let Source::Path(p) = &src
                && std::fs::symlink_metadata(p).is_err()
            {
                bail!("SOURCE `{s}` does not exist");
            }
            out.push(src);
        }
        Ok(out)
    }

    /// How the engine is built: `--zone`, and `MESHTCP_THREADS=N` (the number of
    /// threads that build the index and resolve the proxies; the output is the same for
    /// any N, which is what it is for: measuring, and comparing).
    pub fn engine_options(&self) -> crate::resolve::Options {
        crate::resolve::Options {
            threads: std::env::var("MESHTCP_THREADS")
                .ok()
                .and_then(|n| n.parse().ok()),
            zone: self.zone.clone(),
        }
    }

    /// `--kube` and its options.
    pub fn kube_options(&self) -> Option<source::kube::KubeOptions> {
        self.kube.then(|| source::kube::KubeOptions {
            kubeconfig: self.kubeconfig.clone(),
            contexts: self.contexts.clone(),
            namespace: self.namespace.clone(),
            timeout: self.request_timeout,
            ..Default::default()
        })
    }

    /// Load every SOURCE (and the clusters with --kube); the version to resolve under.
    /// With --kube, says on stderr which version it used and how it knew.
    pub fn load(&self) -> Result<(Loaded, KumaVersion)> {
        let (loaded, v) = self.load_any()?;
        if loaded.snapshot.resources.is_empty() && loaded.findings.is_empty() {
            let s = &loaded.stats;
            let mut what = format!(
                "{} file{}, {} document{}",
                s.files,
                if s.files == 1 { "" } else { "s" },
                s.documents,
                if s.documents == 1 { "" } else { "s" }
            );
            if s.foreign + s.kube_objects > 0 {
                what.push_str(&format!(
                    "; {} Kubernetes objects of other kinds, from which Kuma would make no proxy (is the \
                     namespace labelled kuma.io/sidecar-injection: enabled?)",
                    s.foreign + s.kube_objects
                ));
            }
            let from: Vec<String> = self.sources.clone();
            bail!(
                "no Kuma resources found in {} ({what})",
                if from.is_empty() {
                    "the cluster".to_string()
                } else {
                    from.join(", ")
                }
            );
        }
        Ok((loaded, v))
    }

    /// `--cp`, `--kumactl-context` and their options.
    pub fn cp_options(&self) -> Option<source::cp::CpOptions> {
        let o = source::cp::CpOptions {
            urls: self.cp.clone(),
            token_file: self.cp_token_file.clone(),
            tls: source::cp::Tls {
                ca_file: self.cp_ca_file.clone(),
                client_cert: self.cp_client_cert.clone(),
                client_key: self.cp_client_key.clone(),
                insecure: self.cp_insecure_skip_verify,
            },
            kumactl_context: self
                .kumactl_context
                .clone()
                .map(|n| Some(n).filter(|n| !n.is_empty())),
            kumactl_config: self.kumactl_config.clone(),
            timeout: self.request_timeout,
            ..Default::default()
        };
        o.is_set().then_some(o)
    }

    /// Every input: the SOURCEs, then `--kube`, then `--cp`.
    pub fn inputs(&self) -> Result<Vec<Input>> {
        let cp = self.cp_options().map(|opts| Input::Cp {
            opts,
            poll: self.cp_poll,
        });
        Ok(Input::list(self.sources()?, self.kube_options(), cp))
    }

    /// [`Common::load`] without the check for an empty input.
    fn load_any(&self) -> Result<(Loaded, KumaVersion)> {
        source::input::load_all(&self.inputs()?, self.kuma_version, &mut |note| {
            eprintln!("meshtcp: {note}")
        })
    }

    /// What the terminal UI reads, and how.
    fn tui_options(&self, changes: &ChangesArgs) -> Result<crate::tui::Options> {
        let parse = |paths: &[String]| paths.iter().map(|p| Source::parse(p)).collect();
        Ok(crate::tui::Options {
            inputs: self.inputs()?,
            kuma_version: self.kuma_version,
            engine: self.engine_options(),
            changes: parse(&changes.apply),
            deletes: parse(&changes.delete),
        })
    }
}

/// `meshtcp [SOURCE...]` and `meshtcp tui`.
fn tui(args: &TuiArgs) -> Result<i32> {
    crate::tui::require_terminal()?;
    crate::tui::run(args.common.tui_options(&args.changes)?)
}

/// The engine for `loaded`, built as `common` says ([`Common::engine_options`]).
fn engine<'a>(
    snapshot: &'a crate::model::Snapshot,
    version: KumaVersion,
    common: &Common,
) -> Engine<'a> {
    Engine::with_options(snapshot, version, &common.engine_options())
}

/// Load, resolve and return the report with load findings merged in. For a command
/// that ends the process next: the model and index are not freed (see [`leave`]).
fn build_report(common: &Common, filter: &Filter) -> Result<crate::resolve::Report> {
    let (loaded, version) = common.load()?;
    known_namespace(&loaded, filter.namespace.as_deref())?;
    let engine = engine(&loaded.snapshot, version, common);
    known_mesh(&engine, filter.mesh.as_deref())?;
    let r = crate::pipeline::report(&engine, loaded.findings, filter);
    leave(engine);
    leave(loaded.snapshot);
    Ok(r)
}

/// `meshtcp diff`: the two inputs as the mode says, then the diff of their resolutions.
fn build_diff(a: &DiffArgs) -> Result<report::diff::Diff> {
    let filter = Filter {
        mesh: a.mesh.clone(),
        proxy: a.proxy.clone(),
        namespace: a.common.namespace.clone(),
    };
    let labels = |c: &Common| -> Result<Vec<String>> {
        Ok(c.sources()?.iter().map(Source::label).collect())
    };
    let versioned = a.from_version.is_some() || a.to_version.is_some();
    let changing = !a.changes.apply.is_empty() || !a.changes.delete.is_empty();
    // The before input; the after one (None: the same input, under another version).
    let (before, after, from, to, before_sources, after_sources) = if changing {
        let (base, v) = a.common.load()?;
        let before_sources = labels(&a.common)?;
        let with = |paths: &Vec<String>| Common {
            sources: paths.clone(),
            kube: false,
            ..a.common.clone()
        };
        // (No paths would read the demo mesh: a flag not given reads nothing.)
        let read = |paths: &Vec<String>| -> Result<Loaded> {
            if paths.is_empty() {
                return Ok(Loaded::default());
            }
            Ok(source::load(&with(paths).sources()?))
        };
        let (changes, delete) = (read(&a.changes.apply)?, read(&a.changes.delete)?);
        let after = source::apply_changes(&base, changes, &delete);
        let mut after_sources = before_sources.clone();
        if !a.changes.apply.is_empty() {
            after_sources.extend(labels(&with(&a.changes.apply))?);
        }
        let (from, to) = (a.from_version.unwrap_or(v), a.to_version.unwrap_or(v));
        (base, Some(after), from, to, before_sources, after_sources)
    } else if versioned {
        let (loaded, v) = a.common.load()?;
        let (from, to) = (a.from_version.unwrap_or(v), a.to_version.unwrap_or(v));
        let s = labels(&a.common)?;
        (loaded, None, from, to, s.clone(), s)
    } else {
        let [old, new] = a.common.sources.as_slice() else {
            bail!(
                "diff needs OLD NEW (two sources), --apply CHANGES, or --from-version/--to-version (see meshtcp diff --help)"
            );
        };
        if a.common.kube {
            bail!("diff OLD NEW reads two inputs; with --kube, use --apply CHANGES");
        }
        let side = |s: &String| Common {
            sources: vec![s.clone()],
            ..a.common.clone()
        };
        let (old_c, new_c) = (side(old), side(new));
        let (lo, v) = old_c.load()?;
        let (ln, _) = new_c.load()?;
        (lo, Some(ln), v, v, labels(&old_c)?, labels(&new_c)?)
    };
    let after_snapshot = after.as_ref().map_or(&before.snapshot, |l| &l.snapshot);
    if let Some(p) = &a.proxy
        && ![&before.snapshot, after_snapshot]
            .iter()
            .any(|s| s.has_proxy(a.mesh.as_deref(), p))
    {
        bail!("no proxy named `{p}` in the input");
    }
    let after_findings = after
        .as_ref()
        .map_or_else(|| before.findings.clone(), |l| l.findings.clone());
    let (e_before, e_after) = (
        engine(&before.snapshot, from, &a.common),
        engine(after_snapshot, to, &a.common),
    );
    let mut d = report::diff::diff_engines(
        report::diff::Input {
            engine: &e_before,
            load_findings: before.findings.clone(),
            sources: before_sources,
        },
        report::diff::Input {
            engine: &e_after,
            load_findings: after_findings,
            sources: after_sources,
        },
        &filter,
    );
    if !a.changes.delete.is_empty() {
        d.after.deleted = a.changes.delete.clone();
    }
    leave(e_before);
    leave(e_after);
    leave(before.snapshot);
    leave(after);
    Ok(d)
}

/// Load and collect the findings only (no outbound reports): what `check` prints. For
/// a command that ends the process next (see [`leave`]).
fn build_check(common: &Common) -> Result<crate::resolve::Report> {
    let (loaded, version) = common.load()?;
    let engine = engine(&loaded.snapshot, version, common);
    let filter = Filter {
        namespace: common.namespace.clone(),
        ..Filter::default()
    };
    let r = crate::pipeline::check(&engine, loaded.findings, &filter);
    leave(engine);
    leave(loaded.snapshot);
    Ok(r)
}

/// `-n NS` names a namespace some proxy of the input is in; else exit 2 naming them.
fn known_namespace(loaded: &Loaded, ns: Option<&str>) -> Result<()> {
    let Some(ns) = ns else { return Ok(()) };
    let dps = || {
        loaded
            .snapshot
            .resources
            .iter()
            .filter(|r| r.meta.kind == crate::model::ResourceKind::Dataplane)
    };
    if dps().any(|r| r.meta.kri_namespace() == Some(ns)) {
        return Ok(());
    }
    let mut all: Vec<&str> = dps().filter_map(|r| r.meta.kri_namespace()).collect();
    all.sort_unstable();
    all.dedup();
    bail!(
        "no proxy in namespace `{ns}` in the input (namespaces with proxies: {})",
        if all.is_empty() {
            "none".to_string()
        } else {
            all.join(", ")
        }
    )
}

/// `--mesh M` names a mesh of the input; else exit 2 naming the meshes there are.
fn known_mesh(engine: &Engine, mesh: Option<&str>) -> Result<()> {
    match mesh {
        Some(m) if !engine.mesh_names().any(|x| x == m) => {
            let all: Vec<&str> = engine.mesh_names().collect();
            bail!("no mesh `{m}` in the input (meshes: {})", all.join(", "))
        }
        _ => Ok(()),
    }
}

/// Leave the model and its index to the system, which takes the memory back when the
/// process ends: freeing them object by object was a tenth of a large report's time.
/// Only for one-shot commands.
fn leave<T>(model_or_index: T) {
    std::mem::forget(model_or_index);
}

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// Write to stdout; a closed pipe (`| head`) ends quietly.
fn emit(s: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.context("writing to stdout"),
    }
}

/// Run the parsed command line; returns the process exit code.
pub fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        None => tui(&cli.tui),
        Some(Command::Tui(c)) => tui(&c),
        Some(Command::Report(a)) => {
            let filter = Filter {
                mesh: a.mesh.clone(),
                proxy: a.proxy.clone(),
                namespace: a.common.namespace.clone(),
            };
            let format = Format::from(a.format);
            if format == Format::Json {
                // Streamed proxy by proxy: bounded memory on meshes of any size.
                let (loaded, version) = a.common.load()?;
                if let Some(p) = &a.proxy
                    && !loaded.snapshot.has_proxy(None, p)
                {
                    bail!("no proxy named `{p}` in the input");
                }
                known_namespace(&loaded, a.common.namespace.as_deref())?;
                let engine = engine(&loaded.snapshot, version, &a.common);
                known_mesh(&engine, a.mesh.as_deref())?;
                // Not buffered again: the writer hands over whole proxies, each ending
                // in a newline, which stdout passes on without a copy.
                let mut w = std::io::stdout().lock();
                let written =
                    report::write_json_streaming(&mut w, &engine, &filter, loaded.findings)
                        .and_then(|_| w.flush());
                leave(engine);
                leave(loaded.snapshot);
                return match written {
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(0),
                    r => r.map(|_| 0).context("writing to stdout"),
                };
            }
            let r = build_report(&a.common, &filter)?;
            if let Some(p) = &a.proxy
                && r.proxies.is_empty()
            {
                bail!("no proxy named `{p}` in the input");
            }
            let s = match format {
                Format::Json => report::to_json(&r),
                Format::Yaml => report::to_yaml(&r),
                Format::Text => report::render_text(
                    &r,
                    report::TextOptions {
                        color: use_color(a.color),
                        verbose: a.verbose,
                    },
                ),
            };
            emit(&s)?;
            Ok(0)
        }
        Some(Command::Check(a)) => {
            let r = build_check(&a.common)?;
            let code = report::check_exit_code(&r, a.strict);
            if a.format == JsonOrText::Json {
                let threads =
                    a.common.engine_options().threads.unwrap_or_else(|| {
                        std::thread::available_parallelism().map_or(1, |n| n.get())
                    });
                let mut out =
                    std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
                match report::write_check_json(&mut out, &r, threads).and_then(|_| out.flush()) {
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                    res => res.context("writing to stdout")?,
                }
            } else {
                emit(&report::text::check_text(&r, a.strict, a.verbose))?;
            }
            Ok(code)
        }
        Some(Command::Snapshot(a)) => {
            let Some(o) = a
                .common
                .kube_options()
                .filter(|_| a.common.sources.is_empty() && a.common.cp_options().is_none())
            else {
                // Files (and a cluster beside them): the model, derived resources included.
                let (loaded, _) = a.common.load()?;
                let w = source::snapshot::write(&loaded.snapshot.resources, &a.output)
                    .with_context(|| format!("writing the snapshot to {}", a.output.display()))?;
                eprintln!(
                    "meshtcp: wrote {} resources ({} derived from Kubernetes objects) in {} files to {}",
                    w.objects,
                    loaded.stats.derived,
                    w.files.len(),
                    a.output.display()
                );
                for f in &loaded.findings {
                    let at = f
                        .location
                        .as_ref()
                        .map(|l| format!("{l}: "))
                        .unwrap_or_default();
                    eprintln!("meshtcp: {}: {at}{}", f.severity, f.message);
                }
                return Ok(0);
            };
            let c = source::kube::list_all_blocking(&o, &|_| {})?;
            let w = source::kube::snapshot::write(&c.store, &a.output)
                .with_context(|| format!("writing the snapshot to {}", a.output.display()))?;
            let (_, how) = source::kube::version::choose(a.common.kuma_version, &c.detected);
            eprintln!(
                "meshtcp: wrote {} objects in {} files to {}; {how}",
                w.objects,
                w.files.len(),
                a.output.display()
            );
            for f in c.loaded().findings {
                eprintln!("meshtcp: {}: {}", f.severity, f.message);
            }
            Ok(0)
        }
        Some(Command::Completions { shell }) => {
            use clap::CommandFactory;
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "meshtcp", &mut out);
            emit(&String::from_utf8_lossy(&out))?;
            Ok(0)
        }
        Some(Command::Man) => {
            emit(&man_page()?)?;
            Ok(0)
        }
        Some(Command::Verify(a)) => verify(&a),
        Some(Command::Generate(a)) => {
            let files = crate::synth::generate(a.shape, a.seed, a.proxies, a.routes);
            let mut bytes = 0;
            for (path, text) in &files {
                let p = a.output.join(path);
                if let Some(d) = p.parent() {
                    std::fs::create_dir_all(d)
                        .with_context(|| format!("creating {}", d.display()))?;
                }
                std::fs::write(&p, text).with_context(|| format!("writing {}", p.display()))?;
                bytes += text.len();
            }
            eprintln!(
                "wrote {} files, {bytes} bytes, to {}",
                files.len(),
                a.output.display()
            );
            Ok(0)
        }
        Some(Command::Diff(a)) => {
            let d = build_diff(&a)?;
            let s = match a.format {
                DiffFormat::Json => report::diff::to_json(&d),
                DiffFormat::Markdown => report::diff::render_markdown(&d),
                DiffFormat::Text => report::diff::render_text(
                    &d,
                    report::TextOptions {
                        color: use_color(a.color),
                        verbose: false,
                    },
                ),
            };
            emit(&s)?;
            Ok(d.exit_code())
        }
        Some(Command::Explain(a)) => {
            // `explain PROXY SOURCE` would read SOURCE as the destination and then load
            // the embedded demo: say what is missing instead.
            let d = std::path::Path::new(&a.destination);
            if a.common.sources.is_empty()
                && (d.exists()
                    || [".yaml", ".yml", ".json"]
                        .iter()
                        .any(|e| a.destination.ends_with(e)))
            {
                bail!(
                    "`{}` looks like a SOURCE, and the DESTINATION is missing: meshtcp explain PROXY \
                     DESTINATION [SOURCE...]",
                    a.destination
                );
            }
            let r = build_report(&a.common, &Filter::default())?;
            let Some(pr) = r.proxies.iter().find(|p| p.is_named(&a.proxy)) else {
                let names: Vec<&str> = r.proxies.iter().map(|p| p.name.as_str()).take(20).collect();
                bail!(
                    "no proxy named `{}` in the input (proxies: {})",
                    a.proxy,
                    names.join(", ")
                );
            };
            let Some(o) = pr.outbound(&a.destination) else {
                let names: Vec<String> =
                    pr.outbounds.iter().map(|o| o.destination.label()).collect();
                bail!(
                    "proxy `{}` has no outbound `{}` (outbounds: {})",
                    pr.name,
                    a.destination,
                    names.join(", ")
                );
            };
            if a.format == JsonOrText::Json {
                let label = o.destination.label();
                // Each finding as far as it concerns this proxy and outbound.
                let findings: Vec<crate::model::Finding> = r
                    .findings
                    .iter()
                    .filter(|f| !f.proxies.is_empty())
                    .filter_map(|f| {
                        f.for_proxy(&pr.mesh, pr.namespace.as_deref(), &pr.name, Some(&label))
                    })
                    .collect();
                let mut s = serde_json::to_string_pretty(&serde_json::json!({
                    "schema": r.schema,
                    "kumaVersion": r.kuma_version,
                    "proxy": {"mesh": pr.mesh, "name": pr.name, "namespace": pr.namespace},
                    "outbound": o,
                    "findings": findings,
                }))?;
                s.push('\n');
                emit(&s)?;
            } else {
                emit(&report::explain(pr, o, &r.findings, &r.kuma_version))?;
            }
            Ok(0)
        }
    }
}

/// The KRI of a real-resource outbound (`kri_msvc_<mesh>_<zone>_<namespace>_<name>_<section>`),
/// with the zone and namespace of the resource as the model holds it.
fn outbound_kri(
    snapshot: &crate::model::Snapshot,
    mesh: &str,
    d: &crate::resolve::output::Destination,
) -> Option<String> {
    use crate::model::ResourceKind;
    let (short, kind) = match d.kind.as_str() {
        "MeshService" => ("msvc", ResourceKind::MeshService),
        "MeshMultiZoneService" => ("mzsvc", ResourceKind::MeshMultiZoneService),
        "MeshExternalService" => ("extsvc", ResourceKind::MeshExternalService),
        _ => return None,
    };
    let r = snapshot.resources.iter().find(|r| {
        r.meta.kind == kind
            && r.meta.mesh == mesh
            && r.meta.display_name() == d.name
            && r.meta.kri_namespace() == d.namespace.as_deref()
    })?;
    let section = d.section_name.clone().unwrap_or_else(|| d.port.to_string());
    Some(format!(
        "kri_{short}_{mesh}_{}_{}_{}_{section}",
        r.meta.zone().unwrap_or(""),
        r.meta.kri_namespace().unwrap_or(""),
        d.name
    ))
}

/// `meshtcp verify`: each proxy's outbounds, meshtcp's resolution against the control
/// plane's `_rules` (or, on an Exclusive mesh from 2.12 on, each outbound's `_routes`).
fn verify(a: &VerifyArgs) -> Result<i32> {
    use crate::verify::{self, ProxyVerdict};
    let Some(opts) = a.common.cp_options() else {
        bail!("verify asks a control plane: give --cp URL or --kumactl-context");
    };
    let (loaded, version) = a.common.load()?;
    let engine = engine(&loaded.snapshot, version, &a.common);
    let r = engine.report(&Filter {
        mesh: None,
        proxy: a.proxy.clone(),
        namespace: a.common.namespace.clone(),
    });
    if let Some(p) = &a.proxy
        && r.proxies.is_empty()
    {
        bail!("no proxy named `{p}` on the control plane");
    }
    let conns = opts
        .endpoints()?
        .into_iter()
        .map(|e| source::cp::client::Conn::new(e, opts.timeout))
        .collect::<std::result::Result<Vec<_>, String>>()
        .map_err(anyhow::Error::msg)?;
    let rt = source::cp::runtime()?;
    let exclusive = |mesh: &str| {
        version.has(crate::resolve::Feature::KriOutboundRules)
            && loaded.snapshot.resources.iter().any(|m| {
                m.meta.kind == crate::model::ResourceKind::Mesh
                    && m.meta.name == mesh
                    && matches!(&m.body, crate::model::Body::Mesh(s)
                        if s.mode() == crate::model::MeshServicesMode::Exclusive)
            })
    };
    // KRIs name policies by display name.
    let display = |kind: &str, name: &str| {
        loaded
            .snapshot
            .resources
            .iter()
            .find(|r| r.meta.kind.as_str() == kind && r.meta.name == name)
            .map_or(name, |r| r.meta.display_name())
            .to_string()
    };
    let mut out = Vec::new();
    for p in &r.proxies {
        // A builtin gateway's listeners are not outbounds in the control plane's rules
        // (it answers them as gateway rules): not compared.
        if p.proxy_type == crate::model::ProxyType::BuiltinGateway {
            continue;
        }
        let Some(c) = conns
            .iter()
            .find(|c| p.context.as_deref() == Some(c.endpoint.label.as_str()))
            .or(conns.first())
        else {
            continue;
        };
        let mut pv = ProxyVerdict {
            mesh: p.mesh.clone(),
            name: p.name.clone(),
            asked: c.endpoint.label.clone(),
            error: None,
            outbounds: Vec::new(),
        };
        if exclusive(&p.mesh) {
            for o in p.outbounds.iter() {
                let Some(kri) = outbound_kri(&loaded.snapshot, &p.mesh, &o.destination) else {
                    continue;
                };
                match rt.block_on(source::cp::routes_for(c, &p.mesh, &p.name, &kri)) {
                    Ok(v) => pv.outbounds.push(verify::compare(
                        o,
                        verify::winner(&verify::from_routes(&v), &o.protocol),
                        &display,
                    )),
                    Err(f) => {
                        pv.error = Some(format!("GET …/_outbounds/{kri}/_routes: {f}"));
                        break;
                    }
                }
            }
        } else {
            match rt.block_on(source::cp::rules_for(c, &p.mesh, &p.name)) {
                Ok(v) => pv.outbounds = verify::compare_rules(p, &v),
                Err(f) => {
                    pv.error = Some(format!(
                        "GET /meshes/{}/dataplanes/{}/_rules: {f}",
                        p.mesh, p.name
                    ))
                }
            }
        }
        out.push(pv);
    }
    let s = if a.format == JsonOrText::Json {
        verify::to_json(&r.kuma_version, &out)
    } else {
        verify::render_text(&out)
    };
    emit(&s)?;
    Ok(verify::exit_code(&out))
}
