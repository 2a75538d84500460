//! `flagplan check` from the command line: output formats, exit codes, layout resolution.

use std::path::PathBuf;

use assert_cmd::Command;
use flagplan::check::plan::Planner;
use flagplan::layout::{self, Input};

fn example(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(p)
}

fn flagplan() -> Command {
    let mut c = Command::cargo_bin("flagplan").expect("binary");
    c.env("NO_COLOR", "1");
    c
}

fn stdout(c: &mut Command) -> (i32, String) {
    let out = c.output().expect("runs");
    (
        out.status.code().expect("code"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn text_output_shows_occupancy_moves_and_findings() {
    let (code, out) = stdout(
        flagplan()
            .arg("check")
            .arg(example("rules/shared-word.toml"))
            .arg("-v"),
    );
    assert_eq!(code, 0, "{out}");
    // Three PF_MEMALLOC_* bits leave `flags` and land in the strictly-current bitfield.
    assert!(
        out.contains(
            "| flags        | mask     | current        |    32 | 6 -> 3 |        1 |     1 | 25 -> 28 |"
        ),
        "{out}"
    );
    assert!(
        out.contains("| current_bits | bitfield | current        |    32 | 2 -> 5 |"),
        "{out}"
    );
    assert!(
        out.contains("#1 PF_MEMALLOC_NOIO as memalloc_noio: flags bit 19 -> current_bits bit 2"),
        "{out}"
    );
    // Long notes wrap to the terminal width.
    let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("note[shared-word]: `memalloc_pin` lands in `current_bits`"),
        "{out}"
    );
    assert!(out.contains("summary: 0 errors, 0 warnings,"), "{out}");
}

#[test]
fn a_failing_move_exits_1_with_rule_location_and_evidence() {
    let (code, out) = stdout(
        flagplan()
            .arg("check")
            .arg(example("rules/remote-writer.toml")),
    );
    assert_eq!(code, 1);
    assert!(
        out.contains("error[remote-writer]: `spread_page` is written by a remote writer"),
        "{out}"
    );
    assert!(out.contains("remote-writer.toml:8:8"), "{out}");
    assert!(
        out.contains("evidence: kernel/cgroup/cpuset.c:423"),
        "{out}"
    );
}

#[test]
fn deny_warnings_turns_a_stale_waiver_into_exit_1() {
    let p = example("rules/stale-waiver.toml");
    assert_eq!(stdout(flagplan().arg("check").arg(&p)).0, 0);
    assert_eq!(
        stdout(flagplan().arg("check").arg(&p).args(["--deny", "warnings"])).0,
        1
    );
}

#[test]
fn json_is_versioned_and_complete() {
    let (code, out) = stdout(
        flagplan()
            .arg("check")
            .arg(example("rules/group-split.toml"))
            .args(["--format", "json"]),
    );
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["version"], 1);
    assert_eq!(v["struct"], "task_struct");
    let f = v["findings"]
        .as_array()
        .expect("array")
        .iter()
        .find(|f| f["rule"] == "group-split")
        .expect("group-split");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["line"], 8);
    assert_eq!(f["column"], 8);
    assert!(
        f["file"]
            .as_str()
            .expect("file")
            .ends_with("group-split.toml")
    );
    let flags = v["words"]
        .as_array()
        .expect("words")
        .iter()
        .find(|w| w["name"] == "flags")
        .expect("flags");
    assert_eq!(flags["used"], 6);
    assert_eq!(flags["after"]["used"], 5);
    assert_eq!(v["moves"][0]["flag"], "PF_MEMALLOC_NOIO");
}

#[test]
fn sarif_is_2_1_0_with_rules_and_regions() {
    let (_, out) = stdout(
        flagplan()
            .arg("check")
            .arg(example("rules/abi-pinned.toml"))
            .args(["--format", "sarif"]),
    );
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), flagplan::rules::RuleId::ALL.len());
    let r = run["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["ruleId"] == "abi-pinned")
        .expect("result");
    assert_eq!(r["level"], "error");
    let idx = r["ruleIndex"].as_u64().expect("index") as usize;
    assert_eq!(rules[idx]["id"], "abi-pinned");
    assert_eq!(
        r["locations"][0]["physicalLocation"]["region"]["startLine"],
        8
    );
}

#[test]
fn github_annotations() {
    let (_, out) = stdout(
        flagplan()
            .arg("check")
            .arg(example("rules/bit-taken.toml"))
            .args(["--format", "github"]),
    );
    let line = out
        .lines()
        .find(|l| l.starts_with("::error"))
        .expect("an error annotation");
    assert!(
        line.contains(
            "line=8,col=8,title=bit-taken::proposal #1: bit 2 of `flags` is taken by PF_EXITING"
        ),
        "{line}"
    );
}

#[test]
fn layout_resolution_local_file_stdin_and_builtin() {
    let dir = tempfile::TempDir::new().expect("tempdir");
    std::fs::copy(example("rules/base.toml"), dir.path().join("layout.toml")).expect("copy");
    let (code, out) = stdout(flagplan().current_dir(dir.path()).arg("check"));
    assert_eq!(code, 0);
    assert!(out.starts_with("layout.toml (task_struct)"), "{out}");

    let text = std::fs::read_to_string(example("rules/mask-not-single-bit.toml")).expect("read");
    let (code, out) = stdout(flagplan().args(["check", "-"]).write_stdin(text));
    assert_eq!(code, 1);
    assert!(out.contains("<stdin>"), "{out}");

    let empty = tempfile::TempDir::new().expect("tempdir");
    let (_, out) = stdout(flagplan().current_dir(empty.path()).arg("check"));
    assert!(out.starts_with("builtin:linux-"), "{out}");
    let (_, list) = stdout(flagplan().arg("layouts"));
    assert!(list.contains("(default)"), "{list}");
}

#[test]
fn explain_every_rule() {
    for r in flagplan::rules::RuleId::ALL {
        let (code, out) = stdout(flagplan().args(["explain", r.id()]));
        assert_eq!(code, 0);
        assert!(out.starts_with(r.id()), "{out}");
        assert!(
            out.contains("Example:") && out.contains("Fix:") && out.contains("[[waiver]]"),
            "{out}"
        );
    }
    let (_, list) = stdout(flagplan().arg("explain"));
    assert_eq!(list.lines().count(), flagplan::rules::RuleId::ALL.len());
}

/// Exhaustively: every movable flag of the example base, to every other word where it fits, and back.
#[test]
fn every_move_and_back_is_the_identity_on_the_base_example() {
    let loaded = layout::load(&Input::Path(example("rules/base.toml"))).expect("loads");
    let base = loaded.layout;
    let key = |l: &flagplan::model::Layout| {
        let mut v: Vec<_> = l
            .flags
            .iter()
            .map(|f| (f.current_name().to_string(), f.word.clone(), f.bit))
            .collect();
        v.sort();
        v
    };
    let mut moves = 0;
    for (idx, f) in base.flags.iter().enumerate() {
        if f.reserved || f.abi {
            continue;
        }
        let home = base.word(&f.word).expect("word").clone();
        for there in &base.words {
            if there.name == home.name {
                continue;
            }
            let mut p = Planner::new(base.clone());
            let Ok(out) = p.place(there, &f.guard, f.width, None, Some(idx)) else {
                continue;
            };
            p.move_flag(idx, &there.name, &out, Some("tmp_name"));
            let back = p
                .place(&home, &f.guard, f.width, f.bit, Some(idx))
                .expect("the bit it left is free");
            p.move_flag(idx, &home.name, &back, Some(&f.name));
            assert_eq!(key(&p.layout), key(&base), "{} via {}", f.name, there.name);
            moves += 1;
        }
    }
    assert!(moves >= 20, "only {moves} moves exercised");
}

/// Write `plan` (a plan over examples/rules/base.toml) to a temp dir and check it (short format).
fn check_plan(plan: &str) -> (i32, String) {
    let dir = tempfile::tempdir().expect("tmp");
    let base = example("rules/base.toml");
    let text = format!(
        "format = 1\nbase = {:?}\n{plan}",
        base.display().to_string()
    );
    let p = dir.path().join("plan.toml");
    std::fs::write(&p, text).expect("write plan");
    let (code, out) = stdout(flagplan().arg("check").arg(&p).args(["--format", "short"]));
    (code, out.replace(&p.display().to_string(), "plan.toml"))
}

#[test]
fn a_waiver_naming_an_unknown_rule_or_flag_is_an_error_with_did_you_mean() {
    let (code, out) = check_plan(
        "[[waiver]]\nflag = \"in_memstall\"\nrule = \"remote-writers\"\nreason = \"r\"\n",
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("plan.toml:4: ERROR: unknown-rule: the waiver for `in_memstall` names rule `remote-writers`, which does not exist (did you mean `remote-writer`?)"),
        "{out}"
    );
    assert!(!out.contains("stale-waiver"), "{out}");
    let (code, out) =
        check_plan("[[waiver]]\nflag = \"in_memstal\"\nrule = \"remote-writer\"\nreason = \"r\"\n");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("ERROR: unknown-flag: the waiver of `remote-writer` names flag `in_memstal`, which the layout does not have (did you mean `in_memstall`?)"),
        "{out}"
    );
    // A waiver of a real rule for a real flag that matches nothing stays a warning.
    let (code, out) = check_plan(
        "[[waiver]]\nflag = \"in_memstall\"\nrule = \"remote-writer\"\nreason = \"r\"\n",
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("WARNING: stale-waiver"), "{out}");
}

#[test]
fn duplicate_moves_and_bit_clashes_are_errors_at_both_proposals() {
    let (code, out) = check_plan(
        "[[proposal]]\nmove = \"PF_MEMALLOC_NOIO\"\nto = \"current_bits\"\n\
         [[proposal]]\nmove = \"PF_MEMALLOC_NOIO\"\nto = \"atomic_flags\"\n",
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("plan.toml:4: ERROR: duplicate-proposal: proposal #1 moves `PF_MEMALLOC_NOIO`, the same flag as proposal #2"), "{out}");
    assert!(out.contains("plan.toml:7: ERROR: duplicate-proposal: proposal #2 moves `PF_MEMALLOC_NOIO`, the same flag as proposal #1"), "{out}");
    let (code, out) = check_plan(
        "[[proposal]]\nadd = \"PFA_X\"\nto = \"atomic_flags\"\nbit = 9\n\
         [[proposal]]\nadd = \"PFA_Y\"\nto = \"atomic_flags\"\nbit = 9\n",
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "plan.toml:4: ERROR: duplicate-proposal: proposal #1 takes bit 9 of `atomic_flags`"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "plan.toml:8: ERROR: duplicate-proposal: proposal #2 takes bit 9 of `atomic_flags`"
        ),
        "{out}"
    );
    let (code, out) = check_plan(
        "[[proposal]]\nadd = \"PFA_X\"\nto = \"atomic_flags\"\n\
         [[proposal]]\nadd = \"PFA_X\"\nto = \"atomic_flags\"\n",
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("proposal #2 adds `PFA_X`, the same flag as proposal #1"),
        "{out}"
    );
}

#[test]
fn unknown_word_points_at_to_and_a_member_clash_at_the_plan() {
    let (code, out) =
        check_plan("[[proposal]]\nmove = \"PF_MEMALLOC_NOIO\"\nto = \"curent_bits\"\n");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("plan.toml:5: ERROR: unknown-word: proposal #1: no word named `curent_bits` (did you mean `current_bits`?)"),
        "{out}"
    );
    // `member = "in_execve"` names an existing member: reported at the plan's proposal.
    let (code, out) = check_plan(
        "[[proposal]]\nmove = \"PF_EXITING\"\nto = \"current_bits\"\nmember = \"in_execve\"\n",
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("plan.toml:4: ERROR: duplicate-name: flag `in_execve`"),
        "{out}"
    );
}

#[test]
fn suggest_refuses_a_layout_with_a_duplicate_flag_name() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("dup.toml");
    std::fs::write(
        &p,
        "format = 1\nstruct = \"t\"\n[[word]]\nname = \"flags\"\ntype = \"unsigned int\"\nkind = \"mask\"\nrule = \"current\"\n\
         [[word]]\nname = \"bits\"\ntype = \"unsigned int\"\nkind = \"bitfield\"\nrule = \"current\"\n\
         [[flag]]\nname = \"PF_A\"\nword = \"flags\"\nbit = 0\n[[flag]]\nname = \"PF_A\"\nword = \"flags\"\nbit = 1\n[[flag.writer]]\ncontext = \"remote\"\n",
    )
    .expect("write");
    let out = flagplan()
        .arg("suggest")
        .arg(&p)
        .args(["--free", "32", "--from", "flags"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("dup.toml:18:8: flag `PF_A` is declared twice"),
        "{err}"
    );
    assert!(!err.contains("internal error"), "{err}");
}

#[test]
fn drift_and_evidence_findings_are_waived_in_the_one_pipeline() {
    // A plan over the drift example that waives header-value-changed: the drift finding becomes
    // a waived note and the waiver is used (no stale-waiver).
    let dir = tempfile::tempdir().expect("tmp");
    let plan = dir.path().join("plan.toml");
    std::fs::write(
        &plan,
        format!(
            "format = 1\nbase = {:?}\n[[waiver]]\nflag = \"PF_EXITING\"\nrule = \"header-value-changed\"\nreason = \"the header change is the patch under review\"\n",
            example("rules/header-value-changed.toml").display().to_string()
        ),
    )
    .expect("write");
    let (code, out) = stdout(
        flagplan()
            .arg("check")
            .arg(&plan)
            .arg("--header")
            .arg(example("rules/drift.h"))
            .args(["--format", "json"]),
    );
    let doc: serde_json::Value = serde_json::from_str(&out).expect("json");
    let rules: Vec<(&str, &str, bool)> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or(""),
                f["severity"].as_str().unwrap_or(""),
                f["waived"].is_string(),
            )
        })
        .collect();
    assert!(
        rules.contains(&("header-value-changed", "note", true)),
        "{rules:?}"
    );
    assert!(!rules.iter().any(|r| r.0 == "stale-waiver"), "{rules:?}");
    assert_eq!(code, 0, "{out}");
}

#[test]
fn a_plan_amends_facts_and_they_are_judged_at_the_plans_line() {
    // A writer the series adds: judged as if the layout had it, reported at the plan.
    let (code, out) = check_plan(
        "[[amend]]\nflag = \"in_execve\"\n[[amend.writer]]\ncontext = \"remote\"\nlocks = [\"css_set_lock\"]\n",
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("plan.toml:6: ERROR: remote-writer: `in_execve` is written by a remote writer holding css_set_lock, but word `current_bits` is `current`"),
        "{out}"
    );
    // A pin and a group membership are facts too: the pinned flag may no longer move, and a
    // flag that joins memalloc-scope splits it when it stays behind.
    let (code, out) = check_plan(
        "[[amend]]\nflag = \"PF_MEMALLOC\"\nabi = true\ngroup = \"memalloc-scope\"\n\
         [[proposal]]\nmove = \"PF_MEMALLOC\"\nto = \"current_bits\"\n",
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("ERROR: abi-pinned"), "{out}");
    // An amend of a flag the base does not have is bad input, with a did-you-mean.
    let (code, out) = check_plan("[[amend]]\nflag = \"in_exceve\"\nread_remote = true\n");
    assert_eq!(code, 2, "{out}");
    let err = {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("plan.toml");
        std::fs::write(
            &p,
            format!(
                "format = 1\nbase = {:?}\n[[amend]]\nflag = \"in_exceve\"\n",
                example("rules/base.toml").display().to_string()
            ),
        )
        .expect("write");
        let o = flagplan().arg("check").arg(&p).output().expect("runs");
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    assert!(
        err.contains("the base layout has no flag `in_exceve`"),
        "{err}"
    );
    assert!(err.contains("did you mean `in_execve`?"), "{err}");
}

/// `check --format json` errors and warnings, unwaived: (rule, message).
fn unwaived(path: &std::path::Path) -> Vec<(String, String)> {
    let out = flagplan()
        .arg("check")
        .arg(path)
        .args(["--format", "json"])
        .output()
        .expect("runs");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["waived"].is_null() && f["severity"] != "note")
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_string(),
                f["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_remote_writer_of_an_existing_member_names_the_neighbours_at_risk() {
    let dir = tempfile::tempdir().expect("tmp");
    let plan = dir.path().join("plan.toml");
    std::fs::write(
        &plan,
        format!(
            "format = 1\nbase = {:?}\n[[amend]]\nflag = \"in_execve\"\n[[amend.writer]]\ncontext = \"remote\"\n",
            example("rules/base.toml").display().to_string()
        ),
    )
    .expect("write");
    let found = unwaived(&plan);
    let remote: Vec<_> = found.iter().filter(|(r, _)| r == "remote-writer").collect();
    assert_eq!(remote.len(), 1, "{found:?}");
    assert!(
        remote[0].1.contains("a lost update corrupts in_memstall"),
        "{found:?}"
    );
}

#[test]
fn a_task_written_flag_may_not_join_a_unit_an_irq_handler_leaves_changed() {
    // The unit has room: only the rule can refuse the move.
    let found = unwaived(&example("rules/irq-shared-unit.toml"));
    let rules: Vec<&str> = found.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(rules, ["irq-shared-unit"], "{found:?}");
    assert!(found[0].1.contains("`in_memstall`") && found[0].1.contains("`mce_ripv`"));
    // suggest gives the same reason for the same move, on the layout before the move.
    let text = std::fs::read_to_string(example("rules/irq-shared-unit.toml")).expect("read");
    let before = text.split("[[proposal]]").next().unwrap_or_default();
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("layout.toml");
    std::fs::write(&path, before).expect("write");
    let out = flagplan()
        .arg("suggest")
        .arg(&path)
        .args(["--flag", "in_memstall", "--format", "json"])
        .output()
        .expect("runs");
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.contains("irq-shared-unit"), "{s}");
}
