//! Embeds every `layouts/*.toml` as a built-in layout, and records the commit and the built-in
//! layouts' origins for `flagplan --version`.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("layouts");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut entries: Vec<(String, String)> = Vec::new();
    if let Ok(rd) = std::fs::read_dir(&dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "toml") {
                println!("cargo:rerun-if-changed={}", p.display());
                let stem = p
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or_default()
                    .to_string();
                entries.push((stem, p.display().to_string()));
            }
        }
    }
    entries.sort();
    version_info(&entries);
    let mut out = String::from(
        "/// Built-in layouts: (name, text), from `layouts/*.toml`.\npub static BUILTINS: &[(&str, &str)] = &[\n",
    );
    for (name, path) in &entries {
        let _ = writeln!(out, "    ({name:?}, include_str!({path:?})),");
    }
    out.push_str("];\n");
    let dest =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("builtins.rs");
    std::fs::write(dest, out).expect("write builtins.rs");
}

/// `$OUT_DIR/long_version.txt`: the version, the commit (when built from a git checkout) and where
/// each built-in layout came from (its `origin = "..."` line).
fn version_info(entries: &[(String, String)]) {
    let commit = git(&["rev-parse", "--short=12", "HEAD"])
        .map_or_else(|| "commit unknown".to_string(), |c| format!("commit {c}"));
    for dir in ["--git-dir", "--git-common-dir"] {
        if let Some(d) = git(&["rev-parse", dir]) {
            let d = Path::new(env!("CARGO_MANIFEST_DIR")).join(d);
            println!("cargo:rerun-if-changed={}", d.join("HEAD").display());
            println!("cargo:rerun-if-changed={}", d.join("refs/heads").display());
        }
    }
    let mut v = format!(
        "{} ({commit}, layout format 1)\nbuilt-in layouts:",
        env!("CARGO_PKG_VERSION")
    );
    for (name, path) in entries {
        let origin = std::fs::read_to_string(path)
            .ok()
            .and_then(|t| {
                t.lines().find_map(|l| {
                    l.strip_prefix("origin = \"")?
                        .strip_suffix('"')
                        .map(str::to_string)
                })
            })
            .unwrap_or_else(|| "origin not recorded".into());
        let _ = write!(v, "\n  {name}: {origin}");
    }
    let dest =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("long_version.txt");
    std::fs::write(dest, v).expect("write long_version.txt");
}

fn git(args: &[&str]) -> Option<String> {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}
