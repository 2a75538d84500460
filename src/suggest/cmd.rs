//! The `suggest` subcommand: arguments, dispatch, output and exit codes.

use crate::cli::print;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::emit::{self, Step};
use super::{Analysis, NewFlag, SuggestFormat, free, overview, place_new, rank_flag, render};
use crate::cli::LayoutArg;
use crate::error::{Error, Result};
use crate::layout;

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
    #[arg(long, value_name = "FILE")]
    pub emit_plan: Option<PathBuf>,
    /// Overwrite an existing --emit-plan file.
    #[arg(long, requires = "emit_plan")]
    pub force: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SuggestFormat::Text)]
    pub format: SuggestFormat,
}

/// Suggestions name flags; a layout with two flags of one name cannot be planned by name.
fn refuse_duplicate_names(loaded: &layout::Loaded) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for f in &loaded.layout.flags {
        if !seen.insert(f.current_name()) {
            let at = loaded
                .sources
                .position(&f.loc)
                .map_or(String::new(), |(file, line, col)| {
                    format!("{file}:{line}:{col}: ")
                });
            return Err(crate::error::Error::Usage(format!(
                "{at}flag `{}` is declared twice (duplicate-name); suggest plans flags by name, so fix the layout first (`flagplan check` lists every duplicate)",
                f.current_name()
            )));
        }
    }
    Ok(())
}

/// Run `flagplan suggest`. Exit 0 when the request is met, 1 when it cannot be (no legal
/// destination, fewer bits than asked), 2 on bad input (through `Err`).
pub fn run(args: &SuggestArgs) -> Result<ExitCode> {
    let input = args.layout.input()?;
    let loaded = layout::load(&input)?;
    let name = input.display();
    refuse_duplicate_names(&loaded)?;
    let a = Analysis::new(loaded.layout.clone());
    let sname = a.layout().struct_name.clone();
    let json = args.format == SuggestFormat::Json;
    let cmdline = |what: String| format!("Written by `flagplan suggest {what}` on {name}.");

    let (out, ok, steps, header): (String, bool, Vec<Step>, Vec<String>) = if let Some(flag) =
        &args.flag
    {
        let r = rank_flag(&a, flag)?;
        let out = if json {
            render::json("flag", &name, &sname, &r)
        } else {
            render::flag_text(&r)
        };
        let mut steps = Vec::new();
        if let (Some(u), Some(&d)) = (r.unit_index, r.legal_words.first()) {
            let (_, placed) = super::realize(&a, &[(u, d)])?;
            for (i, bit) in placed.into_iter().flatten() {
                steps.push(Step::Move {
                    flag: a.layout().flags[i].name.clone(),
                    to: a.layout().words[d].name.clone(),
                    bit,
                });
            }
        }
        let header = vec![
            cmdline(format!("--flag {flag}")),
            format!(
                "Moves {} to its best legal destination{}.",
                r.unit.join(", "),
                r.legal.first().map_or(String::new(), |l| format!(
                    " `{}` ({})",
                    l.word,
                    l.reasons.join("; ")
                ))
            ),
        ];
        (out, !r.legal.is_empty(), steps, header)
    } else if let Some(n) = args.free {
        let from = args.from.as_deref().unwrap_or_default();
        let w = a.word_named(from)?;
        let p = free::solve(&a, w, n)?;
        let out = if json {
            render::json("free", &name, &sname, &p)
        } else {
            render::free_text(&p)
        };
        let steps = p
            .moves
            .iter()
            .flat_map(|m| {
                m.bits.iter().map(|at| {
                    let idx = a.planner.index.flag(&at.flag).unwrap_or(0);
                    Step::Move {
                        flag: a.layout().flags[idx].name.clone(),
                        to: m.to.clone(),
                        bit: at.bit,
                    }
                })
            })
            .collect();
        let header = vec![
            cmdline(format!("--free {n} --from {from}")),
            format!(
                "{} bit{} of `{}` free already; the moves free {} more; cost: {} flags moved, {} evidence sites, {} atomic-instead-of-plain, {} kind changes{}.",
                p.free_before,
                super::plural(p.free_before),
                p.word,
                p.freed,
                p.cost.flags,
                p.cost.evidence,
                p.cost.atomic,
                p.cost.kind_changes,
                if p.optimal { " (optimal)" } else { "" }
            ),
        ];
        (out, p.free_after >= n, steps, header)
    } else if let Some(new) = &args.new {
        let nf = NewFlag::parse(
            new,
            &args.writers,
            args.lock.as_deref(),
            args.guard.as_deref(),
            args.group.as_deref(),
        )?;
        let r = place_new(&a, &nf)?;
        let out = if json {
            render::json("new", &name, &sname, &r)
        } else {
            render::new_text(&r)
        };
        let mut steps = Vec::new();
        if let Some(best) = r.legal.first() {
            let mut flag = nf.to_flag();
            flag.word = best.word.clone();
            steps.push(Step::Add {
                flag: Box::new(flag),
                to: best.word.clone(),
                bit: best.bits.first().map_or(0, |x| x.bit),
                guard_text: nf.guard_text.clone(),
            });
        }
        let header = vec![
            cmdline(format!("--new {new} --writers {}", args.writers.join(","))),
            r.legal.first().map_or(String::new(), |b| {
                format!("Adds {new} to `{}`: {}.", b.word, b.reasons.join("; "))
            }),
        ];
        (out, !r.legal.is_empty(), steps, header)
    } else {
        if args.emit_plan.is_some() {
            return Err(Error::Usage(
                "--emit-plan needs --flag, --free or --new: the overview is not a plan".into(),
            ));
        }
        let o = overview(&a, args.crowded);
        let out = if json {
            render::json("overview", &name, &sname, &o)
        } else {
            render::overview_text(&o, &name, &sname)
        };
        (out, true, Vec::new(), Vec::new())
    };

    if let Some(path) = &args.emit_plan {
        if steps.is_empty() {
            return Err(Error::Usage(format!(
                "{}: not written: there is no legal plan to emit",
                path.display()
            )));
        }
        emit::write(&input, &loaded.layout, path, args.force, &header, &steps)?;
        if !json {
            eprintln!(
                "wrote {} ({} proposal{})",
                path.display(),
                steps.len(),
                super::plural(steps.len() as u32)
            );
        }
    }
    print(&out)?;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
