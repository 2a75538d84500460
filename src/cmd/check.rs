//! `flagplan check [LAYOUT] [--header H] [--btf F] [--src DIR] [--format F] [-o FILE]`.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::args::{LayoutArg, OutputArg};
use super::{Outcome, Term};
use crate::check;
use crate::error::Result;
use crate::import::cmd::DriftTargets;
use crate::layout::{self, Loaded};
use crate::render::{self, Format};
use crate::rules::Severity;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Deny {
    /// Exit 1 on warnings too.
    Warnings,
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
    /// Treat these findings as errors for the exit code.
    #[arg(long, value_enum)]
    pub deny: Vec<Deny>,
    #[command(flatten)]
    pub drift: DriftArgs,
    /// Also judge the layout (and its moves) on evidence scanned from this source tree.
    #[arg(long, value_name = "DIR")]
    pub src: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArg,
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
    let mut report = check::check(&loaded);
    crate::import::drift::add_to_report(&drift.targets(), &mut loaded, &mut report)?;
    let name = input.display();
    if let Some(src) = src {
        crate::scan::judge::add_findings(&loaded, &mut report, &name, src, term.scan_options())?;
    }
    Ok(Judged {
        loaded,
        report,
        name,
    })
}

/// Run `flagplan check`: [`Outcome::Failure`] on errors (and on warnings with `--deny warnings`).
pub fn run(args: &CheckArgs, term: Term) -> Result<Outcome> {
    args.output.check()?;
    let Judged {
        loaded,
        report,
        name,
    } = judged(&args.layout, &args.drift, args.src.as_deref(), term)?;
    let color = term.color && args.output.output.is_none();
    let out = match args.format {
        Format::Text => render::text::render(
            &report,
            &loaded.sources,
            &name,
            render::text::TextOptions {
                color,
                verbose: term.verbose,
            },
        ),
        Format::Json => render::json::render(&report, &loaded.sources, &name),
        Format::Sarif => render::sarif::render(&report, &loaded.sources),
        Format::Github => render::github::render(&report, &loaded.sources),
        Format::Short => render::short::render(&report, &loaded.sources, term.verbose),
        Format::Svg => render::svg::render(&report, &name),
    };
    args.output.write(&out)?;
    let failing = report.count(Severity::Error) > 0
        || (args.deny.contains(&Deny::Warnings) && report.count(Severity::Warning) > 0);
    Ok(Outcome::failed_if(failing))
}
