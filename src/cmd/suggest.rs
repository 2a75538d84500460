//! `flagplan suggest [LAYOUT] [--flag NAME | --free N --from WORD | --new NAME ...] [-o PLAN]`.

use std::path::PathBuf;

use clap::Args;

use super::args::{LayoutArg, OutputArg, TextOrJson};
use super::{Outcome, deprecated, print};
use crate::error::{Error, Result};
use crate::layout;
use crate::suggest::{self, Request, emit};

#[derive(Debug, Args)]
pub struct SuggestArgs {
    #[command(flatten)]
    pub layout: LayoutArg,
    /// Rank every word as a destination for this flag (and the group it moves with).
    #[arg(long, value_name = "NAME", conflicts_with_all = ["free", "new"])]
    pub flag: Option<String>,
    /// Find the cheapest legal plan that frees N bits of --from WORD.
    #[arg(long, value_name = "N", requires = "from", conflicts_with = "new")]
    pub free: Option<u32>,
    /// The word to free bits in (with --free).
    #[arg(long, value_name = "WORD", requires = "free")]
    pub from: Option<String>,
    /// Find the best word and bit for a new flag.
    #[arg(long, value_name = "NAME", requires = "writers")]
    pub new: Option<String>,
    /// Writer contexts of the new flag, comma-separated: current, current-irq,
    /// current-irq:balanced, remote, remote-stopped.
    #[arg(long, value_name = "CONTEXTS", value_delimiter = ',', requires = "new")]
    pub writers: Vec<String>,
    /// A lock every writer of the new flag holds.
    #[arg(long, value_name = "LOCK", requires = "new")]
    pub lock: Option<String>,
    /// A group the new flag joins (it must share that group's word).
    #[arg(long, value_name = "GROUP", requires = "new")]
    pub group: Option<String>,
    /// The CONFIG guard of the new flag, e.g. CONFIG_PSI.
    #[arg(long, value_name = "COND", requires = "new")]
    pub guard: Option<String>,
    /// A word is crowded when at least PCT% of its bits are used or reserved (or none is free).
    #[arg(long, value_name = "PCT", default_value_t = 90,
          value_parser = clap::value_parser!(u32).range(0..=100))]
    pub crowded: u32,
    /// Write the suggestion as a plan file that `flagplan check` passes (--flag, --free, --new).
    #[command(flatten)]
    pub output: OutputArg,
    /// Deprecated spelling of --output.
    #[arg(long, value_name = "FILE", hide = true, conflicts_with = "output")]
    pub emit_plan: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
}

impl SuggestArgs {
    fn request(&self) -> Request {
        Request {
            flag: self.flag.clone(),
            free: self.free,
            from: self.from.clone(),
            new: self.new.clone(),
            writers: self.writers.clone(),
            lock: self.lock.clone(),
            group: self.group.clone(),
            guard: self.guard.clone(),
            crowded: self.crowded,
            json: self.format == TextOrJson::Json,
        }
    }

    /// The plan file to write: --output, or the deprecated --emit-plan.
    fn plan_path(&self) -> Option<PathBuf> {
        if let Some(p) = &self.emit_plan {
            deprecated("`--emit-plan FILE`", "`-o/--output FILE`");
            return Some(p.clone());
        }
        self.output.output.clone()
    }
}

/// Run `flagplan suggest`: [`Outcome::Failure`] when the request cannot be met (no legal
/// destination, fewer bits than asked).
pub fn run(args: &SuggestArgs) -> Result<Outcome> {
    let plan_path = args.plan_path();
    if args.emit_plan.is_none() {
        args.output.check()?;
    }
    let input = args.layout.input()?;
    let loaded = layout::load(&input)?;
    suggest::refuse_duplicate_names(&loaded)?;
    let name = input.display();
    let req = args.request();
    let wants_plan = req.flag.is_some() || req.free.is_some() || req.new.is_some();
    if plan_path.is_some() && !wants_plan {
        return Err(Error::Usage(
            "--output needs --flag, --free or --new: the overview is not a plan".into(),
        ));
    }
    let answer = suggest::answer(&loaded.layout, &name, &req)?;
    if let Some(path) = &plan_path {
        if answer.steps.is_empty() {
            return Err(Error::Usage(format!(
                "{}: not written: there is no legal plan to emit",
                path.display()
            )));
        }
        emit::write(
            &input,
            &loaded.layout,
            path,
            args.output.force,
            &answer.header,
            &answer.steps,
        )?;
        if !req.json {
            eprintln!(
                "wrote {} ({} proposal{})",
                path.display(),
                answer.steps.len(),
                suggest::plural(answer.steps.len() as u32)
            );
        }
    }
    print(&answer.out)?;
    Ok(Outcome::failed_if(!answer.ok))
}
