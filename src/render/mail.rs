//! Plain text for a patch cover letter: at most 72 columns, no colour, no box drawing.

use std::fmt::Write as _;

use crate::check::{Occupancy, Report};
use crate::model::{Layout, Sources};
use crate::render::position;
use crate::rules::Severity;

const WIDTH: usize = 72;

/// Wrap at spaces only (paths and `file:line` stay whole), with a hanging indent.
fn wrap(out: &mut String, indent: &str, text: &str) {
    let hang = format!("{indent}   ");
    let opts = textwrap::Options::new(WIDTH)
        .initial_indent(indent)
        .subsequent_indent(if indent.is_empty() { "" } else { &hang })
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .break_words(true);
    for line in textwrap::wrap(text, opts) {
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

/// The report of a plan's verdict, for a mail.
pub fn render(report: &Report, sources: &Sources, layout_name: &str) -> String {
    let mut out = String::new();
    let l = &report.result;
    let (e, w) = (
        report.count(Severity::Error),
        report.count(Severity::Warning),
    );
    let verdict = if e == 0 { "legal" } else { "NOT legal" };
    wrap(
        &mut out,
        "",
        &format!(
            "flagplan: {layout_name} ({}) is {verdict}: {e} errors, {w} warnings.",
            l.struct_name
        ),
    );
    if let Some(o) = &l.origin {
        wrap(&mut out, "", &format!("Layout facts from {o}."));
    }
    out.push('\n');
    out.push_str("Occupancy (bits used/free, before -> after):\n\n");
    let after = report.after.as_deref();
    for b in &report.before {
        let a = after.and_then(|a| a.iter().find(|a| a.word == b.word));
        let pair = |x: u32, y: Option<u32>| match y {
            Some(y) if y != x => format!("{x} -> {y}"),
            _ => x.to_string(),
        };
        let _ = writeln!(
            out,
            "  {:<14} {:>2} bits  used {:<8}  free {:<8}  {}",
            b.word,
            b.width,
            pair(b.used, a.map(|a| a.used)),
            pair(b.free, a.map(|a| a.free)),
            b.rule
        );
    }
    out.push('\n');
    for o in after.unwrap_or(&report.before) {
        map_lines(&mut out, o);
    }
    out.push_str(
        "  (# used, r reserved, . free, h hole (free), + moved in, - moved out;\n   msb first)\n",
    );
    if !report.moved.is_empty() {
        out.push_str("\nMoves:\n\n");
        for m in &report.moved {
            let to = m
                .to_bit
                .map_or(m.to_word.clone(), |b| format!("{} bit {b}", m.to_word));
            let from = match (&m.from_word, m.from_bit) {
                (Some(w), Some(b)) => format!("{w} bit {b}"),
                (Some(w), None) => w.clone(),
                (None, _) => "new".into(),
            };
            let name = if m.name != m.flag {
                format!(" (as {})", m.name)
            } else {
                String::new()
            };
            wrap(
                &mut out,
                "  ",
                &format!("{}. {}{name}: {from} -> {to}", m.proposal, m.flag),
            );
            writers(&mut out, l, &m.flag);
        }
    }
    let shown: Vec<_> = report
        .findings
        .iter()
        .filter(|f| {
            f.severity != Severity::Note
                || f.waived.is_some()
                || report.moved.iter().any(|m| {
                    f.flag.as_deref() == Some(&m.name) || f.flag.as_deref() == Some(&m.flag)
                })
        })
        .collect();
    if !shown.is_empty() {
        out.push_str("\nFindings:\n\n");
        for f in shown {
            let at = position(f, sources)
                .map_or(String::new(), |(file, line, _)| format!(" ({file}:{line})"));
            let sev = match (f.severity, &f.waived) {
                (_, Some(_)) => "waived",
                (Severity::Error, _) => "ERROR",
                (Severity::Warning, _) => "WARNING",
                (Severity::Note, _) => "note",
            };
            wrap(
                &mut out,
                "  ",
                &format!("{sev} {}: {}{at}", f.rule.id(), f.message),
            );
            if let Some(r) = &f.waived {
                wrap(&mut out, "      ", &format!("reason: {r}"));
            }
            if !f.evidence.is_empty() {
                wrap(
                    &mut out,
                    "      ",
                    &format!("evidence: {}", f.evidence.join(", ")),
                );
            }
        }
    }
    out
}

fn map_lines(out: &mut String, o: &Occupancy) {
    let map = o.map();
    // 64-bit maps (79 characters) are split in two halves to stay within 72 columns.
    if map.len() + 17 > WIDTH {
        let mid = map.len() / 2;
        let (hi, lo) = map.split_at(mid + 1);
        let _ = writeln!(out, "  {:<14} {}", o.word, hi.trim_end());
        let _ = writeln!(out, "  {:<14} {}", "", lo.trim_start());
    } else {
        let _ = writeln!(out, "  {:<14} {map}", o.word);
    }
}

fn writers(out: &mut String, l: &Layout, flag: &str) {
    let Some(f) = l.flags.iter().find(|f| f.name == flag) else {
        return;
    };
    for w in &f.writers {
        let mut s = format!("writer: {}", w.context);
        if w.balanced {
            s.push_str(" (balanced)");
        }
        if !w.locks.is_empty() {
            let _ = write!(s, " holding {}", w.locks.join(" and "));
        }
        if let Some(n) = &w.note {
            let _ = write!(s, ", {n}");
        }
        if !w.evidence.is_empty() {
            let _ = write!(s, " [{}]", w.evidence.join(", "));
        }
        wrap(out, "       ", &s);
    }
    if f.read_remote {
        let ev = if f.read_evidence.is_empty() {
            String::new()
        } else {
            format!(" [{}]", f.read_evidence.join(", "))
        };
        wrap(out, "       ", &format!("read by other tasks{ev}"));
    }
}
