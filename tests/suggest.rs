//! `flagplan suggest` on the shipped layouts, with the expected answers written down, and the
//! suggest → emit-plan → check round trip from the command line.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use flagplan::layout::{self, Input};
use flagplan::suggest::{Analysis, NewFlag, free, overview, place_new, rank_flag};
use serde_json::Value;

fn layout_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("layouts")
        .join(name)
}

fn analysis(builtin: &str) -> Analysis {
    let loaded = layout::load(&Input::Builtin(builtin.into())).expect("built-in loads");
    Analysis::new(loaded.layout)
}

fn flagplan(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("flagplan").expect("binary");
    c.env("NO_COLOR", "1").current_dir(dir);
    c
}

fn run(c: &mut Command) -> (i32, String, String) {
    let out = c.output().expect("runs");
    (
        out.status.code().expect("exit code"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(c: &mut Command) -> (i32, Value) {
    let (code, out, err) = run(c.args(["--format", "json"]));
    let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    (code, v)
}

#[test]
fn overview_of_6_1_lists_what_can_leave_flags_and_what_stays() {
    let a = analysis("linux-6.1");
    let o = overview(&a, 80);
    let crowded: Vec<&str> = o
        .words
        .iter()
        .filter(|w| w.crowded)
        .map(|w| w.name.as_str())
        .collect();
    // flags: 26 used of 32 (81%; the 6 holes are free); mce_bits: 2 used + the 62-bit
    // `__mce_reserved` of 64.
    assert_eq!(crowded, ["flags", "mce_bits"]);
    assert_eq!(
        overview(&a, 90)
            .words
            .iter()
            .filter(|w| w.crowded)
            .map(|w| w.name.as_str())
            .collect::<Vec<_>>(),
        ["mce_bits"],
        "with its six holes free, `flags` is not 90% full"
    );
    let flags = &o.words[0];
    // The PF_MEMALLOC_* scope flags travel as one unit (memalloc-scope + io-flusher share NOIO),
    // and the strictly-current bitfields are their best destination.
    let memalloc = flags
        .leave
        .iter()
        .find(|l| l.flags.iter().any(|f| f == "PF_MEMALLOC_NOIO"))
        .expect("memalloc unit can leave");
    let mut names = memalloc.flags.clone();
    names.sort();
    assert_eq!(
        names,
        [
            "PF_LOCAL_THROTTLE",
            "PF_MEMALLOC_NOFS",
            "PF_MEMALLOC_NOIO",
            "PF_MEMALLOC_PIN"
        ]
    );
    assert_eq!(memalloc.frees, 4);
    assert_eq!(memalloc.destinations[0].word, "current_bits");
    assert_eq!(memalloc.destinations[1].word, "atomic_flags");
    // sched_bits needs rq->lock: never a destination for PF_* flags.
    for l in &flags.leave {
        assert!(
            l.destinations.iter().all(|d| d.word != "sched_bits"),
            "{l:?}"
        );
    }
    // PF_KTHREAD is ABI (ps, systemd) and pins its whole group; it never leaves.
    let kthread = flags
        .stay
        .iter()
        .find(|s| s.flags.iter().any(|f| f == "PF_KTHREAD"))
        .expect("PF_KTHREAD stays");
    assert_eq!(kthread.blocks[0].rule, "abi-pinned");
    assert!(kthread.flags.iter().any(|f| f == "PF_EXITING"));
    assert!(
        flags
            .leave
            .iter()
            .all(|l| !l.flags.iter().any(|f| f == "PF_KTHREAD"))
    );
    // 17 movable flags, 17 bits.
    assert_eq!(flags.freeable, 17);
    assert_eq!(flags.leave.iter().map(|l| l.flags.len()).sum::<usize>(), 17);
}

#[test]
fn overview_text_fits_one_screen_for_6_1() {
    let dir = tempfile::tempdir().expect("tmp");
    let (code, out, _) =
        run(flagplan(dir.path()).args(["suggest", "--builtin", "linux-6.1", "--crowded", "80"]));
    assert_eq!(code, 0, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.len() <= 50, "{} lines:\n{out}", lines.len());
    assert!(lines.iter().all(|l| l.chars().count() <= 120), "{out}");
    assert!(out.contains("crowded = at least 80%"), "{out}");
    assert!(out.contains("abi-pinned by PF_KTHREAD"), "{out}");
}

#[test]
fn crowded_threshold_is_a_flag() {
    let a = analysis("linux-6.1");
    // current_bits: 17 of 32 used (53%): crowded at 50, not at 60.
    let at = |p| {
        overview(&a, p)
            .words
            .iter()
            .find(|w| w.name == "current_bits")
            .map(|w| w.crowded)
    };
    assert_eq!(at(50), Some(true));
    assert_eq!(at(60), Some(false));
}

#[test]
fn spread_page_cannot_go_to_current_bits() {
    let a = analysis("linux-6.1");
    let r = rank_flag(&a, "PFA_SPREAD_PAGE").expect("known flag");
    assert!(r.legal.is_empty(), "{:?}", r.legal);
    let cb = r
        .rejected
        .iter()
        .find(|x| x.word == "current_bits")
        .expect("current_bits ranked");
    assert_eq!(
        cb.blocks.iter().map(|b| b.rule).collect::<Vec<_>>(),
        ["remote-writer"]
    );
    let fl = r
        .rejected
        .iter()
        .find(|x| x.word == "flags")
        .expect("flags");
    // `flags` has six holes, so room is no reason; the remote writer is.
    assert_eq!(
        fl.blocks.iter().map(|b| b.rule).collect::<Vec<_>>(),
        ["remote-writer"]
    );
    let mce = r
        .rejected
        .iter()
        .find(|x| x.word == "mce_bits")
        .expect("mce_bits");
    assert!(mce.blocks.iter().any(|b| b.rule == "remote-writer"));
    assert!(mce.blocks.iter().any(|b| b.rule == "no-free-bit"));
    let sb = r
        .rejected
        .iter()
        .find(|x| x.word == "sched_bits")
        .expect("sched");
    assert_eq!(sb.blocks[0].rule, "lock-not-held");
}

#[test]
fn memalloc_group_can_move_to_current_bits() {
    let a = analysis("linux-6.1");
    let r = rank_flag(&a, "PF_MEMALLOC_NOIO").expect("known flag");
    assert_eq!(r.legal[0].word, "current_bits");
    assert_eq!(r.legal[0].bits.len(), 4, "the whole group moves");
    // current_bits members end at bit 17 with every guard on: the group lands at 17..20.
    let bits: Vec<u32> = r.legal[0].bits.iter().map(|b| b.bit).collect();
    assert_eq!(bits, [17, 18, 19, 20]);
    assert_eq!(r.legal[1].word, "atomic_flags");
    assert!(r.legal[1].reasons[0].contains("plain word is also legal"));
    assert_eq!(r.alone.as_ref().map(|b| b.rule), Some("group-split"));
    let sb = r
        .rejected
        .iter()
        .find(|x| x.word == "sched_bits")
        .expect("sched");
    assert_eq!(sb.blocks[0].rule, "lock-not-held");
}

#[test]
fn a_member_may_leave_the_middle_of_a_bitfield_block() {
    // Leaving shifts the members packed after it; their declared bits follow the shift, so
    // `check` does not hold them (`bitfield-position` is for bits wrong in the layout itself).
    let a = analysis("linux-6.1");
    let r = rank_flag(&a, "in_execve").expect("known flag");
    assert_eq!(
        r.legal.iter().map(|d| d.word.as_str()).collect::<Vec<_>>(),
        ["flags", "atomic_flags"],
        "{r:?}"
    );
    // `flags` takes it in a hole.
    assert_eq!(r.legal[0].bits[0].bit, 14);
    let dir = tempfile::tempdir().expect("tempdir");
    let plan = dir.path().join("plan.toml");
    std::fs::write(
        &plan,
        "format = 1\nbase = \"builtin:linux-6.1\"\n[[proposal]]\nmove = \"in_execve\"\nto = \"atomic_flags\"\n",
    )
    .expect("plan written");
    let out = Command::cargo_bin("flagplan")
        .expect("binary")
        .args(["check", "--format", "short"])
        .arg(&plan)
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn kthread_never_moves() {
    let a = analysis("linux-6.1");
    let r = rank_flag(&a, "PF_KTHREAD").expect("known flag");
    assert!(r.legal.is_empty());
    assert_eq!(r.rejected.len(), 4);
    for x in &r.rejected {
        assert_eq!(x.blocks[0].rule, "abi-pinned", "{x:?}");
    }
    let w = a.word_named("flags").expect("flags");
    for n in 1..=20 {
        let p = free::solve(&a, w, n).expect("solves");
        for m in &p.moves {
            assert!(
                !m.flags
                    .iter()
                    .any(|f| f == "PF_KTHREAD" || f == "PF_FORKNOEXEC"),
                "N={n}: {m:?}"
            );
        }
    }
}

#[test]
fn free_on_6_1_flags() {
    let a = analysis("linux-6.1");
    let w = a.word_named("flags").expect("flags");
    // The six holes are free already: up to six bits need no move.
    for n in 1..=6u32 {
        let p = free::solve(&a, w, n).expect("solves");
        assert_eq!((p.free_before, p.freed, p.free_after), (6, 0, 6), "N={n}");
        assert!(p.moves.is_empty() && p.held.is_empty(), "N={n}: {p:?}");
    }
    for n in 7..=23u32 {
        let p = free::solve(&a, w, n).expect("solves");
        assert!(p.optimal);
        assert_eq!(p.freed, n - 6, "N={n}: {p:?}");
        // No bit is ever shared in `flags`, so freeing k bits moves exactly k flags: the minimum.
        assert_eq!(p.cost.flags, n - 6, "N={n}");
        assert_eq!(p.free_after, n);
        assert!(p.held.is_empty());
    }
    // 23 is the most: the 9 ABI-pinned flags (PF_KTHREAD's group, ps's F column) stay.
    let p = free::solve(&a, w, 24).expect("solves");
    assert_eq!((p.freed, p.free_after), (17, 23));
    assert_eq!(p.holes.len(), 6);
    let mut pinned: Vec<&str> = p
        .held
        .iter()
        .filter(|h| h.blocks.iter().any(|b| b.rule == "abi-pinned"))
        .flat_map(|h| h.flags.iter().map(String::as_str))
        .collect();
    pinned.sort_unstable();
    assert_eq!(
        pinned,
        [
            "PF_DUMPCORE",
            "PF_EXITING",
            "PF_FORKNOEXEC",
            "PF_IO_WORKER",
            "PF_KTHREAD",
            "PF_MCE_PROCESS",
            "PF_POSTCOREDUMP",
            "PF_SUPERPRIV",
            "PF_WQ_WORKER"
        ]
    );
    // current_bits has 15 bits: freeing all 17 sends one 2-flag unit to atomic_flags, and the
    // cost says so (a plain word was legal for it, but full by then).
    let to_atomic: u32 = p
        .moves
        .iter()
        .filter(|m| m.to == "atomic_flags")
        .map(|m| m.flags.len() as u32)
        .sum();
    assert_eq!(to_atomic, 2);
    assert_eq!(p.cost.atomic, 1);
}

#[test]
fn free_four_prefers_cheap_singletons_over_the_memalloc_group() {
    // The memalloc group frees 4 bits with 4 flags, but its evidence (every scope user) is far
    // larger than four singletons'; the evidence count is the second cost.
    let a = analysis("linux-6.1");
    let w = a.word_named("flags").expect("flags");
    // Ten free bits: the six holes and four moved out.
    let p = free::solve(&a, w, 10).expect("solves");
    assert_eq!(p.cost.flags, 4);
    assert!(p.moves.iter().all(|m| m.flags.len() == 1), "{p:?}");
    assert!(p.moves.iter().all(|m| m.to == "current_bits"));
    let memalloc = a
        .units
        .iter()
        .find(|u| u.flags.len() == 4)
        .expect("memalloc unit");
    assert!(p.cost.evidence < memalloc.evidence, "{p:?}");
}

#[test]
fn new_flag_placement() {
    let a = analysis("linux-6.1");
    let remote = NewFlag::parse(
        "PFA_NEW",
        &["current".into(), "remote".into()],
        None,
        None,
        None,
    )
    .expect("parses");
    let r = place_new(&a, &remote).expect("places");
    assert_eq!(r.legal[0].word, "atomic_flags");
    assert_eq!(r.legal[0].bits[0].bit, 8, "first free PFA_* bit number");
    assert!(
        r.rejected
            .iter()
            .any(|x| x.word == "current_bits" && x.blocks[0].rule == "remote-writer")
    );
    let local = NewFlag::parse("PF_NEW", &["current".into()], None, None, None).expect("parses");
    let r = place_new(&a, &local).expect("places");
    // Holes first: the lowest hole of `flags` beats the roomier bitfield.
    assert_eq!(r.legal[0].word, "flags");
    assert_eq!(r.legal[0].bits[0].bit, 14);
    assert!(
        r.legal[0]
            .reasons
            .iter()
            .any(|x| x.contains("PF__HOLE__00004000"))
    );
    assert_eq!(r.legal[1].word, "current_bits");
    let locked = NewFlag::parse(
        "sched_new",
        &["remote".into()],
        Some("rq->lock"),
        None,
        None,
    )
    .expect("parses");
    let r = place_new(&a, &locked).expect("places");
    // A remote writer holding rq->lock: sched_bits (plain, locked) beats atomic_flags.
    assert_eq!(r.legal[0].word, "sched_bits");
    let grouped = NewFlag::parse(
        "PF_MEMALLOC_NEW",
        &["current".into()],
        None,
        None,
        Some("memalloc-scope"),
    )
    .expect("parses");
    let r = place_new(&a, &grouped).expect("places");
    // memalloc-scope lives in `flags`: the new member joins it in a hole.
    assert_eq!(r.legal.len(), 1, "{:?}", r.legal);
    assert_eq!(
        (r.legal[0].word.as_str(), r.legal[0].bits[0].bit),
        ("flags", 14)
    );
    assert!(
        r.rejected
            .iter()
            .any(|x| x.word == "current_bits" && x.blocks.iter().any(|b| b.rule == "group-split"))
    );
}

/// Emit a plan from the CLI into `dir` and check it there; returns (suggest exit, check exit, check output).
fn emit_and_check(dir: &Path, args: &[&str], plan: &str) -> (i32, i32, String) {
    let (code, out, err) = run(flagplan(dir)
        .arg("suggest")
        .args(args)
        .args(["--emit-plan", plan]));
    assert!(code == 0 || code == 1, "{out}{err}");
    assert!(dir.join(plan).exists(), "{out}{err}");
    let (ccode, cout, _) = run(flagplan(dir).args(["check", plan]));
    (code, ccode, cout)
}

#[test]
fn round_trip_on_shipped_layouts() {
    let dir = tempfile::tempdir().expect("tmp");
    // The layout by path, with the plan in a subdirectory: base is a relative path.
    std::fs::copy(
        layout_path("linux-6.1-task_struct.toml"),
        dir.path().join("l.toml"),
    )
    .expect("copy");
    std::fs::create_dir(dir.path().join("plans")).expect("mkdir");
    for n in [7, 10, 15, 23] {
        let plan = format!("plans/free{n}.toml");
        let (s, c, out) = emit_and_check(
            dir.path(),
            &["l.toml", "--free", &n.to_string(), "--from", "flags"],
            &plan,
        );
        assert_eq!((s, c), (0, 0), "{out}");
        let text = std::fs::read_to_string(dir.path().join(&plan)).expect("read");
        assert!(text.contains("base = \"../l.toml\""), "{text}");
        // The check shows the bits freed: `flags` goes from 6 free (its holes) to n free.
        assert!(out.contains(&format!("6 -> {n} ")), "{out}");
    }
    for flag in [
        "PF_MEMALLOC_NOIO",
        "PF_VCPU",
        "PF_MEMALLOC",
        "in_thrashing",
        "sched_task_hot",
    ] {
        let (s, c, out) = emit_and_check(
            dir.path(),
            &["--builtin", "linux-6.1", "--flag", flag],
            &format!("{flag}.toml"),
        );
        assert_eq!((s, c), (0, 0), "{flag}: {out}");
    }
    let (s, c, out) = emit_and_check(
        dir.path(),
        &[
            "--builtin",
            "linux-6.1",
            "--new",
            "PFA_NEW",
            "--writers",
            "current,remote",
        ],
        "new.toml",
    );
    assert_eq!((s, c), (0, 0), "{out}");
    let text = std::fs::read_to_string(dir.path().join("new.toml")).expect("read");
    assert!(text.contains("base = \"builtin:linux-6.1\""), "{text}");
    assert!(text.contains("to = \"atomic_flags\""), "{text}");
    // The 5.8 layout already fails check (its sched_bits race); a plan adds no error of its own.
    let (s, c, out) = emit_and_check(
        dir.path(),
        // 5.8 `flags` has 3 free bits: 6 free takes 3 moves.
        &["--builtin", "linux-5.8", "--free", "6", "--from", "flags"],
        "free58.toml",
    );
    assert_eq!(s, 0);
    assert_eq!(c, 1);
    assert!(out.contains("summary: 3 errors"), "{out}");
}

#[test]
fn emit_plan_keeps_existing_file_unless_forced() {
    let dir = tempfile::tempdir().expect("tmp");
    let plan = dir.path().join("p.toml");
    std::fs::write(&plan, "keep me\n").expect("write");
    let args = [
        "suggest",
        "--builtin",
        "linux-6.1",
        "--free",
        "8",
        "--from",
        "flags",
    ];
    let (code, _, err) = run(flagplan(dir.path())
        .args(args)
        .args(["--emit-plan", "p.toml"]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("p.toml: exists; not overwritten (use --force)"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&plan).expect("read"), "keep me\n");
    let (code, _, err) =
        run(flagplan(dir.path())
            .args(args)
            .args(["--emit-plan", "p.toml", "--force"]));
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&plan).expect("read");
    assert!(text.contains("[[proposal]]"), "{text}");
    // --force without --emit-plan is a usage error.
    let (code, _, _) = run(flagplan(dir.path()).args(args).arg("--force"));
    assert_eq!(code, 2);
    // The overview is not a plan.
    let (code, _, err) = run(flagplan(dir.path()).args([
        "suggest",
        "--builtin",
        "linux-6.1",
        "--emit-plan",
        "o.toml",
    ]));
    assert_eq!(code, 2);
    assert!(err.contains("needs --flag, --free or --new"), "{err}");
    assert!(!dir.path().join("o.toml").exists());
    // A layout read from standard input cannot be named as a plan's base.
    let text = std::fs::read_to_string(layout_path("linux-6.1-task_struct.toml")).expect("read");
    let out = flagplan(dir.path())
        .args([
            "suggest",
            "-",
            "--free",
            "7",
            "--from",
            "flags",
            "--emit-plan",
            "s.toml",
        ])
        .write_stdin(text)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not standard input"));
    assert!(!dir.path().join("s.toml").exists());
}

#[test]
fn bad_names_exit_2_with_a_suggestion() {
    let dir = tempfile::tempdir().expect("tmp");
    let cases: [(&[&str], &str); 5] = [
        (
            &["--flag", "PF_MEMALOC_NOIO"],
            "did you mean `PF_MEMALLOC_NOIO`?",
        ),
        (&["--free", "2", "--from", "flag"], "did you mean `flags`?"),
        (
            &["--new", "X", "--writers", "remot"],
            "did you mean `remote`?",
        ),
        (
            &[
                "--new",
                "X",
                "--writers",
                "current",
                "--group",
                "memalloc-scop",
            ],
            "did you mean `memalloc-scope`?",
        ),
        (
            &["--new", "PF_VCPU", "--writers", "current"],
            "already exists",
        ),
    ];
    for (args, want) in cases {
        let (code, out, err) = run(flagplan(dir.path())
            .args(["suggest", "--builtin", "linux-6.1"])
            .args(args));
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn exit_codes_and_json() {
    let dir = tempfile::tempdir().expect("tmp");
    let base = ["suggest", "--builtin", "linux-6.1"];
    let (code, v) = json(
        flagplan(dir.path())
            .args(base)
            .args(["--free", "30", "--from", "flags"]),
    );
    assert_eq!(code, 1, "fewer bits than asked");
    assert_eq!(v["version"], 1);
    assert_eq!(v["mode"], "free");
    assert_eq!(v["freed"], 17);
    assert_eq!(v["free_before"], 6);
    assert_eq!(v["free_after"], 23);
    assert_eq!(v["requested"], 30);
    let (code, v) = json(
        flagplan(dir.path())
            .args(base)
            .args(["--flag", "PFA_SPREAD_PAGE"]),
    );
    assert_eq!(code, 1, "no legal destination");
    assert_eq!(v["legal"].as_array().map(Vec::len), Some(0));
    let (code, v) = json(flagplan(dir.path()).args(base));
    assert_eq!(code, 0);
    assert_eq!(v["mode"], "overview");
    assert_eq!(v["words"][0]["crowded"], false, "flags has six free holes");
    assert_eq!(v["words"][4]["crowded"], true, "mce_bits");
}

#[test]
fn output_is_deterministic() {
    let dir = tempfile::tempdir().expect("tmp");
    for args in [
        vec!["--free", "9", "--from", "flags"],
        vec!["--flag", "PF_MEMALLOC_PIN"],
        vec![],
    ] {
        for fmt in ["text", "json"] {
            let mut runs = (0..2).map(|_| {
                run(flagplan(dir.path())
                    .args(["suggest", "--builtin", "linux-6.1", "--format", fmt])
                    .args(&args))
                .1
            });
            let (a, b) = (runs.next(), runs.next());
            assert_eq!(a, b, "{args:?} {fmt}");
        }
    }
}

#[test]
fn free_text_names_each_flags_bit_before_and_after() {
    let dir = tempfile::tempdir().expect("tmp");
    let (code, out, err) = run(flagplan(dir.path()).args([
        "suggest",
        "--builtin",
        "linux-6.1",
        "--free",
        "7",
        "--from",
        "flags",
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("  PF_SIGNALED (flags bit 10) -> current_bits bit 17\n"),
        "{out}"
    );
    assert!(!out.contains('@'), "{out}");
}

#[test]
fn free_already_met_by_holes_writes_nothing_and_succeeds() {
    let dir = tempfile::tempdir().expect("tmp");
    let (code, out, err) = run(flagplan(dir.path()).args([
        "suggest",
        "--builtin",
        "linux-6.1",
        "--free",
        "4",
        "--from",
        "flags",
        "-o",
        "p.toml",
    ]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("6 already free"), "{out}");
    assert!(
        err.contains("p.toml: not written: no move is needed"),
        "{err}"
    );
    assert!(!dir.path().join("p.toml").exists());
}

/// `--free` on an `unsigned long` word counts what a 32-bit kernel has too: `mm->flags` has 42
/// free bits on 64-bit kernels but 10 below bit 32 (as the census says), and asking for more
/// than those says that the rest must be 64-bit only.
#[test]
fn free_bits_of_a_long_word_are_counted_on_32_bit_kernels_too() {
    let dir = std::env::temp_dir();
    let free = |layout: &str, n: &str| {
        let mut c = flagplan(&dir);
        c.args([
            "suggest",
            "--builtin",
            layout,
            "--free",
            n,
            "--from",
            "flags",
        ]);
        c
    };
    let (code, out, err) = run(&mut free("linux-6.1-mm_struct", "12"));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("42 already free (10 below bit 32 on 32-bit kernels)"),
        "{out}"
    );
    assert!(out.contains("high-bit-not-guarded"), "{out}");
    let (_, out, _) = run(&mut free("linux-6.1-mm_struct", "4"));
    assert!(!out.contains("note: a 32-bit kernel"), "{out}");
    // task_struct::flags is an unsigned int: the same on every kernel.
    let (_, out, _) = run(&mut free("linux-6.1", "4"));
    assert!(!out.contains("32-bit"), "{out}");
    let (_, v) = json(&mut free("linux-6.1-mm_struct", "12"));
    let narrow = v
        .pointer("/plan/on_32bit")
        .or_else(|| v.pointer("/on_32bit"))
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(narrow["free"], 10);
    assert_eq!(narrow["width"], 32);
}
