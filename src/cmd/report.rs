//! `flagplan report [LAYOUT] [--header H] [--btf F] [--src DIR] [-o FILE]`: the verdict as a
//! paragraph for a patch cover letter.

use std::path::PathBuf;

use clap::Args;

use super::args::{LayoutArg, OutputArg};
use super::check::{DriftArgs, Judged, judged};
use super::{Outcome, Term};
use crate::cread::makefile::KernelVersion;
use crate::error::Result;
use crate::render;
use crate::rules::Severity;

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub layout: LayoutArg,
    #[command(flatten)]
    pub drift: DriftArgs,
    /// Also judge the plan on evidence scanned from this source tree (as `check --src`).
    #[arg(long, value_name = "DIR")]
    pub src: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArg,
}

/// Run `flagplan report`: [`Outcome::Failure`] when the plan has errors.
pub fn run(args: &ReportArgs, term: Term) -> Result<Outcome> {
    args.output.check()?;
    let Judged {
        loaded,
        report,
        name,
    } = judged(&args.layout, &args.drift, args.src.as_deref(), term)?;
    // The kernel release from the scanned tree's Makefile; else the layout's origin says it.
    let kernel = match &args.src {
        Some(dir) => KernelVersion::of_tree(dir)?,
        None => None,
    };
    let ctx = render::mail::MailContext { kernel };
    args.output
        .write(&render::mail::render(&report, &loaded.sources, &name, ctx))?;
    Ok(Outcome::failed_if(report.count(Severity::Error) > 0))
}
