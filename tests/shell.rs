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
fn zsh_and_fish_scripts_are_generated() {
    assert!(flagplan_out(&["completions", "zsh"]).contains("#compdef flagplan"));
    assert!(flagplan_out(&["completions", "fish"]).contains("complete -c flagplan"));
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
