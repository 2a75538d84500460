//! `flagplan check [LAYOUT] [--header H] [--btf F] [--src DIR] [--format F] [-o FILE]
//! [--sarif FILE]`.

use std::path::{Path, PathBuf};

use clap::Args;
use clap::builder::{PossibleValue, PossibleValuesParser};

use super::args::{LayoutArg, OutputArg, rule_ids};
use super::{Outcome, Term};
use crate::check;
use crate::config::{self, CliFilter, Deny, Filter};
use crate::error::{Error, Result};
use crate::import::cmd::DriftTargets;
use crate::layout::{self, Loaded};
use crate::render::{self, Format};
use crate::rules::{RuleId, Severity};

/// `--deny` values: `warnings` or a rule id.
fn deny_values() -> PossibleValuesParser {
    PossibleValuesParser::new(
        std::iter::once(PossibleValue::new("warnings").help("every warning"))
            .chain(RuleId::ALL.iter().map(|r| PossibleValue::new(r.id()))),
    )
}

/// Which findings to show and which fail the run (defaults from `.flagplan.toml`).
#[derive(Debug, Args, Default)]
pub struct FilterArgs {
    /// Report only these rules (comma-separated or repeated).
    #[arg(long, value_name = "RULE", value_delimiter = ',', value_parser = rule_ids())]
    pub select: Option<Vec<String>>,
    /// Never report these rules.
    #[arg(long, value_name = "RULE", value_delimiter = ',', value_parser = rule_ids())]
    pub ignore: Option<Vec<String>>,
    /// Exit 1 on these rules too, or on every warning with `warnings`.
    #[arg(long, value_name = "RULE", value_delimiter = ',', value_parser = deny_values())]
    pub deny: Option<Vec<String>>,
}

impl FilterArgs {
    fn to_filter(&self) -> CliFilter {
        let rules = |v: &Option<Vec<String>>| {
            v.as_ref()
                .map(|v| v.iter().filter_map(|s| RuleId::parse(s)).collect())
        };
        CliFilter {
            select: rules(&self.select),
            ignore: rules(&self.ignore),
            deny: self
                .deny
                .as_ref()
                .map(|v| v.iter().filter_map(|s| Deny::parse(s)).collect()),
        }
    }

    /// The project file's filter (`.flagplan.toml` from `cwd` upward) under these options.
    fn filter(&self, cwd: &Path) -> Result<Filter> {
        let file = match config::find(cwd) {
            Some(p) => config::load(&p)?,
            None => Filter::default(),
        };
        Ok(file.overridden_by(&self.to_filter()))
    }
}

/// What the layout is held against: a header and a compiled kernel's BTF.
#[derive(Debug, Args, Default)]
pub struct DriftArgs {
    /// Drift check: report every difference between the layout and this header.
    #[arg(long, value_name = "HEADER")]
    pub header: Option<PathBuf>,
    /// Drift check against a kernel's BTF (/sys/kernel/btf/vmlinux).
    #[arg(long, value_name = "FILE")]
    pub btf: Option<PathBuf>,
    /// Define families for --header (default for task_struct: PF_=flags PFA_=atomic_flags).
    #[arg(long = "family", value_name = "PREFIX=WORD")]
    pub families: Vec<String>,
}

impl DriftArgs {
    fn targets(&self) -> DriftTargets {
        DriftTargets {
            header: self.header.clone(),
            btf: self.btf.clone(),
            families: self.families.clone(),
        }
    }
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub layout: LayoutArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Print nothing; the exit code says it all.
    #[arg(short, long)]
    pub quiet: bool,
    #[command(flatten)]
    pub drift: DriftArgs,
    /// Also judge the layout (and its moves) on evidence scanned from this source tree.
    #[arg(long, value_name = "DIR")]
    pub src: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArg,
    /// Also write SARIF 2.1.0 of the same run to FILE, for code-scanning upload: CI judges (and
    /// scans --src) once and gets both its log format and the upload. --force replaces FILE.
    #[arg(long, value_name = "FILE")]
    pub sarif: Option<PathBuf>,
}

/// A layout judged: the layout, its report and the name it was read under.
pub(super) struct Judged {
    pub loaded: Loaded,
    pub report: check::Report,
    pub name: String,
}

/// Load a layout and check it, with drift (`--header`/`--btf`) and evidence (`--src`) findings:
/// what `check` and `report` both judge.
pub(super) fn judged(
    arg: &LayoutArg,
    drift: &DriftArgs,
    src: Option<&Path>,
    term: Term,
) -> Result<Judged> {
    let input = arg.input()?;
    let mut loaded: Loaded = layout::load(&input)?;
    // Every producer returns raw findings; `check::finish` waives and sorts them once.
    let report = check::analyse(&loaded);
    let mut extra = crate::import::drift::findings(&drift.targets(), &mut loaded)?;
    let name = input.display();
    if let Some(src) = src {
        extra.extend(crate::scan::judge::findings(
            &loaded,
            &report.result,
            &name,
            src,
            term.scan_options(),
        )?);
    }
    Ok(Judged {
        loaded,
        report: check::finish(report, extra),
        name,
    })
}

/// Run `flagplan check`: [`Outcome::Failure`] on errors (with `--deny`, on those findings too).
pub fn run(args: &CheckArgs, term: Term) -> Result<Outcome> {
    args.output.check_also(args.sarif.as_deref())?;
    let root = std::env::current_dir().map_err(|e| Error::io(".", e))?;
    let judged = args.filter.filter(&root).and_then(|filter| {
        let mut j = judged(&args.layout, &args.drift, args.src.as_deref(), term)?;
        filter.apply(&mut j.report);
        Ok(j)
    });
    let Judged {
        loaded,
        report,
        name,
    } = match judged {
        Ok(j) => j,
        Err(e) => {
            // CI uploads what is written: give it a document that says what went wrong.
            let doc = match args.format {
                Format::Json => Some(render::json::error_document(&e)),
                Format::Sarif => Some(render::sarif::error_document(&e, &root)),
                _ => None,
            };
            if let Some(doc) = doc.filter(|_| !args.quiet) {
                args.output.write(&doc)?;
            }
            if let Some(path) = &args.sarif {
                let doc = render::sarif::error_document(&e, &root);
                crate::fsutil::write_atomic(path, doc.as_bytes(), args.output.force)?;
            }
            return Err(e);
        }
    };
    let color = term.color && args.output.output.is_none();
    let out = match args.format {
        Format::Text => render::text::render(
            &report,
            &loaded.sources,
            &name,
            render::text::TextOptions {
                color,
                verbosity: term.verbosity,
                width: term.width,
            },
        ),
        Format::Json => render::json::render(&report, &loaded.sources, &name),
        Format::Sarif => render::sarif::render(&report, &loaded.sources, &root),
        Format::Github => render::github::render(&report, &loaded.sources, &root),
        Format::Short => render::short::render(&report, &loaded.sources, term.verbose),
        Format::Svg => render::svg::render(&report, &name),
    };
    if !args.quiet {
        args.output.write(&out)?;
    }
    if let Some(path) = &args.sarif {
        let sarif = render::sarif::render(&report, &loaded.sources, &root);
        crate::fsutil::write_atomic(path, sarif.as_bytes(), args.output.force)?;
    }
    Ok(Outcome::failed_if(report.count(Severity::Error) > 0))
}
