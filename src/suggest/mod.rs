//! `flagplan suggest`: where flags can go, which bits can be freed, where a new flag should live.
//!
//! `check` judges a plan someone wrote; `suggest` writes one. Both decide legality with the same
//! pieces: [`WordRule::rejects`] for writers (what `lint` uses), the [`Planner`] for room, pins and
//! bit choice (what `check` applies proposals with), and groups moving whole (`group-split`).
//!
//! Movable units are the connected components of the layout's groups (two groups sharing a flag
//! must all share one word, so they travel together); a flag in no group is a unit of its own.

pub mod emit;
pub mod free;
pub(crate) mod render;
pub(crate) mod request;

pub use request::{Answer, Request, answer, refuse_duplicate_names};

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use crate::check::lint::writer_break;
use crate::check::occupancy::{self, Occupancy};
use crate::check::plan::Planner;
use crate::error::{Error, Result};
use crate::guard::{Guard, worst_case_sum};
use crate::model::{Context, Flag, Kind, Layout, Loc, Origin, ProposalOp, Word, Writer};
use crate::rules::RuleId;

/// A set of flags that must move together: a connected component of the groups.
#[derive(Clone, Debug)]
pub struct Unit {
    /// Flag indices, ascending (declaration order).
    pub flags: Vec<usize>,
    /// Names of the groups that tie them, sorted.
    pub groups: Vec<String>,
    /// Bits needed at a destination (sum of member widths).
    pub size: u32,
    /// Some member is wider than one bit: only a bitfield can take it.
    pub wide: bool,
    /// Distinct evidence sites (writer evidence and remote-read evidence) naming a member:
    /// the code to rewrite when the unit moves.
    pub evidence: u32,
    /// The first `abi` member, if any: the unit cannot move.
    pub abi: Option<usize>,
    /// A member is a reserved hole (a layout mistake): the unit cannot move.
    pub reserved: bool,
}

/// Why a destination is refused: a rule id and a sentence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Block {
    pub rule: &'static str,
    pub message: String,
}

impl Block {
    fn new(rule: RuleId, message: impl Into<String>) -> Self {
        Block {
            rule: rule.id(),
            message: message.into(),
        }
    }
}

/// A layout prepared for suggestions: proposals applied, units built, room counted.
#[derive(Clone, Debug)]
pub struct Analysis {
    pub planner: Planner,
    pub units: Vec<Unit>,
    /// Flag index → unit index (reserved holes have none).
    pub unit_of: Vec<Option<usize>>,
    /// Per word: occupancy as `check` shows it.
    pub occ: Vec<Occupancy>,
    /// Per word: room for moved-in flags, counted conservatively (see [`room`]).
    pub cap: Vec<u32>,
    /// Per flag: the index of its word.
    flag_word: Vec<Option<usize>>,
    /// The layout's lock identities.
    pub locks: crate::model::LockAliases,
}

/// Conservative room of a word: for mask and bitnum words the bits no flag or hole occupies under
/// any configuration; for bitfields the width minus the worst-case use. A flag placed there fits
/// whatever its guard, so plans built on these numbers always pass the planner.
pub fn room(layout: &Layout, word: &Word, members: &[usize]) -> u32 {
    match word.kind {
        Kind::Bitfield => word.width.saturating_sub(worst_case_sum(
            members
                .iter()
                .map(|&i| (&layout.flags[i].guard, layout.flags[i].width)),
        )),
        Kind::Mask | Kind::Bitnum => {
            let mut taken = vec![false; word.width as usize];
            for &i in members {
                let f = &layout.flags[i];
                if let Some(b) = f.bit.filter(|&b| b < word.width && f.occupies()) {
                    taken[b as usize] = true;
                }
            }
            taken.iter().filter(|t| !**t).count() as u32
        }
    }
}

impl Analysis {
    /// Prepare `layout` (its own proposals, if any, are applied first, as `check` does).
    pub fn new(layout: Layout) -> Self {
        let mut planner = Planner::new(layout);
        if !planner.layout.proposals.is_empty() {
            let _ = planner.apply_all();
            planner.layout.proposals.clear();
            planner = Planner::new(planner.layout);
        }
        let (units, unit_of) = build_units(&planner);
        let layout = &planner.layout;
        let occ = layout
            .words
            .iter()
            .map(|w| occupancy::of_word(layout, w, planner.index.members(&w.name)))
            .collect();
        let cap = layout
            .words
            .iter()
            .map(|w| room(layout, w, planner.index.members(&w.name)))
            .collect();
        let flag_word = layout
            .flags
            .iter()
            .map(|f| planner.index.word(&f.word))
            .collect();
        let locks = layout.lock_aliases();
        Analysis {
            locks,
            planner,
            units,
            unit_of,
            occ,
            cap,
            flag_word,
        }
    }

    pub fn layout(&self) -> &Layout {
        &self.planner.layout
    }

    /// The word index a flag is in (first declared word of that name).
    pub fn word_of(&self, flag: usize) -> Option<usize> {
        self.flag_word.get(flag).copied().flatten()
    }

    /// Words the unit's members are in now.
    pub fn unit_words(&self, u: usize) -> BTreeSet<usize> {
        self.units[u]
            .flags
            .iter()
            .filter_map(|&f| self.word_of(f))
            .collect()
    }

    /// Display names of a unit's members.
    pub fn unit_names(&self, u: usize) -> Vec<String> {
        self.units[u]
            .flags
            .iter()
            .map(|&f| self.layout().flags[f].current_name().to_string())
            .collect()
    }

    /// Rules that refuse `unit` in word `d`, independent of room: pins, holes, writers, kind.
    pub fn static_blocks(&self, u: usize, d: usize) -> Vec<Block> {
        let unit = &self.units[u];
        let layout = self.layout();
        let word = &layout.words[d];
        let mut out = Vec::new();
        if let Some(a) = unit.abi {
            let f = &layout.flags[a];
            let why = f
                .abi_reason
                .as_deref()
                .unwrap_or("its value is visible to user space");
            out.push(Block::new(
                RuleId::AbiPinned,
                format!(
                    "`{}` is pinned by ABI ({why}); it must keep word `{}`",
                    f.current_name(),
                    f.word
                ),
            ));
        }
        if unit.reserved {
            out.push(Block::new(
                RuleId::BitReserved,
                "a reserved hole is not a flag; it cannot move",
            ));
        }
        let mut seen = BTreeSet::new();
        for &i in &unit.flags {
            let f = &layout.flags[i];
            for w in &f.writers {
                if let Some((rule, msg)) = writer_break(f.current_name(), w, word, &self.locks)
                    && seen.insert(rule)
                {
                    out.push(Block::new(rule, with_evidence(msg, w)));
                }
            }
        }
        // After the move a flag of the unit shares the word with its members and with the
        // rest of its unit (a group moves together).
        let sharing = || {
            self.planner
                .index
                .members(&word.name)
                .iter()
                .filter(|i| !unit.flags.contains(i))
                .chain(&unit.flags)
                .map(|&i| &layout.flags[i])
        };
        for &i in &unit.flags {
            if let Some((rule, msg)) =
                crate::check::lint::irq_sharing_break(&layout.flags[i], word, sharing())
                && seen.insert(rule)
            {
                out.push(Block::new(rule, msg));
            }
        }
        // A flag entering a bitfield gets a member name (PF_X -> x); it must be new.
        // (The name `check` gives: plan::default_member_name, for a non-bitfield source.)
        for &i in &unit.flags {
            let f = &layout.flags[i];
            let from_bitfield = self
                .word_of(i)
                .is_some_and(|w| layout.words[w].kind == Kind::Bitfield);
            if word.kind != Kind::Bitfield || from_bitfield {
                continue;
            }
            let m = crate::check::plan::member_stem(f.current_name());
            if let Some(j) = self.planner.index.flag(&m)
                && j != i
            {
                out.push(Block::new(
                    RuleId::DuplicateName,
                    format!(
                        "`{}` would become member `{m}` of `{}`, a name `{}` already has",
                        f.current_name(),
                        word.name,
                        layout.flags[j].word
                    ),
                ));
                break;
            }
        }
        if unit.wide && word.kind != Kind::Bitfield {
            out.push(Block::new(
                RuleId::NoFreeBit,
                format!(
                    "`{}` is a {} word of one-bit flags; a wider member does not fit",
                    word.name,
                    word.kind.as_str()
                ),
            ));
        }
        out
    }

    /// Conservative legality of moving unit `u` to word `d` with `cap` bits of room left there.
    pub fn blocks_with_room(&self, u: usize, d: usize, cap: u32) -> Vec<Block> {
        let mut out = self.static_blocks(u, d);
        let size = self.units[u].size;
        if cap < size && !out.iter().any(|b| b.rule == RuleId::NoFreeBit.id()) {
            let w = &self.layout().words[d];
            out.push(Block::new(
                RuleId::NoFreeBit,
                format!(
                    "`{}` has {cap} bit{} free under every configuration; {size} needed",
                    w.name,
                    plural(cap)
                ),
            ));
        }
        out
    }

    /// Exact legality through the planner `check` uses: the unit's members are moved one by one
    /// into a copy of word `d` (with only that word's flags), exactly as proposals would be.
    /// Returns the blocks, or the placements (member index, bit) when legal.
    pub fn exact(&self, u: usize, d: usize) -> std::result::Result<Vec<(usize, u32)>, Vec<Block>> {
        let mut blocks = self.static_blocks(u, d);
        blocks.retain(|b| b.rule != RuleId::BitReserved.id());
        let layout = self.layout();
        let word = &layout.words[d];
        let members = self.units[u].flags.clone();
        let (mut sub, map) = self.sub_planner(d, &members);
        let mut placed = Vec::new();
        for (n, &i) in members.iter().enumerate() {
            let op = ProposalOp::Move {
                flag: layout.flags[i].name.clone(),
            };
            match sub.apply(n, &op, &word.name, None, None, &Loc::default()) {
                Ok(()) => {
                    let bit = sub.layout.flags[map[n]].bit.unwrap_or(0);
                    placed.push((i, bit));
                }
                Err(f) => {
                    let msg = f
                        .message
                        .split_once(": ")
                        .map_or(f.message.clone(), |(_, m)| m.to_string());
                    if !blocks.iter().any(|b| b.rule == f.rule.id()) {
                        blocks.push(Block::new(f.rule, msg));
                    }
                    break;
                }
            }
        }
        if blocks.is_empty() {
            Ok(placed)
        } else {
            blocks.sort_by_key(|b| rule_rank(b.rule));
            Err(blocks)
        }
    }

    /// A planner over word `d` (with its flags) and copies of `flags` (in their own words).
    /// Returns it and, for each of `flags`, its index in the small layout.
    fn sub_planner(&self, d: usize, flags: &[usize]) -> (Planner, Vec<usize>) {
        let layout = self.layout();
        let dest = &layout.words[d];
        let mut words = vec![dest.clone()];
        let mut sub_flags: Vec<Flag> = self
            .planner
            .index
            .members(&dest.name)
            .iter()
            .filter(|i| !flags.contains(i))
            .map(|&i| layout.flags[i].clone())
            .collect();
        let mut map = Vec::new();
        for &i in flags {
            let f = &layout.flags[i];
            if !words.iter().any(|w| w.name == f.word)
                && let Some(w) = self.word_of(i)
            {
                words.push(layout.words[w].clone());
            }
            map.push(sub_flags.len());
            sub_flags.push(f.clone());
        }
        let sub = Layout {
            struct_name: layout.struct_name.clone(),
            words,
            flags: sub_flags,
            ..Layout::default()
        };
        (Planner::new(sub), map)
    }

    /// Rank key of a legal destination `d` for unit `u` (smaller is better), see [`rank_reasons`].
    pub fn rank_key(
        &self,
        u: usize,
        d: usize,
        cap: u32,
    ) -> (bool, bool, bool, std::cmp::Reverse<u32>, usize) {
        let word = &self.layout().words[d];
        let from_kind = self.unit_kind(u);
        (
            word.rule.is_atomic(),
            from_kind.is_some_and(|k| k != word.kind),
            // Holes first: the header already names them as the free slots.
            self.occ[d].holes == 0,
            std::cmp::Reverse(cap.saturating_sub(self.units[u].size)),
            d,
        )
    }

    /// The storage kind the unit is in now (of its first member).
    pub fn unit_kind(&self, u: usize) -> Option<Kind> {
        let f = *self.units[u].flags.first()?;
        self.word_of(f).map(|w| self.layout().words[w].kind)
    }

    /// Why a legal destination ranks where it does, in words.
    pub fn rank_reasons(&self, u: usize, d: usize, cap: u32, plain_legal: bool) -> Vec<String> {
        let word = &self.layout().words[d];
        let mut r = Vec::new();
        if word.rule.is_atomic() {
            if plain_legal {
                r.push("atomic word: a plain word is also legal and cheaper".to_string());
            } else {
                r.push("atomic word: the only kind whose rule admits every writer".to_string());
            }
        } else {
            r.push(format!("plain `{}` word admits every writer", word.rule));
        }
        match self.unit_kind(u) {
            Some(k) if k == word.kind => r.push(format!("same kind ({})", k.as_str())),
            Some(k) => r.push(format!(
                "{} -> {}: accessors change",
                k.as_str(),
                word.kind.as_str()
            )),
            None => r.push(format!("kind {}", word.kind.as_str())),
        }
        if self.occ[d].holes > 0 {
            r.push(format!(
                "takes a hole ({} in `{}`)",
                self.occ[d].holes, word.name
            ));
        }
        let left = cap.saturating_sub(self.units[u].size);
        r.push(format!("{left} bit{} left after", plural(left)));
        r
    }

    /// The name of the hole on `bit` of word `d`, if a hole names it.
    pub fn hole_name(&self, d: usize, bit: u32) -> Option<&str> {
        let word = &self.layout().words[d];
        self.planner
            .index
            .members(&word.name)
            .iter()
            .map(|&i| &self.layout().flags[i])
            .find(|f| f.hole && f.bit == Some(bit))
            .map(|f| f.name.as_str())
    }

    /// Find a word by name, or a usage error with the closest name.
    pub fn word_named(&self, name: &str) -> Result<usize> {
        self.planner.index.word(name).ok_or_else(|| {
            let help = crate::layout::best_match(
                name,
                self.layout().words.iter().map(|w| w.name.as_str()),
            )
            .map_or(String::new(), |m| format!(" (did you mean `{m}`?)"));
            Error::Usage(format!("no word named `{name}`{help}"))
        })
    }

    /// Find a flag by (declared or current) name, or a usage error with the closest name.
    pub fn flag_named(&self, name: &str) -> Result<usize> {
        self.planner.index.flag(name).ok_or_else(|| {
            let help = crate::layout::best_match(
                name,
                self.layout().flags.iter().map(|f| f.current_name()),
            )
            .map_or(String::new(), |m| format!(" (did you mean `{m}`?)"));
            Error::Usage(format!("no flag named `{name}`{help}"))
        })
    }
}

/// Order in which rule ids are listed for one destination: rule breaks first, then room.
fn rule_rank(id: &str) -> usize {
    if id == RuleId::AbiPinned.id() || id == RuleId::BitReserved.id() {
        return 0;
    }
    1 + RuleId::ALL
        .iter()
        .position(|r| r.id() == id)
        .unwrap_or(usize::MAX)
}

pub(crate) fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A rule break's message with the writer's first evidence line.
fn with_evidence(msg: String, w: &Writer) -> String {
    match w.evidence.first() {
        Some(e) => format!("{msg} ({e})"),
        None => msg,
    }
}

/// Union-find over groups: the connected components are the units.
fn build_units(planner: &Planner) -> (Vec<Unit>, Vec<Option<usize>>) {
    let layout = &planner.layout;
    let n = layout.flags.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    let mut group_of: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (gi, g) in layout.groups.iter().enumerate() {
        let idx: Vec<usize> = g
            .flags
            .iter()
            .filter_map(|(name, _)| planner.index.flag(name))
            .collect();
        for &i in &idx {
            group_of[i].push(gi);
        }
        for w in idx.windows(2) {
            let (a, b) = (find(&mut parent, w[0]), find(&mut parent, w[1]));
            if a != b {
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    let mut by_root: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, groups) in group_of.iter().enumerate() {
        let r = find(&mut parent, i);
        let f = &layout.flags[i];
        if (f.reserved || f.hole) && r == i && groups.is_empty() {
            continue;
        }
        by_root.entry(r).or_default().push(i);
    }
    let mut units = Vec::with_capacity(by_root.len());
    let mut unit_of = vec![None; n];
    for (_, flags) in by_root {
        let mut groups = BTreeSet::new();
        let mut evidence = BTreeSet::new();
        let (mut size, mut wide, mut abi, mut reserved) = (0u32, false, None, false);
        for &i in &flags {
            let f = &layout.flags[i];
            unit_of[i] = Some(units.len());
            for &g in &group_of[i] {
                groups.insert(layout.groups[g].name.clone());
            }
            for w in &f.writers {
                evidence.extend(w.evidence.iter().map(String::as_str));
            }
            evidence.extend(f.read_evidence.iter().map(String::as_str));
            size = size.saturating_add(f.width);
            wide |= f.width > 1;
            if f.abi && abi.is_none() {
                abi = Some(i);
            }
            reserved |= f.reserved || f.hole;
        }
        units.push(Unit {
            flags,
            groups: groups.into_iter().collect(),
            size,
            wide,
            evidence: evidence.len() as u32,
            abi,
            reserved,
        });
    }
    (units, unit_of)
}

// ---------------------------------------------------------------------------------------------
// The overview: occupancy per word and, for crowded words, what can leave and where.

/// One destination as shown for a unit.
#[derive(Clone, Debug, Serialize)]
pub struct Dest {
    pub word: String,
    pub rule: String,
    pub kind: &'static str,
    /// Bits left in the destination after the move (conservative room).
    pub left: u32,
    pub reasons: Vec<String>,
}

/// A unit that can leave a crowded word.
#[derive(Clone, Debug, Serialize)]
pub struct Leaver {
    pub flags: Vec<String>,
    pub groups: Vec<String>,
    /// Bits of the crowded word freed by moving the unit alone.
    pub frees: u32,
    /// Best destinations, at most [`TOP`].
    pub destinations: Vec<Dest>,
    /// Legal destinations in all.
    pub legal: usize,
}

/// A unit that must stay, with the rules that hold it (one per kind of destination).
#[derive(Clone, Debug, Serialize)]
pub struct Stayer {
    pub flags: Vec<String>,
    pub groups: Vec<String>,
    pub blocks: Vec<WordBlock>,
}

#[derive(Clone, Debug, Serialize)]
pub struct WordBlock {
    /// The destination refused (for `abi-pinned`: the word the flag is pinned to).
    pub word: String,
    /// For `abi-pinned`: the pinned member.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    pub rule: &'static str,
    pub message: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct WordView {
    pub name: String,
    pub kind: &'static str,
    pub rule: String,
    pub width: u32,
    pub used: u32,
    pub reserved: u32,
    pub free: u32,
    pub crowded: bool,
    /// Only for crowded words.
    pub leave: Vec<Leaver>,
    pub stay: Vec<Stayer>,
    /// Bits freed if every unit in `leave` moved (each to its own best destination).
    pub freeable: u32,
}

#[derive(Clone, Debug, Serialize)]
pub struct Overview {
    pub crowded_pct: u32,
    pub words: Vec<WordView>,
}

/// How many destinations the overview shows per unit.
pub const TOP: usize = 3;

/// Is a word crowded: at least `pct`% of its bits used or reserved, or no bit free.
pub fn is_crowded(o: &Occupancy, pct: u32) -> bool {
    o.free == 0 || u64::from(o.used + o.reserved) * 100 >= u64::from(pct) * u64::from(o.width)
}

/// Destination words grouped by (rule, kind), each list sorted by room, largest first.
/// Whether a unit may enter a word depends on the word only through its rule and kind (and on
/// room), so one representative per class decides for all of them.
pub struct Classes {
    /// (first word index, words of the class sorted by room, largest first).
    pub classes: Vec<(usize, Vec<usize>)>,
}

impl Classes {
    pub fn new(a: &Analysis) -> Self {
        let mut map: HashMap<(String, Kind), Vec<usize>> = HashMap::new();
        for (d, w) in a.layout().words.iter().enumerate() {
            if a.planner.index.word(&w.name) != Some(d) {
                continue; // a duplicate word name: check reports it, nothing moves there
            }
            map.entry((w.rule.to_string(), w.kind)).or_default().push(d);
        }
        let mut classes: Vec<(usize, Vec<usize>)> = map
            .into_values()
            .map(|mut v| {
                v.sort_by_key(|&d| (std::cmp::Reverse(a.cap[d]), d));
                (v[0], v)
            })
            .collect();
        classes.sort_by_key(|c| c.0);
        Classes { classes }
    }
}

/// Bits of word `w` freed by moving the flags `moved` (indices) out, exactly as occupancy counts them.
pub fn freed_bits(a: &Analysis, w: usize, moved: &BTreeSet<usize>) -> u32 {
    let layout = a.layout();
    let word = &layout.words[w];
    let members = a.planner.index.members(&word.name);
    match word.kind {
        Kind::Bitfield => {
            let before = worst_case_sum(
                members
                    .iter()
                    .map(|&i| (&layout.flags[i].guard, layout.flags[i].width)),
            )
            .min(word.width);
            let after = worst_case_sum(
                members
                    .iter()
                    .filter(|i| !moved.contains(i))
                    .map(|&i| (&layout.flags[i].guard, layout.flags[i].width)),
            )
            .min(word.width);
            before.saturating_sub(after)
        }
        Kind::Mask | Kind::Bitnum => {
            let mut bits: BTreeMap<u32, (bool, bool)> = BTreeMap::new(); // (kept flag, hole)
            let mut touched = BTreeSet::new();
            for &i in members {
                let f = &layout.flags[i];
                let Some(b) = f.bit.filter(|&b| b < word.width && f.occupies()) else {
                    continue;
                };
                let e = bits.entry(b).or_default();
                if f.reserved {
                    e.1 = true;
                } else if moved.contains(&i) {
                    touched.insert(b);
                } else {
                    e.0 = true;
                }
            }
            touched
                .iter()
                .filter(|b| bits.get(b).is_some_and(|&(kept, hole)| !kept && !hole))
                .count() as u32
        }
    }
}

/// The overview of every word.
pub fn overview(a: &Analysis, pct: u32) -> Overview {
    let classes = Classes::new(a);
    let layout = a.layout();
    let mut words = Vec::new();
    for (w, word) in layout.words.iter().enumerate() {
        let o = &a.occ[w];
        let crowded = is_crowded(o, pct);
        let mut view = WordView {
            name: word.name.clone(),
            kind: word.kind.as_str(),
            rule: word.rule.to_string(),
            width: o.width,
            used: o.used,
            reserved: o.reserved,
            free: o.free,
            crowded,
            leave: Vec::new(),
            stay: Vec::new(),
            freeable: 0,
        };
        if crowded && a.planner.index.word(&word.name) == Some(w) {
            let mut units: BTreeSet<usize> = BTreeSet::new();
            for &i in a.planner.index.members(&word.name) {
                if let Some(u) = a.unit_of[i] {
                    units.insert(u);
                }
            }
            let mut all_moved = BTreeSet::new();
            for u in units {
                match best_dests(a, &classes, u) {
                    Ok((dests, legal)) => {
                        let moved: BTreeSet<usize> = a.units[u].flags.iter().copied().collect();
                        let frees = freed_bits(a, w, &moved);
                        all_moved.extend(moved);
                        view.leave.push(Leaver {
                            flags: a.unit_names(u),
                            groups: a.units[u].groups.clone(),
                            frees,
                            destinations: dests,
                            legal,
                        });
                    }
                    Err(blocks) => view.stay.push(Stayer {
                        flags: a.unit_names(u),
                        groups: a.units[u].groups.clone(),
                        blocks,
                    }),
                }
            }
            view.freeable = freed_bits(a, w, &all_moved);
            view.leave
                .sort_by(|x, y| y.frees.cmp(&x.frees).then_with(|| x.flags.cmp(&y.flags)));
        }
        words.push(view);
    }
    Overview {
        crowded_pct: pct,
        words,
    }
}

/// The best [`TOP`] destinations of a unit and the number of legal ones, or what blocks it
/// (one block per class of destination words).
fn best_dests(
    a: &Analysis,
    classes: &Classes,
    u: usize,
) -> std::result::Result<(Vec<Dest>, usize), Vec<WordBlock>> {
    let own = a.unit_words(u);
    let size = a.units[u].size;
    let mut legal: Vec<usize> = Vec::new();
    let mut count = 0usize;
    let mut blocks = Vec::new();
    for (_, list) in &classes.classes {
        let Some(&rep) = list.iter().find(|d| !own.contains(d)) else {
            continue;
        };
        let st = a.static_blocks(u, rep);
        if let Some(b) = st.into_iter().next() {
            let by = (b.rule == RuleId::AbiPinned.id())
                .then(|| {
                    a.units[u]
                        .abi
                        .map(|i| a.layout().flags[i].current_name().to_string())
                })
                .flatten();
            blocks.push(WordBlock {
                word: a.layout().words[rep].name.clone(),
                by,
                rule: b.rule,
                message: b.message,
            });
            continue;
        }
        // Sorted by room, largest first: the words with room are a prefix.
        let fit = list.partition_point(|&d| a.cap[d] >= size);
        let fits = list[..fit].iter().copied().filter(|d| !own.contains(d));
        let n = fit - list[..fit].iter().filter(|d| own.contains(d)).count();
        if n == 0 {
            let b = a.blocks_with_room(u, rep, a.cap[rep]);
            if let Some(b) = b.into_iter().next() {
                blocks.push(WordBlock {
                    word: a.layout().words[rep].name.clone(),
                    by: None,
                    rule: b.rule,
                    message: b.message,
                });
            }
            continue;
        }
        count += n;
        legal.extend(fits.take(TOP));
    }
    if legal.is_empty() {
        if let Some(ab) = a.units[u].abi {
            let f = &a.layout().flags[ab];
            blocks.retain(|b| b.rule == RuleId::AbiPinned.id());
            blocks.truncate(1);
            for b in &mut blocks {
                b.word = f.word.clone();
            }
            if blocks.is_empty() {
                blocks.push(WordBlock {
                    word: f.word.clone(),
                    by: Some(f.current_name().to_string()),
                    rule: RuleId::AbiPinned.id(),
                    message: format!("`{}` is pinned by ABI", f.current_name()),
                });
            }
        }
        return Err(blocks);
    }
    legal.sort_by_key(|&d| a.rank_key(u, d, a.cap[d]));
    let plain_legal = legal.iter().any(|&d| !a.layout().words[d].rule.is_atomic());
    let dests = legal
        .into_iter()
        .take(TOP)
        .map(|d| {
            let w = &a.layout().words[d];
            Dest {
                word: w.name.clone(),
                rule: w.rule.to_string(),
                kind: w.kind.as_str(),
                left: a.cap[d].saturating_sub(size),
                reasons: a.rank_reasons(u, d, a.cap[d], plain_legal),
            }
        })
        .collect();
    Ok((dests, count))
}

// ---------------------------------------------------------------------------------------------
// --flag NAME: every word ranked as a destination.

/// A flag and the bit the planner gives it in a destination.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct At {
    pub flag: String,
    pub bit: u32,
    /// The flag's bit in the word it leaves (for moves of existing flags).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_bit: Option<u32>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Ranked {
    pub rank: usize,
    pub word: String,
    pub rule: String,
    pub kind: &'static str,
    /// Where the planner puts each member: (flag, bit).
    pub bits: Vec<At>,
    pub left: u32,
    pub reasons: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Rejected {
    pub word: String,
    pub rule: String,
    pub kind: &'static str,
    pub blocks: Vec<Block>,
}

#[derive(Clone, Debug, Serialize)]
pub struct FlagRanking {
    pub flag: String,
    pub word: String,
    pub bit: Option<u32>,
    /// Every flag that moves with it (itself included), when it is in a group.
    pub unit: Vec<String>,
    pub groups: Vec<String>,
    /// Moving the flag without its group breaks `group-split`.
    pub alone: Option<Block>,
    pub legal: Vec<Ranked>,
    pub rejected: Vec<Rejected>,
    #[serde(skip)]
    pub unit_index: Option<usize>,
    #[serde(skip)]
    pub legal_words: Vec<usize>,
}

/// Rank every word as a destination of flag `name` (with its group).
pub fn rank_flag(a: &Analysis, name: &str) -> Result<FlagRanking> {
    let fi = a.flag_named(name)?;
    let layout = a.layout();
    let f = &layout.flags[fi];
    let own = a.word_of(fi);
    let mut out = FlagRanking {
        flag: f.current_name().to_string(),
        word: f.word.clone(),
        bit: f.bit,
        unit: Vec::new(),
        groups: Vec::new(),
        alone: None,
        legal: Vec::new(),
        rejected: Vec::new(),
        unit_index: a.unit_of[fi],
        legal_words: Vec::new(),
    };
    let Some(u) = a.unit_of[fi] else {
        for (d, w) in layout.words.iter().enumerate() {
            if Some(d) != own {
                out.rejected.push(Rejected {
                    word: w.name.clone(),
                    rule: w.rule.to_string(),
                    kind: w.kind.as_str(),
                    blocks: vec![Block::new(
                        RuleId::BitReserved,
                        format!("`{name}` is a reserved hole, not a flag; it cannot move"),
                    )],
                });
            }
        }
        return Ok(out);
    };
    out.unit = a.unit_names(u);
    out.groups = a.units[u].groups.clone();
    if a.units[u].flags.len() > 1 {
        out.alone = Some(Block::new(
            RuleId::GroupSplit,
            format!(
                "moving `{}` alone splits group{} {}; it moves with {}",
                f.current_name(),
                if out.groups.len() == 1 { "" } else { "s" },
                out.groups.join(", "),
                out.unit
                    .iter()
                    .filter(|n| n.as_str() != f.current_name())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let owns = a.unit_words(u);
    let mut legal = Vec::new();
    for (d, w) in layout.words.iter().enumerate() {
        if owns.contains(&d) && owns.len() == 1 {
            continue;
        }
        if a.planner.index.word(&w.name) != Some(d) {
            continue;
        }
        match a.exact(u, d) {
            Ok(bits) => legal.push((d, bits)),
            Err(blocks) => out.rejected.push(Rejected {
                word: w.name.clone(),
                rule: w.rule.to_string(),
                kind: w.kind.as_str(),
                blocks,
            }),
        }
    }
    legal.sort_by_key(|(d, _)| a.rank_key(u, *d, a.occ[*d].free));
    let plain_legal = legal
        .iter()
        .any(|(d, _)| !layout.words[*d].rule.is_atomic());
    for (n, (d, bits)) in legal.into_iter().enumerate() {
        let w = &layout.words[d];
        out.legal_words.push(d);
        out.legal.push(Ranked {
            rank: n + 1,
            word: w.name.clone(),
            rule: w.rule.to_string(),
            kind: w.kind.as_str(),
            bits: bits
                .iter()
                .map(|&(i, bit)| At {
                    flag: layout.flags[i].current_name().to_string(),
                    bit,
                    from_bit: layout.flags[i].bit,
                })
                .collect(),
            left: a.occ[d].free.saturating_sub(a.units[u].size),
            reasons: a.rank_reasons(u, d, a.occ[d].free, plain_legal),
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// --new NAME: the best word and bit for a new flag.

/// The facts of a new flag from the command line.
#[derive(Clone, Debug)]
pub struct NewFlag {
    pub name: String,
    pub writers: Vec<Writer>,
    pub guard: Guard,
    pub guard_text: Option<String>,
    pub group: Option<String>,
}

impl NewFlag {
    /// `contexts`: `current`, `current-irq` (unbalanced), `current-irq:balanced`, `remote`,
    /// `remote-stopped`; `lock` is held by every writer.
    pub fn parse(
        name: &str,
        contexts: &[String],
        lock: Option<&str>,
        guard: Option<&str>,
        group: Option<&str>,
    ) -> Result<NewFlag> {
        let mut writers = Vec::new();
        for c in contexts {
            let c = c.trim();
            let (ctx, balanced) = match c.strip_suffix(":balanced") {
                Some(base) => (base, true),
                None => (c, false),
            };
            let context = Context::parse(ctx).ok_or_else(|| {
                let help = crate::layout::best_match(
                    ctx,
                    Context::ALL.iter().map(|c| c.as_str()),
                )
                .map_or(String::new(), |m| format!(" (did you mean `{m}`?)"));
                Error::Usage(format!(
                    "unknown writer context `{c}`{help}; contexts: current, current-irq, current-irq:balanced, remote, remote-stopped"
                ))
            })?;
            if balanced && context != Context::CurrentIrq {
                return Err(Error::Usage(format!(
                    "`:balanced` applies only to current-irq, not `{ctx}`"
                )));
            }
            writers.push(Writer {
                context,
                balanced,
                from_user_mode: false,
                nonatomic: false,
                locks: lock
                    .map(crate::model::split_lock_text)
                    .map_or(Vec::new(), |(l, _)| l),
                evidence: Vec::new(),
                note: None,
                loc: Loc::default(),
            });
        }
        if writers.is_empty() {
            return Err(Error::Usage("--writers needs at least one context".into()));
        }
        let g = match guard {
            Some(t) => Guard::parse(t).map_err(|e| Error::Usage(format!("--guard `{t}`: {e}")))?,
            None => Guard::Always,
        };
        Ok(NewFlag {
            name: name.to_string(),
            writers,
            guard: g,
            guard_text: guard.map(str::to_string),
            group: group.map(str::to_string),
        })
    }

    pub fn to_flag(&self) -> Flag {
        Flag {
            name: self.name.clone(),
            renamed: None,
            word: String::new(),
            bit: None,
            declared_bit: None,
            mask: None,
            order: 0,
            width: 1,
            guard: self.guard.clone(),
            doc: None,
            source: None,
            abi: false,
            abi_reason: None,
            reserved: false,
            hole: false,
            read_remote: false,
            read_evidence: Vec::new(),
            unsure: None,
            writers: self.writers.clone(),
            unknown_contexts: Vec::new(),
            loc: Loc::default(),
            origin: Origin::Declared,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct NewPlacement {
    pub flag: String,
    pub writers: Vec<String>,
    pub group: Option<String>,
    pub legal: Vec<Ranked>,
    pub rejected: Vec<Rejected>,
}

/// Rank every word for a new flag; the first legal one is the answer.
pub fn place_new(a: &Analysis, nf: &NewFlag) -> Result<NewPlacement> {
    let layout = a.layout();
    if a.planner.index.flag(&nf.name).is_some() {
        return Err(Error::Usage(format!(
            "`{}` already exists; --new needs a new name",
            nf.name
        )));
    }
    let group_word: Option<String> = match &nf.group {
        None => None,
        Some(g) => {
            let grp = layout.groups.iter().find(|x| &x.name == g).ok_or_else(|| {
                let help =
                    crate::layout::best_match(g, layout.groups.iter().map(|x| x.name.as_str()))
                        .map_or(String::new(), |m| format!(" (did you mean `{m}`?)"));
                Error::Usage(format!("no group named `{g}`{help}"))
            })?;
            grp.flags
                .iter()
                .find_map(|(n, _)| a.planner.index.flag(n))
                .map(|i| layout.flags[i].word.clone())
        }
    };
    let flag = nf.to_flag();
    let mut legal = Vec::new();
    let mut rejected = Vec::new();
    for (d, w) in layout.words.iter().enumerate() {
        if a.planner.index.word(&w.name) != Some(d) {
            continue;
        }
        let mut blocks = Vec::new();
        let mut seen = BTreeSet::new();
        for wr in &flag.writers {
            if let Some((rule, msg)) = writer_break(flag.current_name(), wr, w, &a.locks)
                && seen.insert(rule)
            {
                blocks.push(Block::new(rule, with_evidence(msg, wr)));
            }
        }
        if let (Some(gw), Some(g)) = (&group_word, &nf.group)
            && gw != &w.name
        {
            blocks.push(Block::new(
                RuleId::GroupSplit,
                format!("group `{g}` lives in `{gw}`; a member elsewhere splits it"),
            ));
        }
        let (mut sub, _) = a.sub_planner(d, &[]);
        let mut f = flag.clone();
        f.word = w.name.clone();
        let op = ProposalOp::Add { flag: Box::new(f) };
        let placed = match sub.apply(0, &op, &w.name, None, None, &Loc::default()) {
            Ok(()) => sub
                .index
                .flag(&nf.name)
                .and_then(|i| sub.layout.flags[i].bit),
            Err(e) => {
                let msg = e
                    .message
                    .split_once(": ")
                    .map_or(e.message.clone(), |(_, m)| m.to_string());
                blocks.push(Block::new(e.rule, msg));
                None
            }
        };
        match placed {
            Some(bit) if blocks.is_empty() => legal.push((d, bit)),
            _ => {
                blocks.sort_by_key(|b| rule_rank(b.rule));
                rejected.push(Rejected {
                    word: w.name.clone(),
                    rule: w.rule.to_string(),
                    kind: w.kind.as_str(),
                    blocks,
                });
            }
        }
    }
    // Plain words first, then words with a hole (the header's named free slots), then room.
    let key = |d: usize| {
        (
            layout.words[d].rule.is_atomic(),
            a.occ[d].holes == 0,
            std::cmp::Reverse(a.occ[d].free),
            d,
        )
    };
    legal.sort_by_key(|&(d, _)| key(d));
    let plain_legal = legal
        .iter()
        .any(|&(d, _)| !layout.words[d].rule.is_atomic());
    let ranked = legal
        .into_iter()
        .enumerate()
        .map(|(n, (d, bit))| {
            let w = &layout.words[d];
            let left = a.occ[d].free.saturating_sub(1);
            let mut reasons = Vec::new();
            if w.rule.is_atomic() {
                reasons.push(if plain_legal {
                    "atomic word: a plain word is also legal and cheaper".to_string()
                } else {
                    "atomic word: the only kind whose rule admits every writer".to_string()
                });
            } else {
                reasons.push(format!("plain `{}` word admits every writer", w.rule));
            }
            if let Some(h) = a.hole_name(d, bit) {
                reasons.push(format!("takes the hole {h}"));
            }
            reasons.push(format!("{left} bit{} left after", plural(left)));
            Ranked {
                rank: n + 1,
                word: w.name.clone(),
                rule: w.rule.to_string(),
                kind: w.kind.as_str(),
                bits: vec![At {
                    flag: nf.name.clone(),
                    bit,
                    from_bit: None,
                }],
                left,
                reasons,
            }
        })
        .collect();
    Ok(NewPlacement {
        flag: nf.name.clone(),
        writers: nf
            .writers
            .iter()
            .map(|w| {
                let mut s = w.context.to_string();
                if w.balanced {
                    s.push_str(":balanced");
                }
                if !w.locks.is_empty() {
                    s.push_str(&format!(" holding {}", w.locks.join(" and ")));
                }
                s
            })
            .collect(),
        group: nf.group.clone(),
        legal: ranked,
        rejected,
    })
}

/// Where the planner put a unit's members: (flag index, bit).
pub type Placed = Vec<(usize, u32)>;

/// Realize moves on a full copy of the planner, in order, exactly as `check` will apply them.
/// Returns, per move, the member placements (flag index, bit). Errors only on an internal
/// inconsistency (a move the search judged legal that the planner refuses).
pub fn realize(a: &Analysis, moves: &[(usize, usize)]) -> Result<(Planner, Vec<Placed>)> {
    let mut p = a.planner.clone();
    let mut out = Vec::new();
    let mut n = 0usize;
    for &(u, d) in moves {
        let to = a.layout().words[d].name.clone();
        let mut placed = Vec::new();
        for &i in &a.units[u].flags {
            let op = ProposalOp::Move {
                flag: a.layout().flags[i].name.clone(),
            };
            p.apply(n, &op, &to, None, None, &Loc::default())
                .map_err(|f| {
                    Error::Usage(format!(
                        "internal error: the planner refused a suggested move: {} ({})",
                        f.message,
                        f.rule.id()
                    ))
                })?;
            n += 1;
            placed.push((i, p.layout.flags[i].bit.unwrap_or(0)));
        }
        out.push(placed);
    }
    Ok((p, out))
}
