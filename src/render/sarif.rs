//! SARIF 2.1.0 output for code-scanning upload: a small typed model of the parts flagplan uses.

use serde::Serialize;

use crate::check::Report;
use crate::model::Sources;
use crate::render::position;
use crate::rules::{RuleId, Severity};

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
    results: Vec<SResult>,
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
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    short_description: Text,
    full_description: Text,
    help: Text,
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
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location>,
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

pub fn render(report: &Report, sources: &Sources) -> String {
    let rules = RuleId::ALL
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
                    text: i.fix.to_string(),
                },
                default_configuration: Config {
                    level: level(i.severity),
                },
            }
        })
        .collect();
    let results = report
        .findings
        .iter()
        .map(|f| {
            let mut text = f.message.clone();
            if !f.evidence.is_empty() {
                text.push_str(&format!(" (evidence: {})", f.evidence.join(", ")));
            }
            let locations = position(f, sources)
                .filter(|(file, ..)| !file.starts_with('<') && !file.starts_with("builtin:"))
                .map(|(file, line, col)| Location {
                    physical_location: Physical {
                        artifact_location: Artifact {
                            uri: file.replace('\\', "/"),
                        },
                        region: Region {
                            start_line: line,
                            start_column: col,
                        },
                    },
                })
                .into_iter()
                .collect();
            let suppressions = f
                .waived
                .iter()
                .map(|w| Suppression {
                    kind: "inSource",
                    justification: w.clone(),
                })
                .collect();
            SResult {
                rule_id: f.rule.id(),
                rule_index: RuleId::ALL.iter().position(|r| *r == f.rule).unwrap_or(0),
                level: level(if f.waived.is_some() {
                    f.rule.severity()
                } else {
                    f.severity
                }),
                message: Text { text },
                locations,
                suppressions,
            }
        })
        .collect();
    let log = Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "flagplan",
                    version: env!("CARGO_PKG_VERSION"),
                    rules,
                },
            },
            results,
        }],
    };
    let mut s = serde_json::to_string_pretty(&log).unwrap_or_default();
    s.push('\n');
    s
}
