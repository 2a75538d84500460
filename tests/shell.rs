//! The shell fits: completions loaded into a real bash, the man page rendered from clap.

use std::process::Command as Proc;

use assert_cmd::Command;

fn flagplan_out(args: &[&str]) -> String {
    let out = Command::cargo_bin("flagplan")
        .expect("binary")
        .args(args)
        .output()
        .expect("runs");
    assert!(out.status.success(), "{args:?}");
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Source the completion script in bash and complete `words` (the last one is being typed).
fn complete(script: &std::path::Path, words: &[&str]) -> Vec<String> {
    let line = words.join(" ");
    let cword = words.len() - 1;
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let prev = if cword > 0 { words[cword - 1] } else { "" };
    let cmd = format!(
        "source '{}'; COMP_WORDS=({}); COMP_CWORD={cword}; COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}; _flagplan flagplan '{}' '{prev}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display(),
        quoted.join(" "),
        words[cword]
    );
    let out = Proc::new("bash")
        .arg("--norc")
        .arg("-c")
        .arg(cmd)
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn bash_completes_subcommands_and_rule_ids() {
    let dir = tempfile::TempDir::new().expect("tempdir");
    let script = dir.path().join("flagplan.bash");
    std::fs::write(&script, flagplan_out(&["completions", "bash"])).expect("write");
    assert_eq!(complete(&script, &["flagplan", "ex"]), ["explain"]);
    let mut rules = complete(&script, &["flagplan", "explain", "remote-"]);
    rules.sort();
    assert_eq!(rules, ["remote-reader", "remote-writer"]);
    let formats = complete(&script, &["flagplan", "check", "--format", ""]);
    for f in ["text", "json", "sarif", "github", "short"] {
        assert!(formats.iter().any(|x| x == f), "{formats:?}");
    }
}

#[test]
fn bash_completes_built_in_layout_names() {
    let dir = tempfile::TempDir::new().expect("tempdir");
    let script = dir.path().join("flagplan.bash");
    std::fs::write(&script, flagplan_out(&["completions", "bash"])).expect("write");
    let names = complete(&script, &["flagplan", "check", "--builtin", "linux-6"]);
    assert_eq!(
        names,
        [
            "linux-6.1-file",
            "linux-6.1-mm_struct",
            "linux-6.1-page",
            "linux-6.1-task_struct",
            "linux-6.1-vm_area_struct",
        ]
    );
}

/// Is `shell` installed? The real-shell tests are ignored by default and run by scripts/test
/// (`--include-ignored`), where a missing shell is a failure, not a pass.
fn require(shell: &str) {
    let ok = Proc::new("sh")
        .arg("-c")
        .arg(format!("command -v {shell}"))
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "{shell} is not installed (.ci/run installs it with apt)"
    );
}

/// Complete `line` in an interactive zsh driven through zpty (tests/data/zsh-complete.zsh).
fn zsh_complete(dir: &std::path::Path, line: &str) -> Vec<String> {
    let driver = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/zsh-complete.zsh");
    let out = Proc::new("zsh")
        .arg("-f")
        .arg(driver)
        .arg(dir)
        .arg(line)
        .output()
        .expect("zsh runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .filter(|l| !l.is_empty() && !l.contains('$'))
        .collect()
}

#[test]
#[ignore = "drives a real zsh; scripts/test runs it with --include-ignored"]
fn zsh_completes_values_without_leaking_help_text() {
    require("zsh");
    let dir = tempfile::TempDir::new().expect("tempdir");
    std::fs::write(
        dir.path().join("_flagplan"),
        flagplan_out(&["completions", "zsh"]),
    )
    .expect("write");
    // The issue: `--format o<TAB>` offered `output\)` from the quotes in the help text.
    assert!(zsh_complete(dir.path(), "flagplan check --format o").is_empty());
    assert_eq!(
        zsh_complete(dir.path(), "flagplan check --format s"),
        ["sarif", "short", "svg"]
    );
    assert_eq!(zsh_complete(dir.path(), "flagplan ch"), ["check"]);
    assert_eq!(
        zsh_complete(dir.path(), "flagplan check --builtin "),
        [
            "linux-5.8-task_struct",
            "linux-6.1-file",
            "linux-6.1-mm_struct",
            "linux-6.1-page",
            "linux-6.1-task_struct",
            "linux-6.1-vm_area_struct",
        ]
    );
    assert_eq!(
        zsh_complete(dir.path(), "flagplan explain remote-"),
        ["remote-reader", "remote-writer"]
    );
    assert_eq!(
        zsh_complete(dir.path(), "flagplan check --deny warn"),
        ["warnings"]
    );
}

/// Source the fish script and ask fish what completes `line`: the candidates, without descriptions.
fn fish_complete(script: &std::path::Path, line: &str) -> Vec<String> {
    let out = Proc::new("fish")
        .arg("--no-config")
        .arg("-c")
        .arg(format!(
            "source '{}'; and complete -C '{line}'",
            script.display()
        ))
        .output()
        .expect("fish runs");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "fish: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut v: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split('\t').next())
        .map(str::to_string)
        .collect();
    v.sort();
    v
}

#[test]
#[ignore = "drives a real fish; scripts/test runs it with --include-ignored"]
fn fish_sources_the_script_and_completes() {
    require("fish");
    let dir = tempfile::TempDir::new().expect("tempdir");
    let script = dir.path().join("flagplan.fish");
    std::fs::write(&script, flagplan_out(&["completions", "fish"])).expect("write");
    assert_eq!(fish_complete(&script, "flagplan ch"), ["check"]);
    assert_eq!(
        fish_complete(&script, "flagplan check --format s"),
        ["sarif", "short", "svg"]
    );
    assert_eq!(
        fish_complete(&script, "flagplan check --builtin "),
        [
            "linux-5.8-task_struct",
            "linux-6.1-file",
            "linux-6.1-mm_struct",
            "linux-6.1-page",
            "linux-6.1-task_struct",
            "linux-6.1-vm_area_struct",
        ]
    );
    assert_eq!(
        fish_complete(&script, "flagplan explain remote-"),
        ["remote-reader", "remote-writer"]
    );
    assert_eq!(
        fish_complete(&script, "flagplan check --select remote-w"),
        ["remote-writer"]
    );
}

#[test]
fn the_man_page_renders_with_man() {
    let dir = tempfile::TempDir::new().expect("tempdir");
    let page = dir.path().join("flagplan.1");
    std::fs::write(&page, flagplan_out(&["man"])).expect("write");
    let text = std::fs::read_to_string(&page).expect("read");
    assert!(text.contains(".TH flagplan 1"), "{text}");
    assert!(text.contains("check") && text.contains("explain"));
    // Render it as `man` would, when groff is installed.
    if let Ok(out) = Proc::new("groff")
        .args(["-man", "-Tascii", "-P", "-cbou"])
        .arg(&page)
        .output()
    {
        let rendered = String::from_utf8_lossy(&out.stdout);
        assert!(
            rendered.contains("NAME") && rendered.contains("flagplan"),
            "{rendered}"
        );
    }
}

/// `flagplan man --dir DIR`: every page, with the sections a man page needs and no dangling
/// references.
fn man_pages() -> (tempfile::TempDir, Vec<std::path::PathBuf>) {
    let dir = tempfile::TempDir::new().expect("tempdir");
    let out = Command::cargo_bin("flagplan")
        .expect("binary")
        .args(["man", "--dir"])
        .arg(dir.path())
        .env("SOURCE_DATE_EPOCH", "1796169600")
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut pages: Vec<_> = std::fs::read_dir(dir.path())
        .expect("read dir")
        .map(|e| e.expect("entry").path())
        .collect();
    pages.sort();
    (dir, pages)
}

#[test]
fn man_writes_a_page_per_subcommand_with_every_section() {
    let (dir, pages) = man_pages();
    let names: Vec<String> = pages
        .iter()
        .map(|p| p.file_name().expect("name").to_string_lossy().into_owned())
        .collect();
    for sub in [
        "check", "suggest", "import", "scan", "report", "explain", "man",
    ] {
        assert!(names.contains(&format!("flagplan-{sub}.1")), "{names:?}");
    }
    assert!(names.contains(&"flagplan.1".to_string()));
    assert!(!names.contains(&"flagplan-help.1".to_string()));
    for p in &pages {
        let text = std::fs::read_to_string(p).expect("read");
        let title = p.file_stem().expect("stem").to_string_lossy().into_owned();
        assert!(
            text.contains(&format!(".TH {title} 1 2026-12-02 \"flagplan ")),
            "{title}: the date goes after the section"
        );
        for sh in [
            "EXIT STATUS",
            "ENVIRONMENT",
            "FILES",
            "EXAMPLES",
            "SEE ALSO",
        ] {
            assert!(
                text.contains(&format!(".SH \"{sh}\"")) || text.contains(&format!(".SH {sh}\n")),
                "{title} lacks {sh}"
            );
        }
        // Every flagplan page it refers to was written.
        for (i, _) in text.match_indices("flagplan\\-") {
            let rest = &text[i + "flagplan\\-".len()..];
            if let Some(end) = rest.find("(1)") {
                let sub = &rest[..end];
                if sub.chars().all(|c| c.is_ascii_lowercase()) {
                    assert!(
                        dir.path().join(format!("flagplan-{sub}.1")).is_file(),
                        "{title} refers to missing flagplan-{sub}(1)"
                    );
                }
            }
        }
    }
}

#[test]
#[ignore = "runs mandoc; scripts/test runs it with --include-ignored"]
fn man_pages_pass_mandoc_lint() {
    require("mandoc");
    let (_dir, pages) = man_pages();
    for p in &pages {
        let out = Proc::new("mandoc")
            .args(["-T", "lint", "-W", "warning"])
            .arg(p)
            .output()
            .expect("mandoc runs");
        let msgs = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && msgs.trim().is_empty(),
            "{}: {msgs}",
            p.display()
        );
    }
}
