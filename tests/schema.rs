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
        // The rule examples of a misspelt context or rule id are what the schema's value
        // lists catch in an editor, before `check` does.
        let caught_by_schema = ["rule=unknown-context", "rule=unknown-rule"]
            .iter()
            .any(|e| {
                text.lines()
                    .any(|l| l.starts_with("# expect:") && l.contains(e))
            });
        if caught_by_schema {
            assert!(
                !errors.is_empty(),
                "{}: the schema should reject it",
                f.display()
            );
        } else {
            assert!(errors.is_empty(), "{}: {errors:?}", f.display());
        }
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

fn validator(file: &str) -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("schema").join(file)).expect("read"),
    )
    .expect("json");
    jsonschema::validator_for(&schema).expect("a valid schema")
}

fn valid(v: &jsonschema::Validator, toml_text: &str) -> bool {
    let value: toml::Value = toml::from_str(toml_text).expect("toml");
    v.is_valid(&serde_json::to_value(value).expect("json"))
}

#[test]
fn the_shipped_facts_schema_is_the_generated_one() {
    let out = Command::cargo_bin("flagplan")
        .expect("binary")
        .args(["schema", "--facts"])
        .output()
        .expect("runs");
    let shipped =
        std::fs::read_to_string(root().join("schema/facts.schema.json")).expect("shipped schema");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        shipped,
        "run `flagplan schema --facts > schema/facts.schema.json`"
    );
}

#[test]
fn every_facts_file_references_and_satisfies_the_facts_schema() {
    let v = validator("facts.schema.json");
    let mut files = Vec::new();
    tomls(&root().join("facts"), &mut files);
    assert!(files.len() >= 5);
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read");
        assert_eq!(
            text.lines().next(),
            Some("#:schema ../schema/facts.schema.json"),
            "{}",
            f.display()
        );
        assert!(
            valid(&v, &text),
            "{} does not satisfy the facts schema",
            f.display()
        );
    }
    // A facts file may leave out what the header gives, but not the names.
    assert!(valid(&v, "[[flag]]\nname = \"PF_IDLE\"\nabi = true\n"));
    assert!(!valid(&v, "[[flag]]\nabi = true\n"));
    assert!(!valid(&v, "[[flag]]\nname = \"PF_IDLE\"\nabii = true\n"));
}

#[test]
fn schemas_have_ids_and_the_models_value_lists() {
    for (file, id) in [
        ("layout.schema.json", "layout.schema.json"),
        ("facts.schema.json", "facts.schema.json"),
    ] {
        let s: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(root().join("schema").join(file)).expect("read"),
        )
        .expect("json");
        let got = s["$id"].as_str().unwrap_or_default();
        assert!(
            got.starts_with("https://") && got.ends_with(id),
            "{file}: $id {got:?}"
        );
    }
    let v = validator("layout.schema.json");
    let word = |kind: &str, rule: &str| {
        format!(
            "format = 1\nstruct = \"t\"\n[[word]]\nname = \"w\"\nwidth = 32\nkind = \"{kind}\"\nrule = \"{rule}\"\n"
        )
    };
    assert!(valid(&v, &word("mask", "current")));
    assert!(valid(&v, &word("bitfield", "lock(rq->lock)")));
    assert!(valid(&v, &word("mask", "lock(mmap_lock, write)")));
    assert!(!valid(&v, &word("masks", "current")), "kind is an enum");
    assert!(
        !valid(&v, &word("mask", "locked")),
        "rule is atomic, current, unpublished or lock(NAME)"
    );
    assert!(!valid(&v, &word("mask", "lock()")));
    assert!(!valid(&v, &word("mask", "lock(mmap_lock, read)")));
    assert!(!valid(&v, "format = 2\n"), "format is 1");
    let writer = |context: &str| {
        format!(
            "[[flag]]\nname = \"PF_X\"\nword = \"flags\"\nmask = 1\n[[flag.writer]]\ncontext = \"{context}\"\n"
        )
    };
    assert!(valid(&v, &writer("remote-stopped")));
    assert!(!valid(&v, &writer("remote-stoped")), "context is an enum");
    let waiver =
        |rule: &str| format!("[[waiver]]\nflag = \"PF_X\"\nrule = \"{rule}\"\nreason = \"r\"\n");
    assert!(valid(&v, &waiver("remote-writer")));
    assert!(
        !valid(&v, &waiver("remote-writers")),
        "a waiver names a rule id"
    );
}
