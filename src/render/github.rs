//! GitHub workflow annotations: `::error file=F,line=L,col=C,title=RULE::message`, only on files
//! of the repository; findings that land in no file become one summary line per source.

use std::collections::BTreeMap;
use std::path::Path;

use crate::check::Report;
use crate::model::Sources;
use crate::render::anchor;
use crate::rules::Severity;

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    }
}

/// Annotations for a check; `root` is the repository the workflow checked out.
pub fn render(report: &Report, sources: &Sources, root: &Path) -> String {
    let mut out = String::new();
    let mut elsewhere: BTreeMap<&str, (Severity, usize)> = BTreeMap::new();
    for f in &report.findings {
        let Some(at) = anchor::anchor(f, sources, root) else {
            let source = anchor::source_name(f, sources).unwrap_or("the layout");
            let e = elsewhere.entry(source).or_insert((f.severity, 0));
            e.0 = e.0.min(f.severity);
            e.1 += 1;
            continue;
        };
        let mut msg = f.message.clone();
        if let Some(w) = &f.waived {
            msg.push_str(&format!(" (waived: {w})"));
        }
        if !f.evidence.is_empty() {
            msg.push_str(&format!("\nevidence: {}", f.evidence.join(", ")));
        }
        out.push_str(&format!(
            "::{} file={},line={},col={},title={}::{}\n",
            level(f.severity),
            escape_prop(&at.uri),
            at.line,
            at.col,
            escape_prop(f.rule.id()),
            escape_data(&msg)
        ));
    }
    for (source, (worst, n)) in elsewhere {
        out.push_str(&format!(
            "::{} title=flagplan::{}\n",
            level(worst),
            escape_data(&format!(
                "{n} finding{} in {source}, which is not a file of this repository; run flagplan check locally to see them",
                if n == 1 { "" } else { "s" }
            ))
        ));
    }
    out
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_prop(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}
