//! Every example states its expected result in a `# expect:` comment; this test holds it to it.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use flagplan::rules::RuleId;

fn examples() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("examples dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "toml") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

struct Expect {
    exit: i32,
    /// `rule=ID`: an unwaived finding of this rule must be reported.
    rules: Vec<String>,
    /// `rule!=ID`: no unwaived finding of this rule may be reported.
    absent: Vec<String>,
    args: Vec<String>,
}

fn expectation(p: &Path) -> Option<Expect> {
    let text = std::fs::read_to_string(p).ok()?;
    let line = text.lines().find_map(|l| l.strip_prefix("# expect:"))?;
    let mut e = Expect {
        exit: 0,
        rules: Vec::new(),
        absent: Vec::new(),
        args: Vec::new(),
    };
    for tok in line.split_whitespace() {
        if let Some(v) = tok.strip_prefix("exit=") {
            e.exit = v.parse().expect("exit code");
        } else if let Some(v) = tok.strip_prefix("rule!=") {
            e.absent.push(v.to_string());
        } else if let Some(v) = tok.strip_prefix("rule=") {
            e.rules.push(v.to_string());
        } else if let Some(v) = tok.strip_prefix("arg=") {
            e.args.push(v.to_string());
        } else {
            panic!("{}: unknown expect token {tok}", p.display());
        }
    }
    Some(e)
}

#[test]
fn every_example_meets_its_stated_expectation() {
    let mut checked = 0;
    for p in examples() {
        let Some(exp) = expectation(&p) else { continue };
        let out = Command::cargo_bin("flagplan")
            .expect("binary")
            .arg("check")
            .arg(&p)
            .args(&exp.args)
            .args(["--format", "json"])
            .output()
            .expect("runs");
        let code = out.status.code().expect("exit code");
        assert_eq!(
            code,
            exp.exit,
            "{}: exit {code}, expected {}\n{}{}",
            p.display(),
            exp.exit,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        // Only unwaived findings count: a waived one proves nothing about the example.
        let found: Vec<&str> = doc["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["waived"].is_null())
            .filter_map(|f| f["rule"].as_str())
            .collect();
        for r in &exp.rules {
            assert!(
                found.contains(&r.as_str()),
                "{}: expected unwaived rule {r}, found {found:?}",
                p.display()
            );
        }
        for r in &exp.absent {
            assert!(
                !found.contains(&r.as_str()),
                "{}: rule {r} must not be reported, found {found:?}",
                p.display()
            );
        }
        if exp.exit == 0 {
            assert_eq!(doc["summary"]["errors"], 0, "{}", p.display());
        }
        checked += 1;
    }
    assert!(
        checked >= 20,
        "only {checked} examples carry an expectation"
    );
}

#[test]
fn every_rule_has_an_example_named_after_it() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/rules");
    for r in RuleId::ALL {
        let p = dir.join(format!("{}.toml", r.id()));
        let exp =
            expectation(&p).unwrap_or_else(|| panic!("{} has no example with `# expect:`", r.id()));
        assert!(
            exp.rules.iter().any(|x| x == r.id()),
            "{} does not expect its own rule",
            p.display()
        );
    }
}
