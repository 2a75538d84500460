//! One grammar for every subcommand: the layout is positional (or `--builtin`, or `-` for stdin),
//! the source tree is `--src DIR`, a written file is `-o/--output FILE` with `--force`, `-v` is
//! global. The old spellings still work and say on stderr that they are deprecated.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bin(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("flagplan").expect("binary");
    c.current_dir(dir).env("NO_COLOR", "1");
    c
}

/// Exit code, stdout, stderr.
fn run(c: &mut Command) -> (i32, String, String) {
    let o = c.output().expect("runs");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

const DEPRECATED: &str = "is deprecated";

fn layout_61() -> PathBuf {
    root().join("layouts/linux-6.1-task_struct.toml")
}

fn scan_src() -> PathBuf {
    root().join("examples/scan-src")
}

#[test]
fn scan_takes_the_layout_positionally_and_the_tree_as_src() {
    let dir = tempfile::tempdir().expect("tmp");
    let (code, new, err) = run(bin(dir.path())
        .arg("scan")
        .arg(layout_61())
        .arg("--src")
        .arg(scan_src()));
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains(DEPRECATED), "{err}");
    // The old spelling: the tree positional, the layout as --layout.
    let (code, old, err) = run(bin(dir.path())
        .arg("scan")
        .arg(scan_src())
        .arg("--layout")
        .arg(layout_61()));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("`flagplan scan DIR` is deprecated"), "{err}");
    assert!(
        err.contains("`scan --layout LAYOUT` is deprecated"),
        "{err}"
    );
    assert_eq!(old, new);
    // --builtin with --src; and the old positional tree with --builtin.
    let (code, builtin, err) = run(bin(dir.path())
        .args(["scan", "--builtin", "linux-6.1", "--src"])
        .arg(scan_src()));
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains(DEPRECATED), "{err}");
    let (code, old_builtin, err) = run(bin(dir.path())
        .arg("scan")
        .arg(scan_src())
        .args(["--builtin", "linux-6.1"]));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains(DEPRECATED), "{err}");
    assert_eq!(builtin, old_builtin);
    // The layout from standard input.
    let text = std::fs::read_to_string(layout_61()).expect("read");
    let (code, stdin, err) = run(bin(dir.path())
        .args(["scan", "-", "--src"])
        .arg(scan_src())
        .write_stdin(text));
    assert_eq!(code, 0, "{err}");
    assert!(stdin.contains("against <stdin>"), "{stdin}");
}

#[test]
fn scan_without_a_tree_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tmp");
    let (code, _, err) = run(bin(dir.path()).args(["scan", "--builtin", "linux-6.1"]));
    assert_eq!(code, 2);
    assert!(err.contains("--src DIR is needed"), "{err}");
}

#[test]
fn every_layout_reader_takes_a_path_stdin_and_a_builtin() {
    let dir = tempfile::tempdir().expect("tmp");
    let text = std::fs::read_to_string(layout_61()).expect("read");
    for sub in ["check", "suggest", "report"] {
        let (c1, by_path, e1) = run(bin(dir.path()).arg(sub).arg(layout_61()));
        let (c2, by_builtin, e2) = run(bin(dir.path()).args([sub, "--builtin", "linux-6.1"]));
        let (c3, by_stdin, e3) = run(bin(dir.path()).args([sub, "-"]).write_stdin(text.clone()));
        assert!(c1 < 2 && c2 < 2 && c3 < 2, "{sub}: {e1}{e2}{e3}");
        assert_eq!(c1, c2, "{sub}");
        assert_eq!(c1, c3, "{sub}");
        for out in [&by_path, &by_builtin, &by_stdin] {
            assert!(!out.is_empty(), "{sub} printed nothing");
        }
    }
}

#[test]
fn suggest_writes_its_plan_with_output_and_force() {
    let dir = tempfile::tempdir().expect("tmp");
    let args = [
        "suggest",
        "--builtin",
        "linux-6.1",
        // Six bits (the holes) are free already: the seventh takes a move.
        "--free",
        "7",
        "--from",
        "flags",
    ];
    let (code, _, err) = run(bin(dir.path()).args(args).args(["-o", "p.toml"]));
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains(DEPRECATED), "{err}");
    let plan = std::fs::read_to_string(dir.path().join("p.toml")).expect("plan written");
    assert!(plan.contains("[[proposal]]"), "{plan}");
    // Not over an existing file without --force; with it, yes.
    let (code, _, err) = run(bin(dir.path()).args(args).args(["--output", "p.toml"]));
    assert_eq!(code, 2);
    assert!(err.contains("exists; not overwritten"), "{err}");
    let (code, _, err) = run(bin(dir.path())
        .args(args)
        .args(["--output", "p.toml", "--force"]));
    assert_eq!(code, 0, "{err}");
    // The old spelling writes the same plan and says it is deprecated.
    let (code, _, err) = run(bin(dir.path()).args(args).args(["--emit-plan", "q.toml"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("`--emit-plan FILE` is deprecated") && err.contains("-o/--output"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("q.toml")).expect("q"),
        plan
    );
    // --force alone means nothing.
    let (code, _, err) = run(bin(dir.path()).args(args).arg("--force"));
    assert_eq!(code, 2);
    assert!(err.contains("--force needs -o/--output"), "{err}");
}

#[test]
fn check_and_report_write_their_output_with_output_and_force() {
    let dir = tempfile::tempdir().expect("tmp");
    let (code, stdout, _) =
        run(bin(dir.path()).args(["check", "--builtin", "linux-6.1", "--format", "json"]));
    assert_eq!(code, 0);
    let (code, printed, err) = run(bin(dir.path()).args([
        "check",
        "--builtin",
        "linux-6.1",
        "--format",
        "json",
        "-o",
        "c.json",
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(printed.is_empty(), "{printed}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("c.json")).expect("written"),
        stdout
    );
    let (code, _, err) =
        run(bin(dir.path()).args(["check", "--builtin", "linux-6.1", "-o", "c.json"]));
    assert_eq!(code, 2);
    assert!(err.contains("exists; not overwritten"), "{err}");
    let (code, _, err) =
        run(bin(dir.path()).args(["report", "--builtin", "linux-6.1", "--output", "mail.txt"]));
    assert_eq!(code, 0, "{err}");
    assert!(dir.path().join("mail.txt").is_file());
}

#[test]
fn verbose_is_one_global_flag() {
    let dir = tempfile::tempdir().expect("tmp");
    let (_, before, _) = run(bin(dir.path()).args(["-v", "check", "--builtin", "linux-6.1"]));
    let (_, after, _) = run(bin(dir.path()).args(["check", "--builtin", "linux-6.1", "-v"]));
    let (_, plain, _) = run(bin(dir.path()).args(["check", "--builtin", "linux-6.1"]));
    assert_eq!(before, after);
    assert_ne!(before, plain, "-v shows more");
    let (code, _, err) = run(bin(dir.path())
        .args(["scan", "--builtin", "linux-6.1", "-v", "--src"])
        .arg(scan_src()));
    assert_eq!(code, 0, "{err}");
}

#[test]
fn import_reads_btf_with_from_btf_and_btf_is_deprecated() {
    let dir = tempfile::tempdir().expect("tmp");
    let btf = root().join("examples/rules/task.btf");
    let (code, new, err) = run(bin(dir.path()).arg("import").arg("--from-btf").arg(&btf));
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains(DEPRECATED), "{err}");
    assert!(new.contains("name = \"sched_bits\""), "{new}");
    let (code, old, err) = run(bin(dir.path()).arg("import").arg("--btf").arg(&btf));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("`import --btf FILE` is deprecated"), "{err}");
    assert_eq!(old, new);
}

#[test]
fn import_from_btf_honours_facts_and_schema_ref() {
    let dir = tempfile::tempdir().expect("tmp");
    let btf = root().join("examples/rules/task.btf");
    let facts = dir.path().join("facts.toml");
    std::fs::write(
        &facts,
        "[[word]]\nname = \"sched_bits\"\nrule = \"lock(rq->lock)\"\n\n[[flag]]\nname = \"in_execve\"\n[[flag.writer]]\ncontext = \"current\"\nevidence = [\"fs/exec.c:1\"]\n",
    )
    .expect("write");
    let (code, text, err) = run(bin(dir.path())
        .arg("import")
        .arg("--from-btf")
        .arg(&btf)
        .arg("--facts")
        .arg(&facts)
        .args(["--schema-ref", "../schema/layout.schema.json"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        text.starts_with("#:schema ../schema/layout.schema.json\n"),
        "{text}"
    );
    // The confirmed rule has no GUESS marker; the other unit's rule still does.
    assert_eq!(text.matches("# GUESS").count(), 1, "{text}");
    let l = flagplan::layout::parse_str("x", &text).expect("loads");
    let w = l.layout.word("sched_bits").expect("sched_bits");
    assert_eq!(w.rule.to_string(), "lock(rq->lock)");
    let f = l
        .layout
        .flags
        .iter()
        .find(|f| f.name == "in_execve")
        .expect("in_execve");
    assert_eq!(f.writers.len(), 1, "{text}");
    assert!(text.contains("plus the hand facts in"), "{text}");
}

#[test]
fn import_reads_a_header_from_stdin() {
    let dir = tempfile::tempdir().expect("tmp");
    let header = root().join("examples/rules/drift.h");
    let (code, from_file, err) = run(bin(dir.path())
        .arg("import")
        .arg(&header)
        .args(["--source-name", "drift.h"]));
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&header).expect("read");
    let (code, from_stdin, err) = run(bin(dir.path())
        .args(["import", "-", "--source-name", "drift.h"])
        .write_stdin(text));
    assert_eq!(code, 0, "{err}");
    assert_eq!(from_stdin, from_file);
}

#[test]
fn an_input_error_is_printed_once_with_its_position_first() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("bad.toml"),
        "format = 1\nstruct = \"x\"\n[[word]]\nname = 3\n",
    )
    .expect("write");
    let (code, out, err) = run(bin(dir.path()).args(["check", "bad.toml"]));
    assert_eq!(code, 2);
    assert!(out.is_empty(), "{out}");
    let first = err.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("bad.toml:4:8: error: invalid type"),
        "{err}"
    );
    assert_eq!(err.matches("invalid type").count(), 1, "{err}");
    assert!(
        err.contains("4 | name = 3"),
        "the source line is shown: {err}"
    );
}
