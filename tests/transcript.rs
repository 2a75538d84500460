//! The README's session transcript is real output: re-run every command in it and fail when the
//! README (or a file the transcript writes, such as docs/memalloc-2020.svg) would change.

use std::process::Command;

#[test]
#[ignore = "needs a Linux tree: set FLAGPLAN_LINUX_6_1"]
fn readme_transcript_is_current() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).expect("README");
    let mut cmd = Command::new(format!("{root}/scripts/transcript"));
    cmd.arg("--check")
        .env("FLAGPLAN_BIN", env!("CARGO_BIN_EXE_flagplan"));
    let needs_tree = readme
        .lines()
        .any(|l| l.starts_with("$ ") && l.contains("$LINUX"));
    if needs_tree {
        let tree = std::env::var("FLAGPLAN_LINUX_6_1")
            .expect("the transcript runs commands in the 6.1 tree: set FLAGPLAN_LINUX_6_1");
        cmd.env("FLAGPLAN_LINUX_6_1", tree);
    }
    let out = cmd.output().expect("scripts/transcript runs");
    assert!(
        out.status.success(),
        "README transcript is stale (run scripts/transcript):\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The README is for users: short, the two commands, and each place a kernel developer meets
/// flagplan (editor, shell, man, CI) shown as real output inside the transcript markers.
#[test]
fn readme_is_short_and_shows_each_habit_as_real_output() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).expect("README");
    let lines = readme.lines().count();
    assert!(
        lines < 250,
        "README has {lines} lines; move material to docs/"
    );
    assert!(readme.contains("cargo install --locked --path . && flagplan check "));
    assert!(readme.contains("./scripts/test"));
    let section = readme
        .split("## In your editor, shell and CI")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("the editor/shell/CI section");
    let inside = section
        .split("<!-- transcript:start -->")
        .nth(1)
        .and_then(|s| s.split("<!-- transcript:end -->").next())
        .expect("its commands are inside transcript markers");
    for what in [
        "--format short",
        "completions fish",
        "man --dir",
        "examples/ci/flagplan-ci.sh",
    ] {
        assert!(
            inside
                .lines()
                .any(|l| l.starts_with("$ ") && l.contains(what)),
            "no transcript of `{what}`"
        );
    }
}
