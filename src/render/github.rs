//! GitHub workflow annotations: `::error file=F,line=L,col=C,title=RULE::message`.

use crate::check::Report;
use crate::model::Sources;
use crate::render::position;
use crate::rules::Severity;

pub fn render(report: &Report, sources: &Sources) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let mut props = Vec::new();
        if let Some((file, line, col)) = position(f, sources) {
            props.push(format!("file={}", escape_prop(&file)));
            props.push(format!("line={line}"));
            props.push(format!("col={col}"));
        }
        props.push(format!("title={}", escape_prop(f.rule.id())));
        let mut msg = f.message.clone();
        if let Some(w) = &f.waived {
            msg.push_str(&format!(" (waived: {w})"));
        }
        if !f.evidence.is_empty() {
            msg.push_str(&format!("\nevidence: {}", f.evidence.join(", ")));
        }
        out.push_str(&format!(
            "::{level} {}::{}\n",
            props.join(","),
            escape_data(&msg)
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
