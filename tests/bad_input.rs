//! Bad input: every case exits 2 with a precise message, and nothing panics.

use assert_cmd::Command;
use tempfile::TempDir;

fn run(args: &[&str], dir: &TempDir) -> (i32, String, String) {
    let out = Command::cargo_bin("flagplan")
        .expect("binary")
        .current_dir(dir.path())
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    (
        out.status.code().expect("exit code"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
    )
}

/// Write `content` to layout.toml in a fresh directory and check it; expect exit 2 and every `needle` in stderr.
fn bad(content: &[u8], needles: &[&str]) {
    let dir = TempDir::new().expect("tempdir");
    std::fs::write(dir.path().join("bad.toml"), content).expect("write");
    let (code, _, err) = run(&["check", "bad.toml"], &dir);
    assert_eq!(
        code,
        2,
        "expected exit 2 for {:?}\n{err}",
        String::from_utf8_lossy(content)
    );
    for n in needles {
        assert!(err.contains(n), "stderr lacks {n:?}:\n{err}");
    }
}

const WORD: &str = "format = 1\nstruct = \"t\"\n[[word]]\nname = \"flags\"\ntype = \"unsigned int\"\nkind = \"mask\"\nrule = \"current\"\n";

#[test]
fn malformed_toml_points_at_line_and_column() {
    bad(b"format = 1\n[[word]\nname = 1\n", &["bad.toml:2:", "^"]);
}

#[test]
fn wrong_types() {
    bad(b"format = \"one\"\n", &["bad.toml:1:10", "invalid type"]);
    bad(
        format!("{WORD}[[flag]]\nname = \"F\"\nword = \"flags\"\nbit = \"3\"\n").as_bytes(),
        &["bad.toml:11:7", "invalid type"],
    );
}

#[test]
fn unknown_keys_suggest_the_close_one() {
    bad(b"format = 1\nstruct = \"t\"\n[[word]]\nname = \"w\"\nwdth = 32\nkind = \"mask\"\nrule = \"current\"\n", &["bad.toml:5:1", "unknown field `wdth`", "did you mean `width`?"]);
    bad(
        b"format = 1\nstrcut = \"t\"\n",
        &["unknown field `strcut`", "did you mean `struct`?"],
    );
}

#[test]
fn negative_and_huge_bits() {
    bad(
        format!("{WORD}[[flag]]\nname = \"F\"\nword = \"flags\"\nbit = -1\n").as_bytes(),
        &["bad.toml:11:7", "bit -1 is out of range"],
    );
    bad(
        format!("{WORD}[[flag]]\nname = \"F\"\nword = \"flags\"\nbit = 4096\n").as_bytes(),
        &["bit 4096 is out of range"],
    );
    bad(
        format!("{WORD}[[flag]]\nname = \"F\"\nword = \"flags\"\nbit = 999999999999999999999999\n")
            .as_bytes(),
        &["bad.toml:11:"],
    );
    bad(
        format!("{WORD}[[flag]]\nname = \"F\"\nword = \"flags\"\nmask = -8\n").as_bytes(),
        &["mask -8 is negative"],
    );
    bad(
        format!("{WORD}[[flag]]\nname = \"F\"\nword = \"flags\"\nmask = 0x10\nbit = 3\n")
            .as_bytes(),
        &["mask 0x10 and bit 3 disagree"],
    );
}

#[test]
fn duplicate_keys_are_input_errors() {
    bad(
        b"format = 1\nformat = 1\n",
        &["bad.toml:2:1", "duplicate key"],
    );
}

#[test]
fn duplicate_flag_names_are_findings_not_input_errors() {
    let dir = TempDir::new().expect("tempdir");
    let text = format!(
        "{WORD}[[flag]]\nname = \"F\"\nword = \"flags\"\nbit = 1\n[[flag]]\nname = \"F\"\nword = \"flags\"\nbit = 2\n"
    );
    std::fs::write(dir.path().join("dup.toml"), text).expect("write");
    let (code, out, _) = run(&["check", "dup.toml"], &dir);
    assert_eq!(code, 1);
    assert!(
        out.contains("error[duplicate-name]: flag `F` is declared twice"),
        "{out}"
    );
    assert!(out.contains("dup.toml:13:8"), "{out}");
}

#[test]
fn non_utf8_binary_empty_and_missing_files() {
    bad(
        b"format = 1\nstruct = \"t\xff\"\n",
        &["bad.toml:2:", "not UTF-8"],
    );
    bad(
        b"format = 1\n\x00\x01\x02",
        &["bad.toml:2:1", "binary file"],
    );
    bad(b"", &["bad.toml:1:1", "empty file"]);
    bad(b"  \n\n", &["empty file"]);
    let dir = TempDir::new().expect("tempdir");
    let (code, _, err) = run(&["check", "missing.toml"], &dir);
    assert_eq!(code, 2);
    assert!(
        err.contains("missing.toml") && err.contains("No such file"),
        "{err}"
    );
}

#[test]
fn a_directory_instead_of_a_file() {
    let dir = TempDir::new().expect("tempdir");
    std::fs::create_dir(dir.path().join("layouts.toml")).expect("mkdir");
    let (code, _, err) = run(&["check", "layouts.toml"], &dir);
    assert_eq!(code, 2);
    assert!(err.contains("layouts.toml: is a directory"), "{err}");
}

#[test]
fn bad_values_for_kind_rule_type_guard_and_format() {
    bad(
        WORD.replace("\"mask\"", "\"maks\"").as_bytes(),
        &[
            "bad.toml:6:8",
            "unknown kind `maks`",
            "did you mean `mask`?",
        ],
    );
    bad(
        WORD.replace("rule = \"current\"", "rule = \"lock(\"")
            .as_bytes(),
        &["bad.toml:7:8", "unknown rule"],
    );
    bad(
        WORD.replace("unsigned int", "unsigned banana").as_bytes(),
        &["bad.toml:5:8", "unknown C type"],
    );
    bad(
        format!(
            "{WORD}[[flag]]\nname = \"F\"\nword = \"flags\"\nbit = 1\nguard = \"CONFIG_A &&\"\n"
        )
        .as_bytes(),
        &["bad.toml:12:", "bad guard expression"],
    );
    bad(
        b"format = 2\n",
        &["bad.toml:1:10", "unsupported format version 2"],
    );
    bad(b"struct = \"t\"\n", &["missing `format = 1`"]);
    bad(b"format = 1\nstruct = \"t\"\n[[word]]\nname = \"w\"\nwidth = 33\nkind = \"mask\"\nrule = \"current\"\n", &["width 33"]);
}

#[test]
fn plans_with_bad_bases_or_bodies() {
    bad(
        b"format = 1\nbase = \"nowhere.toml\"\n",
        &["bad.toml:2:8", "cannot read the plan's base layout"],
    );
    bad(
        b"format = 1\nbase = \"builtin:linux-1.0\"\n",
        &["no built-in layout named `linux-1.0`"],
    );
    bad(
        format!("base = \"x.toml\"\n{WORD}")
            .replacen("format = 1\n", "", 1)
            .replacen("base", "format = 1\nbase", 1)
            .as_bytes(),
        &["a plan file (one with `base`) holds only"],
    );
    bad(
        b"format = 1\nbase = \"bad.toml\"\n",
        &["must be a layout, not another plan"],
    );
    bad(
        format!("{WORD}[[proposal]]\nto = \"flags\"\n").as_bytes(),
        &["needs `move = \\\"FLAG\\\"` or `add"
            .replace("\\\"", "\"")
            .as_str()],
    );
    bad(
        format!("{WORD}[[proposal]]\nmove = \"A\"\nadd = \"B\"\nto = \"flags\"\n").as_bytes(),
        &["either `move` or `add`, not both"],
    );
}

#[test]
fn usage_errors_exit_2() {
    let dir = TempDir::new().expect("tempdir");
    assert_eq!(run(&["check", "--builtin", "nope"], &dir).0, 2);
    assert_eq!(run(&["check", "--format", "xml"], &dir).0, 2);
    assert_eq!(run(&["frobnicate"], &dir).0, 2);
    let (code, _, err) = run(&["explain", "remote-writr"], &dir);
    assert_eq!(code, 2);
    assert!(err.contains("remote-writer"), "{err}");
}
