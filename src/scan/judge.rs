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

use crate::check::Finding;
use crate::error::Result;
use crate::layout::Loaded;
use crate::model::{Context, Flag, Layout, Origin, WordRule, Writer};
use crate::rules::RuleId;

use super::balance::AccessKind;
use super::evidence::{Access, Evidence, ScanContext};

fn model_ctx(c: ScanContext) -> Option<Context> {
    match c {
        ScanContext::Current => Some(Context::Current),
        ScanContext::CurrentIrq => Some(Context::CurrentIrq),
        ScanContext::Remote => Some(Context::Remote),
        ScanContext::RemoteStopped => Some(Context::RemoteStopped),
        ScanContext::Unknown => None,
    }
}

/// Does a lock held in code (`rq->__lock`, `&p->pi_lock`) name the lock of a `lock(NAME)` rule?
/// Exact text, or the same member after `->`/`.` once a leading `__` is dropped
/// (`rq->lock` in a layout, `rq->__lock` in 6.1's code).
pub fn lock_names(rule: &str, held: &str) -> bool {
    fn norm(s: &str) -> (&str, &str) {
        let s = s.trim().trim_start_matches('&');
        let cut = s
            .rfind("->")
            .map(|i| (i, 2))
            .or_else(|| s.rfind('.').map(|i| (i, 1)));
        match cut {
            Some((i, n)) => (&s[..i], s[i + n..].trim_start_matches("__")),
            None => ("", s.trim_start_matches("__")),
        }
    }
    fn last(base: &str) -> &str {
        base.rsplit(['>', '.']).next().unwrap_or(base)
    }
    let (rb, rm) = norm(rule);
    let (hb, hm) = norm(held);
    if rule.trim() == held.trim().trim_start_matches('&') {
        return true;
    }
    // A lock the rule names by member alone (`pi_lock`, `mmap_lock`) is that member of any
    // object; `rq->lock` matches `env->src_rq->__lock`.
    rm == hm && (rm == "pi_lock" || rb.is_empty() || last(hb).ends_with(last(rb)))
}

/// The writer an access stands for, as the word rules judge writers: the locks it holds as
/// written in code, plus the rule's own lock name when a held lock names it (`rq->__lock` for
/// `lock(rq->lock)`); the layout's aliases resolve the rest.
fn writer_of(a: &Access, ctx: Context, rule: &WordRule, loc: &crate::model::Loc) -> Writer {
    let mut locks: Vec<String> = a.locks.iter().map(|l| l.lock.clone()).collect();
    // A held lock that names the rule's lock stands for it; a read-write lock taken for read
    // (`mmap_read_lock()`, `down_read()`) is held `, read`, which a `lock(NAME, write)` rule refuses.
    if let WordRule::Lock(name) | WordRule::LockWrite(name) = rule
        && let Some(l) = a.locks.iter().find(|l| lock_names(name, &l.lock))
    {
        if matches!(rule, WordRule::LockWrite(_)) && super::locks::is_read_acquire(&l.via) {
            locks.push(format!("{name}, read"));
        } else {
            locks.push(name.clone());
        }
    }
    Writer {
        context: ctx,
        balanced: a.balanced.unwrap_or(false),
        // The scan cannot tell that an exception comes only from user mode.
        from_user_mode: false,
        // `__set_bit()`, `__SetPageX()`, `__folio_set_x()`: a plain read-modify-write of an
        // atomic word, legal only while nobody else can see the object.
        nonatomic: rule.is_atomic() && a.atomic == Some(false),
        locks,
        evidence: Vec::new(),
        note: None,
        loc: loc.clone(),
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
    if !a.locks.is_empty() {
        let l: Vec<&str> = a.locks.iter().map(|l| l.lock.as_str()).collect();
        s.push_str(&format!(" [holding {}]", l.join(", ")));
    }
    if let Some(false) = a.balanced {
        s.push_str(&format!(
            " [unbalanced: {}]",
            a.balance.as_deref().unwrap_or("")
        ));
    }
    s
}

/// Scan `src` with the base layout and judge the planned layout `result` on the evidence
/// (`opts`: progress bar, timings). The findings are raw: [`crate::check::finish`] waives and
/// sorts them with every other finding.
pub fn findings(
    loaded: &Loaded,
    result: &Layout,
    name: &str,
    src: &Path,
    opts: super::ScanOptions,
) -> Result<Vec<Finding>> {
    let ev = super::scan(&loaded.layout, name, src, opts)?;
    Ok(judge(result, &ev))
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
    let aliases = l.lock_aliases();
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
        let undeclared_irq =
            *ctx == Context::CurrentIrq && !list.iter().all(|a| a.balanced == Some(true));
        if (matches!(ctx, Context::Remote | Context::RemoteStopped) || undeclared_irq)
            && !declared.contains(ctx)
            && !f.is_moved()
        {
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
        if moved {
            let refuted: Vec<&&Access> = list
                .iter()
                .filter(|a| {
                    word.rule
                        .rejects(&writer_of(a, *ctx, &word.rule, &f.loc), &aliases)
                        .is_some()
                })
                .collect();
            if !refuted.is_empty() {
                let ev: Vec<String> = refuted.iter().take(5).map(|a| line(a)).collect();
                let more = refuted.len().saturating_sub(5);
                out.push(
                    Finding::new(
                        RuleId::EvidenceRejectsMove,
                        format!(
                            "moving `{}` into `{}` (rule {}) is refuted by {} `{ctx}` write(s) in the tree",
                            f.name,
                            word.name,
                            word.rule,
                            refuted.len()
                        ),
                    )
                    .flag(f.name.clone())
                    .word(f.word.clone())
                    .at(&proposal_loc)
                    .evidence(ev)
                    .detail((more > 0).then(|| format!("and {more} more"))),
                );
            }
        }
    }
    let unknown: Vec<&&Access> = writes
        .iter()
        .filter(|a| a.context == ScanContext::Unknown && a.kind != AccessKind::Whole)
        .collect();
    if !unknown.is_empty() && !word.rule.is_atomic() {
        out.push(
            Finding::new(
                RuleId::UnknownWriter,
                format!(
                    "`{name}` is written {} time(s) in the tree on a receiver the scan cannot resolve, and word `{}` is not atomic",
                    unknown.len(),
                    word.name
                ),
            )
            .flag(f.name.clone())
            .word(f.word.clone())
            .at(&f.loc)
            .evidence(unknown.iter().take(5).map(|a| line(a))),
        );
    }
    if let Origin::Moved { proposal, .. } = &f.origin {
        let whole: Vec<&&Access> = writes
            .iter()
            .filter(|a| a.kind == AccessKind::Whole)
            .collect();
        if !whole.is_empty() {
            let at = l
                .proposals
                .get(*proposal)
                .map_or_else(|| f.loc.clone(), |p| p.loc.clone());
            out.push(
                Finding::new(
                    RuleId::WholeWordWrite,
                    format!(
                        "moving `{}` out of `{}`: {} store(s) of the whole word save or restore it and must be rewritten",
                        f.name,
                        whole[0].word,
                        whole.len()
                    ),
                )
                .flag(f.name.clone())
                .word(f.word.clone())
                .at(&at)
                .evidence(whole.iter().map(|a| line(a))),
            );
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
