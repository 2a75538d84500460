//! Text output: an occupancy table per word, caret diagnostics per finding, a summary.

use std::fmt::Write as _;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use comfy_table::{CellAlignment, ContentArrangement, Table, presets};

use crate::check::{Finding, Occupancy, Report};
use crate::model::Sources;
use crate::rules::Severity;

/// What the command layer learned about the terminal and the environment (`COLUMNS`,
/// `NO_COLOR`, `CLICOLOR_FORCE`, `TERM`, isatty); the decisions on width and colour are made here.
#[derive(Clone, Copy, Debug, Default)]
pub struct Terminal {
    /// Standard output is a terminal.
    pub is_tty: bool,
    /// `COLUMNS`, when set to a number.
    pub columns: Option<usize>,
    /// The terminal's own width, when standard output is one.
    pub tty_width: Option<usize>,
    /// `NO_COLOR` is set and not empty.
    pub no_color: bool,
    /// `CLICOLOR_FORCE` is set and not `0`.
    pub clicolor_force: bool,
    /// `TERM=dumb`.
    pub dumb: bool,
}

/// Text is never wrapped narrower than this.
const MIN_WIDTH: usize = 40;
/// The width when nothing says otherwise (not a terminal, no `COLUMNS`).
pub const DEFAULT_WIDTH: usize = 100;

impl Terminal {
    /// `COLUMNS` if set, else the terminal's width, else [`DEFAULT_WIDTH`].
    pub fn width(&self) -> usize {
        self.columns
            .or(if self.is_tty { self.tty_width } else { None })
            .unwrap_or(DEFAULT_WIDTH)
            .max(MIN_WIDTH)
    }

    /// Colour under `--color auto` (`forced`: `Some` for `always`/`never`). `NO_COLOR` wins, then
    /// `CLICOLOR_FORCE`; otherwise only a terminal that is not `TERM=dumb` gets colour.
    pub fn color(&self, forced: Option<bool>) -> bool {
        forced.unwrap_or(!self.no_color && (self.clicolor_force || (self.is_tty && !self.dumb)))
    }
}

/// Options for text output.
#[derive(Clone, Copy, Debug)]
pub struct TextOptions {
    pub color: bool,
    /// 0: notes counted in the summary only; 1: one (wrapped) line each; 2: with source snippets.
    pub verbosity: u8,
    /// Columns to fit.
    pub width: usize,
}

pub fn render(report: &Report, sources: &Sources, layout_name: &str, opts: TextOptions) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} ({})", layout_name, report.result.struct_name);
    out.push_str(&occupancy(
        &report.before,
        report.after.as_deref(),
        opts.width,
    ));
    out.push('\n');
    moves(&mut out, report, opts.width);
    let renderer = if opts.color {
        Renderer::styled()
    } else {
        Renderer::plain()
    }
    .term_width(opts.width);
    for f in &report.findings {
        if f.severity == Severity::Note && opts.verbosity < 2 {
            if opts.verbosity == 1 {
                out.push_str(&note_line(f, sources, opts.width));
            }
            continue;
        }
        out.push_str(&renderer.render(&diagnostic(f, sources, opts.width)));
        out.push_str("\n\n");
    }
    let (e, w, n) = (
        report.count(Severity::Error),
        report.count(Severity::Warning),
        report.count(Severity::Note),
    );
    if !out.ends_with("\n\n") {
        out.push('\n');
    }
    let hidden = if n > 0 && opts.verbosity == 0 {
        " (-v shows them)"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "summary: {e} error{}, {w} warning{}, {n} note{}{hidden}",
        plural(e),
        plural(w),
        plural(n)
    );
    out
}

fn moves(out: &mut String, report: &Report, width: usize) {
    if report.moved.is_empty() {
        return;
    }
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
        let line = format!("#{} {}{rename}: {from} -> {to}", m.proposal, m.flag);
        let opts = textwrap::Options::new(width)
            .initial_indent("  ")
            .subsequent_indent("      ")
            .word_separator(textwrap::WordSeparator::AsciiSpace);
        for l in textwrap::wrap(&line, opts) {
            let _ = writeln!(out, "{l}");
        }
    }
    out.push('\n');
}

/// The occupancy table with its bit maps when it fits `width`; else the table without them and the
/// maps below it, 64-bit maps split in two halves when even a map line is too wide.
pub fn occupancy(before: &[Occupancy], after: Option<&[Occupancy]>, width: usize) -> String {
    let full = occupancy_table(before, after);
    if full.lines().all(|l| l.chars().count() <= width) {
        return full;
    }
    let mut s = table(before, after, false);
    if s.lines().any(|l| l.chars().count() > width) {
        s = fitted(before, after, width);
    }
    s.push('\n');
    let name_w = before.iter().map(|o| o.word.len()).max().unwrap_or(0);
    for b in before {
        let o = after
            .and_then(|a| a.iter().find(|a| a.word == b.word))
            .unwrap_or(b);
        let map = o.map();
        if 2 + name_w + 2 + map.len() <= width {
            let _ = writeln!(s, "  {:<name_w$}  {map}", o.word);
        } else {
            let (hi, lo) = map.split_at(map.len() / 2 + 1);
            let _ = writeln!(s, "  {:<name_w$}  {}", o.word, hi.trim_end());
            let _ = writeln!(s, "  {:<name_w$}  {}", "", lo.trim_start());
        }
    }
    for line in textwrap::wrap(
        LEGEND.trim_end(),
        textwrap::Options::new(width).subsequent_indent("  "),
    ) {
        s.push_str(&line);
        s.push('\n');
    }
    s
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

const LEGEND: &str =
    "legend: # used  r reserved  . free  + moved in  - moved out (bitfields: worst-case CONFIG)\n";

/// The occupancy table; with `after`, used/free show `before -> after` and the map is the planned one.
pub fn occupancy_table(before: &[Occupancy], after: Option<&[Occupancy]>) -> String {
    let mut s = table(before, after, true);
    s.push('\n');
    s.push_str(LEGEND);
    s
}

fn table(before: &[Occupancy], after: Option<&[Occupancy]>, with_map: bool) -> String {
    build(before, after, with_map).to_string()
}

/// The table without maps, its cells wrapped by comfy-table to fit `width`.
fn fitted(before: &[Occupancy], after: Option<&[Occupancy]>, width: usize) -> String {
    let mut t = build(before, after, false);
    t.set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(u16::try_from(width).unwrap_or(u16::MAX));
    t.to_string()
}

fn build(before: &[Occupancy], after: Option<&[Occupancy]>, with_map: bool) -> Table {
    let mut t = Table::new();
    t.load_style(presets::ASCII_MARKDOWN)
        .set_content_arrangement(ContentArrangement::Disabled);
    let mut header = vec![
        "word", "kind", "rule", "width", "used", "reserved", "holes", "free",
    ];
    if with_map {
        header.push("bits (msb..lsb)");
    }
    t.set_header(header);
    for b in before {
        let a = after.and_then(|a| a.iter().find(|a| a.word == b.word));
        let pair = |x: u32, y: Option<u32>| match y {
            Some(y) if y != x => format!("{x} -> {y}"),
            _ => x.to_string(),
        };
        let mut row = vec![
            b.word.clone(),
            b.kind.to_string(),
            b.rule.clone(),
            b.width.to_string(),
            pair(b.used, a.map(|a| a.used)),
            pair(b.reserved, a.map(|a| a.reserved)),
            pair(b.holes, a.map(|a| a.holes)),
            pair(b.free, a.map(|a| a.free)),
        ];
        if with_map {
            row.push(a.unwrap_or(b).map());
        }
        t.add_row(row);
    }
    for i in 3..8 {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    t
}

fn level(s: Severity) -> Level<'static> {
    match s {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Note => Level::NOTE,
    }
}

/// `text` broken into lines of at most `width` columns (annotate-snippets aligns the continuation).
fn fill(text: &str, width: usize) -> String {
    let opts = textwrap::Options::new(width.max(20))
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .wrap_algorithm(textwrap::WrapAlgorithm::FirstFit);
    textwrap::wrap(text, opts).join("\n")
}

/// Columns taken by a note's `   = note: ` prefix (gutter for 5-digit line numbers included).
const NOTE_PREFIX: usize = 16;

fn diagnostic<'a>(f: &'a Finding, sources: &'a Sources, width: usize) -> Vec<Group<'a>> {
    let prefix = "warning".len() + f.rule.id().len() + 4;
    let title = level(f.severity)
        .primary_title(fill(&f.message, width.saturating_sub(prefix)))
        .id(f.rule.id());
    let note = |s: String| Level::NOTE.message(fill(&s, width.saturating_sub(NOTE_PREFIX)));
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
        group = group.element(note(d.clone()));
    }
    if let Some(w) = &f.waived {
        group = group.element(note(format!("waived: {w}")));
    }
    for e in &f.evidence {
        group = group.element(note(format!("evidence: {e}")));
    }
    vec![group]
}

fn note_line(f: &Finding, sources: &Sources, width: usize) -> String {
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
    let opts = textwrap::Options::new(width)
        .subsequent_indent("    ")
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .wrap_algorithm(textwrap::WrapAlgorithm::FirstFit);
    let mut out = String::new();
    for line in textwrap::wrap(&s, opts) {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn one_line(s: &str) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() > 100 {
        format!("{}...", s.chars().take(100).collect::<String>())
    } else {
        s
    }
}
