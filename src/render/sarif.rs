//! SARIF 2.1.0 output for code-scanning upload: a small typed model of the parts flagplan uses.
//!
//! GitHub's ingestion rules shape it: every result has a physical location in a file of the checked
//! repository ([`anchor`](crate::render::anchor)); findings that land in no such file (a built-in
//! layout checked on its own) become one run notification per source, not results; waived findings
//! carry `suppressions`; every rule has its explanation and a help URI; input errors become a
//! document with `executionSuccessful: false` and the error as a notification.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::check::{Finding, Report};
use crate::error::Error;
use crate::model::Sources;
use crate::render::anchor::{self, Anchor};
use crate::rules::{RuleId, Severity};

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

#[derive(Serialize)]
struct Run {
    tool: Tool,
    invocations: Vec<Invocation>,
    results: Vec<SResult>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    information_uri: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    short_description: Text,
    full_description: Text,
    help: Text,
    help_uri: String,
    default_configuration: Config,
}

#[derive(Serialize)]
struct Config {
    level: &'static str,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: Physical,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Physical {
    artifact_location: Artifact,
    region: Region,
}

#[derive(Serialize)]
struct Artifact {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
}

#[derive(Serialize)]
struct Suppression {
    kind: &'static str,
    justification: String,
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

fn location(a: Anchor) -> Location {
    Location {
        physical_location: Physical {
            artifact_location: Artifact { uri: a.uri },
            region: Region {
                start_line: a.line,
                start_column: a.col,
            },
        },
    }
}

fn rules() -> Vec<Rule> {
    RuleId::ALL
        .iter()
        .map(|r| {
            let i = r.info();
            Rule {
                id: i.id,
                short_description: Text {
                    text: i.summary.to_string(),
                },
                full_description: Text {
                    text: i.explain.to_string(),
                },
                help: Text {
                    text: format!("{}\n\nFix: {}", i.explain, i.fix),
                },
                help_uri: r.help_uri(),
                default_configuration: Config {
                    level: level(i.severity),
                },
            }
        })
        .collect()
}

/// FNV-1a, 64 bits: a fingerprint that stays the same across Rust releases and line moves.
fn fnv1a(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

fn result(f: &Finding, at: Anchor) -> SResult {
    let mut text = f.message.clone();
    if !f.evidence.is_empty() {
        text.push_str(&format!(" (evidence: {})", f.evidence.join(", ")));
    }
    let fingerprint = fnv1a(&[
        f.rule.id(),
        f.flag.as_deref().unwrap_or(""),
        f.word.as_deref().unwrap_or(""),
        &f.message,
    ]);
    SResult {
        rule_id: f.rule.id(),
        rule_index: RuleId::ALL.iter().position(|r| *r == f.rule).unwrap_or(0),
        // A waived finding keeps its rule's level; the suppression is what marks it excused.
        level: level(if f.waived.is_some() {
            f.rule.severity()
        } else {
            f.severity
        }),
        message: Text { text },
        locations: vec![location(at)],
        partial_fingerprints: BTreeMap::from([("flagplan/v1", fingerprint)]),
        suppressions: f
            .waived
            .iter()
            .map(|w| Suppression {
                kind: "inSource",
                justification: w.clone(),
            })
            .collect(),
    }
}

/// Findings that land in no repository file, counted per source they come from.
#[derive(Default)]
struct Unanchored {
    by_source: BTreeMap<String, [usize; 3]>,
}

impl Unanchored {
    fn add(&mut self, source: &str, s: Severity) {
        let counts = self.by_source.entry(source.to_string()).or_default();
        counts[s as usize] += 1;
    }

    fn notifications(&self) -> Vec<Notification> {
        self.by_source
            .iter()
            .map(|(source, [e, w, n])| {
                let lvl = if *e > 0 {
                    "error"
                } else if *w > 0 {
                    "warning"
                } else {
                    "note"
                };
                let hint = source.strip_prefix("builtin:").map_or_else(
                    || format!("`flagplan check {source} -v`"),
                    |b| format!("`flagplan check --builtin {b} -v`"),
                );
                Notification {
                    level: lvl,
                    message: Text {
                        text: format!(
                            "{} in {source}, which is not a file of this repository ({}, {}, {}); {hint} lists them",
                            plural(e + w + n, "finding"),
                            plural(*e, "error"),
                            plural(*w, "warning"),
                            plural(*n, "note"),
                        ),
                    },
                    locations: Vec::new(),
                }
            })
            .collect()
    }
}

fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

fn document(results: Vec<SResult>, invocation: Invocation) -> String {
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "flagplan",
                    version: env!("CARGO_PKG_VERSION"),
                    information_uri: crate::rules::DOCS_URL,
                    rules: rules(),
                },
            },
            invocations: vec![invocation],
            results,
        }],
    };
    let mut s = serde_json::to_string_pretty(&log).unwrap_or_default();
    s.push('\n');
    s
}

/// The SARIF log of a check; paths are made relative to the repository `root`.
pub fn render(report: &Report, sources: &Sources, root: &Path) -> String {
    let mut results = Vec::new();
    let mut unanchored = Unanchored::default();
    for f in &report.findings {
        match anchor::anchor(f, sources, root) {
            Some(at) => results.push(result(f, at)),
            None => unanchored.add(
                anchor::source_name(f, sources).unwrap_or("the layout"),
                f.severity,
            ),
        }
    }
    document(
        results,
        Invocation {
            execution_successful: true,
            tool_execution_notifications: unanchored.notifications(),
        },
    )
}

/// A SARIF log for a run that failed on its input: no results, the error as a notification.
pub fn error_document(e: &Error, root: &Path) -> String {
    let locations = e
        .position()
        .and_then(|(file, line, col)| {
            Some(location(Anchor {
                uri: anchor::repo_path(file, root)?,
                line,
                col,
            }))
        })
        .into_iter()
        .collect();
    document(
        Vec::new(),
        Invocation {
            execution_successful: false,
            tool_execution_notifications: vec![Notification {
                level: "error",
                message: Text {
                    text: e.to_string(),
                },
                locations,
            }],
        },
    )
}
