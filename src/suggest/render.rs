//! Text and JSON output of `suggest`. Both are deterministic: same input, same bytes.

use serde::Serialize;

use super::free::FreePlan;
use super::{FlagRanking, NewPlacement, Overview, Rejected, plural};
use crate::render::JSON_VERSION;

/// Column where destinations start in the overview.
const NAMES: usize = 46;

fn wrap_names(names: &[String], width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for n in names {
        let cur = lines.last_mut().map_or(0, |l| l.len());
        if cur > 0 && cur + 1 + n.len() > width {
            lines.push(String::new());
        }
        if let Some(l) = lines.last_mut() {
            if !l.is_empty() {
                l.push(' ');
            }
            l.push_str(n);
        }
    }
    lines
}

pub fn overview_text(o: &Overview, layout: &str, struct_name: &str) -> String {
    let mut s = format!(
        "suggest: {layout} ({struct_name}); crowded = at least {}% of bits used or reserved, or none free\n\n",
        o.crowded_pct
    );
    let nw = o
        .words
        .iter()
        .map(|w| w.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let rw = o
        .words
        .iter()
        .map(|w| w.rule.len())
        .max()
        .unwrap_or(4)
        .max(4);
    s.push_str(&format!(
        "{:<nw$}  {:<8}  {:<rw$}  {:>5}  {:>4}  {:>4}  {:>4}\n",
        "word", "kind", "rule", "width", "used", "rsvd", "free"
    ));
    for w in &o.words {
        s.push_str(&format!(
            "{:<nw$}  {:<8}  {:<rw$}  {:>5}  {:>4}  {:>4}  {:>4}{}\n",
            w.name,
            w.kind,
            w.rule,
            w.width,
            w.used,
            w.reserved,
            w.free,
            if w.crowded { "  crowded" } else { "" }
        ));
    }
    for w in o.words.iter().filter(|w| w.crowded) {
        s.push('\n');
        let moving: usize = w.leave.iter().map(|l| l.flags.len()).sum();
        s.push_str(&format!(
            "{} ({} free of {}): {} flag{} in {} unit{} can leave, freeing up to {} bit{}\n",
            w.name,
            w.free,
            w.width,
            moving,
            plural(moving as u32),
            w.leave.len(),
            plural(w.leave.len() as u32),
            w.freeable,
            plural(w.freeable)
        ));
        if !w.leave.is_empty() {
            s.push_str(&format!(
                "  {:>5}  {:<NAMES$}  {}\n",
                "frees", "flags (a group moves whole)", "destinations, best first"
            ));
        }
        for l in &w.leave {
            let lines = wrap_names(&l.flags, NAMES);
            let mut dests: Vec<String> = l.destinations.iter().map(|d| d.word.clone()).collect();
            if l.legal > l.destinations.len() {
                dests.push(format!("+{} more", l.legal - l.destinations.len()));
            }
            for (k, line) in lines.iter().enumerate() {
                if k == 0 {
                    s.push_str(&format!(
                        "  {:>5}  {:<NAMES$}  {}\n",
                        l.frees,
                        line,
                        dests.join(", ")
                    ));
                } else {
                    s.push_str(&format!("  {:>5}  {line}\n", ""));
                }
            }
        }
        for st in &w.stay {
            let why: Vec<String> = st
                .blocks
                .iter()
                .map(|b| match &b.by {
                    Some(f) => format!("{} by {f}", b.rule),
                    None => format!("{} ({})", b.rule, b.word),
                })
                .collect();
            s.push_str(&format!(
                "  stays: {}: {}\n",
                st.flags.join(" "),
                why.join(", ")
            ));
        }
    }
    s.push_str(
        "\nranked: plain before atomic, same kind first, most room left; `--flag NAME` shows every word and why\n",
    );
    s
}

pub fn flag_text(r: &FlagRanking) -> String {
    let mut s = format!(
        "{} (in `{}`{})\n",
        r.flag,
        r.word,
        r.bit.map_or(String::new(), |b| format!(", bit {b}"))
    );
    if let Some(a) = &r.alone {
        s.push_str(&format!(
            "  moves only with its group ({}): {}\n  alone: {}: {}\n",
            r.groups.join(", "),
            r.unit.join(" "),
            a.rule,
            a.message
        ));
    }
    s.push_str(&format!(
        "\nlegal destinations ({}), best first:\n",
        r.legal.len()
    ));
    if r.legal.is_empty() {
        s.push_str("  none\n");
    }
    for l in &r.legal {
        let bits: Vec<String> = l.bits.iter().map(|x| x.bit.to_string()).collect();
        s.push_str(&format!(
            "  {}. {} ({} {}) bit{} {}: {}\n",
            l.rank,
            l.word,
            l.kind,
            l.rule,
            if bits.len() == 1 { "" } else { "s" },
            bits.join(","),
            l.reasons.join("; ")
        ));
    }
    s.push_str(&format!("\nrejected ({}):\n", r.rejected.len()));
    if r.rejected.is_empty() {
        s.push_str("  none\n");
    }
    rejected_lines(&mut s, &r.rejected);
    s
}

pub fn free_text(p: &FreePlan) -> String {
    let holes = if p.holes.is_empty() {
        String::new()
    } else {
        format!(
            " ({} hole{}: {})",
            p.holes.len(),
            plural(p.holes.len() as u32),
            p.holes.join(" ")
        )
    };
    let verdict = if p.free_after < p.requested {
        format!(
            "only {} can be freed by moves, {} free after",
            p.freed, p.free_after
        )
    } else if p.freed == 0 {
        "no move needed".to_string()
    } else {
        format!("moves free {} more, {} free after", p.freed, p.free_after)
    };
    let narrow = p.on_32bit.map_or(String::new(), |n| {
        format!(" ({} below bit {} on 32-bit kernels)", n.free, n.width)
    });
    let mut s = format!(
        "free {} bit{} of `{}`: {} already free{narrow}{holes}; {verdict}\n",
        p.requested,
        plural(p.requested),
        p.word,
        p.free_before,
    );
    if let Some(n) = p.on_32bit.filter(|n| n.free < p.requested) {
        s.push_str(&format!(
            "note: a 32-bit kernel has {} of them: a flag at bit {} or above must be 64-bit only (guard it, see `flagplan explain high-bit-not-guarded`)\n",
            n.free, n.width
        ));
    }
    s.push_str(&format!(
        "cost: {} flag{} moved, {} evidence site{} to rewrite, {} move{} into atomic where a plain word was legal, {} kind change{}{}\n",
        p.cost.flags,
        plural(p.cost.flags),
        p.cost.evidence,
        plural(p.cost.evidence),
        p.cost.atomic,
        plural(p.cost.atomic),
        p.cost.kind_changes,
        plural(p.cost.kind_changes),
        if p.optimal {
            " (optimal)".to_string()
        } else {
            format!(" (search stopped after {} nodes: best found, not proved optimal)", p.nodes)
        }
    ));
    if !p.moves.is_empty() {
        s.push_str("\nmoves, in order:\n");
    }
    for m in &p.moves {
        let group = if m.groups.is_empty() {
            String::new()
        } else {
            format!("  (group {})", m.groups.join(", "))
        };
        for at in &m.bits {
            let from = at
                .from_bit
                .map_or_else(|| p.word.clone(), |b| format!("{} bit {b}", p.word));
            s.push_str(&format!(
                "  {} ({from}) -> {} bit {}{group}\n",
                at.flag, m.to, at.bit
            ));
        }
    }
    if !p.held.is_empty() {
        s.push_str("\nwhat holds the rest:\n");
        for h in &p.held {
            let ids: Vec<&str> = h.blocks.iter().map(|b| b.rule).collect();
            s.push_str(&format!("  {}: {}\n", h.flags.join(" "), ids.join(", ")));
            for b in &h.blocks {
                s.push_str(&format!("      {}: {}\n", b.rule, b.message));
            }
        }
        if !p.reserved.is_empty() {
            s.push_str(&format!(
                "  reserved bits (bit-reserved, never freed by moves): {}\n",
                p.reserved.join(" ")
            ));
        }
    }
    s
}

pub fn new_text(n: &NewPlacement) -> String {
    let mut s = format!(
        "new flag {} written by {}{}\n",
        n.flag,
        n.writers.join(", "),
        n.group
            .as_ref()
            .map_or(String::new(), |g| format!(", in group {g}"))
    );
    match n.legal.first() {
        Some(b) => s.push_str(&format!(
            "best: `{}` bit {} ({} {}): {}\n",
            b.word,
            b.bits.first().map_or(0, |x| x.bit),
            b.kind,
            b.rule,
            b.reasons.join("; ")
        )),
        None => s.push_str("no word can take it\n"),
    }
    if n.legal.len() > 1 {
        s.push_str("\nalso legal:\n");
        for l in &n.legal[1..] {
            s.push_str(&format!(
                "  {}. {} bit {}: {}\n",
                l.rank,
                l.word,
                l.bits.first().map_or(0, |x| x.bit),
                l.reasons.join("; ")
            ));
        }
    }
    if !n.rejected.is_empty() {
        s.push_str("\nrejected:\n");
        rejected_lines(&mut s, &n.rejected);
    }
    s
}

#[derive(Serialize)]
struct Doc<'a, T: Serialize> {
    version: u32,
    tool: &'static str,
    layout: &'a str,
    #[serde(rename = "struct")]
    struct_name: &'a str,
    mode: &'static str,
    #[serde(flatten)]
    body: &'a T,
}

/// A versioned JSON document: `version`, `tool`, `layout`, `struct`, `mode`, then the body's fields.
pub fn json<T: Serialize>(mode: &'static str, layout: &str, struct_name: &str, body: &T) -> String {
    let doc = Doc {
        version: JSON_VERSION,
        tool: concat!("flagplan ", env!("CARGO_PKG_VERSION")),
        layout,
        struct_name,
        mode,
        body,
    };
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

/// A rejected word: its rule ids on one line, then each rule's sentence.
fn rejected_lines(s: &mut String, rejected: &[Rejected]) {
    for j in rejected {
        let ids: Vec<&str> = j.blocks.iter().map(|b| b.rule).collect();
        s.push_str(&format!(
            "  {} ({} {}): {}\n",
            j.word,
            j.kind,
            j.rule,
            ids.join(", ")
        ));
        for b in &j.blocks {
            s.push_str(&format!("      {}: {}\n", b.rule, b.message));
        }
    }
}
