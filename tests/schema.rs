//! The JSON Schema for layouts: generated from the Rust types, shipped, referenced by every
//! shipped layout and example, and every one of them validates against it.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tomls(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            tomls(&p, out);
        } else if p.extension().is_some_and(|x| x == "toml") {
            out.push(p);
        }
    }
}

#[test]
fn the_shipped_schema_is_the_generated_one() {
    let out = Command::cargo_bin("flagplan")
        .expect("binary")
        .arg("schema")
        .output()
        .expect("runs");
    let shipped =
        std::fs::read_to_string(root().join("schema/layout.schema.json")).expect("shipped schema");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        shipped,
        "run `flagplan schema > schema/layout.schema.json`"
    );
}

#[test]
fn every_shipped_layout_and_example_references_and_satisfies_the_schema() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schema/layout.schema.json")).expect("read"),
    )
    .expect("json");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let mut files = Vec::new();
    tomls(&root().join("layouts"), &mut files);
    tomls(&root().join("examples"), &mut files);
    assert!(files.len() > 20);
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read");
        let first = text.lines().next().unwrap_or_default();
        let rel = first
            .strip_prefix("#:schema ")
            .unwrap_or_else(|| panic!("{}: first line is not a #:schema directive", f.display()));
        let target = f.parent().expect("parent").join(rel);
        assert!(
            target.canonicalize().expect("schema path resolves")
                == root()
                    .join("schema/layout.schema.json")
                    .canonicalize()
                    .expect("schema")
        );
        let value: toml::Value = toml::from_str(&text).expect("toml");
        let json = serde_json::to_value(value).expect("json");
        let errors: Vec<String> = validator
            .iter_errors(&json)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", f.display());
    }
}

#[test]
fn the_schema_rejects_what_the_reader_rejects() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schema/layout.schema.json")).expect("read"),
    )
    .expect("json");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let bad: toml::Value = toml::from_str("format = 1\nstruct = \"t\"\n[[word]]\nname = \"w\"\nwdth = 32\nkind = \"mask\"\nrule = \"current\"\n").expect("toml");
    assert!(!validator.is_valid(&serde_json::to_value(bad).expect("json")));
}
