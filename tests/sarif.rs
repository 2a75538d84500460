//! CI formats that land: SARIF valid against the official 2.1.0 schema and GitHub's ingestion rules,
//! GitHub annotations only on files that exist, machine-readable error documents.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn flagplan(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("flagplan")
        .expect("binary")
        .current_dir(root())
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().expect("code"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn sarif(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "sarif"]);
    let (code, out, err) = flagplan(&all);
    let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}\n{out}\n{err}"));
    (code, v)
}

/// The OASIS SARIF 2.1.0 schema (errata 01), vendored from oasis-tcs/sarif-spec.
fn assert_valid_sarif(v: &Value) {
    let text =
        std::fs::read_to_string(root().join("tests/data/sarif-schema-2.1.0.json")).expect("schema");
    let schema: Value = serde_json::from_str(&text).expect("schema json");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let errors: Vec<String> = validator
        .iter_errors(v)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

/// GitHub code scanning: every result has a physical location in a file of the repository.
fn assert_results_land(v: &Value) {
    for r in v["runs"][0]["results"].as_array().expect("results") {
        let phys = &r["locations"][0]["physicalLocation"];
        let uri = phys["artifactLocation"]["uri"]
            .as_str()
            .unwrap_or_else(|| panic!("result without a location: {r}"));
        assert!(
            !uri.starts_with('/') && !uri.contains("..") && !uri.contains(':'),
            "not a repository path: {uri}"
        );
        assert!(root().join(uri).is_file(), "{uri} is not a file");
        assert!(
            phys["region"]["startLine"].as_u64().unwrap_or(0) >= 1,
            "{r}"
        );
        assert!(
            r["partialFingerprints"]
                .as_object()
                .is_some_and(|m| !m.is_empty()),
            "{r}"
        );
    }
}

const CASES: &[&[&str]] = &[
    &["--builtin", "linux-6.1"],
    &["examples/memalloc-2020.toml"],
    &["examples/spread-page-must-fail.toml"],
    &["examples/rules/abi-pinned.toml"],
];

#[test]
fn sarif_is_valid_against_the_official_schema_and_lands_on_github() {
    for args in CASES {
        let (_, v) = sarif(args);
        assert_valid_sarif(&v);
        assert_results_land(&v);
    }
}

#[test]
fn the_schema_check_rejects_what_github_would() {
    let (_, mut v) = sarif(&["examples/rules/abi-pinned.toml"]);
    v["runs"][0]["results"][0]["level"] = Value::from("fatal");
    let text =
        std::fs::read_to_string(root().join("tests/data/sarif-schema-2.1.0.json")).expect("schema");
    let schema: Value = serde_json::from_str(&text).expect("schema json");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    assert!(!validator.is_valid(&v));
}

#[test]
fn a_builtin_layout_is_one_run_notification_not_results() {
    let (code, v) = sarif(&["--builtin", "linux-6.1"]);
    assert_eq!(code, 0);
    let run = &v["runs"][0];
    assert_eq!(run["results"].as_array().map(Vec::len), Some(0), "{run}");
    let notes = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .expect("notifications");
    assert_eq!(notes.len(), 1, "{notes:?}");
    let text = notes[0]["message"]["text"].as_str().expect("text");
    assert!(text.contains("builtin:linux-6.1"), "{text}");
    assert!(text.contains("37 notes"), "{text}");
}

#[test]
fn findings_of_a_builtin_base_attach_to_the_plan_line_that_names_it() {
    let (_, v) = sarif(&["examples/spread-page-must-fail.toml"]);
    let results = v["runs"][0]["results"].as_array().expect("results");
    let base_line = std::fs::read_to_string(root().join("examples/spread-page-must-fail.toml"))
        .expect("read")
        .lines()
        .position(|l| l.starts_with("base = \"builtin:"))
        .expect("base line")
        + 1;
    let reader = results
        .iter()
        .find(|r| r["ruleId"] == "remote-reader")
        .expect("a remote-reader note from the base");
    let phys = &reader["locations"][0]["physicalLocation"];
    assert_eq!(
        phys["artifactLocation"]["uri"],
        "examples/spread-page-must-fail.toml"
    );
    assert_eq!(phys["region"]["startLine"], base_line);
}

#[test]
fn a_relative_base_is_named_by_its_repository_path() {
    let (_, v) = sarif(&["examples/memalloc-2020.toml"]);
    let uris: Vec<&str> = v["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str())
        .collect();
    assert!(
        uris.contains(&"layouts/linux-6.1-task_struct.toml"),
        "{uris:?}"
    );
}

#[test]
fn waived_findings_are_suppressions_at_their_rule_level() {
    let (_, v) = sarif(&["examples/memalloc-2020.toml"]);
    let waived: Vec<&Value> = v["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["suppressions"].is_array())
        .collect();
    assert!(!waived.is_empty());
    for r in waived {
        assert_eq!(r["suppressions"][0]["kind"], "inSource", "{r}");
        assert!(
            r["suppressions"][0]["justification"]
                .as_str()
                .is_some_and(|j| !j.is_empty())
        );
    }
}

#[test]
fn each_rule_carries_its_explanation_and_a_help_uri() {
    let (_, v) = sarif(&["examples/rules/abi-pinned.toml"]);
    let rules = v["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    for (r, id) in rules.iter().zip(flagplan::rules::RuleId::ALL) {
        let info = id.info();
        assert_eq!(r["id"], info.id);
        assert!(
            r["help"]["text"]
                .as_str()
                .expect("help")
                .contains(info.explain),
            "{r}"
        );
        let uri = r["helpUri"].as_str().expect("helpUri");
        assert!(
            uri.ends_with(&format!("docs/rules.md#{}", info.id)),
            "{uri}"
        );
    }
    let doc = std::fs::read_to_string(root().join("docs/rules.md")).expect("docs/rules.md");
    for id in flagplan::rules::RuleId::ALL {
        assert!(
            doc.contains(&format!("## {}\n", id.id())),
            "docs/rules.md lacks {}",
            id.id()
        );
    }
}

#[test]
fn github_annotates_only_files_that_exist() {
    let (_, out, _) = flagplan(&["check", "--builtin", "linux-6.1", "--format", "github"]);
    for line in out.lines() {
        if let Some(file) = line.split("file=").nth(1) {
            let file = file.split(',').next().expect("file");
            assert!(Path::new(&root()).join(file).is_file(), "{line}");
        }
    }
    assert!(out.lines().count() <= 1, "{out}");
    let (_, out, _) = flagplan(&[
        "check",
        "examples/spread-page-must-fail.toml",
        "--format",
        "github",
    ]);
    let error = out
        .lines()
        .find(|l| l.starts_with("::error "))
        .expect("an error");
    assert!(
        error.contains("file=examples/spread-page-must-fail.toml,line=10"),
        "{error}"
    );
    assert!(!out.contains("builtin:"), "{out}");
}

#[test]
fn input_errors_are_machine_readable_documents() {
    let dir = tempfile::TempDir::new().expect("tempdir");
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "format = 1\n[[word]\n").expect("write");
    let bad = bad.to_str().expect("utf-8 path");

    let (code, out, err) = flagplan(&["check", bad, "--format", "sarif"]);
    assert_eq!(code, 2, "{err}");
    let v: Value = serde_json::from_str(&out).expect("a SARIF document on stdout");
    assert_valid_sarif(&v);
    let inv = &v["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    let n = &inv["toolExecutionNotifications"][0];
    assert_eq!(n["level"], "error");
    assert!(
        n["message"]["text"].as_str().is_some_and(|t| !t.is_empty()),
        "{n}"
    );

    let (code, out, _) = flagplan(&["check", bad, "--format", "json"]);
    assert_eq!(code, 2);
    let v: Value = serde_json::from_str(&out).expect("a JSON document on stdout");
    assert_eq!(v["error"]["file"], bad);
    assert_eq!(v["error"]["line"], 2);
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|t| !t.is_empty()),
        "{v}"
    );
}

/// `check --sarif FILE`: one run gives CI its log format on stdout and the upload in FILE.
#[test]
fn one_run_writes_the_log_format_and_the_sarif_upload() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("flagplan.sarif");
    let path = file.to_str().expect("utf-8 path");
    let plan = "examples/spread-page-must-fail.toml";
    let (code, short, err) = flagplan(&["check", plan, "--format", "short", "--sarif", path]);
    assert_eq!(code, 1, "{err}");
    assert!(short.contains("ERROR: remote-writer"), "{short}");
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("written")).expect("json");
    assert_valid_sarif(&written);
    assert_results_land(&written);
    // The same results as `--format sarif` alone.
    let (alone_code, alone) = sarif(&[plan]);
    assert_eq!(alone_code, code);
    assert_eq!(written["runs"][0]["results"], alone["runs"][0]["results"]);

    // An existing file is kept, and refused before any work: exit 2.
    std::fs::write(&file, "keep").expect("write");
    let (code, _, err) = flagplan(&["check", plan, "--sarif", path]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).expect("read"), "keep");
    let (code, _, err) = flagplan(&["check", plan, "--sarif", path, "--force"]);
    assert_eq!(code, 1, "{err}");
    assert_ne!(std::fs::read_to_string(&file).expect("read"), "keep");

    // An input error still leaves a SARIF document that says what went wrong.
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "format = 1\nstruct = \"t\"\n[[word]\n").expect("write");
    let (code, _, _) = flagplan(&[
        "check",
        bad.to_str().expect("utf-8"),
        "--sarif",
        path,
        "--force",
    ]);
    assert_eq!(code, 2);
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("written")).expect("json");
    assert_valid_sarif(&doc);
    let notes = &doc["runs"][0]["invocations"][0]["toolExecutionNotifications"];
    assert!(notes.as_array().is_some_and(|n| !n.is_empty()), "{doc}");
}
