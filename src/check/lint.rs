//! Checks of one layout as it stands: names, positions, collisions, room, writer rules, groups.

use std::collections::{HashMap, HashSet};

use crate::check::finding::Finding;
use crate::check::plan::WordIndex;
use crate::guard::worst_case_sum;
use crate::model::{Context, Flag, Kind, Layout, Loc, LockAliases, Origin, Word, WordRule, Writer};
use crate::rules::RuleId;

/// Every finding about `layout` itself. `proposal_locs[n]` locates proposal `n`, so that
/// findings about moved flags point at the move.
pub fn lint(layout: &Layout, index: &WordIndex, proposal_locs: &[Loc]) -> Vec<Finding> {
    let mut out = Vec::new();
    let where_ = |f: &Flag| -> Loc {
        match &f.origin {
            Origin::Moved { proposal, .. } | Origin::Added { proposal } => proposal_locs
                .get(*proposal)
                .cloned()
                .unwrap_or_else(|| f.loc.clone()),
            Origin::Declared => f.loc.clone(),
        }
    };

    duplicates(layout, &where_, &mut out);
    let locks = layout.lock_aliases();
    unknown_locks(layout, &locks, &mut out);

    let words: HashMap<&str, &Word> = layout.words.iter().map(|w| (w.name.as_str(), w)).collect();
    for (idx, f) in layout.flags.iter().enumerate() {
        let name = f.current_name();
        for (ctx, loc) in &f.unknown_contexts {
            let help = crate::layout::best_match(
                ctx,
                crate::model::Context::ALL.iter().map(|c| c.as_str()),
            )
            .map_or(String::new(), |m| format!(" (did you mean `{m}`?)"));
            out.push(
                Finding::new(
                    RuleId::UnknownContext,
                    format!("`{name}` has a writer in unknown context `{ctx}`{help}"),
                )
                .flag(name)
                .at(loc),
            );
        }
        let Some(word) = words.get(f.word.as_str()) else {
            let help =
                crate::layout::best_match(&f.word, layout.words.iter().map(|w| w.name.as_str()))
                    .map_or(String::new(), |m| format!(" (did you mean `{m}`?)"));
            out.push(
                Finding::new(
                    RuleId::UnknownWord,
                    format!(
                        "`{name}` is in word `{}`, which the layout does not declare{help}",
                        f.word
                    ),
                )
                .flag(name)
                .word(f.word.clone())
                .at(&where_(f)),
            );
            continue;
        };
        position(f, word, &where_(f), &mut out);
        if f.reserved || f.hole {
            continue;
        }
        let others = || {
            index
                .members(&word.name)
                .iter()
                .filter(move |&&i| i != idx)
                .map(|&i| &layout.flags[i])
        };
        for w in &f.writers {
            if let Some((rule, mut message)) = writer_break(name, w, word, &locks) {
                let loc = if f.is_moved() {
                    where_(f)
                } else {
                    // A moved flag's neighbours are named once, by the `shared-word` note.
                    if let Some(at_risk) = neighbours_phrase(others(), &word.rule) {
                        message.push_str(&format!("; a lost update corrupts {at_risk}"));
                    }
                    w.loc.clone()
                };
                out.push(
                    Finding::new(rule, message)
                        .flag(name)
                        .word(word.name.clone())
                        .at(&loc)
                        .detail(w.note.as_ref().map(|n| format!("writer: {n}")))
                        .evidence(w.evidence.iter().cloned()),
                );
            }
        }
        // An existing conflict is reported once, at the task-written member; a moved flag always.
        let task_written = f.writers.iter().any(|w| is_task_context(w.context));
        if (task_written || f.is_moved())
            && let Some((rule, message)) = irq_sharing_break(f, word, others())
        {
            out.push(
                Finding::new(rule, message)
                    .flag(name)
                    .word(word.name.clone())
                    .at(&where_(f)),
            );
        }
        if f.read_remote {
            out.push(
                Finding::new(
                    RuleId::RemoteReader,
                    format!(
                        "`{name}` is read by other tasks{}",
                        if f.is_moved() {
                            "; the move changes what they read"
                        } else {
                            ""
                        }
                    ),
                )
                .flag(name)
                .word(word.name.clone())
                .at(&where_(f))
                .evidence(f.read_evidence.iter().cloned()),
            );
        }
    }

    for word in &layout.words {
        let members = index.members(&word.name);
        match word.kind {
            Kind::Mask | Kind::Bitnum => collisions(layout, word, members, &where_, &mut out),
            Kind::Bitfield => {
                let worst = worst_case_sum(
                    members
                        .iter()
                        .map(|&i| (&layout.flags[i].guard, layout.flags[i].width)),
                );
                if worst > word.width {
                    out.push(
                        Finding::new(
                            RuleId::BitfieldOverflow,
                            format!(
                                "bitfield `{}` needs {worst} bits under the worst case of CONFIG guards but its storage unit has {}",
                                word.name, word.width
                            ),
                        )
                        .word(word.name.clone())
                        .at(&word.loc),
                    );
                }
            }
        }
    }

    groups(layout, index, &where_, &mut out);
    out
}

/// The rule `word` breaks when `w` writes flag `name` there, with a message naming the writer
/// and every lock it holds. Shared by `check` and `suggest`, so both give the same reason.
pub fn writer_break(
    name: &str,
    w: &Writer,
    word: &Word,
    locks: &LockAliases,
) -> Option<(RuleId, String)> {
    let rule = word.rule.rejects(w, locks)?;
    let writer = w.describe();
    let message = match (&word.rule, w.locks.is_empty()) {
        (WordRule::Lock(l), true) => {
            format!(
                "`{name}` is written by a {writer} without {l}, but word `{}` is `{}`",
                word.name, word.rule
            )
        }
        (WordRule::Lock(l), false) => {
            format!(
                "`{name}` is written by a {writer}, not {l}, but word `{}` is `{}`",
                word.name, word.rule
            )
        }
        (WordRule::LockWrite(l), _) if rule == RuleId::LockHeldForRead => {
            format!(
                "`{name}` is written by a {writer}, holding {l} only for read, but word `{}` is `{}`",
                word.name, word.rule
            )
        }
        (WordRule::LockWrite(l), true) => {
            format!(
                "`{name}` is written by a {writer} without {l}, but word `{}` is `{}`",
                word.name, word.rule
            )
        }
        (WordRule::LockWrite(l), false) => {
            format!(
                "`{name}` is written by a {writer}, not {l}, but word `{}` is `{}`",
                word.name, word.rule
            )
        }
        _ if rule == RuleId::NonatomicPublished => format!(
            "`{name}` is written by a {writer} with a non-atomic bitop after the object is published, but word `{}` is `{}`",
            word.name, word.rule
        ),
        _ => format!(
            "`{name}` is written by a {writer}, but word `{}` is `{}`",
            word.name, word.rule
        ),
    };
    Some((rule, message))
}

/// The neighbours a lost update of a non-atomic word corrupts: the other members that hold a
/// bit, at most twelve named. `None` for an atomic word or a word with no other member.
pub fn neighbours_phrase<'a>(
    others: impl IntoIterator<Item = &'a Flag>,
    rule: &WordRule,
) -> Option<String> {
    if rule.is_atomic() {
        return None;
    }
    let names: Vec<&str> = others
        .into_iter()
        .filter(|n| !n.reserved && !n.hole)
        .map(Flag::current_name)
        .collect();
    if names.is_empty() {
        return None;
    }
    let shown = names
        .iter()
        .take(12)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    Some(match names.len().saturating_sub(12) {
        0 => shown,
        more => format!("{shown} and {more} more"),
    })
}

/// `irq-shared-unit`: in a `current` word, a flag an interrupt handler changes without
/// restoring it must not share the word with a flag written in task context. Judges `f` against
/// the word's other members, in either role; shared by `check` and `suggest`.
pub fn irq_sharing_break<'a>(
    f: &Flag,
    word: &Word,
    others: impl IntoIterator<Item = &'a Flag>,
) -> Option<(RuleId, String)> {
    if word.rule != WordRule::Current || f.reserved || f.hole {
        return None;
    }
    fn task(g: &Flag) -> Option<&Writer> {
        g.writers.iter().find(|w| is_task_context(w.context))
    }
    fn irq(g: &Flag) -> Option<&Writer> {
        g.writers.iter().find(|w| !w.splits_no_update())
    }
    let name = f.current_name();
    for o in others {
        if o.reserved || o.hole || o.current_name() == name {
            continue;
        }
        if let (Some(w), Some(_)) = (task(f), irq(o)) {
            return Some((
                RuleId::IrqSharedUnit,
                format!(
                    "`{name}` is written by a {} in `{}`, whose `{}` an interrupt handler sets without restoring it: the handler's change is lost inside the task's read-modify-write",
                    w.describe(),
                    word.name,
                    o.current_name()
                ),
            ));
        }
        if let (Some(_), Some(w)) = (irq(f), task(o)) {
            return Some((
                RuleId::IrqSharedUnit,
                format!(
                    "`{name}` is set by an interrupt handler without restoring it, in `{}`, whose `{}` is written by a {}: the handler's change is lost inside that read-modify-write",
                    word.name,
                    o.current_name(),
                    w.describe()
                ),
            ));
        }
    }
    None
}

/// A write made by a task (not an interrupt handler, not before publication).
fn is_task_context(c: Context) -> bool {
    matches!(
        c,
        Context::Current | Context::Remote | Context::RemoteStopped
    )
}

/// `unknown-lock` warnings: lock names (in writers and `lock(NAME)` rules) that a layout
/// declaring `[[lock]]`s does not know. A layout without `[[lock]]` compares names as written.
fn unknown_locks(layout: &Layout, locks: &LockAliases, out: &mut Vec<Finding>) {
    if layout.locks.is_empty() {
        return;
    }
    let warn = |name: &str, what: String, loc: &Loc, out: &mut Vec<Finding>| {
        if locks.is_known(name) {
            return;
        }
        let help = crate::layout::best_match(name, locks.known())
            .map_or(String::new(), |m| format!(" (did you mean `{m}`?)"));
        out.push(
            Finding::new(
                RuleId::UnknownLock,
                format!("{what} names lock `{name}`, which no [[lock]] declares{help}"),
            )
            .at(loc),
        );
    };
    for word in &layout.words {
        if let WordRule::Lock(l) | WordRule::LockWrite(l) = &word.rule {
            warn(l, format!("word `{}`", word.name), &word.loc, out);
        }
    }
    for f in &layout.flags {
        for w in &f.writers {
            for l in &w.locks {
                warn(
                    l,
                    format!("a writer of `{}`", f.current_name()),
                    &w.loc,
                    out,
                );
            }
        }
    }
}

fn duplicates(layout: &Layout, where_: &dyn Fn(&Flag) -> Loc, out: &mut Vec<Finding>) {
    let mut seen: HashSet<&str> = HashSet::new();
    for w in &layout.words {
        if !seen.insert(&w.name) {
            out.push(
                Finding::new(
                    RuleId::DuplicateName,
                    format!("word `{}` is declared twice", w.name),
                )
                .word(w.name.clone())
                .at(&w.loc),
            );
        }
    }
    let mut seen: HashMap<&str, &Flag> = HashMap::new();
    for f in &layout.flags {
        let name = f.current_name();
        match seen.get(name) {
            None => {
                seen.insert(name, f);
            }
            Some(first) => {
                // A name a proposal created (`member`, `add`) is reported at the proposal.
                let (at, how) = if f.is_moved() || !first.is_moved() {
                    (f, "declared twice")
                } else {
                    (
                        *first,
                        "created by a proposal, but the layout has it already",
                    )
                };
                out.push(
                    Finding::new(RuleId::DuplicateName, format!("flag `{name}` is {how}"))
                        .flag(name)
                        .at(&where_(at)),
                );
            }
        }
    }
    let mut seen: HashSet<&str> = HashSet::new();
    for g in &layout.groups {
        if !seen.insert(&g.name) {
            out.push(
                Finding::new(
                    RuleId::DuplicateName,
                    format!("group `{}` is declared twice", g.name),
                )
                .at(&g.loc),
            );
        }
    }
}

/// A flag at bit 32 or above of an `unsigned long` word exists only on 64-bit kernels: its
/// guard must rule out 32-bit ones (`CONFIG_64BIT`), or a waiver must say why it does.
fn high_bit_not_guarded(
    f: &Flag,
    word: &Word,
    mk: &dyn Fn(RuleId, String) -> Finding,
    out: &mut Vec<Finding>,
) {
    let narrow = word
        .ctype
        .as_deref()
        .and_then(crate::import::width_32)
        .unwrap_or(word.width);
    let Some(b) = f.bit.filter(|&b| b >= narrow && b < word.width) else {
        return;
    };
    let on_32 = crate::census::Config {
        fixed: [("CONFIG_64BIT".to_string(), false)].into_iter().collect(),
    };
    if on_32.admits(&f.guard) {
        let name = f.current_name();
        out.push(mk(
            RuleId::BeyondNarrowWidth,
            format!(
                "`{name}` uses bit {b} of `{}` ({}), which has {narrow} bits on 32-bit kernels; {} rules them out",
                word.name,
                word.ctype.as_deref().unwrap_or("?"),
                if f.guard.is_always() {
                    "no guard".to_string()
                } else {
                    format!("its guard `{}` never", f.guard)
                }
            ),
        ));
    }
}

fn position(f: &Flag, word: &Word, loc: &Loc, out: &mut Vec<Finding>) {
    let name = f.current_name();
    let mk = |rule: RuleId, msg: String| {
        Finding::new(rule, msg)
            .flag(name)
            .word(word.name.clone())
            .at(loc)
    };
    match word.kind {
        Kind::Mask | Kind::Bitnum => {
            if let Some(m) = f.mask.filter(|m| m.count_ones() != 1) {
                out.push(mk(
                    RuleId::MaskNotSingleBit,
                    if m == 0 {
                        format!("`{name}` has mask 0, which tests nothing")
                    } else {
                        format!("`{name}` has mask {m:#x} with {} bits set", m.count_ones())
                    },
                ));
            } else if f.bit.is_none() {
                let what = if word.kind == Kind::Mask {
                    "`mask` (or `bit`)"
                } else {
                    "`bit`"
                };
                out.push(mk(
                    RuleId::MissingPosition,
                    format!(
                        "`{name}` in {} word `{}` needs {what}",
                        word.kind.as_str(),
                        word.name
                    ),
                ));
            }
            if let Some(b) = f.bit.filter(|&b| b >= word.width) {
                out.push(mk(
                    RuleId::BitOutOfRange,
                    format!(
                        "`{name}` uses bit {b} of the {}-bit word `{}`",
                        word.width, word.name
                    ),
                ));
            }
            high_bit_not_guarded(f, word, &mk, out);
        }
        Kind::Bitfield => {
            if let (Some(d), Some(b), Origin::Declared) = (f.declared_bit, f.bit, &f.origin)
                && d != b
            {
                out.push(mk(
                    RuleId::BitfieldPosition,
                    format!("`{name}` declares bit {d} but packs at bit {b} in declaration order"),
                ));
            }
        }
    }
}

fn collisions(
    layout: &Layout,
    word: &Word,
    members: &[usize],
    where_: &dyn Fn(&Flag) -> Loc,
    out: &mut Vec<Finding>,
) {
    let mut by_bit: HashMap<u32, Vec<usize>> = HashMap::new();
    for &i in members {
        let f = &layout.flags[i];
        if let Some(b) = f.bit.filter(|&b| b < word.width && f.occupies()) {
            // A multi-bit field (`MMF_DUMPABLE`, 2 bits) holds each bit of its width.
            let end = b.saturating_add(f.width.max(1)).min(word.width);
            for bit in b..end {
                by_bit.entry(bit).or_default().push(i);
            }
        }
    }
    let mut bits: Vec<_> = by_bit.into_iter().filter(|(_, v)| v.len() > 1).collect();
    bits.sort_unstable_by_key(|(b, _)| *b);
    for (bit, flags) in bits {
        for (k, &j) in flags.iter().enumerate().skip(1) {
            let b = &layout.flags[j];
            if let Some(&i) = flags[..k]
                .iter()
                .find(|&&i| layout.flags[i].guard.coexists(&b.guard))
            {
                let a = &layout.flags[i];
                out.push(
                    Finding::new(
                        RuleId::BitCollision,
                        format!(
                            "`{}` and `{}` both use bit {bit} of `{}` and their guards can hold at once",
                            a.current_name(),
                            b.current_name(),
                            word.name
                        ),
                    )
                    .flag(b.current_name())
                    .word(word.name.clone())
                    .at(&where_(b)),
                );
            }
        }
    }
}

fn groups(
    layout: &Layout,
    index: &WordIndex,
    where_: &dyn Fn(&Flag) -> Loc,
    out: &mut Vec<Finding>,
) {
    for g in &layout.groups {
        let mut words: Vec<(&str, &Flag)> = Vec::new();
        for (name, loc) in &g.flags {
            match index.flag(name) {
                None => out.push(
                    Finding::new(
                        RuleId::UnknownFlag,
                        format!(
                            "group `{}` names `{name}`, which the layout does not have",
                            g.name
                        ),
                    )
                    .flag(name.clone())
                    .at(loc),
                ),
                Some(i) => words.push((layout.flags[i].word.as_str(), &layout.flags[i])),
            }
        }
        let distinct: HashSet<&str> = words.iter().map(|(w, _)| *w).collect();
        if distinct.len() > 1 {
            let mut parts: Vec<String> = words
                .iter()
                .map(|(w, f)| format!("{} in {w}", f.current_name()))
                .collect();
            parts.sort();
            let moved = words.iter().find(|(_, f)| f.is_moved()).map(|(_, f)| *f);
            let loc = moved.map_or_else(|| g.loc.clone(), where_);
            let mut f = Finding::new(
                RuleId::GroupSplit,
                format!(
                    "group `{}` is split across words: {}",
                    g.name,
                    parts.join(", ")
                ),
            )
            .at(&loc)
            .evidence(g.evidence.iter().cloned());
            if let Some(m) = moved {
                f = f.flag(m.current_name());
            }
            out.push(f);
        }
    }
}
