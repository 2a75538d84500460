//! Plain text for a patch cover letter: at most 72 columns, no colour, no box drawing.

use std::fmt::Write as _;

use crate::check::{Finding, Occupancy, Report};
use crate::cread::makefile::KernelVersion;
use crate::model::{Layout, Sources};
use crate::render::position;
use crate::rules::{RuleId, Severity};

const WIDTH: usize = 72;

/// Joins words that must stay on one line (`bit 19`); printed as a space.
const NBSP: char = '\u{a0}';

/// Wrap at spaces only (paths and `file:line` stay whole), with a hanging indent.
fn wrap(out: &mut String, indent: &str, text: &str) {
    let hang = format!("{indent}   ");
    let opts = textwrap::Options::new(WIDTH)
        .initial_indent(indent)
        .subsequent_indent(if indent.is_empty() { "" } else { &hang })
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .wrap_algorithm(textwrap::WrapAlgorithm::FirstFit)
        .break_words(true);
    for line in textwrap::wrap(text, opts) {
        out.push_str(&line.trim_end().replace(NBSP, " "));
        out.push('\n');
    }
}

/// What the mail says about where the facts come from.
#[derive(Clone, Copy, Debug, Default)]
pub struct MailContext {
    /// The kernel release (from the scanned tree's Makefile, else the layout's origin).
    pub kernel: Option<KernelVersion>,
}

/// `1 error`, `2 errors`.
fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// The report of a plan's verdict, for a mail.
pub fn render(report: &Report, sources: &Sources, layout_name: &str, ctx: MailContext) -> String {
    let mut out = String::new();
    let l = &report.result;
    let unwaived = |s: Severity| {
        report
            .findings
            .iter()
            .filter(|f| f.severity == s && f.waived.is_none())
            .count()
    };
    let (e, w) = (unwaived(Severity::Error), unwaived(Severity::Warning));
    let verdict = if e == 0 { "legal" } else { "NOT legal" };
    let kernel = ctx
        .kernel
        .or_else(|| l.origin.as_deref().and_then(KernelVersion::from_origin))
        .map_or(String::new(), |k| format!(", Linux {k}"));
    wrap(
        &mut out,
        "",
        &format!(
            "flagplan: {layout_name} ({}{kernel}) is {verdict}: {}, {}.",
            l.struct_name,
            count(e, "error"),
            count(w, "warning")
        ),
    );
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
                .map_or(m.to_word.clone(), |b| format!("{} bit{NBSP}{b}", m.to_word));
            let from = match (&m.from_word, m.from_bit) {
                (Some(w), Some(b)) => format!("{w} bit{NBSP}{b}"),
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
    findings(&mut out, report, sources);
    out
}

/// Does the finding concern a flag the plan moves?
fn concerns_moved(report: &Report, f: &Finding) -> bool {
    let flag = f.flag.as_deref();
    report
        .moved
        .iter()
        .any(|m| flag == Some(m.name.as_str()) || flag == Some(m.flag.as_str()))
}

/// Errors and warnings; waivers and notes only when they concern a moved flag; the `shared-word`
/// notes of one destination word as one paragraph naming its neighbours once.
fn findings(out: &mut String, report: &Report, sources: &Sources) {
    let shown: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| {
            (f.severity != Severity::Note && f.waived.is_none()) || concerns_moved(report, f)
        })
        .collect();
    if shown.is_empty() {
        return;
    }
    out.push_str("\nFindings:\n\n");
    let mut words_done: Vec<&str> = Vec::new();
    for f in shown {
        if f.rule == RuleId::SharedWord
            && f.waived.is_none()
            && let Some(word) = f.word.as_deref()
        {
            if !words_done.contains(&word) {
                words_done.push(word);
                shared_word(out, report, sources, word);
            }
            continue;
        }
        finding(out, f, sources);
    }
}

fn finding(out: &mut String, f: &Finding, sources: &Sources) {
    let at =
        position(f, sources).map_or(String::new(), |(file, line, _)| format!(" ({file}:{line})"));
    let sev = match (f.severity, &f.waived) {
        (_, Some(_)) => "waived",
        (Severity::Error, _) => "ERROR",
        (Severity::Warning, _) => "WARNING",
        (Severity::Note, _) => "note",
    };
    wrap(
        out,
        "  ",
        &format!("{sev} {}: {}{at}", f.rule.id(), f.message),
    );
    if let Some(r) = &f.waived {
        wrap(out, "      ", &format!("reason: {r}"));
    }
    if !f.evidence.is_empty() {
        wrap(
            out,
            "      ",
            &format!("evidence: {}", f.evidence.join(", ")),
        );
    }
}

/// One paragraph for every flag moved into `word`: who lands there and, once, whom they share it with.
fn shared_word(out: &mut String, report: &Report, sources: &Sources, word: &str) {
    let l = &report.result;
    let notes: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| {
            f.rule == RuleId::SharedWord && f.waived.is_none() && f.word.as_deref() == Some(word)
        })
        .collect();
    let landing: Vec<&str> = report
        .moved
        .iter()
        .filter(|m| m.to_word == word)
        .map(|m| m.name.as_str())
        .collect();
    let neighbours: Vec<&str> = l
        .flags
        .iter()
        .filter(|f| f.word == word && !f.reserved && !landing.contains(&f.current_name()))
        .map(|f| f.current_name())
        .collect();
    let rule = l
        .words
        .iter()
        .find(|w| w.name == word)
        .map_or(String::new(), |w| format!(" (rule {})", w.rule));
    let mut lines: Vec<(String, Vec<usize>)> = Vec::new();
    for (file, line, _) in notes.iter().filter_map(|f| position(f, sources)) {
        match lines.iter_mut().find(|(f, _)| *f == file) {
            Some((_, ls)) => ls.push(line),
            None => lines.push((file, vec![line])),
        }
    }
    let lines: Vec<String> = lines
        .into_iter()
        .map(|(file, ls)| match ls.as_slice() {
            [one] => format!("{file}:{one}"),
            _ => {
                let ls: Vec<String> = ls.iter().map(usize::to_string).collect();
                format!("{file} lines {}", ls.join(", "))
            }
        })
        .collect();
    let (verb, their) = if landing.len() == 1 {
        ("lands", "its")
    } else {
        ("land", "their")
    };
    wrap(
        out,
        "  ",
        &format!(
            "note shared-word: {} {verb} in `{word}`{rule}; {their} writers must obey that rule or they corrupt its {}: {}",
            and_list(&landing),
            count(neighbours.len(), "other flag"),
            and_list(&neighbours)
        ),
    );
    if !lines.is_empty() {
        wrap(out, "      ", &format!("proposed at {}", lines.join(", ")));
    }
}

/// `a, b and c`.
fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
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
        } else if w.from_user_mode {
            s.push_str(" (from user mode)");
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
