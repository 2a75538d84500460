//! One finding per line, the shape gcc, sparse and checkpatch use:
//! `file:line: ERROR: rule-id: message`, so `make`-driven editors jump to it; the last line is
//! checkpatch's `total: N errors, N warnings, N lines checked`.

use crate::check::Report;
use crate::model::Sources;
use crate::render::position;
use crate::rules::Severity;

/// Errors and warnings; notes (as checkpatch's `CHECK:`) only when `verbose`, as checkpatch shows
/// them only with `--strict`.
pub fn render(report: &Report, sources: &Sources, verbose: bool) -> String {
    let mut out = String::new();
    for f in &report.findings {
        if f.severity == Severity::Note && !verbose {
            continue;
        }
        let level = match f.severity {
            Severity::Error => "ERROR",
            Severity::Warning => "WARNING",
            Severity::Note => "CHECK",
        };
        let at = position(f, sources)
            .map_or(String::new(), |(file, line, _)| format!("{file}:{line}: "));
        let waived = f
            .waived
            .as_ref()
            .map_or(String::new(), |_| " (waived)".to_string());
        out.push_str(&format!(
            "{at}{level}: {}: {}{waived}\n",
            f.rule.id(),
            f.message
        ));
    }
    // checkpatch says "1 errors": its form, kept so scripts that parse it keep working.
    let checks = if verbose {
        format!("{} checks, ", report.count(Severity::Note))
    } else {
        String::new()
    };
    let lines: usize = sources.files.iter().map(|f| f.text.lines().count()).sum();
    out.push_str(&format!(
        "total: {} errors, {} warnings, {checks}{lines} lines checked\n",
        report.count(Severity::Error),
        report.count(Severity::Warning),
    ));
    out
}
