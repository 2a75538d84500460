//! What a packager and a bug report need: Cargo metadata, `--version` with the commit and the
//! built-in layouts' origins, generated output kept out of the repository.

use std::path::Path;

use assert_cmd::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn cargo_toml_has_the_package_metadata() {
    let text = std::fs::read_to_string(root().join("Cargo.toml")).expect("Cargo.toml");
    let t: toml::Table = toml::from_str(&text).expect("parses");
    let pkg = t["package"].as_table().expect("[package]");
    for key in ["rust-version", "license", "repository", "description"] {
        assert!(
            pkg.get(key)
                .and_then(toml::Value::as_str)
                .is_some_and(|v| !v.is_empty()),
            "[package] {key}"
        );
    }
    let release = t["profile"]["release"]
        .as_table()
        .expect("[profile.release]");
    assert_eq!(
        release.get("strip").and_then(toml::Value::as_str),
        Some("debuginfo"),
        "the installed binary carries no debug info"
    );
}

#[test]
fn version_names_the_commit_and_each_built_in_layouts_origin() {
    let out = Command::cargo_bin("flagplan")
        .expect("binary")
        .arg("--version")
        .output()
        .expect("runs");
    assert!(out.status.success());
    let v = String::from_utf8_lossy(&out.stdout);
    assert!(
        v.starts_with(&format!("flagplan {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{v}"
    );
    let layouts = Command::cargo_bin("flagplan")
        .expect("binary")
        .arg("layouts")
        .output()
        .expect("runs");
    let names = String::from_utf8_lossy(&layouts.stdout).into_owned();
    let mut seen = 0;
    for line in names.lines() {
        let name = line.split(['\t', ' ']).next().expect("name");
        let origin = line.split(", from ").nth(1).expect("an origin");
        assert!(
            v.contains(&format!("  {name}: {origin}")),
            "{name} with its origin in:\n{v}"
        );
        seen += 1;
    }
    assert!(seen >= 2, "{names}");
}

#[test]
fn generated_output_is_ignored_not_committed() {
    assert!(
        !root().join("flagplan.sarif").exists()
            || std::process::Command::new("git")
                .args(["ls-files", "--error-unmatch", "flagplan.sarif"])
                .current_dir(root())
                .output()
                .is_ok_and(|o| !o.status.success()),
        "flagplan.sarif is generated output, not a source file"
    );
    let ignore = std::fs::read_to_string(root().join(".gitignore")).expect(".gitignore");
    for pattern in ["*.sarif", "/man/", "/completions/"] {
        assert!(ignore.lines().any(|l| l == pattern), "{pattern} ignored");
    }
}
