//! The README's session transcript is real output: re-run every command in it and fail when the
//! README (or a file the transcript writes, such as docs/memalloc-2020.svg) would change.

use std::process::Command;

#[test]
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
        match std::env::var("FLAGPLAN_LINUX_6_1") {
            Ok(t) => {
                cmd.env("FLAGPLAN_LINUX_6_1", t);
            }
            Err(_) if std::env::var("FLAGPLAN_REQUIRE_LINUX").is_ok() => {
                panic!("FLAGPLAN_REQUIRE_LINUX is set but FLAGPLAN_LINUX_6_1 is not")
            }
            Err(_) => {
                eprintln!("skipped: the transcript needs the 6.1 tree (FLAGPLAN_LINUX_6_1)");
                return;
            }
        }
    }
    let out = cmd.output().expect("scripts/transcript runs");
    assert!(
        out.status.success(),
        "README transcript is stale (run scripts/transcript):\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
