//! `--free N --from WORD`: the cheapest legal plan that frees N bits of a word.
//!
//! **Units.** A unit (a connected component of groups, or a lone flag) moves whole into one
//! destination word. A unit with an `abi` member, a reserved member, or no destination whose rule
//! admits all its writers is blocked; its rule ids are reported.
//!
//! **Room.** A destination's room is counted conservatively ([`super::room`]): bits no flag holds
//! under any configuration, or a bitfield's width minus its worst-case use. Every unit placed
//! consumes its full size there, whatever its guard, so the plan fits under every CONFIG
//! combination; earlier moves use up room for later ones (the chained effect).
//!
//! **Bits freed** are counted exactly as `check`'s occupancy does ([`super::freed_bits`]): a mask or
//! bitnum bit is freed when every flag on it has left and it is not a hole; a bitfield frees the
//! drop of its worst-case use.
//!
//! **Cost**, compared lexicographically ([`Cost`]): flags moved, then evidence sites to rewrite,
//! then moves into an `atomic` word when a plain word was legal for that unit, then moves that
//! change the storage kind (mask → bitfield, ...). Ties go to the first plan in the search order
//! (units by cost per bit, destinations by rank), so output is deterministic.
//!
//! **Search.** Exact branch and bound over units (move it to one destination, or leave it). The
//! bound is a knapsack table over the remaining units, ignoring room and using each unit's most
//! optimistic gain and cost: admissible, so the first plan proved cheapest is optimal for the
//! cost. Destinations with the same rule, kind and remaining room are interchangeable, so only
//! one of each is tried. If N cannot be reached the target drops by one until a plan exists,
//! which gives the most bits that can be freed. A node limit ([`NODE_LIMIT`]) stops pathological
//! searches; the answer then says it is the best found, not proved optimal.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::ops::Add;

use serde::Serialize;

use super::{Analysis, Block, freed_bits};
use crate::guard::worst_case_sum;
use crate::model::Kind;
use crate::rules::RuleId;

/// Search nodes per target before giving up on a proof of optimality.
pub const NODE_LIMIT: u64 = 2_000_000;

/// The cost of a plan, compared field by field in this order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Cost {
    /// Flags moved.
    pub flags: u32,
    /// Distinct evidence sites (writes and remote reads) of the moved flags: code to rewrite.
    pub evidence: u32,
    /// Units moved into an `atomic` word although a plain word was legal for them.
    pub atomic: u32,
    /// Units whose storage kind changes (mask → bitfield, bitnum → mask, ...).
    pub kind_changes: u32,
}

impl Add for Cost {
    type Output = Cost;
    fn add(self, o: Cost) -> Cost {
        Cost {
            flags: self.flags + o.flags,
            evidence: self.evidence + o.evidence,
            atomic: self.atomic + o.atomic,
            kind_changes: self.kind_changes + o.kind_changes,
        }
    }
}

/// One unit moved by the plan.
#[derive(Clone, Debug, Serialize)]
pub struct UnitMove {
    #[serde(skip)]
    pub unit: usize,
    #[serde(skip)]
    pub dest: usize,
    pub flags: Vec<String>,
    pub groups: Vec<String>,
    pub to: String,
    /// (flag, bit in the destination) as the planner placed them.
    pub bits: Vec<super::At>,
    pub cost: Cost,
}

/// A flag of the word that the plan leaves in place, and why (when the target was not reached).
#[derive(Clone, Debug, Serialize)]
pub struct Held {
    pub flags: Vec<String>,
    pub blocks: Vec<Block>,
}

#[derive(Clone, Debug, Serialize)]
pub struct FreePlan {
    pub word: String,
    /// Free bits asked for (already free ones count).
    pub requested: u32,
    /// Bits freed by the plan's moves (exact, as occupancy counts).
    pub freed: u32,
    /// Free bits of the word before and after.
    pub free_before: u32,
    pub free_after: u32,
    pub moves: Vec<UnitMove>,
    pub cost: Cost,
    /// The search finished within its node limit: the plan is optimal for the cost.
    pub optimal: bool,
    pub nodes: u64,
    /// When `freed < requested`: what holds the rest, per unit.
    pub held: Vec<Held>,
    /// Reserved bits in the word (never freed by moving flags).
    pub reserved: Vec<String>,
    /// Holes in the word: free already, counted in `free_before`.
    pub holes: Vec<String>,
    /// For a word narrower on 32-bit kernels (`unsigned long`): its width there and the bits
    /// free below it before the moves. Bits above it exist only on 64-bit kernels.
    pub on_32bit: Option<Narrow>,
}

/// A word's room on 32-bit kernels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Narrow {
    pub width: u32,
    pub free: u32,
}

/// The free bits of `word` below its 32-bit width, when that width is smaller.
fn narrow(layout: &crate::model::Layout, word: &crate::model::Word) -> Option<Narrow> {
    let width = crate::census::width_32(word);
    if width >= word.width || word.kind == Kind::Bitfield {
        return None;
    }
    let used: BTreeSet<u32> = layout
        .flags
        .iter()
        .filter(|f| f.word == word.name && !f.hole)
        .filter_map(|f| f.bit.map(|b| (b, f.width.max(1))))
        .flat_map(|(b, n)| b..b + n)
        .filter(|&b| b < width)
        .collect();
    Some(Narrow {
        width,
        free: width - used.len() as u32,
    })
}

/// A candidate unit for the search.
#[derive(Clone, Debug)]
struct Cand {
    unit: usize,
    /// Upper bound of the bits its move frees (exact when it shares no bit with others).
    gain: u32,
    /// Options: (destination, cost of moving there), best rank first.
    opts: Vec<(usize, Cost)>,
    /// The cheapest of `opts`' costs.
    min: Cost,
    size: u32,
    /// Flag indices of the unit in the source word.
    in_word: Vec<usize>,
}

/// Exact freed-bit tracking for the source word during the search.
enum Tracker {
    Bits {
        /// Per bit: flags still on it (not moved), and whether it is a hole.
        left: Vec<u32>,
        hole: Vec<bool>,
        bit_of: Vec<Option<u32>>,
        freed: u32,
    },
    Bitfield {
        /// (guard, width, moved) of every member.
        members: Vec<(crate::guard::Guard, u32)>,
        pos: std::collections::HashMap<usize, usize>,
        moved: Vec<bool>,
        before: u32,
        width: u32,
    },
}

impl Tracker {
    fn new(a: &Analysis, w: usize) -> Tracker {
        let layout = a.layout();
        let word = &layout.words[w];
        let members = a.planner.index.members(&word.name);
        match word.kind {
            Kind::Bitfield => {
                let ms: Vec<(crate::guard::Guard, u32)> = members
                    .iter()
                    .map(|&i| (layout.flags[i].guard.clone(), layout.flags[i].width))
                    .collect();
                let before = worst_case_sum(ms.iter().map(|(g, w)| (g, *w))).min(word.width);
                Tracker::Bitfield {
                    pos: members.iter().enumerate().map(|(p, &i)| (i, p)).collect(),
                    moved: vec![false; ms.len()],
                    members: ms,
                    before,
                    width: word.width,
                }
            }
            Kind::Mask | Kind::Bitnum => {
                let mut left = vec![0u32; word.width as usize];
                let mut hole = vec![false; word.width as usize];
                let mut bit_of = vec![None; layout.flags.len()];
                for &i in members {
                    let f = &layout.flags[i];
                    let Some(b) = f.bit.filter(|&b| b < word.width) else {
                        continue;
                    };
                    if f.hole {
                        continue;
                    }
                    if f.reserved {
                        hole[b as usize] = true;
                    } else {
                        left[b as usize] += 1;
                        bit_of[i] = Some(b);
                    }
                }
                Tracker::Bits {
                    left,
                    hole,
                    bit_of,
                    freed: 0,
                }
            }
        }
    }

    fn mv(&mut self, flags: &[usize], out: bool) {
        match self {
            Tracker::Bits {
                left,
                hole,
                bit_of,
                freed,
            } => {
                for &i in flags {
                    let Some(b) = bit_of.get(i).copied().flatten() else {
                        continue;
                    };
                    let b = b as usize;
                    if out {
                        left[b] -= 1;
                        if left[b] == 0 && !hole[b] {
                            *freed += 1;
                        }
                    } else {
                        if left[b] == 0 && !hole[b] {
                            *freed -= 1;
                        }
                        left[b] += 1;
                    }
                }
            }
            Tracker::Bitfield { pos, moved, .. } => {
                for i in flags {
                    if let Some(&p) = pos.get(i) {
                        moved[p] = out;
                    }
                }
            }
        }
    }

    fn freed(&self) -> u32 {
        match self {
            Tracker::Bits { freed, .. } => *freed,
            Tracker::Bitfield {
                members,
                moved,
                before,
                width,
                ..
            } => {
                let after = worst_case_sum(
                    members
                        .iter()
                        .zip(moved)
                        .filter(|(_, m)| !**m)
                        .map(|((g, w), _)| (g, *w)),
                )
                .min(*width);
                before.saturating_sub(after)
            }
        }
    }
}

struct Search<'a> {
    cands: &'a [Cand],
    /// `lb[i][g]`: least cost to gain `g` more bits with candidates `i..` (None: impossible).
    lb: Vec<Vec<Option<Cost>>>,
    class: &'a [usize],
    cap: Vec<u32>,
    tracker: Tracker,
    target: u32,
    chosen: Vec<(usize, usize)>,
    best: Option<(Cost, Vec<(usize, usize)>)>,
    nodes: u64,
    cut: bool,
}

impl Search<'_> {
    fn dfs(&mut self, i: usize, cost: Cost) {
        self.nodes += 1;
        if self.nodes > NODE_LIMIT {
            self.cut = true;
            return;
        }
        let gain = self.tracker.freed();
        if gain >= self.target {
            if self.best.as_ref().is_none_or(|(b, _)| cost < *b) {
                self.best = Some((cost, self.chosen.clone()));
            }
            return;
        }
        if i == self.cands.len() {
            return;
        }
        let need = (self.target - gain) as usize;
        let Some(lb) = self.lb[i][need] else { return };
        if let Some((b, _)) = &self.best
            && cost + lb >= *b
        {
            return;
        }
        let c = &self.cands[i];
        let mut tried: HashSet<(usize, u32)> = HashSet::new();
        for &(d, dc) in &c.opts {
            if self.cap[d] < c.size || !tried.insert((self.class[d], self.cap[d])) {
                continue;
            }
            self.cap[d] -= c.size;
            self.tracker.mv(&c.in_word, true);
            self.chosen.push((c.unit, d));
            self.dfs(i + 1, cost + dc);
            self.chosen.pop();
            self.tracker.mv(&c.in_word, false);
            self.cap[d] += c.size;
            if self.cut {
                return;
            }
        }
        self.dfs(i + 1, cost);
    }
}

/// Build the knapsack bound table for `target`.
fn bound(cands: &[Cand], target: u32) -> Vec<Vec<Option<Cost>>> {
    let t = target as usize;
    let mut lb = vec![vec![None; t + 1]; cands.len() + 1];
    lb[cands.len()][0] = Some(Cost::default());
    for i in (0..cands.len()).rev() {
        for g in 0..=t {
            let skip = lb[i + 1][g];
            let take =
                lb[i + 1][g.saturating_sub(cands[i].gain as usize)].map(|c| c + cands[i].min);
            lb[i][g] = match (skip, take) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        // Gaining at least g is possible whenever gaining at least g+1 is.
        for g in (0..t).rev() {
            if let Some(c) = lb[i][g + 1] {
                lb[i][g] = Some(lb[i][g].map_or(c, |x| x.min(c)));
            }
        }
    }
    lb
}

/// Find the cheapest plan that leaves `n` bits of word `w` free (or the most bits that can be
/// freed). Bits already free, holes included, count first: only the rest is freed by moves.
pub fn solve(a: &Analysis, w: usize, n: u32) -> crate::error::Result<FreePlan> {
    let layout = a.layout();
    let word = &layout.words[w];
    let free_before = a.occ[w].free;
    let need = n.saturating_sub(free_before);
    // Units with a member in the word.
    let mut units: BTreeSet<usize> = BTreeSet::new();
    for &i in a.planner.index.members(&word.name) {
        if let Some(u) = a.unit_of[i] {
            units.insert(u);
        }
    }
    // Destination classes: same rule and kind (interchangeable but for room).
    let mut class_ids: BTreeMap<(String, Kind), usize> = BTreeMap::new();
    let class: Vec<usize> = layout
        .words
        .iter()
        .map(|x| {
            let k = (x.rule.to_string(), x.kind);
            let n = class_ids.len();
            *class_ids.entry(k).or_insert(n)
        })
        .collect();
    let from_kind = word.kind;
    let classes = super::Classes::new(a);
    let mut cands = Vec::new();
    let mut held = Vec::new();
    for &u in &units {
        let unit = &a.units[u];
        let in_word: Vec<usize> = unit
            .flags
            .iter()
            .copied()
            .filter(|&i| layout.flags[i].word == word.name)
            .collect();
        let set: BTreeSet<usize> = in_word.iter().copied().collect();
        // Optimistic gain: bits touched (mask/bitnum) or widths (bitfield).
        let gain = match word.kind {
            Kind::Bitfield => in_word.iter().map(|&i| layout.flags[i].width).sum(),
            _ => {
                let bits: BTreeSet<u32> = in_word
                    .iter()
                    .filter_map(|&i| layout.flags[i].bit.filter(|&b| b < word.width))
                    .collect();
                bits.len() as u32
            }
        };
        let _ = set;
        let owns = a.unit_words(u);
        let mut legal = Vec::new();
        let mut blocks: Vec<Block> = Vec::new();
        for (_, list) in &classes.classes {
            let Some(&rep) = list.iter().find(|d| !owns.contains(d)) else {
                continue;
            };
            let x = &layout.words[rep];
            // Rules depend on the class only; room on the word (lists are sorted by room).
            let st = a.static_blocks(u, rep);
            let fit = list.partition_point(|&d| a.cap[d] >= unit.size);
            let b = if st.is_empty() {
                let n = list[..fit].iter().filter(|d| !owns.contains(d)).count();
                if n > 0 {
                    legal.extend(list[..fit].iter().copied().filter(|d| !owns.contains(d)));
                    continue;
                }
                a.blocks_with_room(u, rep, a.cap[rep])
            } else {
                st
            };
            for blk in b {
                if !blocks.iter().any(|y| y.rule == blk.rule) {
                    let pinned =
                        blk.rule == RuleId::AbiPinned.id() || blk.rule == RuleId::BitReserved.id();
                    blocks.push(Block {
                        rule: blk.rule,
                        message: if pinned {
                            blk.message
                        } else {
                            format!("{} (to `{}`)", blk.message, x.name)
                        },
                    });
                }
            }
        }
        if legal.is_empty() {
            if unit.abi.is_some() {
                blocks.retain(|b| b.rule == RuleId::AbiPinned.id());
                blocks.truncate(1);
            }
            held.push(Held {
                flags: a.unit_names(u),
                blocks,
            });
            continue;
        }
        if gain == 0 {
            continue;
        }
        legal.sort_by_key(|&d| a.rank_key(u, d, a.cap[d]));
        let plain_legal = legal.iter().any(|&d| !layout.words[d].rule.is_atomic());
        let opts: Vec<(usize, Cost)> = legal
            .iter()
            .map(|&d| {
                let x = &layout.words[d];
                (
                    d,
                    Cost {
                        flags: unit.flags.len() as u32,
                        evidence: unit.evidence,
                        atomic: u32::from(plain_legal && x.rule.is_atomic()),
                        kind_changes: u32::from(x.kind != from_kind),
                    },
                )
            })
            .collect();
        let min = opts.iter().map(|o| o.1).min().unwrap_or_default();
        cands.push(Cand {
            unit: u,
            gain,
            opts,
            min,
            size: unit.size,
            in_word,
        });
    }
    // Cheapest per bit first: flags/gain, then evidence/gain, then declaration order.
    cands.sort_by(|x, y| {
        let fx = u64::from(x.min.flags) * u64::from(y.gain);
        let fy = u64::from(y.min.flags) * u64::from(x.gain);
        let ex = u64::from(x.min.evidence) * u64::from(y.gain);
        let ey = u64::from(y.min.evidence) * u64::from(x.gain);
        fx.cmp(&fy).then(ex.cmp(&ey)).then(x.unit.cmp(&y.unit))
    });
    let upper: u32 = cands.iter().map(|c| c.gain).sum();
    let mut target = need.min(upper).min(word.width);
    let mut nodes = 0u64;
    let mut optimal = true;
    let found = loop {
        let lb = bound(&cands, target);
        let mut s = Search {
            cands: &cands,
            lb,
            class: &class,
            cap: a.cap.clone(),
            tracker: Tracker::new(a, w),
            target,
            chosen: Vec::new(),
            best: None,
            nodes: 0,
            cut: false,
        };
        s.dfs(0, Cost::default());
        nodes += s.nodes;
        if s.cut {
            optimal = false;
        }
        if let Some(b) = s.best {
            break b;
        }
        if target == 0 {
            break (Cost::default(), Vec::new());
        }
        target -= 1;
    };
    let (cost, mut chosen) = found;
    chosen.sort_by_key(|&(u, _)| a.units[u].flags.first().copied());
    let (_, placed) = super::realize(a, &chosen)?;
    let moved: BTreeSet<usize> = chosen
        .iter()
        .flat_map(|&(u, _)| a.units[u].flags.iter().copied())
        .collect();
    let freed = freed_bits(a, w, &moved);
    let moves: Vec<UnitMove> = chosen
        .iter()
        .zip(placed)
        .map(|(&(u, d), bits)| {
            let c = cands
                .iter()
                .find(|c| c.unit == u)
                .and_then(|c| c.opts.iter().find(|o| o.0 == d))
                .map(|o| o.1)
                .unwrap_or_default();
            UnitMove {
                unit: u,
                dest: d,
                flags: a.unit_names(u),
                groups: a.units[u].groups.clone(),
                to: layout.words[d].name.clone(),
                bits: bits
                    .into_iter()
                    .map(|(i, bit)| super::At {
                        flag: layout.flags[i].current_name().to_string(),
                        bit,
                        from_bit: layout.flags[i].bit,
                    })
                    .collect(),
                cost: c,
            }
        })
        .collect();
    if freed < need {
        // Movable units the plan left behind: the room ran out (or they free nothing alone).
        let chosen_units: BTreeSet<usize> = chosen.iter().map(|c| c.0).collect();
        for c in &cands {
            if !chosen_units.contains(&c.unit) {
                held.push(Held {
                    flags: a.unit_names(c.unit),
                    blocks: vec![Block::new(
                        RuleId::NoFreeBit,
                        "every destination that admits its writers is full once the plan's moves are made",
                    )],
                });
            }
        }
    } else {
        held.clear();
    }
    let named = |pick: fn(&crate::model::Flag) -> bool| {
        a.planner
            .index
            .members(&word.name)
            .iter()
            .filter(|&&i| pick(&layout.flags[i]))
            .map(|&i| layout.flags[i].current_name().to_string())
            .collect()
    };
    Ok(FreePlan {
        word: word.name.clone(),
        requested: n,
        freed,
        free_before,
        free_after: free_before + freed,
        moves,
        cost,
        optimal,
        nodes,
        held,
        reserved: named(|f| f.reserved),
        holes: named(|f| f.hole),
        on_32bit: narrow(layout, word),
    })
}
