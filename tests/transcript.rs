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
