//! A `suggest` request (rank a flag, free bits, place a new flag, or the overview) and its answer.

use super::emit::Step;
use super::{Analysis, NewFlag, free, overview, place_new, rank_flag, render};
use crate::error::Result;
use crate::model::Layout;

/// What `suggest` is asked: one of `flag`, `free` (with `from`) or `new`, else the overview.
#[derive(Debug, Default)]
pub struct Request {
    /// Rank every word as a destination for this flag (and the group it moves with).
    pub flag: Option<String>,
    /// Find the cheapest legal plan that frees N bits of `from`.
    pub free: Option<u32>,
    /// The word to free bits in (with `free`).
    pub from: Option<String>,
    /// Find the best word and bit for a new flag.
    pub new: Option<String>,
    /// Writer contexts of the new flag.
    pub writers: Vec<String>,
    /// A lock every writer of the new flag holds.
    pub lock: Option<String>,
    /// A group the new flag joins.
    pub group: Option<String>,
    /// The CONFIG guard of the new flag.
    pub guard: Option<String>,
    /// A word is crowded when at least this percentage of its bits is used or reserved.
    pub crowded: u32,
    /// Render JSON instead of text.
    pub json: bool,
}

/// Suggestions name flags; a layout with two flags of one name cannot be planned by name.
pub fn refuse_duplicate_names(loaded: &crate::layout::Loaded) -> Result<()> {
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

/// The answer to a [`Request`]: its rendering, whether it was met, and the plan it implies.
#[derive(Debug)]
pub struct Answer {
    /// Text or JSON for standard output.
    pub out: String,
    /// The request is met (a legal destination exists, enough bits were freed).
    pub ok: bool,
    /// The moves or additions of the plan this answer implies (none for the overview).
    pub steps: Vec<Step>,
    /// Comment lines for the head of a plan file written from this answer.
    pub header: Vec<String>,
}

/// Answer `args` about `layout` (read from `name`). Not met (`ok == false`) when there is no legal
/// destination or fewer bits can be freed than asked; bad names are errors.
pub fn answer(layout: &Layout, name: &str, args: &Request) -> Result<Answer> {
    let a = Analysis::new(layout.clone());
    let sname = a.layout().struct_name.clone();
    let json = args.json;
    let cmdline = |what: String| format!("Written by `flagplan suggest {what}` on {name}.");

    let (out, ok, steps, header): (String, bool, Vec<Step>, Vec<String>) = if let Some(flag) =
        &args.flag
    {
        let r = rank_flag(&a, flag)?;
        let out = if json {
            render::json("flag", name, &sname, &r)
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
            render::json("free", name, &sname, &p)
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
            render::json("new", name, &sname, &r)
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
        let o = overview(&a, args.crowded);
        let out = if json {
            render::json("overview", name, &sname, &o)
        } else {
            render::overview_text(&o, name, &sname)
        };
        (out, true, Vec::new(), Vec::new())
    };

    Ok(Answer {
        out,
        ok,
        steps,
        header,
    })
}
