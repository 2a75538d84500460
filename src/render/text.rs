//! Text output: an occupancy table per word, caret diagnostics per finding, a summary.

use std::fmt::Write as _;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use comfy_table::{CellAlignment, ContentArrangement, Table, presets};

use crate::check::{Finding, Occupancy, Report};
use crate::model::Sources;
use crate::rules::Severity;

/// Options for text output.
#[derive(Clone, Copy, Debug)]
pub struct TextOptions {
    pub color: bool,
    /// Show notes with source snippets too (otherwise one line each).
    pub verbose: bool,
}

pub fn render(report: &Report, sources: &Sources, layout_name: &str, opts: TextOptions) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} ({})", layout_name, report.result.struct_name);
    out.push_str(&occupancy_table(&report.before, report.after.as_deref()));
    out.push('\n');
    if !report.moved.is_empty() {
        out.push_str("moves:\n");
        for m in &report.moved {
            let from = match (&m.from_word, m.from_bit) {
                (Some(w), Some(b)) => format!("{w} bit {b}"),
                (Some(w), None) => w.clone(),
                (None, _) => "(new)".to_string(),
            };
            let to = m
                .to_bit
                .map_or(m.to_word.clone(), |b| format!("{} bit {b}", m.to_word));
            let rename = if m.name != m.flag {
                format!(" as {}", m.name)
            } else {
                String::new()
            };
            let _ = writeln!(out, "  #{} {}{rename}: {from} -> {to}", m.proposal, m.flag);
        }
        out.push('\n');
    }
    let renderer = if opts.color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    for f in &report.findings {
        if f.severity == Severity::Note && !opts.verbose {
            out.push_str(&note_line(f, sources));
            continue;
        }
        out.push_str(&renderer.render(&diagnostic(f, sources)));
        out.push_str("\n\n");
    }
    let (e, w, n) = (
        report.count(Severity::Error),
        report.count(Severity::Warning),
        report.count(Severity::Note),
    );
    if !report.findings.is_empty() && !out.ends_with("\n\n") {
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "summary: {e} error{}, {w} warning{}, {n} note{}",
        plural(e),
        plural(w),
        plural(n)
    );
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The occupancy table; with `after`, used/free show `before -> after` and the map is the planned one.
pub fn occupancy_table(before: &[Occupancy], after: Option<&[Occupancy]>) -> String {
    let mut t = Table::new();
    t.load_style(presets::ASCII_MARKDOWN)
        .set_content_arrangement(ContentArrangement::Disabled);
    t.set_header([
        "word",
        "kind",
        "rule",
        "width",
        "used",
        "reserved",
        "holes",
        "free",
        "bits (msb..lsb)",
    ]);
    for b in before {
        let a = after.and_then(|a| a.iter().find(|a| a.word == b.word));
        let pair = |x: u32, y: Option<u32>| match y {
            Some(y) if y != x => format!("{x} -> {y}"),
            _ => x.to_string(),
        };
        t.add_row([
            b.word.clone(),
            b.kind.to_string(),
            b.rule.clone(),
            b.width.to_string(),
            pair(b.used, a.map(|a| a.used)),
            pair(b.reserved, a.map(|a| a.reserved)),
            pair(b.holes, a.map(|a| a.holes)),
            pair(b.free, a.map(|a| a.free)),
            a.unwrap_or(b).map(),
        ]);
    }
    for i in 3..8 {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    let mut s = t.to_string();
    s.push('\n');
    s.push_str("legend: # used  r reserved  . free  h hole (free)  + moved in  - moved out (bitfields: worst-case CONFIG)\n");
    s
}

fn level(s: Severity) -> Level<'static> {
    match s {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Note => Level::NOTE,
    }
}

fn diagnostic<'a>(f: &'a Finding, sources: &'a Sources) -> Vec<Group<'a>> {
    let title = level(f.severity)
        .primary_title(f.message.as_str())
        .id(f.rule.id());
    let mut group = match f.loc.as_ref().and_then(|l| Some((l, sources.get(l.file)?))) {
        Some((loc, file)) => title.element(
            Snippet::source(file.text.as_str())
                .path(file.name.as_str())
                .fold(true)
                .annotation(AnnotationKind::Primary.span(loc.span.clone())),
        ),
        None => Group::with_title(title),
    };
    if let Some(d) = &f.detail {
        group = group.element(Level::NOTE.message(d.as_str()));
    }
    if let Some(w) = &f.waived {
        group = group.element(Level::NOTE.message(format!("waived: {w}")));
    }
    for e in &f.evidence {
        group = group.element(Level::NOTE.message(format!("evidence: {e}")));
    }
    vec![group]
}

fn note_line(f: &Finding, sources: &Sources) -> String {
    let at = f
        .loc
        .as_ref()
        .and_then(|l| sources.position(l))
        .map_or(String::new(), |(file, line, col)| {
            format!("{file}:{line}:{col}: ")
        });
    let mut s = format!("{at}note[{}]: {}", f.rule.id(), f.message);
    if let Some(d) = &f.detail {
        let _ = write!(s, " ({})", one_line(d));
    }
    if let Some(w) = &f.waived {
        let _ = write!(s, " (waived: {})", one_line(w));
    }
    if !f.evidence.is_empty() {
        let shown: Vec<&str> = f.evidence.iter().take(3).map(String::as_str).collect();
        let more = f.evidence.len().saturating_sub(3);
        let _ = write!(
            s,
            " [{}{}]",
            shown.join(", "),
            if more > 0 {
                format!(", +{more}")
            } else {
                String::new()
            }
        );
    }
    s.push('\n');
    s
}

fn one_line(s: &str) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() > 100 {
        format!("{}...", s.chars().take(100).collect::<String>())
    } else {
        s
    }
}
