//! `flagplan report`: a plan's verdict as cover-letter text — 72 columns, no colour, no box drawing.

use assert_cmd::Command;

fn report(path: &str) -> (i32, String) {
    let out = Command::cargo_bin("flagplan")
        .expect("binary")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["--color", "always", "report", path])
        .output()
        .expect("runs");
    (
        out.status.code().expect("code"),
        String::from_utf8(out.stdout).expect("utf-8"),
    )
}

/// The text with line breaks and indentation folded to single spaces, for matching wrapped prose.
fn unwrapped(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn assert_mail_safe(text: &str) {
    for (i, line) in text.lines().enumerate() {
        assert!(
            line.chars().count() <= 72,
            "line {} is {} columns: {line}",
            i + 1,
            line.chars().count()
        );
        assert!(!line.ends_with(' '), "trailing space on line {}", i + 1);
    }
    assert!(!text.contains('\x1b'), "colour escape in mail text");
    assert!(
        !text
            .chars()
            .any(|c| ('\u{2500}'..='\u{257f}').contains(&c) || c == '|'),
        "box drawing in mail text"
    );
    assert!(text.is_ascii(), "non-ASCII in mail text");
}

#[test]
fn the_2020_plan_reads_as_a_cover_letter() {
    let (code, text) = report("examples/memalloc-2020.toml");
    assert_eq!(code, 0);
    assert_mail_safe(&text);
    assert!(
        text.starts_with("flagplan: examples/memalloc-2020.toml (task_struct) is legal: 0 errors,"),
        "{text}"
    );
    assert!(
        text.contains("  flags          32 bits  used 26 -> 22  free 6 -> 10   current\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "  1. PF_MEMALLOC_NOIO (as memalloc_noio): flags bit 19 -> current_bits\n     bit 17\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("kernel/sys.c:2648"),
        "evidence is listed: {text}"
    );
    assert!(text.contains("waived lock-not-held"), "{text}");
}

#[test]
fn a_failing_plan_says_so_with_its_evidence() {
    let (code, text) = report("examples/spread-page-must-fail.toml");
    assert_eq!(code, 1);
    assert_mail_safe(&text);
    let flat = unwrapped(&text);
    assert!(flat.contains("is NOT legal: 1 errors"), "{text}");
    assert!(
        flat.contains("ERROR remote-writer: `spread_page` is written by a remote writer"),
        "{text}"
    );
    assert!(
        text.contains("evidence: kernel/cgroup/cpuset.c:417"),
        "{text}"
    );
}

#[test]
fn evidence_from_a_source_tree_reaches_the_mail() {
    let out = Command::cargo_bin("flagplan")
        .expect("binary")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "report",
            "examples/rules/evidence-rejects-move.toml",
            "--src",
            "examples/scan-src",
        ])
        .output()
        .expect("runs");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert_mail_safe(&text);
    let flat = unwrapped(&text);
    assert!(
        flat.contains("ERROR evidence-rejects-move: moving `PFA_DEMO` into `current_bits`"),
        "{text}"
    );
    assert!(flat.contains("evidence: kernel/demo.c:14:10"), "{text}");
    // Without --src the declared writer is waived and the plan passes: the evidence is what fails it.
    let (code, _) = report("examples/rules/evidence-rejects-move.toml");
    assert_eq!(code, 0);
}
