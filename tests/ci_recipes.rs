//! The CI recipes in examples/ci/: the GitHub workflow is parsed as YAML and every `flagplan`
//! command in it is parsed by flagplan's own command line; the shell recipe is run by `.ci/run`
//! against the 6.1 tree and here against a small tree of our own.

use clap::Parser;
use flagplan::cmd::Cli;
use serde_norway::Value;

fn workflow() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/ci/github-workflow.yml"
    ))
    .expect("workflow file");
    serde_norway::from_str(&text).expect("valid YAML")
}

fn steps(w: &Value) -> Vec<&Value> {
    let jobs = w["jobs"].as_mapping().expect("jobs");
    jobs.values()
        .flat_map(|j| j["steps"].as_sequence().expect("steps").iter())
        .collect()
}

#[test]
fn workflow_is_a_valid_github_workflow_shape() {
    let w = workflow();
    assert!(w["name"].as_str().is_some());
    // `on` is a YAML 1.1 boolean in some parsers; serde_norway keeps it a string key.
    let on = &w["on"];
    assert!(
        on.get("push").is_some() && on.get("pull_request").is_some(),
        "{on:?}"
    );
    assert_eq!(w["permissions"]["security-events"].as_str(), Some("write"));
    for (name, job) in w["jobs"].as_mapping().expect("jobs") {
        assert!(
            job["runs-on"].as_str().is_some(),
            "job {name:?} has runs-on"
        );
        for s in job["steps"].as_sequence().expect("steps") {
            let uses = s.get("uses").is_some();
            let run = s.get("run").is_some();
            assert!(uses != run, "a step has exactly one of uses/run: {s:?}");
        }
    }
}

#[test]
fn every_flagplan_command_in_the_workflow_parses() {
    let w = workflow();
    let mut seen = 0;
    let mut sarif_out = None;
    for s in steps(&w) {
        let Some(run) = s.get("run").and_then(Value::as_str) else {
            continue;
        };
        let cmd = run.split("||").next().expect("command");
        let (cmd, redirect) = match cmd.split_once('>') {
            Some((c, r)) => (c, Some(r.trim().to_string())),
            None => (cmd, None),
        };
        let words: Vec<&str> = cmd.split_whitespace().collect();
        if words.first() != Some(&"flagplan") {
            continue;
        }
        let cli = Cli::try_parse_from(&words).unwrap_or_else(|e| panic!("{cmd}: {e}"));
        let flagplan::cmd::Command::Check(args) = cli.command else {
            panic!("workflow runs flagplan check: {cmd}")
        };
        assert!(
            args.drift.header.is_some() && args.src.is_some(),
            "drift and evidence checks: {cmd}"
        );
        if args.format == flagplan::render::Format::Sarif {
            sarif_out = redirect;
        }
        seen += 1;
    }
    assert_eq!(seen, 2, "the check and the SARIF run");
    let upload = steps(&w)
        .into_iter()
        .find(|s| {
            s.get("uses")
                .and_then(Value::as_str)
                .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif@"))
        })
        .expect("an upload-sarif step");
    assert_eq!(upload["with"]["sarif_file"].as_str(), sarif_out.as_deref());
}
