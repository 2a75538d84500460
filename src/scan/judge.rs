//! `flagplan check LAYOUT --src SRC_DIR`: the layout's writer claims and its moves judged on the
//! evidence scanned from the tree.
//!
//! - `undeclared-writer` (error): the tree writes a flag on a non-current task in a context the
//!   layout does not declare.
//! - `evidence-rejects-move` (error): a moved flag has scanned writes its destination word's rule
//!   does not admit (a remote write into a `current` word).
//! - `stale-writer` (warning): a declared writer context with no write of that context in the tree.
//! - `ungrouped-mask-op` (error): one mask operation in the tree combines flags that the (planned)
//!   layout puts in different words.
//!
//! Lock-serialized words are not judged on evidence: the scan does not see which locks are held.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::check::{Finding, Report};
use crate::error::Result;
use crate::layout::Loaded;
use crate::model::{Context, Flag, Layout, Origin, WordRule, Writer};
use crate::rules::{RuleId, Severity};

use super::evidence::{Access, Evidence, ScanContext};

fn model_ctx(c: ScanContext) -> Option<Context> {
    match c {
        ScanContext::Current => Some(Context::Current),
        ScanContext::Remote => Some(Context::Remote),
        ScanContext::RemoteStopped => Some(Context::RemoteStopped),
        ScanContext::Unknown => None,
    }
}

fn line(a: &Access) -> String {
    let mut s = format!(
        "{}:{}:{}: {}() {} {}",
        a.file, a.line, a.col, a.function, a.receiver, a.op
    );
    if let Some(c) = a.chain.first() {
        s.push_str(&format!(" ({c})"));
    }
    s
}

/// Scan `src` with the base layout and add the evidence findings to `report` (`opts`: progress bar,
/// timings).
pub fn add_findings(
    loaded: &Loaded,
    report: &mut Report,
    name: &str,
    src: &Path,
    opts: super::ScanOptions,
) -> Result<()> {
    let ev = super::scan(&loaded.layout, name, src, opts)?;
    let mut found = judge(&report.result, &ev);
    for f in &mut found {
        if let Some(w) = report.result.waivers.iter().find(|w| {
            w.reason.is_some()
                && w.rule == f.rule.id()
                && f.flag.as_deref() == Some(w.flag.as_str())
        }) {
            f.severity = Severity::Note;
            f.waived = w.reason.clone();
        }
    }
    report.findings.extend(found);
    crate::check::sort(&mut report.findings);
    Ok(())
}

/// The findings of evidence `ev` against the (planned) layout `l`.
pub fn judge(l: &Layout, ev: &Evidence) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut by_flag: BTreeMap<&str, Vec<&Access>> = BTreeMap::new();
    for a in &ev.accesses {
        by_flag.entry(a.flag.as_str()).or_default().push(a);
    }
    for f in &l.flags {
        let accs = by_flag.get(f.name.as_str()).cloned().unwrap_or_default();
        let writes: Vec<&Access> = accs.into_iter().filter(|a| a.is_write()).collect();
        judge_flag(l, f, &writes, &mut out);
    }
    // Mask operations over flags the layout keeps apart.
    let mut seen = BTreeSet::new();
    for a in &ev.accesses {
        if a.group.len() < 2 || !seen.insert(a.group.clone()) {
            continue;
        }
        let words: BTreeSet<&str> = a
            .group
            .iter()
            .filter_map(|g| l.flag_index(g).map(|i| l.flags[i].word.as_str()))
            .collect();
        if words.len() > 1 {
            let first = a.group.first().and_then(|g| l.flag_index(g));
            let mut fd = Finding::new(
                RuleId::UngroupedMaskOp,
                format!(
                    "one mask operation combines {} but the layout puts them in different words ({})",
                    a.group.join(" | "),
                    words.into_iter().collect::<Vec<_>>().join(", ")
                ),
            )
            .evidence([line(a)]);
            if let Some(i) = first {
                fd = fd.flag(l.flags[i].name.clone()).at(&l.flags[i].loc);
            }
            out.push(fd);
        }
    }
    out
}

fn judge_flag(l: &Layout, f: &Flag, writes: &[&Access], out: &mut Vec<Finding>) {
    let Some(word) = l.word(&f.word) else {
        return;
    };
    let declared: BTreeSet<Context> = f.writers.iter().map(|w| w.context).collect();
    let mut by_ctx: BTreeMap<Context, Vec<&Access>> = BTreeMap::new();
    for a in writes {
        for p in &a.paths {
            if let Some(c) = model_ctx(*p) {
                let v = by_ctx.entry(c).or_default();
                if !v.iter().any(|x| std::ptr::eq(*x, *a)) {
                    v.push(a);
                }
            }
        }
    }
    let name = f.current_name().to_string();
    for (ctx, list) in &by_ctx {
        let ev: Vec<String> = list.iter().take(5).map(|a| line(a)).collect();
        let more = list.len().saturating_sub(5);
        let detail = (more > 0).then(|| format!("and {more} more {ctx} writes"));
        if *ctx != Context::Current && !declared.contains(ctx) && !f.is_moved() {
            out.push(
                Finding::new(
                    RuleId::UndeclaredWriter,
                    format!(
                        "`{name}` is written in context `{ctx}` in the tree, but the layout declares no `{ctx}` writer"
                    ),
                )
                .flag(f.name.clone())
                .word(f.word.clone())
                .at(&f.loc)
                .evidence(ev.clone())
                .detail(detail.clone()),
            );
        }
        let moved = matches!(f.origin, Origin::Moved { .. });
        // A refuted move is reported at the proposal that makes it, as `check` does.
        let proposal_loc = match &f.origin {
            Origin::Moved { proposal, .. } => l
                .proposals
                .get(*proposal)
                .map_or_else(|| f.loc.clone(), |p| p.loc.clone()),
            _ => f.loc.clone(),
        };
        if moved && !matches!(word.rule, WordRule::Lock(_)) {
            let w = Writer {
                context: *ctx,
                balanced: false,
                nonatomic: false,
                lock: None,
                evidence: Vec::new(),
                note: None,
                loc: f.loc.clone(),
            };
            if word.rule.rejects(&w).is_some() {
                out.push(
                    Finding::new(
                        RuleId::EvidenceRejectsMove,
                        format!(
                            "moving `{}` into `{}` (rule {}) is refuted by {} `{ctx}` write(s) in the tree",
                            f.name,
                            word.name,
                            word.rule,
                            list.len()
                        ),
                    )
                    .flag(f.name.clone())
                    .word(f.word.clone())
                    .at(&proposal_loc)
                    .evidence(ev)
                    .detail(detail),
                );
            }
        }
    }
    for w in &f.writers {
        if matches!(w.context, Context::CurrentIrq) {
            continue;
        }
        if !by_ctx.contains_key(&w.context) {
            out.push(
                Finding::new(
                    RuleId::StaleWriter,
                    format!(
                        "the layout declares a `{}` writer of `{name}`, but the tree shows no such write",
                        w.context
                    ),
                )
                .flag(f.name.clone())
                .word(f.word.clone())
                .at(&w.loc)
                .evidence(w.evidence.iter().take(3).cloned()),
            );
        }
    }
}
