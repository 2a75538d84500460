//! The checks: apply a layout's proposals, lint the result, apply waivers, and report.

pub mod finding;
pub(crate) mod lint;
pub mod occupancy;
pub mod plan;

use std::collections::HashSet;

pub use finding::Finding;
pub use occupancy::Occupancy;

use crate::layout::Loaded;
use crate::model::{Layout, Loc, Origin};
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

/// Check a loaded layout and its proposals.
pub fn check(loaded: &Loaded) -> Report {
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

    apply_waivers(&result, &mut findings);
    sort(&mut findings);
    Report {
        before,
        after,
        moved,
        findings,
        result,
    }
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
        if w.reason.is_none() {
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
            let why = if RuleId::parse(&w.rule).is_none() {
                format!("`{}` is not a rule id", w.rule)
            } else if layout.flag_index(&w.flag).is_none() {
                format!("there is no flag `{}`", w.flag)
            } else {
                format!("`{}` does not break `{}`", w.flag, w.rule)
            };
            findings.push(
                Finding::new(
                    RuleId::StaleWaiver,
                    format!(
                        "the waiver of `{}` for `{}` matches nothing: {why}",
                        w.rule, w.flag
                    ),
                )
                .flag(w.flag.clone())
                .at(&w.loc),
            );
        }
    }
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
