//! `flagplan import` and the drift checks on small headers written for these tests: every C
//! construct the reader must survive, every drift rule, merge on re-import, no-clobber.

use std::path::Path;

use assert_cmd::Command;
use flagplan::import::{self, Family, Imported, Options};

fn imp(src: &[u8], families: &[&str]) -> Imported {
    import::from_header(
        src,
        Options {
            struct_name: "task_struct".into(),
            families: families
                .iter()
                .map(|f| Family::parse(f).expect("family"))
                .collect(),
            source_name: "t.h".into(),
        },
    )
    .expect("imports")
}

fn flag<'a>(i: &'a Imported, name: &str) -> &'a import::IFlag {
    i.flag(name)
        .unwrap_or_else(|| panic!("{name} not imported; have {:?}", names(i)))
}

fn names(i: &Imported) -> Vec<&str> {
    i.flags.iter().map(|f| f.name.as_str()).collect()
}

fn warnings(i: &Imported) -> Vec<String> {
    i.warning_lines("t.h")
}

fn bin() -> Command {
    Command::cargo_bin("flagplan").expect("binary")
}

const BASIC: &str = r#"
struct task_struct {
	unsigned int			flags;
	/* Scheduler bits, serialized by scheduler locks: */
	unsigned			sched_a:1;
	unsigned			sched_b:1;
	/* Force alignment to the next boundary: */
	unsigned			:0;
	/* Unserialized, strictly 'current' */
	unsigned			in_x:1;
	unsigned			in_y:2;
	unsigned long			atomic_flags; /* Flags requiring atomic access. */
};
#define PF_ONE		0x00000001	/* the first */
#define PF_TWO		0x00000002
#define PFA_A		0
#define PFA_B		3
"#;

#[test]
fn families_bitfield_units_and_rule_guesses() {
    let i = imp(BASIC.as_bytes(), &["PF_=flags", "PFA_=atomic_flags"]);
    assert!(warnings(&i).is_empty(), "{:?}", warnings(&i));
    let w: Vec<(&str, &str, String, u32)> = i
        .words
        .iter()
        .map(|w| {
            (
                w.name.as_str(),
                w.kind.as_str(),
                w.guess.rule.to_string(),
                w.width,
            )
        })
        .collect();
    assert_eq!(
        w,
        vec![
            ("flags", "mask", "current".into(), 32),
            ("atomic_flags", "bitnum", "atomic".into(), 64),
            ("sched_bits", "bitfield", "lock(rq->lock)".into(), 32),
            ("current_bits", "bitfield", "current".into(), 32),
        ]
    );
    assert_eq!(flag(&i, "PF_TWO").mask, Some(2));
    assert_eq!(flag(&i, "PF_TWO").bit, Some(1));
    assert_eq!(flag(&i, "PF_ONE").doc.as_deref(), Some("the first"));
    assert_eq!(flag(&i, "PFA_B").bit, Some(3));
    assert_eq!(
        (
            flag(&i, "in_y").word.as_str(),
            flag(&i, "in_y").bit,
            flag(&i, "in_y").width
        ),
        ("current_bits", Some(1), 2)
    );
    assert_eq!(i.line(flag(&i, "in_y").at), 11);
    assert_eq!(i.line(flag(&i, "PFA_B").at), 17);
}

#[test]
fn comments_continuations_crlf_and_bad_bytes() {
    let src = b"struct task_struct {\r\n\tunsigned int flags; /* PF */\r\n};\r\n\
/* a comment\r\n * over lines */ #define PF_AFTER_COMMENT 0x10\r\n\
#define PF_A /* inside */ 0x1 /* doc of A,\r\n   continued */\r\n\
#define PF_B \\\r\n\t0x2\t/* spliced */\r\n\
#define PF_C 0x4 /* caf\xe9 \xff */\r\n\
// a line comment with 0xff: \xff\r\n\
#define PF_D (1UL << 3) // shifted\r\n";
    let i = imp(src, &["PF_=flags"]);
    // A comment before `#` is whitespace: that line is a directive too.
    assert_eq!(
        names(&i),
        vec!["PF_AFTER_COMMENT", "PF_A", "PF_B", "PF_C", "PF_D"]
    );
    assert_eq!(flag(&i, "PF_A").mask, Some(1));
    assert_eq!(
        flag(&i, "PF_A").doc.as_deref(),
        Some("inside doc of A, continued")
    );
    assert_eq!(flag(&i, "PF_B").mask, Some(2));
    assert_eq!(i.line(flag(&i, "PF_B").at), 8);
    assert_eq!(
        flag(&i, "PF_C").doc.as_deref(),
        Some("caf\u{fffd} \u{fffd}")
    );
    assert_eq!(flag(&i, "PF_D").mask, Some(8));
    assert_eq!(i.line(flag(&i, "PF_D").at), 12);
}

#[test]
fn guards_from_if_ifdef_ifndef_elif_else_nesting() {
    let src = r#"
#ifndef _T_H
#define _T_H
struct task_struct {
	unsigned int flags;
#ifdef CONFIG_A
	unsigned a:1;
#if defined(CONFIG_B) && !defined(CONFIG_C)
	unsigned b:1;
#elif IS_ENABLED(CONFIG_D)
	unsigned d:1;
#else
	unsigned e:1;
#endif
#endif
#ifndef TIF_RESTORE_SIGMASK
	unsigned restore_sigmask:1;
#endif
};
#ifdef CONFIG_X
#define PF_X 0x1
#else
#define PF_Y 0x1
#endif
#endif
"#;
    let i = imp(src.as_bytes(), &["PF_=flags"]);
    let g = |n: &str| flag(&i, n).guard.to_string();
    assert_eq!(g("a"), "CONFIG_A");
    assert_eq!(g("b"), "CONFIG_A && CONFIG_B && !CONFIG_C");
    assert_eq!(g("d"), "CONFIG_A && !(CONFIG_B && !CONFIG_C) && CONFIG_D");
    assert_eq!(g("e"), "CONFIG_A && !(CONFIG_B && !CONFIG_C || CONFIG_D)");
    assert_eq!(g("restore_sigmask"), "!TIF_RESTORE_SIGMASK");
    assert_eq!(g("PF_X"), "CONFIG_X");
    assert_eq!(g("PF_Y"), "!CONFIG_X");
    // Every guard reads back with the layout's guard parser.
    for f in &i.flags {
        let s = f.guard.to_string();
        assert_eq!(
            flagplan::guard::Guard::parse(&s)
                .expect("parses")
                .to_string(),
            s
        );
    }
    // The include guard is not a condition.
    assert!(warnings(&i).is_empty(), "{:?}", warnings(&i));
}

#[test]
fn nested_aggregates_attributes_macros_and_splits() {
    let src = r#"
struct task_struct {
	unsigned int flags;
	randomized_struct_fields_start
	unsigned a:1;
	unsigned b:1;
	int not_a_flag;
	unsigned c:1;
	struct {
		unsigned inner:1;
	} nested;
	union {
		void *p;
		unsigned long q;
	};
	unsigned d:1 __aligned(4);
	unsigned int e:3, f:1;
	u8 g:1;
	void (*fn)(int x);
	struct list_head *arr[4] __rcu;
	__u64 h:1, __h_reserved:63;
	randomized_struct_fields_end
} __randomize_layout;
"#;
    let i = imp(src.as_bytes(), &["PF_=flags"]);
    let unit = |n: &str| flag(&i, n).word.clone();
    assert_eq!(unit("a"), unit("b"));
    assert_ne!(unit("b"), unit("c"), "a non-bitfield member splits units");
    assert_ne!(unit("c"), unit("d"), "a nested struct splits units");
    assert_eq!(unit("d"), unit("e"));
    assert_eq!(unit("e"), unit("f"));
    assert_eq!(
        unit("f"),
        unit("g"),
        "a different type continues the run (warned)"
    );
    assert_eq!(flag(&i, "e").width, 3);
    assert_eq!(flag(&i, "f").bit, Some(4));
    assert!(flag(&i, "__h_reserved").reserved);
    assert_eq!(i.word(&unit("h")).map(|w| w.width), Some(64));
    assert!(i.flag("inner").is_none());
    assert!(i.flag("not_a_flag").is_none());
    let w = warnings(&i);
    assert!(
        w.iter()
            .any(|l| l.starts_with("t.h:10: warning: bitfield `inner` inside a nested")),
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|l| l.starts_with("t.h:18: warning: bitfield `g` is declared `u8`")),
        "{w:?}"
    );
}

#[test]
fn what_is_not_understood_is_reported_with_its_line() {
    let src = r#"
struct task_struct {
	unsigned int flags;
	unsigned w:WIDTH_MACRO(3);
};
#define PF_GOOD 0x1
#define PF_BAD some_function(3)
#define PF_FN(x) (x)
#if LINUX_VERSION_CODE > 0x050800
#define PF_NEW 0x2
#endif
#if 0
#define PF_DEAD 0x4
#endif
#define PF_TWOBITS 0x18
/* unterminated
"#;
    let i = imp(src.as_bytes(), &["PF_=flags"]);
    let w = warnings(&i);
    let has = |p: &str| assert!(w.iter().any(|l| l.starts_with(p)), "no `{p}` in {w:?}");
    has("t.h:4: warning: bitfield `w`: width expression not understood");
    has("t.h:7: warning: `PF_BAD`: value not understood");
    has("t.h:8: warning: `PF_FN` is a function-like macro");
    has("t.h:10: warning: `PF_NEW` is under `#if LINUX_VERSION_CODE > 0x050800` (line 9)");
    has("t.h:13: warning: `PF_DEAD` is under `#if 0`");
    has("t.h:15: warning: `PF_TWOBITS` = 0x18 is not a single bit");
    has("t.h:16: warning: unterminated /* comment");
    assert!(i.flag("PF_NEW").is_some(), "kept with an opaque guard");
    assert!(i.flag("PF_BAD").is_none() && i.flag("PF_DEAD").is_none());
}

#[test]
fn families_for_other_structs_and_forced_kinds() {
    let src = r#"
struct mm_struct {
	unsigned long flags; /* protected by mmap_lock */
	unsigned long def_flags;
};
#define MMF_DUMPABLE_BITS 2
#define MMF_HAS_UPROBES 19
#define MMF_OOM_SKIP 21
"#;
    let i = import::from_header(
        src.as_bytes(),
        Options {
            struct_name: "mm_struct".into(),
            families: vec![Family::parse("MMF_=flags:bitnum").expect("family")],
            source_name: "mm_types.h".into(),
        },
    )
    .expect("imports");
    assert_eq!(i.words[0].kind.as_str(), "bitnum");
    assert_eq!(i.words[0].guess.rule.to_string(), "lock(mmap_lock)");
    assert_eq!(flag(&i, "MMF_OOM_SKIP").bit, Some(21));
    assert!(Family::parse("PF_").is_err());
    assert!(Family::parse("PF_=flags:bitfield").is_err());
    let missing = import::from_header(
        src.as_bytes(),
        Options {
            struct_name: "mm_struct".into(),
            families: vec![Family::parse("VM_=vm_flags").expect("family")],
            source_name: "x".into(),
        },
    );
    assert!(missing.is_err());
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

#[test]
fn cli_writes_a_loadable_layout_with_guesses_marked_and_is_deterministic() {
    let dir = tempfile::tempdir().expect("tmp");
    let h = write(dir.path(), "t.h", BASIC);
    let out = dir.path().join("l.toml");
    bin()
        .arg("import")
        .arg(&h)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let text = std::fs::read_to_string(&out).expect("read");
    assert_eq!(text.matches("# GUESS").count(), 4, "{text}");
    let again = bin().arg("import").arg(&h).output().expect("runs");
    assert_eq!(again.stdout, text.as_bytes(), "same input, same bytes");
    bin().arg("check").arg(&out).assert().success();
    // No clobber without --force.
    bin()
        .arg("import")
        .arg(&h)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("exists; not overwritten"));
    // A facts file confirms rules (no GUESS) and adds writers.
    let facts = write(
        dir.path(),
        "facts.toml",
        "[[word]]\nname = \"sched_bits\"\nrule = \"lock(rq->lock)\"\n\n[[flag]]\nname = \"PF_ONE\"\nabi = true\n[[flag.writer]]\ncontext = \"remote\"\n",
    );
    let o = bin()
        .arg("import")
        .arg(&h)
        .arg("--facts")
        .arg(&facts)
        .output()
        .expect("runs");
    let t = String::from_utf8(o.stdout).expect("utf-8");
    assert_eq!(t.matches("# GUESS").count(), 3);
    let l = flagplan::layout::parse_str("x", &t).expect("loads");
    let one = l
        .layout
        .flags
        .iter()
        .find(|f| f.name == "PF_ONE")
        .expect("PF_ONE");
    assert!(one.abi);
    assert_eq!(one.writers.len(), 1);
    // ...which the check then holds against the current rule.
    let p = write(dir.path(), "withfacts.toml", &t);
    bin()
        .arg("check")
        .arg(&p)
        .assert()
        .code(1)
        .stdout(predicates::str::contains("remote-writer"));
}

#[test]
fn reimport_merges_hand_facts_and_reports_those_it_cannot_keep() {
    let dir = tempfile::tempdir().expect("tmp");
    let h = write(dir.path(), "t.h", BASIC);
    let out = dir.path().join("l.toml");
    bin()
        .arg("import")
        .arg(&h)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    // A person adds facts: writers, a waiver, a group, confirms a rule.
    let mut text = std::fs::read_to_string(&out).expect("read");
    // Confirm the first word's rule: drop its GUESS comment.
    let guess_line = text
        .lines()
        .find(|l| l.starts_with("rule = \"current\"  # GUESS"))
        .expect("a guessed rule")
        .to_string();
    text = text.replacen(&guess_line, "rule = \"current\"", 1);
    text = text.replace(
        "mask = 0x00000002\nsource = \"t.h:15\"\n",
        "mask = 0x00000002\nsource = \"t.h:15\"\nread_remote = true\n[[flag.writer]]\ncontext = \"current\"\nevidence = [\"kernel/x.c:1\"]\n",
    );
    text = text.replace(
        "name = \"PF_ONE\"\nword = \"flags\"\nmask = 0x00000001\n",
        "name = \"PF_ONE\"\nword = \"flags\"\nmask = 0x00000001\nabi = true\n",
    );
    text.push_str("\n[[group]]\nname = \"g\"\nflags = [\"PF_ONE\", \"PF_TWO\"]\n\n[[waiver]]\nflag = \"PF_ONE\"\nrule = \"remote-writer\"\nreason = \"r\"\n");
    std::fs::write(&out, &text).expect("write");
    // The header drops PF_ONE and moves PF_TWO.
    let h2 = write(
        dir.path(),
        "t.h",
        &BASIC
            .replace("#define PF_ONE\t\t0x00000001\t/* the first */\n", "")
            .replace("PF_TWO\t\t0x00000002", "PF_TWO\t\t0x00000004"),
    );
    let o = bin()
        .arg("import")
        .arg(&h2)
        .arg("-o")
        .arg(&out)
        .arg("--force")
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("flag `PF_ONE`: not in the header any more; its hand facts (abi) are dropped"),
        "{err}"
    );
    assert!(err.contains("group `g` names `PF_ONE`"), "{err}");
    assert!(
        err.contains("waiver of `remote-writer` for `PF_ONE`"),
        "{err}"
    );
    let merged = std::fs::read_to_string(&out).expect("read");
    let l = flagplan::layout::parse_str("m", &merged).expect("loads");
    let two = l
        .layout
        .flags
        .iter()
        .find(|f| f.name == "PF_TWO")
        .expect("PF_TWO");
    assert_eq!(two.mask, Some(4), "the header's value wins");
    assert!(two.read_remote);
    assert_eq!(two.writers[0].evidence, vec!["kernel/x.c:1".to_string()]);
    assert!(l.layout.flags.iter().all(|f| f.name != "PF_ONE"));
    assert_eq!(l.layout.groups.len(), 1);
    assert_eq!(l.layout.waivers.len(), 1);
    // The rule a person confirmed (no GUESS marker left on `flags`) stays confirmed.
    assert_eq!(merged.matches("# GUESS").count(), 3, "{merged}");
    // --no-merge starts over.
    bin()
        .arg("import")
        .arg(&h2)
        .arg("-o")
        .arg(&out)
        .args(["--force", "--no-merge"])
        .assert()
        .success();
    let fresh = std::fs::read_to_string(&out).expect("read");
    assert!(!fresh.contains("kernel/x.c:1") && !fresh.contains("[[group]]"));
}

fn drift(layout: &str, header: &str) -> (i32, String) {
    let dir = tempfile::tempdir().expect("tmp");
    let h = write(dir.path(), "t.h", header);
    let l = write(dir.path(), "l.toml", layout);
    let o = bin()
        .arg("check")
        .arg(&l)
        .arg("--header")
        .arg(&h)
        .args(["--format", "short"])
        .current_dir(dir.path())
        .output()
        .expect("runs");
    let out = String::from_utf8_lossy(&o.stdout).replace(&format!("{}/", dir.path().display()), "");
    (o.status.code().expect("code"), out)
}

fn base_layout() -> String {
    let o = Command::cargo_bin("flagplan")
        .expect("bin")
        .arg("import")
        .arg("/dev/stdin")
        .write_stdin(BASIC)
        .output()
        .expect("runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).expect("utf-8")
}

#[test]
fn a_layout_matches_the_header_it_came_from() {
    let (code, out) = drift(&base_layout(), BASIC);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("header-"), "{out}");
}

#[test]
fn each_drift_rule_points_at_the_layout_and_the_header() {
    let base = base_layout();
    // Added: the header gains PF_THREE.
    let (code, out) = drift(&base, &format!("{BASIC}#define PF_THREE 0x4\n"));
    assert_eq!(code, 1);
    assert!(
        out.contains("t.h:18: ERROR: header-flag-added: `PF_THREE` (flags, mask 0x00000004) is in the header but not in the layout (word `flags` at l.toml:"),
        "{out}"
    );
    // Removed.
    let (_, out) = drift(&base, &BASIC.replace("#define PFA_B\t\t3\n", ""));
    assert!(
        out.contains("l.toml:") && out.contains("header-flag-removed: `PFA_B`"),
        "{out}"
    );
    // Value changed: both positions in the message.
    let (_, out) = drift(
        &base,
        &BASIC.replace("PF_TWO\t\t0x00000002", "PF_TWO\t\t0x00000008"),
    );
    assert!(
        out.contains("header-value-changed: `PF_TWO`: mask 0x00000002 in the layout (l.toml:")
            && out.contains("mask 0x00000008 in the header (t.h:15)"),
        "{out}"
    );
    // Width of a bitfield member.
    let (_, out) = drift(&base, &BASIC.replace("in_y:2", "in_y:3"));
    assert!(
        out.contains("header-value-changed: `in_y`: offset 1, width 2 in the layout"),
        "{out}"
    );
    // Word changed: in_x moves before `:0`.
    let moved = BASIC.replace("\tunsigned\t\t\tin_x:1;\n", "").replace(
        "\tunsigned\t\t\tsched_b:1;\n",
        "\tunsigned\t\t\tsched_b:1;\n\tunsigned\t\t\tin_x:1;\n",
    );
    let (_, out) = drift(&base, &moved);
    assert!(
        out.contains("header-word-changed: `in_x` is in `current_bits` in the layout"),
        "{out}"
    );
    // Guard changed.
    let guarded = BASIC.replace(
        "\tunsigned\t\t\tin_y:2;\n",
        "#ifdef CONFIG_Y\n\tunsigned\t\t\tin_y:2;\n#endif\n",
    );
    let (_, out) = drift(&base, &guarded);
    assert!(
        out.contains("header-guard-changed: `in_y`: no guard in the layout"),
        "{out}"
    );
    assert!(out.contains("`CONFIG_Y` in the header (t.h:12)"), "{out}");
    // Re-split: `:0` removed joins the two units.
    let joined = BASIC.replace("\tunsigned\t\t\t:0;\n", "");
    let (_, out) = drift(&base, &joined);
    assert!(out.contains("header-bitfield-split"), "{out}");
    // Split: a new `:0` inside current_bits.
    let split = BASIC.replace(
        "\tunsigned\t\t\tin_y:2;\n",
        "\tunsigned\t\t\t:0;\n\tunsigned\t\t\tin_y:2;\n",
    );
    let (_, out) = drift(&base, &split);
    assert!(
        out.contains("header-bitfield-split: `current_bits` is one word in the layout"),
        "{out}"
    );
}

#[test]
fn drift_findings_carry_the_header_in_sarif_and_json() {
    let dir = tempfile::tempdir().expect("tmp");
    let h = write(dir.path(), "t.h", &format!("{BASIC}#define PF_THREE 0x4\n"));
    let l = write(dir.path(), "l.toml", &base_layout());
    // The checked repository is the directory CI runs in: here, the one holding header and layout.
    let o = bin()
        .current_dir(dir.path())
        .arg("check")
        .arg(&l)
        .arg("--header")
        .arg(&h)
        .args(["--format", "sarif"])
        .output()
        .expect("runs");
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let results = doc["runs"][0]["results"].as_array().expect("results");
    let added = results
        .iter()
        .find(|r| r["ruleId"] == "header-flag-added")
        .expect("finding");
    let loc = &added["locations"][0]["physicalLocation"];
    assert!(
        loc["artifactLocation"]["uri"]
            .as_str()
            .expect("uri")
            .ends_with("t.h")
    );
    assert_eq!(loc["region"]["startLine"], 18);
}

#[test]
fn bad_inputs_exit_2_with_a_message() {
    let dir = tempfile::tempdir().expect("tmp");
    let h = write(dir.path(), "t.h", "struct other { int x; };\n");
    bin()
        .arg("import")
        .arg(&h)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "no `struct task_struct {` definition",
        ));
    bin()
        .arg("import")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("is a directory"));
    bin()
        .arg("import")
        .arg(&h)
        .args(["--family", "nonsense"])
        .assert()
        .code(2);
    let bad_facts = write(dir.path(), "f.toml", "[[flag]\n");
    let h2 = write(dir.path(), "t2.h", BASIC);
    bin()
        .arg("import")
        .arg(&h2)
        .arg("--facts")
        .arg(&bad_facts)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("f.toml:1:"));
    let junk = write(dir.path(), "junk.btf", "not btf at all");
    bin()
        .args(["import", "--btf"])
        .arg(&junk)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("not BTF"));
}

#[test]
fn btf_example_file_is_the_one_the_builder_makes() {
    let shipped =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/rules/task.btf"))
            .expect("read");
    let built = flagplan::import::btf::build_test_btf(
        "task_struct",
        &[
            ("flags", 0, 0),
            ("sched_reset_on_fork", 32, 1),
            ("sched_contributes_to_load", 33, 1),
            ("in_execve", 64, 1),
            ("in_memstall", 65, 1),
        ],
    );
    assert_eq!(shipped, built);
}

/// On a machine with BTF, the units read must be those `pahole -C task_struct` prints (when
/// pahole is installed; `apt-get install dwarves`).
#[test]
fn running_kernel_btf_agrees_with_pahole() {
    let p = Path::new("/sys/kernel/btf/vmlinux");
    if !p.exists() {
        eprintln!("no /sys/kernel/btf/vmlinux: skipped");
        return;
    }
    let btf = flagplan::import::btf::Btf::parse(&std::fs::read(p).expect("read")).expect("parses");
    let members = btf.struct_members("task_struct").expect("task_struct");
    let units = flagplan::import::btf::units(&members);
    assert!(!units.is_empty());
    let ours: Vec<(String, u64, u32, u32)> = units
        .iter()
        .flat_map(|u| {
            u.members
                .iter()
                .map(move |(n, b, w)| (n.clone(), u.byte_offset, *b, *w))
        })
        .collect();
    let Ok(out) = std::process::Command::new("pahole")
        .args(["-C", "task_struct"])
        .arg(p)
        .output()
    else {
        eprintln!("pahole not installed: compared only with itself");
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    // `unsigned int  sched_migrated:1;     /*  1188: 2  4 */`
    let mut theirs = Vec::new();
    for l in text.lines() {
        let l = l.trim();
        let Some((decl, comment)) = l.split_once("/*") else {
            continue;
        };
        let Some(decl) = decl.trim().strip_suffix(';') else {
            continue;
        };
        let Some((left, width)) = decl.rsplit_once(':') else {
            continue;
        };
        let Ok(width) = width.trim().parse::<u32>() else {
            continue;
        };
        let name = left
            .split_whitespace()
            .last()
            .unwrap_or_default()
            .to_string();
        let nums: Vec<&str> = comment
            .trim_end_matches("*/")
            .split(|c: char| c == ':' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .collect();
        if nums.len() >= 2
            && let (Ok(byte), Ok(bit)) = (nums[0].parse::<u64>(), nums[1].parse::<u32>())
        {
            theirs.push((name, byte, bit, width));
        }
    }
    assert_eq!(ours, theirs);
}

#[test]
fn a_facts_file_renames_a_bitfield_unit_by_its_member() {
    let dir = tempfile::tempdir().expect("tmp");
    let h = write(dir.path(), "t.h", BASIC);
    let facts = write(
        dir.path(),
        "facts.toml",
        "[[word]]\nname = \"scheduler_word\"\nmember = \"sched_a\"\nrule = \"lock(rq->lock)\"\n",
    );
    let o = bin()
        .arg("import")
        .arg(&h)
        .arg("--facts")
        .arg(&facts)
        .output()
        .expect("runs");
    assert!(o.status.success());
    let t = String::from_utf8(o.stdout).expect("utf-8");
    let l = flagplan::layout::parse_str("x", &t).expect("loads");
    assert!(l.layout.word("sched_bits").is_none());
    assert_eq!(
        l.layout
            .flags
            .iter()
            .filter(|f| f.word == "scheduler_word")
            .count(),
        2
    );
    assert!(
        t.lines().any(|x| x == "rule = \"lock(rq->lock)\""),
        "the renamed word's rule is confirmed: {t}"
    );
    assert_eq!(t.matches("# GUESS").count(), 3);
}

#[test]
fn warnings_are_kept_in_the_written_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let h = write(
        dir.path(),
        "t.h",
        "struct task_struct {\n\tunsigned int flags;\n};\n#define PF_BAD foo(1)\n#define PF_OK 0x1\n",
    );
    let o = bin().arg("import").arg(&h).output().expect("runs");
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).expect("utf-8");
    assert!(
        text.contains("# 2 import warnings:\n# t.h:1: warning: struct task_struct has no member `atomic_flags`"),
        "{text}"
    );
    assert!(
        text.contains("\n# t.h:4: warning: `PF_BAD`: value not understood"),
        "{text}"
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("t.h:4: warning: `PF_BAD`"));
    flagplan::layout::parse_str("x", &text).expect("still a layout");
}
