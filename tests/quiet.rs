//! Quiet by default, precise on demand: notes counted not listed, `-v`, `--select`/`--ignore`/
//! `--deny`, `-q`, `.flagplan.toml`, terminal width and colour from the environment, `--format short`.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `flagplan` with a clean environment for output shape: no colour hints, no COLUMNS.
fn flagplan(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("flagplan").expect("binary");
    c.current_dir(dir)
        .env_remove("COLUMNS")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("TERM");
    c
}

fn run(c: &mut Command) -> (i32, String, String) {
    let out = c.output().expect("runs");
    (
        out.status.code().expect("code"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn check(args: &[&str]) -> (i32, String, String) {
    run(flagplan(&root()).arg("check").args(args))
}

fn notes(out: &str) -> usize {
    out.matches("note[").count()
}

#[test]
fn notes_are_counted_by_default_and_listed_with_v() {
    let (code, out, _) = check(&["--builtin", "linux-6.1"]);
    assert_eq!(code, 0);
    assert_eq!(notes(&out), 0, "{out}");
    assert!(
        out.contains("summary: 0 errors, 0 warnings, 37 notes (-v shows them)"),
        "{out}"
    );
    let (_, out, _) = check(&["--builtin", "linux-6.1", "-v"]);
    assert_eq!(notes(&out), 37, "{out}");
    assert!(
        out.contains("summary: 0 errors, 0 warnings, 37 notes\n"),
        "{out}"
    );
}

#[test]
fn select_ignore_and_deny_rules() {
    let (_, out, _) = check(&["--builtin", "linux-6.1", "-v", "--select", "lock-not-held"]);
    assert_eq!(notes(&out), 2, "{out}");
    assert_eq!(out.matches("note[lock-not-held]").count(), 2, "{out}");
    let (_, out, _) = check(&[
        "--builtin",
        "linux-6.1",
        "-v",
        "--ignore",
        "remote-reader,lock-not-held",
    ]);
    // Left: the waived remote-writer of sched_remote_wakeup and the two waived
    // unbalanced-irq-writer notes of the mce bits.
    assert_eq!(notes(&out), 3, "{out}");
    // remote-reader is a note rule; denied, its findings fail the run.
    let (_, readers, _) = check(&["--builtin", "linux-6.1", "-v", "--select", "remote-reader"]);
    let readers = readers.matches("note[remote-reader]").count();
    assert!(readers > 20, "{readers}");
    let (code, out, _) = check(&["--builtin", "linux-6.1", "--deny", "remote-reader"]);
    assert_eq!(code, 1, "{out}");
    let summary = format!(
        "summary: {readers} errors, 0 warnings, {} notes",
        37 - readers
    );
    assert!(out.contains(&summary), "{summary}\n{out}");
    // Waived findings stay waived under --deny.
    let (code, _, _) = check(&["--builtin", "linux-6.1", "--deny", "lock-not-held"]);
    assert_eq!(code, 0);
    let (code, _, err) = check(&["--builtin", "linux-6.1", "--select", "remote-writr"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn quiet_prints_nothing_and_keeps_the_exit_code() {
    let (code, out, _) = check(&["examples/spread-page-must-fail.toml", "-q"]);
    assert_eq!((code, out.as_str()), (1, ""));
    let (code, out, _) = check(&["examples/memalloc-2020.toml", "-q"]);
    assert_eq!((code, out.as_str()), (0, ""));
}

#[test]
fn the_project_file_is_found_upward_and_the_command_line_wins() {
    let dir = tempfile::TempDir::new().expect("tempdir");
    std::fs::write(
        dir.path().join(".flagplan.toml"),
        "deny = [\"remote-reader\"]\n",
    )
    .expect("write");
    let nested = dir.path().join("a/b");
    std::fs::create_dir_all(&nested).expect("mkdir");
    let (code, out, _) = run(flagplan(&nested).args(["check", "--builtin", "linux-6.1"]));
    assert_eq!(code, 1, "{out}");
    let (code, _, _) =
        run(flagplan(&nested).args(["check", "--builtin", "linux-6.1", "--deny", "warnings"]));
    assert_eq!(code, 0);

    std::fs::write(
        dir.path().join(".flagplan.toml"),
        "select = [\"remote-reader\"]\ndeny = [\"warn\"]\n",
    )
    .expect("write");
    let (code, out, err) = run(flagplan(&nested).args(["check", "--builtin", "linux-6.1"]));
    assert_eq!(code, 2, "{out}");
    assert!(
        err.contains(".flagplan.toml:2:9: error: no rule `warn`"),
        "{err}"
    );
    assert!(err.contains("did you mean `warnings`?"), "{err}");
}

fn widest(text: &str) -> usize {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

#[test]
fn text_fits_the_columns() {
    for plan in [
        "examples/memalloc-2020.toml",
        "examples/spread-page-must-fail.toml",
    ] {
        let (_, out, _) = check(&[plan, "-v"]);
        assert!(
            widest(&out) <= 100,
            "not a tty, no COLUMNS: {}\n{out}",
            widest(&out)
        );
        for cols in ["80", "72"] {
            let (_, out, _) = run(flagplan(&root())
                .env("COLUMNS", cols)
                .args(["check", plan, "-v"]));
            let w: usize = cols.parse().expect("number");
            assert!(widest(&out) <= w, "COLUMNS={cols}: {}\n{out}", widest(&out));
        }
    }
    // Wide enough, the bit maps stay in the table.
    let (_, out, _) =
        run(flagplan(&root())
            .env("COLUMNS", "200")
            .args(["check", "--builtin", "linux-6.1"]));
    assert!(out.contains("| bits (msb..lsb)"), "{out}");
}

#[test]
fn colour_follows_clicolor_force_no_color_and_term() {
    let plan = "examples/spread-page-must-fail.toml";
    let (_, out, _) = run(flagplan(&root())
        .env("CLICOLOR_FORCE", "1")
        .args(["check", plan]));
    assert!(out.contains('\x1b'), "CLICOLOR_FORCE colours a pipe: {out}");
    let (_, out, _) = run(flagplan(&root())
        .env("CLICOLOR_FORCE", "1")
        .env("NO_COLOR", "1")
        .args(["check", plan]));
    assert!(!out.contains('\x1b'), "NO_COLOR wins: {out}");
    let (_, out, _) = run(flagplan(&root()).env("TERM", "dumb").args(["check", plan]));
    assert!(!out.contains('\x1b'), "{out}");
    let (_, out, _) = run(flagplan(&root()).args(["--color", "always", "check", plan]));
    assert!(out.contains('\x1b'), "{out}");
}

#[test]
fn short_is_checkpatch_terse_with_a_total_line() {
    let (code, out, _) = check(&["examples/spread-page-must-fail.toml", "--format", "short"]);
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with(
            "examples/spread-page-must-fail.toml:10: ERROR: remote-writer: `spread_page` is written by a remote writer"
        ),
        "{out}"
    );
    let total = lines.last().expect("a last line");
    assert!(
        total.starts_with("total: 1 errors, 0 warnings, "),
        "{total}"
    );
    assert!(total.ends_with(" lines checked"), "{total}");
    let (_, out, _) = check(&["--builtin", "linux-6.1", "--format", "short", "-v"]);
    assert!(
        out.ends_with("0 errors, 0 warnings, 37 checks, 881 lines checked\n")
            || out.contains(" 37 checks, "),
        "{out}"
    );
}
