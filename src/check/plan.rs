//! Applying proposals: placing a flag in a word (bit choice, room, pins) and moving it there.
//!
//! The same placement logic serves `check` (judging a written plan) and `suggest`
//! (searching for one), so both agree on what is legal.

use std::collections::{HashMap, HashSet};

use crate::check::finding::Finding;
use crate::guard::{Guard, worst_case_sum};
use crate::layout::ORDER_SHIFT;
use crate::model::{Flag, Kind, Layout, Loc, Origin, Proposal, ProposalOp, Word};
use crate::rules::RuleId;

/// Flags per word (indices into `layout.flags`), in bitfield order for bitfield words.
#[derive(Clone, Debug, Default)]
pub struct WordIndex {
    members: HashMap<String, Vec<usize>>,
    names: HashMap<String, usize>,
    words: HashMap<String, usize>,
}

impl WordIndex {
    pub fn build(layout: &Layout) -> Self {
        let mut members: HashMap<String, Vec<usize>> = HashMap::with_capacity(layout.words.len());
        let mut names = HashMap::with_capacity(layout.flags.len());
        for (i, f) in layout.flags.iter().enumerate() {
            members.entry(f.word.clone()).or_default().push(i);
            names.entry(f.name.clone()).or_insert(i);
            if let Some(r) = &f.renamed {
                names.entry(r.clone()).or_insert(i);
            }
        }
        for list in members.values_mut() {
            list.sort_by_key(|&i| layout.flags[i].order);
        }
        let words = layout
            .words
            .iter()
            .enumerate()
            .rev()
            .map(|(i, w)| (w.name.clone(), i))
            .collect();
        WordIndex {
            members,
            names,
            words,
        }
    }

    /// Index of the (first) word with this name.
    pub fn word(&self, name: &str) -> Option<usize> {
        self.words.get(name).copied()
    }

    pub fn members(&self, word: &str) -> &[usize] {
        self.members.get(word).map_or(&[], Vec::as_slice)
    }

    pub fn flag(&self, name: &str) -> Option<usize> {
        self.names.get(name).copied()
    }
}

/// Where a flag would go in a word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    pub bit: u32,
    /// For bitfields: the `order` key that puts the member at `bit`.
    pub order: u64,
}

/// Why a flag cannot be placed.
#[derive(Clone, Debug, PartialEq)]
pub struct Refusal {
    pub rule: RuleId,
    pub message: String,
}

impl Refusal {
    fn new(rule: RuleId, message: String) -> Self {
        Refusal { rule, message }
    }
}

/// A layout being changed by proposals, with the indices kept up to date.
#[derive(Clone, Debug)]
pub struct Planner {
    pub layout: Layout,
    pub index: WordIndex,
}

impl Planner {
    pub fn new(layout: Layout) -> Self {
        let index = WordIndex::build(&layout);
        Planner { layout, index }
    }

    /// A word by name, through the index.
    pub fn word(&self, name: &str) -> Option<&Word> {
        self.index.word(name).map(|i| &self.layout.words[i])
    }

    /// Find a place for a flag with `guard` and `width` in `word`, at `bit` if given.
    /// `moving` is the flag's own index when it is already in the layout (it does not
    /// collide with itself).
    pub fn place(
        &self,
        word: &Word,
        guard: &Guard,
        width: u32,
        bit: Option<u32>,
        moving: Option<usize>,
    ) -> Result<Placement, Refusal> {
        let members: Vec<usize> = self
            .index
            .members(&word.name)
            .iter()
            .copied()
            .filter(|&i| Some(i) != moving)
            .collect();
        match word.kind {
            Kind::Bitfield => self.place_bitfield(word, &members, guard, width, bit),
            Kind::Mask | Kind::Bitnum => self.place_bit(word, &members, guard, width, bit),
        }
    }

    fn place_bit(
        &self,
        word: &Word,
        members: &[usize],
        guard: &Guard,
        width: u32,
        bit: Option<u32>,
    ) -> Result<Placement, Refusal> {
        if width != 1 {
            return Err(Refusal::new(
                RuleId::NoFreeBit,
                format!(
                    "`{}` is a {} word of one-bit flags; a {width}-bit member does not fit",
                    word.name,
                    word.kind.as_str()
                ),
            ));
        }
        // Per bit: the first occupant that blocks this guard (reserved bits block everyone).
        let mut blocker: Vec<Option<usize>> = vec![None; word.width as usize];
        for &i in members {
            let f = &self.layout.flags[i];
            let Some(b) = f.bit.filter(|&b| b < word.width && f.occupies()) else {
                continue;
            };
            let slot = &mut blocker[b as usize];
            let blocks = f.reserved || f.guard.coexists(guard);
            if blocks && slot.is_none_or(|o| !self.layout.flags[o].reserved && f.reserved) {
                *slot = Some(i);
            }
        }
        match bit {
            Some(b) if b >= word.width => Err(Refusal::new(
                RuleId::BitOutOfRange,
                format!(
                    "bit {b} is beyond the {}-bit word `{}`",
                    word.width, word.name
                ),
            )),
            Some(b) => match blocker[b as usize] {
                None => Ok(Placement { bit: b, order: 0 }),
                Some(o) => {
                    let f = &self.layout.flags[o];
                    if f.reserved {
                        Err(Refusal::new(
                            RuleId::BitReserved,
                            format!(
                                "bit {b} of `{}` is reserved ({})",
                                word.name,
                                f.current_name()
                            ),
                        ))
                    } else {
                        Err(Refusal::new(
                            RuleId::BitTaken,
                            format!(
                                "bit {b} of `{}` is taken by {}{}",
                                word.name,
                                f.current_name(),
                                guard_note(&f.guard)
                            ),
                        ))
                    }
                }
            },
            None => {
                let hole = |b: usize| {
                    members.iter().any(|&i| {
                        let f = &self.layout.flags[i];
                        f.hole && f.bit == Some(b as u32)
                    })
                };
                // Holes first: the header already names them as the free slots.
                let free = |b: &usize| blocker[*b].is_none();
                (0..blocker.len())
                    .filter(free)
                    .find(|&b| hole(b))
                    .or_else(|| (0..blocker.len()).find(free))
                    .map(|b| Placement {
                        bit: b as u32,
                        order: 0,
                    })
                    .ok_or_else(|| {
                        Refusal::new(
                            RuleId::NoFreeBit,
                            format!(
                                "`{}` has no free bit for a flag{} (all {} bits used or reserved)",
                                word.name,
                                guard_note(guard),
                                word.width
                            ),
                        )
                    })
            }
        }
    }

    fn place_bitfield(
        &self,
        word: &Word,
        members: &[usize],
        guard: &Guard,
        width: u32,
        bit: Option<u32>,
    ) -> Result<Placement, Refusal> {
        let flags = &self.layout.flags;
        let worst = worst_case_sum(
            members
                .iter()
                .map(|&i| (&flags[i].guard, flags[i].width))
                .chain(std::iter::once((guard, width))),
        );
        if worst > word.width {
            return Err(Refusal::new(
                RuleId::NoFreeBit,
                format!(
                    "`{}` would need {worst} of its {} bits under the worst case of CONFIG guards",
                    word.name, word.width
                ),
            ));
        }
        let last = members.last().map(|&i| &flags[i]);
        let end = last.map_or(0, |f| f.bit.unwrap_or(0) + f.width);
        let after_last = last.map_or(0, |f| f.order + (1 << ORDER_SHIFT));
        match bit {
            None => Ok(Placement {
                bit: end,
                order: after_last,
            }),
            Some(b) if b == end => Ok(Placement {
                bit: b,
                order: after_last,
            }),
            Some(b) => {
                let pos = members.iter().position(|&i| flags[i].bit == Some(b));
                match pos {
                    Some(p) => {
                        let next = flags[members[p]].order;
                        let prev = if p == 0 {
                            0
                        } else {
                            flags[members[p - 1]].order + 1
                        };
                        // Midpoint between neighbours; orders are spaced 2^20 apart at load.
                        let order = prev + (next.saturating_sub(prev)) / 2;
                        if order >= next && p > 0 {
                            return Err(Refusal::new(
                                RuleId::BitTaken,
                                format!("no room to insert a member at bit {b} of `{}`", word.name),
                            ));
                        }
                        Ok(Placement {
                            bit: b,
                            order: order.min(next.saturating_sub(1)),
                        })
                    }
                    None => Err(Refusal::new(
                        RuleId::BitTaken,
                        format!(
                            "bit {b} of bitfield `{}` is not a member boundary (members end at bit {end})",
                            word.name
                        ),
                    )),
                }
            }
        }
    }

    /// Move flag `idx` to `word` at `placement`, renaming it to `member` if given.
    pub fn move_flag(
        &mut self,
        idx: usize,
        word: &str,
        placement: &Placement,
        member: Option<&str>,
    ) {
        let from = self.layout.flags[idx].word.clone();
        let to_kind = self.word(word).map(|w| w.kind);
        if let Some(list) = self.index.members.get_mut(&from) {
            list.retain(|&i| i != idx);
        }
        let f = &mut self.layout.flags[idx];
        f.word = word.to_string();
        f.bit = Some(placement.bit);
        f.mask = (to_kind == Some(Kind::Mask)).then(|| 1u64 << placement.bit);
        if to_kind == Some(Kind::Bitfield) {
            f.order = placement.order;
        }
        if let Some(m) = member {
            f.renamed = (m != f.name).then(|| m.to_string());
            self.index.names.insert(m.to_string(), idx);
        }
        let list = self.index.members.entry(word.to_string()).or_default();
        list.push(idx);
        let flags = &self.layout.flags;
        list.sort_by_key(|&i| flags[i].order);
        self.repack(&from);
        self.repack(word);
    }

    /// Add a new flag to the layout at `placement`; returns its index.
    pub fn add_flag(&mut self, mut flag: Flag, placement: &Placement) -> usize {
        let kind = self.word(&flag.word).map(|w| w.kind);
        flag.bit = Some(placement.bit);
        flag.mask = (kind == Some(Kind::Mask)).then(|| 1u64 << placement.bit);
        flag.order = placement.order;
        let idx = self.layout.flags.len();
        self.index.names.insert(flag.name.clone(), idx);
        let word = flag.word.clone();
        self.layout.flags.push(flag);
        let list = self.index.members.entry(word.clone()).or_default();
        list.push(idx);
        let flags = &self.layout.flags;
        list.sort_by_key(|&i| flags[i].order);
        self.repack(&word);
        idx
    }

    fn repack(&mut self, word: &str) {
        if self.word(word).map(|w| w.kind) != Some(Kind::Bitfield) {
            return;
        }
        if let Some(mut list) = self.index.members.remove(word) {
            self.layout.repack_members(&mut list);
            self.index.members.insert(word.to_string(), list);
        }
    }

    /// Apply every proposal of the layout in order; problems become findings.
    ///
    /// A member that leaves a bitfield block shifts the members packed after it. Their declared
    /// `bit`s described the header before the plan, so where a declared bit matched the packing
    /// before, it follows the member to its new offset: the shift is the plan's doing, not a
    /// mistake in the layout (`bitfield-position` stays for bits that were wrong to begin with).
    pub fn apply_all(&mut self) -> Vec<Finding> {
        let proposals = std::mem::take(&mut self.layout.proposals);
        let consistent: Vec<bool> = self
            .layout
            .flags
            .iter()
            .map(|f| f.declared_bit.is_some() && f.declared_bit == f.bit)
            .collect();
        let (mut findings, skip) = duplicate_proposals(&self.layout, &proposals);
        for (i, p) in proposals.iter().enumerate() {
            if skip.contains(&i) {
                continue;
            }
            if self.word(&p.to).is_none() {
                findings.push(unknown_word(&self.layout, i, p));
            } else if let Err(f) = self.apply(i, &p.op, &p.to, p.bit, p.member.as_deref(), &p.loc) {
                // A refused proposal is still judged on every other rule.
                findings.extend(self.other_reasons(i, &proposals, f.rule));
                findings.push(*f);
            } else if let Some(idx) = self.index.flag(p.flag_name()) {
                findings.extend(self.landing_notes(idx, &p.loc));
            }
        }
        self.layout.proposals = proposals;
        for (f, ok) in self.layout.flags.iter_mut().zip(consistent) {
            if ok && !f.is_moved() {
                f.declared_bit = f.bit;
            }
        }
        findings
    }

    pub fn apply(
        &mut self,
        n: usize,
        op: &ProposalOp,
        to: &str,
        bit: Option<u32>,
        member: Option<&str>,
        loc: &Loc,
    ) -> Result<(), Box<Finding>> {
        let name = match op {
            ProposalOp::Move { flag } => flag.as_str(),
            ProposalOp::Add { flag } => flag.name.as_str(),
        };
        let refuse = |rule: RuleId, msg: String| {
            Box::new(
                Finding::new(rule, format!("proposal #{}: {msg}", n + 1))
                    .flag(name)
                    .word(to)
                    .at(loc),
            )
        };
        let Some(word) = self.word(to).cloned() else {
            let help =
                crate::layout::best_match(to, self.layout.words.iter().map(|w| w.name.as_str()))
                    .map_or(String::new(), |m| format!(" (did you mean `{m}`?)"));
            return Err(refuse(
                RuleId::UnknownWord,
                format!("no word named `{to}`{help}"),
            ));
        };
        match op {
            ProposalOp::Move { flag } => {
                let Some(idx) = self.index.flag(flag) else {
                    let help = crate::layout::best_match(
                        flag,
                        self.layout.flags.iter().map(|f| f.current_name()),
                    )
                    .map_or(String::new(), |m| format!(" (did you mean `{m}`?)"));
                    return Err(refuse(
                        RuleId::UnknownFlag,
                        format!("no flag named `{flag}`{help}"),
                    ));
                };
                let f = &self.layout.flags[idx];
                if f.reserved || f.hole {
                    let what = if f.hole { "hole" } else { "reserved bit" };
                    return Err(refuse(
                        RuleId::BitReserved,
                        format!("`{flag}` is a {what}, not a flag; it cannot move"),
                    ));
                }
                if f.abi && (f.word != to || bit.is_some_and(|b| Some(b) != f.bit)) {
                    let why = f
                        .abi_reason
                        .as_deref()
                        .unwrap_or("its value is visible to user space");
                    return Err(refuse(
                        RuleId::AbiPinned,
                        format!(
                            "`{flag}` is pinned by ABI ({why}); it must keep word `{}` and its value",
                            f.word
                        ),
                    ));
                }
                let (guard, width) = (f.guard.clone(), f.width);
                let from_word = f.word.clone();
                let from_bit = f.bit;
                let placement = self
                    .place(&word, &guard, width, bit, Some(idx))
                    .map_err(|r| refuse(r.rule, r.message))?;
                let member = member
                    .map(str::to_string)
                    .or_else(|| default_member_name(&self.layout, f, &word));
                self.move_flag(idx, to, &placement, member.as_deref());
                let f = &mut self.layout.flags[idx];
                f.origin = match &f.origin {
                    // A flag moved twice keeps where it came from originally.
                    Origin::Moved {
                        from_word,
                        from_bit,
                        ..
                    } => Origin::Moved {
                        proposal: n,
                        from_word: from_word.clone(),
                        from_bit: *from_bit,
                    },
                    Origin::Added { .. } => Origin::Added { proposal: n },
                    Origin::Declared => Origin::Moved {
                        proposal: n,
                        from_word,
                        from_bit,
                    },
                };
                // Back where it started: it is declared again.
                if let Origin::Moved {
                    from_word,
                    from_bit,
                    ..
                } = &f.origin
                    && *from_word == f.word
                    && *from_bit == f.bit
                {
                    f.origin = Origin::Declared;
                }
                Ok(())
            }
            ProposalOp::Add { flag } => {
                if self.index.flag(&flag.name).is_some() {
                    return Err(refuse(
                        RuleId::DuplicateName,
                        format!("`{}` already exists; `add` needs a new name", flag.name),
                    ));
                }
                let placement = self
                    .place(&word, &flag.guard, flag.width, bit, None)
                    .map_err(|r| refuse(r.rule, r.message))?;
                let mut new = (**flag).clone();
                new.word = to.to_string();
                new.renamed = member.filter(|m| *m != new.name).map(str::to_string);
                new.origin = Origin::Added { proposal: n };
                self.add_flag(new, &placement);
                Ok(())
            }
        }
    }

    /// Every rule besides `refused_by` that proposal `n` breaks, for a proposal the planner
    /// refused: its writers against the destination's rule, an ABI pin, the room or bit, and a
    /// member name that is taken. `suggest` reports the same reasons for the same move.
    /// Judged as if placed together with the rest of the plan: the flags other proposals bring
    /// into the same word share it too (a group moves as one).
    fn other_reasons(&self, n: usize, proposals: &[Proposal], refused_by: RuleId) -> Vec<Finding> {
        let p = &proposals[n];
        let Some(word) = self.word(&p.to) else {
            return Vec::new();
        };
        let (flag, idx) = match &p.op {
            ProposalOp::Move { flag } => match self.index.flag(flag) {
                Some(i) => (&self.layout.flags[i], Some(i)),
                None => return Vec::new(),
            },
            ProposalOp::Add { flag } => (&**flag, None),
        };
        if flag.reserved || flag.hole {
            return Vec::new();
        }
        let mk = |rule: RuleId, msg: String| {
            Finding::new(rule, format!("proposal #{}: {msg}", n + 1))
                .flag(flag.current_name())
                .word(word.name.clone())
                .at(&p.loc)
        };
        let mut out = Vec::new();
        let mut seen = HashSet::from([refused_by]);
        let locks = self.layout.lock_aliases();
        for w in &flag.writers {
            if let Some((rule, msg)) =
                crate::check::lint::writer_break(flag.current_name(), w, word, &locks)
                && seen.insert(rule)
            {
                out.push(
                    mk(rule, msg)
                        .detail(w.note.as_ref().map(|n| format!("writer: {n}")))
                        .evidence(w.evidence.iter().cloned()),
                );
            }
        }
        let members = self.index.members(&word.name);
        let coming = proposals
            .iter()
            .enumerate()
            .filter(|&(j, q)| j != n && q.to == p.to)
            .filter_map(|(_, q)| match &q.op {
                ProposalOp::Move { flag } => self
                    .index
                    .flag(flag)
                    .filter(|i| !members.contains(i))
                    .map(|i| &self.layout.flags[i]),
                ProposalOp::Add { flag } => Some(&**flag),
            });
        let others = members
            .iter()
            .filter(|&&i| Some(i) != idx)
            .map(|&i| &self.layout.flags[i])
            .chain(coming);
        if let Some((rule, msg)) = crate::check::lint::irq_sharing_break(flag, word, others)
            && seen.insert(rule)
        {
            out.push(mk(rule, msg));
        }
        if idx.is_some() && flag.abi && seen.insert(RuleId::AbiPinned) {
            out.push(mk(
                RuleId::AbiPinned,
                format!(
                    "`{}` is pinned by ABI; it must keep word `{}` and its value",
                    flag.current_name(),
                    flag.word
                ),
            ));
        }
        if refused_by == RuleId::AbiPinned
            && let Err(r) = self.place(word, &flag.guard, flag.width, p.bit, idx)
        {
            out.push(mk(r.rule, r.message));
        }
        if word.kind == Kind::Bitfield
            && p.member.is_none()
            && let Some(m) = default_member_name(&self.layout, flag, word)
            && self.index.flag(&m).is_some_and(|j| Some(j) != idx)
            && seen.insert(RuleId::DuplicateName)
        {
            out.push(mk(
                RuleId::DuplicateName,
                format!(
                    "`{}` would become member `{m}` of `{}`, a name the layout has already",
                    flag.current_name(),
                    word.name
                ),
            ));
        }
        out
    }

    /// The name of the hole on `bit` of `word` (mask and bitnum words), other than flag `idx`.
    fn hole_at(&self, word: &str, bit: Option<u32>, idx: usize) -> Option<&str> {
        let bit = bit?;
        self.index
            .members(word)
            .iter()
            .map(|&i| (i, &self.layout.flags[i]))
            .find(|(i, h)| *i != idx && h.hole && h.bit == Some(bit))
            .map(|(_, h)| h.name.as_str())
    }

    /// Notes for a flag that landed in a word: the neighbours that now depend on it, its remote readers.
    fn landing_notes(&self, idx: usize, loc: &Loc) -> Vec<Finding> {
        let f = &self.layout.flags[idx];
        let mut out = Vec::new();
        let Some(word) = self.word(&f.word) else {
            return out;
        };
        if let Origin::Moved { from_word, .. } = &f.origin
            && *from_word != word.name
            && let Some(seen) = self.word(from_word).and_then(|w| w.user_visible.as_deref())
        {
            out.push(
                Finding::new(
                    RuleId::UserVisibleValue,
                    format!(
                        "`{}` leaves `{from_word}`, whose value user space sees ({seen}): the bit disappears from there",
                        f.name
                    ),
                )
                .flag(f.name.clone())
                .word(from_word.clone())
                .at(loc),
            );
        }
        if let Some(h) = self.hole_at(&word.name, f.bit, idx) {
            out.push(
                Finding::new(
                    RuleId::HoleTaken,
                    format!(
                        "`{}` takes bit {} of `{}`, the hole `{h}`; the patch deletes that define",
                        f.current_name(),
                        f.bit.unwrap_or_default(),
                        word.name
                    ),
                )
                .flag(f.name.clone())
                .word(word.name.clone())
                .at(loc),
            );
        }
        let others = self
            .index
            .members(&word.name)
            .iter()
            .filter(|&&i| i != idx)
            .map(|&i| &self.layout.flags[i]);
        if let Some(at_risk) = crate::check::lint::neighbours_phrase(others, &word.rule) {
            out.push(
                Finding::new(
                    RuleId::SharedWord,
                    format!(
                        "`{}` lands in `{}` (rule {}); its writers must obey that rule or they corrupt {at_risk}",
                        f.current_name(),
                        word.name,
                        word.rule
                    ),
                )
                .flag(f.name.clone())
                .word(word.name.clone())
                .at(loc),
            );
        }
        out
    }
}

/// `unknown-word` for a proposal's `to`, at the `to =` line.
fn unknown_word(layout: &Layout, n: usize, p: &Proposal) -> Finding {
    let help = crate::layout::best_match(&p.to, layout.words.iter().map(|w| w.name.as_str()))
        .map_or(String::new(), |m| format!(" (did you mean `{m}`?)"));
    Finding::new(
        RuleId::UnknownWord,
        format!("proposal #{}: no word named `{}`{help}", n + 1, p.to),
    )
    .flag(p.flag_name())
    .word(p.to.clone())
    .at(&p.to_loc)
}

/// Proposals that move or add one flag twice, or put two flags on one explicit bit: an error
/// at each of the two. Returns the findings and the later proposals of a duplicated flag, which
/// are not applied (the plan does not say which of the two it means).
fn duplicate_proposals(layout: &Layout, proposals: &[Proposal]) -> (Vec<Finding>, HashSet<usize>) {
    let mut out = Vec::new();
    let mut skip = HashSet::new();
    let mut by_flag: HashMap<&str, usize> = HashMap::new();
    let mut by_bit: HashMap<(&str, u32), Vec<usize>> = HashMap::new();
    let pair = |out: &mut Vec<Finding>, a: usize, b: usize, what: &str| {
        for (me, other) in [(a, b), (b, a)] {
            let p = &proposals[me];
            out.push(
                Finding::new(
                    RuleId::DuplicateProposal,
                    format!("proposal #{} {what} as proposal #{}", me + 1, other + 1),
                )
                .flag(p.flag_name())
                .word(p.to.clone())
                .at(&p.loc),
            );
        }
    };
    for (i, p) in proposals.iter().enumerate() {
        if let Some(&first) = by_flag.get(p.flag_name()) {
            let what = format!("{}s `{}`, the same flag", p.verb(), p.flag_name());
            pair(&mut out, first, i, &what);
            skip.insert(i);
            continue;
        }
        by_flag.insert(p.flag_name(), i);
        // Bitfield `bit`s are member boundaries, not bits a flag owns.
        let owns_bit = layout.word(&p.to).is_some_and(|w| w.kind != Kind::Bitfield);
        if let Some(b) = p.bit.filter(|_| owns_bit) {
            // Flags under guards that never hold together may share a bit.
            let guard = proposal_guard(layout, p);
            let taken = by_bit.entry((p.to.as_str(), b)).or_default();
            let clash = taken.iter().copied().find(|&j| {
                match (guard, proposal_guard(layout, &proposals[j])) {
                    (Some(g), Some(h)) => g.coexists(h),
                    _ => true,
                }
            });
            taken.push(i);
            if let Some(first) = clash {
                let what = format!("takes bit {b} of `{}`, the same bit", p.to);
                pair(&mut out, first, i, &what);
            }
        }
    }
    (out, skip)
}

/// The guard of the flag a proposal moves or adds (`None` for an unknown flag).
fn proposal_guard<'a>(layout: &'a Layout, p: &'a Proposal) -> Option<&'a Guard> {
    match &p.op {
        ProposalOp::Move { flag } => layout.flag_index(flag).map(|i| &layout.flags[i].guard),
        ProposalOp::Add { flag } => Some(&flag.guard),
    }
}

fn guard_note(g: &Guard) -> String {
    if g.is_always() {
        String::new()
    } else {
        format!(" (under {g})")
    }
}

/// The member name a flag gets when moved into a bitfield without `member`:
/// `PF_MEMALLOC_NOIO` → `memalloc_noio`. Other destinations keep the name.
fn default_member_name(layout: &Layout, f: &Flag, to: &Word) -> Option<String> {
    if to.kind != Kind::Bitfield {
        return None;
    }
    let from_bitfield = layout
        .word(&f.word)
        .is_some_and(|w| w.kind == Kind::Bitfield);
    if from_bitfield {
        return None;
    }
    Some(member_stem(f.current_name()))
}

/// The bitfield member name for a flag name: the upper-case prefix dropped, lower case
/// (`PF_MEMALLOC_NOIO` → `memalloc_noio`).
pub fn member_stem(name: &str) -> String {
    let stem = match name.split_once('_') {
        Some((prefix, rest))
            if !rest.is_empty() && prefix.chars().all(|c| c.is_ascii_uppercase()) =>
        {
            rest
        }
        _ => name,
    };
    stem.to_ascii_lowercase()
}
