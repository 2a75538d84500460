//! The CI recipes in examples/ci/: the GitHub workflow is parsed as YAML and every `flagplan`
//! command in it is parsed by flagplan's own command line; the shell recipe is read here and run
//! by `.ci/run` against the 6.1 tree.

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

/// The first step whose `key` (`uses` or `run`) starts with `prefix`.
fn step<'a>(w: &'a Value, key: &str, prefix: &str) -> &'a Value {
    steps(w)
        .into_iter()
        .find(|s| {
            s.get(key)
                .and_then(Value::as_str)
                .is_some_and(|v| v.starts_with(prefix))
        })
        .unwrap_or_else(|| panic!("no step with {key}: {prefix}..."))
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
fn the_workflow_judges_once_and_uploads_what_that_run_wrote() {
    let w = workflow();
    let mut runs = Vec::new();
    for s in steps(&w) {
        let Some(run) = s.get("run").and_then(Value::as_str) else {
            continue;
        };
        let words: Vec<&str> = run.split_whitespace().collect();
        if words.first() != Some(&"flagplan") {
            continue;
        }
        let cli = Cli::try_parse_from(&words).unwrap_or_else(|e| panic!("{run}: {e}"));
        let flagplan::cmd::Command::Check(args) = cli.command else {
            panic!("workflow runs flagplan check: {run}")
        };
        runs.push(args);
    }
    // One flagplan run: the tree is scanned once per workflow run.
    assert_eq!(runs.len(), 1, "one check, with --sarif for the upload");
    let args = &runs[0];
    assert!(
        args.drift.header.is_some() && args.src.is_some(),
        "drift and evidence checks"
    );
    assert_eq!(args.format, flagplan::render::Format::Github);
    let sarif = args.sarif.as_ref().expect("--sarif FILE").to_str();
    let upload = step(&w, "uses", "github/codeql-action/upload-sarif@");
    assert_eq!(upload["with"]["sarif_file"].as_str(), sarif);
    assert_eq!(
        upload["if"].as_str(),
        Some("always()"),
        "findings upload on failure too"
    );
}

#[test]
fn the_workflow_covers_the_whole_tree_and_caches_the_build() {
    let w = workflow();
    // Writers live in arch/, drivers/, block/, init/ and security/ too: no path filter may
    // leave a push to them unchecked.
    for event in ["push", "pull_request"] {
        assert!(
            w["on"].get(event).and_then(|e| e.get("paths")).is_none(),
            "{event} has a paths filter"
        );
    }
    let cache = step(&w, "uses", "actions/cache@");
    let id = cache["id"].as_str().expect("the cache step has an id");
    assert!(
        cache["with"]["key"]
            .as_str()
            .is_some_and(|k| k.contains("FLAGPLAN_VERSION"))
    );
    let install = step(&w, "run", "cargo install");
    let cond = install["if"]
        .as_str()
        .expect("install only on a cache miss");
    assert!(cond.contains(id) && cond.contains("cache-hit"), "{cond}");
    let run = install["run"].as_str().unwrap_or_default();
    assert!(run.contains("--locked"), "{run}");
}

#[test]
fn the_shell_recipe_runs_flagplan_once_with_the_sarif_beside_it() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/ci/flagplan-ci.sh"
    ))
    .expect("recipe");
    let code: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect();
    let runs = code.iter().filter(|l| l.contains("\"$flagplan\" ")).count();
    assert_eq!(runs, 1, "one flagplan run");
    let joined = code.join("\n");
    assert!(joined.contains("--sarif \"$sarif\""), "{joined}");
    assert!(
        joined.contains("--src \"$tree\""),
        "the whole tree: {joined}"
    );
}
