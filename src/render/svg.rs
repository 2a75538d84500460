//! Pictures: a plan as a row of 32 or 64 cells per word (used, reserved, free, moved in, moved
//! out), and the census as one such row per flag word of the kernel.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::check::occupancy::Cell;
use crate::check::{Occupancy, Report};
use crate::model::Layout;
use crate::rules::Severity;

/// Geometry, public so that tests can find a cell's pixels in a rendering.
pub const CELL: u32 = 18;
/// Left edge of bit cells (the word labels sit to the left).
pub const LEFT: u32 = 190;
/// Top edge of the first row of cells.
pub const TOP: u32 = 74;
/// Vertical distance from one word's cells to the next word's.
pub const ROW: u32 = 56;

/// Fill colour of a cell state (also named in the legend).
pub fn fill(c: Cell) -> &'static str {
    match c {
        Cell::Used => "#4a78b5",
        Cell::Reserved => "#9a9a9a",
        Cell::Free => "#ffffff",
        Cell::Hole => "#e4eefa",
        Cell::MovedIn => "#2e9e44",
        Cell::MovedOut => "#f0a23a",
    }
}

fn label(c: Cell) -> &'static str {
    match c {
        Cell::Used => "used",
        Cell::Reserved => "reserved",
        Cell::Free => "free",
        Cell::Hole => "hole (free)",
        Cell::MovedIn => "moved in",
        Cell::MovedOut => "moved out",
    }
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            c if c.is_control() => o.push(' '),
            c => o.push(c),
        }
    }
    o
}

/// Left x of the cell for `bit` in a word of `width` bits (most significant bit on the left).
pub fn cell_x(width: u32, bit: u32) -> u32 {
    LEFT + (width - 1 - bit) * CELL
}

/// Top y of row `row` (0-based word index).
pub fn row_y(row: usize) -> u32 {
    TOP + row as u32 * ROW
}

/// Names of the flags on each bit of each word of the resulting layout, for tooltips.
fn names_by_bit(layout: &Layout) -> BTreeMap<(&str, u32), Vec<&str>> {
    let mut m: BTreeMap<(&str, u32), Vec<&str>> = BTreeMap::new();
    for f in &layout.flags {
        let Some(b) = f.bit else { continue };
        for bit in b..b.saturating_add(f.width.max(1)) {
            m.entry((f.word.as_str(), bit))
                .or_default()
                .push(f.current_name());
        }
    }
    m
}

/// The SVG document for a check report.
pub fn render(report: &Report, layout_name: &str) -> String {
    let occ: &[Occupancy] = report.after.as_deref().unwrap_or(&report.before);
    let max_width = occ.iter().map(|o| o.width).max().unwrap_or(32).max(32);
    let width = LEFT + max_width * CELL + 20;
    let height = TOP + occ.len() as u32 * ROW + 40;
    let names = names_by_bit(&report.result);
    let error_flags: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error && f.waived.is_none())
        .filter_map(|f| f.flag.as_deref())
        .collect();
    let (e, w) = (
        report.count(Severity::Error),
        report.count(Severity::Warning),
    );

    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="DejaVu Sans Mono, monospace" font-size="12">"#
    );
    let _ = writeln!(
        s,
        r##"<rect x="0" y="0" width="{width}" height="{height}" fill="#fafafa"/>"##
    );
    let verdict = if e == 0 { "legal" } else { "NOT legal" };
    let _ = writeln!(
        s,
        r#"<text x="10" y="22" font-size="15" font-weight="bold">{} ({}): {verdict}, {e} errors, {w} warnings</text>"#,
        esc(layout_name),
        esc(&report.result.struct_name)
    );
    let moved = if report.moved.is_empty() {
        "no proposals".to_string()
    } else {
        format!("after {} proposals", report.moved.len())
    };
    let _ = writeln!(
        s,
        r##"<text x="10" y="42" fill="#444">bit maps {moved}; most significant bit on the left</text>"##
    );

    for (row, o) in occ.iter().enumerate() {
        let y = row_y(row);
        let before = report.before.iter().find(|b| b.word == o.word);
        let used = match before {
            Some(b) if b.used != o.used => format!("{} -> {}", b.used, o.used),
            _ => o.used.to_string(),
        };
        let _ = writeln!(
            s,
            r#"<text x="10" y="{}" font-weight="bold">{}</text>"#,
            y + 13,
            esc(&o.word)
        );
        let _ = writeln!(
            s,
            r##"<text x="10" y="{}" fill="#555" font-size="11">{} {}b used {used} free {}</text>"##,
            y + 28,
            esc(&o.rule),
            o.width,
            o.free
        );
        for bit in (0..o.width).rev() {
            if bit % 8 == 7 || bit == o.width - 1 {
                let _ = writeln!(
                    s,
                    r##"<text x="{}" y="{}" font-size="9" fill="#777">{bit}</text>"##,
                    cell_x(o.width, bit) + 2,
                    y - 3
                );
            }
            let cell = o.cells.get(bit as usize).copied().unwrap_or(Cell::Free);
            let who = names.get(&(o.word.as_str(), bit));
            let bad = who.is_some_and(|v| v.iter().any(|n| error_flags.contains(n)));
            let (stroke, sw) = if bad { ("#d01c1c", 3) } else { ("#333333", 1) };
            let tip = match who {
                Some(v) => format!("{} bit {bit}: {} ({})", o.word, v.join(", "), label(cell)),
                None => format!("{} bit {bit}: {}", o.word, label(cell)),
            };
            let _ = writeln!(
                s,
                r#"<rect x="{}" y="{y}" width="{CELL}" height="{CELL}" fill="{}" stroke="{stroke}" stroke-width="{sw}"><title>{}</title></rect>"#,
                cell_x(o.width, bit),
                fill(cell),
                esc(&tip)
            );
        }
    }

    let ly = TOP + occ.len() as u32 * ROW + 6;
    let mut x = 10;
    for c in [
        Cell::Used,
        Cell::Reserved,
        Cell::Free,
        Cell::Hole,
        Cell::MovedIn,
        Cell::MovedOut,
    ] {
        let _ = writeln!(
            s,
            r##"<rect x="{x}" y="{ly}" width="14" height="14" fill="{}" stroke="#333333"/><text x="{}" y="{}">{}</text>"##,
            fill(c),
            x + 18,
            ly + 11,
            label(c)
        );
        x += 110;
    }
    let _ = writeln!(
        s,
        r##"<rect x="{x}" y="{ly}" width="14" height="14" fill="#ffffff" stroke="#d01c1c" stroke-width="3"/><text x="{}" y="{}">flag with an error</text>"##,
        x + 18,
        ly + 11
    );
    s.push_str("</svg>\n");
    s
}

/// The cell a census map character stands for (`#` used, `r` reserved, `h` hole, `.` free).
fn census_cell(ch: char) -> Option<Cell> {
    Some(match ch {
        '#' => Cell::Used,
        'r' => Cell::Reserved,
        'h' => Cell::Hole,
        '.' => Cell::Free,
        _ => return None,
    })
}

/// The SVG document for a census: one row per flag word, fullest first as in the table, with the
/// bits a 32-bit kernel does not have marked off.
pub fn census(c: &crate::census::Census) -> String {
    let max_width = c.rows.iter().map(|r| r.width).max().unwrap_or(32).max(32);
    let width = LEFT + max_width * CELL + 20;
    let height = TOP + c.rows.len() as u32 * ROW + 40;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="DejaVu Sans Mono, monospace" font-size="12">"#
    );
    let _ = writeln!(
        s,
        r##"<rect x="0" y="0" width="{width}" height="{height}" fill="#fafafa"/>"##
    );
    let _ = writeln!(
        s,
        r#"<text x="10" y="22" font-size="15" font-weight="bold">Flag word census ({})</text>"#,
        esc(&c.config)
    );
    let _ = writeln!(
        s,
        r##"<text x="10" y="42" fill="#444">most significant bit on the left; the dashed line is the top of a 32-bit kernel's unsigned long</text>"##
    );
    for (row, r) in c.rows.iter().enumerate() {
        let y = row_y(row);
        let _ = writeln!(
            s,
            r#"<text x="10" y="{}" font-weight="bold">{}::{}</text>"#,
            y + 13,
            esc(&r.struct_name),
            esc(&r.word)
        );
        let _ = writeln!(
            s,
            r##"<text x="10" y="{}" fill="#555" font-size="11">{} {}b used {} free {}/{}</text>"##,
            y + 28,
            esc(&r.rule),
            r.width,
            r.used,
            r.free,
            r.free_32()
        );
        let cells: Vec<Cell> = r.map.chars().filter_map(census_cell).collect();
        for (i, cell) in cells.iter().enumerate() {
            let Some(bit) = (r.width as usize).checked_sub(i + 1) else {
                break;
            };
            let bit = bit as u32;
            if bit % 8 == 7 || bit == r.width - 1 {
                let _ = writeln!(
                    s,
                    r##"<text x="{}" y="{}" font-size="9" fill="#777">{bit}</text>"##,
                    cell_x(r.width, bit) + 2,
                    y - 3
                );
            }
            let _ = writeln!(
                s,
                r##"<rect x="{}" y="{y}" width="{CELL}" height="{CELL}" fill="{}" stroke="#333333" stroke-width="1"><title>{}::{} bit {bit}: {}</title></rect>"##,
                cell_x(r.width, bit),
                fill(*cell),
                esc(&r.struct_name),
                esc(&r.word),
                label(*cell)
            );
        }
        if r.width_32 < r.width {
            let x = cell_x(r.width, r.width_32 - 1);
            let _ = writeln!(
                s,
                r##"<line x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="#d01c1c" stroke-width="2" stroke-dasharray="4 3"/>"##,
                y - 4,
                y + CELL + 4
            );
        }
    }
    let ly = TOP + c.rows.len() as u32 * ROW + 6;
    let mut x = 10;
    for cell in [Cell::Used, Cell::Reserved, Cell::Free, Cell::Hole] {
        let _ = writeln!(
            s,
            r##"<rect x="{x}" y="{ly}" width="14" height="14" fill="{}" stroke="#333333"/><text x="{}" y="{}">{}</text>"##,
            fill(cell),
            x + 18,
            ly + 11,
            label(cell)
        );
        x += 110;
    }
    s.push_str("</svg>\n");
    s
}
