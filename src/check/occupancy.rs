//! Occupancy: how many bits of each word are used, reserved and free, and a bit map.

use serde::Serialize;

use crate::guard::worst_case_sum;
use crate::model::{Kind, Layout, Word};

/// One bit of a word as shown in the map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cell {
    Free,
    /// Free, and named by a hole define (`PF__HOLE__*`).
    Hole,
    Used,
    Reserved,
    /// Used by a flag a proposal moved or added here.
    MovedIn,
    /// Used before the proposals, free after.
    MovedOut,
}

impl Cell {
    pub fn glyph(self) -> char {
        match self {
            Cell::Free => '.',
            Cell::Hole => 'h',
            Cell::Used => '#',
            Cell::Reserved => 'r',
            Cell::MovedIn => '+',
            Cell::MovedOut => '-',
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Occupancy {
    pub word: String,
    pub kind: &'static str,
    pub rule: String,
    pub width: u32,
    /// Bits used under the worst case of CONFIG guards.
    pub used: u32,
    pub reserved: u32,
    /// Free bits (counted in `free`) that a hole define names.
    pub holes: u32,
    /// Free bits, holes included.
    pub free: u32,
    /// `cells[b]` is bit `b`.
    pub cells: Vec<Cell>,
}

impl Occupancy {
    /// The map as text, most significant bit first, in groups of four (like a hex mask).
    pub fn map(&self) -> String {
        let mut s = String::with_capacity(self.cells.len() * 5 / 4);
        for (i, c) in self.cells.iter().rev().enumerate() {
            if i > 0 && i % 4 == 0 {
                s.push(' ');
            }
            s.push(c.glyph());
        }
        s
    }
}

/// Occupancy of one word of `layout`, given the indices of its flags.
pub fn of_word(layout: &Layout, word: &Word, members: &[usize]) -> Occupancy {
    let width = word.width;
    let mut cells = vec![Cell::Free; width as usize];
    let (used, reserved) = match word.kind {
        Kind::Bitfield => {
            for &i in members {
                let f = &layout.flags[i];
                let Some(b) = f.bit else { continue };
                // A hole in a bitfield is padding that packs like a member: it holds its bits.
                for bit in b..b.saturating_add(f.width).min(width) {
                    cells[bit as usize] = if f.reserved || f.hole {
                        Cell::Reserved
                    } else if f.is_moved() {
                        Cell::MovedIn
                    } else {
                        Cell::Used
                    };
                }
            }
            // Reserved members (`__mce_reserved:62`) pad the unit: they hold bits, but no flag.
            let sum = |reserved: bool| {
                worst_case_sum(
                    members
                        .iter()
                        .map(|&i| &layout.flags[i])
                        .filter(|f| (f.reserved || f.hole) == reserved)
                        .map(|f| (&f.guard, f.width)),
                )
            };
            let reserved = sum(true).min(width);
            (sum(false).min(width - reserved), reserved)
        }
        Kind::Mask | Kind::Bitnum => {
            for &i in members {
                let f = &layout.flags[i];
                let Some(b) = f.bit.filter(|&b| b < width) else {
                    continue;
                };
                // A multi-bit field (`MMF_DUMPABLE`, 2 bits) holds every bit of its width.
                for bit in b..b.saturating_add(f.width.max(1)).min(width) {
                    let cell = &mut cells[bit as usize];
                    if f.hole {
                        if *cell == Cell::Free {
                            *cell = Cell::Hole;
                        }
                        continue;
                    }
                    *cell = match (*cell, f.reserved, f.is_moved()) {
                        (_, _, true) => Cell::MovedIn,
                        (Cell::MovedIn, _, _) => Cell::MovedIn,
                        (_, false, false) => Cell::Used,
                        (Cell::Free | Cell::Hole, true, false) => Cell::Reserved,
                        (c, true, false) => c,
                    };
                }
            }
            let used = cells
                .iter()
                .filter(|c| matches!(c, Cell::Used | Cell::MovedIn))
                .count() as u32;
            let reserved = cells.iter().filter(|c| **c == Cell::Reserved).count() as u32;
            (used, reserved)
        }
    };
    let holes = cells.iter().filter(|c| **c == Cell::Hole).count() as u32;
    Occupancy {
        word: word.name.clone(),
        kind: word.kind.as_str(),
        rule: word.rule.to_string(),
        width,
        used,
        reserved,
        holes,
        free: width.saturating_sub(used + reserved),
        cells,
    }
}

/// Occupancy of every word, in declaration order.
pub fn of_layout(layout: &Layout) -> Vec<Occupancy> {
    let index = crate::check::plan::WordIndex::build(layout);
    layout
        .words
        .iter()
        .map(|w| of_word(layout, w, index.members(&w.name)))
        .collect()
}

/// Mark bits that were used before and are free after as moved out.
pub fn mark_moved_out(before: &[Occupancy], after: &mut [Occupancy]) {
    for a in after.iter_mut() {
        let Some(b) = before.iter().find(|b| b.word == a.word) else {
            continue;
        };
        if a.kind == "bitfield" {
            continue;
        }
        for (ca, cb) in a.cells.iter_mut().zip(&b.cells) {
            if matches!(*ca, Cell::Free | Cell::Hole) && *cb == Cell::Used {
                *ca = Cell::MovedOut;
            }
        }
    }
}
