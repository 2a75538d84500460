//! The checks: apply a layout's proposals, lint the result, apply waivers, and report.

pub mod finding;
pub(crate) mod lint;
pub mod occupancy;
pub mod plan;

use std::collections::HashSet;

pub use finding::Finding;
pub use occupancy::Occupancy;

use crate::layout::Loaded;
use crate::model::{Layout, Loc, Origin, Waiver};
use crate::rules::{RuleId, Severity};

/// One flag a plan moved or added.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Moved {
    pub proposal: usize,
    pub flag: String,
    pub name: String,
    pub from_word: Option<String>,
    pub from_bit: Option<u32>,
    pub to_word: String,
    pub to_bit: Option<u32>,
}

/// Everything `check` found about a layout (and its plan).
#[derive(Clone, Debug)]
pub struct Report {
    pub before: Vec<Occupancy>,
    /// Occupancy after the proposals; `None` when there are none.
    pub after: Option<Vec<Occupancy>>,
    pub moved: Vec<Moved>,
    pub findings: Vec<Finding>,
    /// The layout with every proposal applied.
    pub result: Layout,
}

impl Report {
    pub fn count(&self, s: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == s).count()
    }
}

/// Check a loaded layout and its proposals: [`analyse`], then [`finish`] with no other findings.
pub fn check(loaded: &Loaded) -> Report {
    finish(analyse(loaded), Vec::new())
}

/// Apply the proposals and lint the result. The findings are raw: neither waived nor sorted;
/// [`finish`] does both, once, for these and every other producer's findings (drift, BTF,
/// scanned evidence).
pub fn analyse(loaded: &Loaded) -> Report {
    let base = &loaded.layout;
    let before = occupancy::of_layout(base);
    let mut planner = plan::Planner::new(base.clone());
    let mut findings = planner.apply_all();
    let result = planner.layout;
    let index = plan::WordIndex::build(&result);
    let proposal_locs: Vec<Loc> = result.proposals.iter().map(|p| p.loc.clone()).collect();
    findings.extend(lint::lint(&result, &index, &proposal_locs));

    let (after, moved) = if result.proposals.is_empty() {
        (None, Vec::new())
    } else {
        let mut after = occupancy::of_layout(&result);
        occupancy::mark_moved_out(&before, &mut after);
        (Some(after), moved_flags(&result))
    };

    Report {
        before,
        after,
        moved,
        findings,
        result,
    }
}

/// Add other producers' findings to an [`analyse`]d report, then apply the waivers and sort:
/// the one place where both happen.
pub fn finish(mut report: Report, extra: Vec<Finding>) -> Report {
    report.findings.extend(extra);
    apply_waivers(&report.result, &mut report.findings);
    sort(&mut report.findings);
    report
}

fn moved_flags(layout: &Layout) -> Vec<Moved> {
    let mut out: Vec<Moved> = layout
        .flags
        .iter()
        .filter_map(|f| {
            let (proposal, from_word, from_bit) = match &f.origin {
                Origin::Declared => return None,
                Origin::Moved {
                    proposal,
                    from_word,
                    from_bit,
                } => (*proposal, Some(from_word.clone()), *from_bit),
                Origin::Added { proposal } => (*proposal, None, None),
            };
            Some(Moved {
                proposal: proposal + 1,
                flag: f.name.clone(),
                name: f.current_name().to_string(),
                from_word,
                from_bit,
                to_word: f.word.clone(),
                to_bit: f.bit,
            })
        })
        .collect();
    out.sort_by(|a, b| (a.proposal, &a.flag).cmp(&(b.proposal, &b.flag)));
    out
}

/// Turn waived findings into notes; report waivers without reasons and stale ones.
fn apply_waivers(layout: &Layout, findings: &mut Vec<Finding>) {
    let mut used = HashSet::new();
    for (wi, w) in layout.waivers.iter().enumerate() {
        let Some(reason) = &w.reason else { continue };
        for f in findings.iter_mut() {
            let names_flag = f.flag.as_deref().is_some_and(|n| {
                n == w.flag
                    || layout
                        .flags
                        .iter()
                        .any(|fl| fl.name == w.flag && fl.current_name() == n)
            });
            if names_flag && f.rule.id() == w.rule && f.severity != Severity::Note {
                f.severity = Severity::Note;
                f.waived = Some(reason.clone());
                used.insert(wi);
            }
        }
    }
    for (wi, w) in layout.waivers.iter().enumerate() {
        if let Some(f) = waiver_names_nothing(layout, w) {
            findings.push(f);
        } else if w.reason.is_none() {
            findings.push(
                Finding::new(
                    RuleId::WaiverWithoutReason,
                    format!(
                        "the waiver of `{}` for `{}` gives no `reason`; it is not applied",
                        w.rule, w.flag
                    ),
                )
                .flag(w.flag.clone())
                .at(&w.loc),
            );
        } else if !used.contains(&wi) {
            findings.push(
                Finding::new(
                    RuleId::StaleWaiver,
                    format!(
                        "the waiver of `{}` for `{}` matches nothing: `{}` does not break `{}`",
                        w.rule, w.flag, w.flag, w.rule
                    ),
                )
                .flag(w.flag.clone())
                .at(&w.loc),
            );
        }
    }
}

/// An error when a waiver names a rule id or a flag that does not exist (with a did-you-mean).
fn waiver_names_nothing(layout: &Layout, w: &Waiver) -> Option<Finding> {
    let did_you_mean =
        |m: Option<&str>| m.map_or(String::new(), |m| format!(" (did you mean `{m}`?)"));
    if RuleId::parse(&w.rule).is_none() {
        let help = did_you_mean(crate::layout::best_match(
            &w.rule,
            RuleId::ALL.iter().map(|r| r.id()),
        ));
        return Some(
            Finding::new(
                RuleId::UnknownRule,
                format!(
                    "the waiver for `{}` names rule `{}`, which does not exist{help}",
                    w.flag, w.rule
                ),
            )
            .flag(w.flag.clone())
            .at(&w.loc),
        );
    }
    if layout.flag_index(&w.flag).is_none() {
        let help = did_you_mean(crate::layout::best_match(
            &w.flag,
            layout.flags.iter().map(|f| f.current_name()),
        ));
        return Some(
            Finding::new(
                RuleId::UnknownFlag,
                format!(
                    "the waiver of `{}` names flag `{}`, which the layout does not have{help}",
                    w.rule, w.flag
                ),
            )
            .flag(w.flag.clone())
            .at(&w.loc),
        );
    }
    None
}

/// Deterministic order: file, position, rule, message.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        let key = |f: &Finding| {
            let pos = f.loc.as_ref().map(|l| (l.file, l.span.start));
            (pos, f.rule, f.message.clone())
        };
        key(a).cmp(&key(b))
    });
}
