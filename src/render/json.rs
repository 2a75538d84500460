//! JSON output: a stable, versioned document (`"version": 1`).

use serde::Serialize;

use crate::check::{Moved, Report};
use crate::model::Sources;
use crate::render::{JSON_VERSION, position};

#[derive(Serialize)]
struct Doc<'a> {
    version: u32,
    tool: &'static str,
    layout: &'a str,
    #[serde(rename = "struct")]
    struct_name: &'a str,
    words: Vec<Word<'a>>,
    moves: &'a [Moved],
    findings: Vec<JFinding<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct Word<'a> {
    name: &'a str,
    kind: &'a str,
    rule: &'a str,
    width: u32,
    used: u32,
    reserved: u32,
    holes: u32,
    free: u32,
    map: String,
    after: Option<After>,
}

#[derive(Serialize)]
struct After {
    used: u32,
    reserved: u32,
    holes: u32,
    free: u32,
    map: String,
}

#[derive(Serialize)]
struct JFinding<'a> {
    rule: &'a str,
    severity: &'a str,
    flag: Option<&'a str>,
    word: Option<&'a str>,
    message: &'a str,
    file: Option<String>,
    line: Option<usize>,
    column: Option<usize>,
    evidence: &'a [String],
    detail: Option<&'a str>,
    waived: Option<&'a str>,
}

#[derive(Serialize)]
struct Summary {
    errors: usize,
    warnings: usize,
    notes: usize,
}

pub fn render(report: &Report, sources: &Sources, layout_name: &str) -> String {
    let words = report
        .before
        .iter()
        .map(|b| {
            let after = report
                .after
                .as_ref()
                .and_then(|a| a.iter().find(|a| a.word == b.word))
                .map(|a| After {
                    used: a.used,
                    reserved: a.reserved,
                    holes: a.holes,
                    free: a.free,
                    map: a.map(),
                });
            Word {
                name: &b.word,
                kind: b.kind,
                rule: &b.rule,
                width: b.width,
                used: b.used,
                reserved: b.reserved,
                holes: b.holes,
                free: b.free,
                map: b.map(),
                after,
            }
        })
        .collect();
    let findings = report
        .findings
        .iter()
        .map(|f| {
            let pos = position(f, sources);
            JFinding {
                rule: f.rule.id(),
                severity: f.severity.as_str(),
                flag: f.flag.as_deref(),
                word: f.word.as_deref(),
                message: &f.message,
                file: pos.as_ref().map(|p| p.0.clone()),
                line: pos.as_ref().map(|p| p.1),
                column: pos.as_ref().map(|p| p.2),
                evidence: &f.evidence,
                detail: f.detail.as_deref(),
                waived: f.waived.as_deref(),
            }
        })
        .collect();
    let doc = Doc {
        version: JSON_VERSION,
        tool: "flagplan",
        layout: layout_name,
        struct_name: &report.result.struct_name,
        words,
        moves: &report.moved,
        findings,
        summary: Summary {
            errors: report.count(crate::rules::Severity::Error),
            warnings: report.count(crate::rules::Severity::Warning),
            notes: report.count(crate::rules::Severity::Note),
        },
    };
    let mut s =
        serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

#[derive(Serialize)]
struct ErrorDoc<'a> {
    version: u32,
    tool: &'static str,
    error: JError<'a>,
}

#[derive(Serialize)]
struct JError<'a> {
    message: String,
    file: Option<&'a str>,
    line: Option<usize>,
    column: Option<usize>,
    /// The whole `file:line:col: message` line, as printed on standard error.
    text: String,
}

/// The document printed instead of a report when the input cannot be read (exit 2).
pub fn error_document(e: &crate::error::Error) -> String {
    let pos = e.position();
    let doc = ErrorDoc {
        version: JSON_VERSION,
        tool: "flagplan",
        error: JError {
            message: e.message(),
            file: pos.map(|p| p.0),
            line: pos.map(|p| p.1),
            column: pos.map(|p| p.2),
            text: e.to_string(),
        },
    };
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
