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
        unwrapped(&text).starts_with(
            "flagplan: examples/memalloc-2020.toml (task_struct, Linux v6.1) is legal: 0 errors,"
        ),
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
    // The layout's own standing waivers (sched_reset_on_fork, ...) do not concern the moved flags.
    assert!(!text.contains("sched_reset_on_fork"), "{text}");
}

#[test]
fn a_failing_plan_says_so_with_its_evidence() {
    let (code, text) = report("examples/spread-page-must-fail.toml");
    assert_eq!(code, 1);
    assert_mail_safe(&text);
    let flat = unwrapped(&text);
    assert!(
        flat.contains("is NOT legal: 1 error, 0 warnings."),
        "{text}"
    );
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

/// Lines of one paragraph are filled greedily: the next line's first word would not have fit.
/// A paragraph continues on lines indented three more than its first line (top-level prose: at 0).
fn assert_not_ragged(text: &str) {
    let indent = |l: &str| l.len() - l.trim_start().len();
    let mut para: Option<usize> = None;
    let mut prev = "";
    for line in text.lines() {
        if line.trim().is_empty() {
            para = None;
        } else if para.is_some_and(|p| indent(line) == p + 3 || (p == 0 && indent(line) == 0)) {
            // `bit 19` is kept together.
            let mut words = line.split_whitespace();
            let first = match (words.next(), words.next()) {
                (Some("bit"), Some(n)) => format!("bit {n}"),
                (w, _) => w.unwrap_or("").to_string(),
            };
            assert!(
                prev.chars().count() + 1 + first.chars().count() > 72,
                "ragged line (`{first}` would have fit):\n{prev}\n{line}"
            );
        } else {
            para = Some(indent(line));
        }
        prev = line;
    }
}

#[test]
fn one_error_is_singular() {
    let (_, text) = report("examples/spread-page-must-fail.toml");
    assert!(text.contains("1 error, 0 warnings"), "{text}");
    assert!(!text.contains("1 errors"), "{text}");
}

#[test]
fn the_kernel_is_named_by_its_makefile_version_not_a_package() {
    let (_, text) = report("examples/memalloc-2020.toml");
    let flat = unwrapped(&text);
    assert!(flat.contains("Linux v6.1"), "{text}");
    assert!(!text.contains("linux-source"), "{text}");
    assert!(!text.contains("6.1.192"), "{text}");
}

#[test]
fn with_a_source_tree_the_version_is_read_from_its_makefile() {
    let dir = tempfile::TempDir::new().expect("tempdir");
    std::fs::write(
        dir.path().join("Makefile"),
        "# SPDX-License-Identifier: GPL-2.0\nVERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 117\nEXTRAVERSION =\nNAME = Baby Opossum Posse\n",
    )
    .expect("write");
    let out = Command::cargo_bin("flagplan")
        .expect("binary")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["report", "examples/memalloc-2020.toml", "--src"])
        .arg(dir.path())
        .output()
        .expect("runs");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(unwrapped(&text).contains("Linux v6.12"), "{text}");
}

#[test]
fn each_neighbour_list_is_given_once() {
    let (_, text) = report("examples/memalloc-2020.toml");
    assert_mail_safe(&text);
    assert_eq!(text.matches("in_memstall").count(), 1, "{text}");
    let flat = unwrapped(&text);
    assert!(
        flat.contains(
            "memalloc_noio, memalloc_nofs, memalloc_pin and local_throttle land in `current_bits`"
        ),
        "{text}"
    );
}

#[test]
fn paragraphs_are_filled_without_ragged_lines() {
    for plan in [
        "examples/memalloc-2020.toml",
        "examples/spread-page-must-fail.toml",
    ] {
        let (_, text) = report(plan);
        assert_not_ragged(&text);
    }
}
