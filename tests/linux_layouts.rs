//! The shipped Linux layouts, with the expected answers written down, and (when the 6.1 tree is
//! present) every `file:line` in the 6.1 layout held against the tree.

mod common;

use std::path::{Path, PathBuf};

use flagplan::check::{self, Report};
use flagplan::layout::{self, Input};
use flagplan::rules::{RuleId, Severity};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn check_path(p: &str) -> Report {
    let loaded = layout::load(&Input::Path(root().join(p))).expect("loads");
    check::check(&loaded)
}

fn word<'a>(r: &'a Report, name: &str) -> &'a check::Occupancy {
    r.before.iter().find(|o| o.word == name).expect("word")
}

#[test]
fn linux_6_1_is_clean_with_its_five_waivers_visible() {
    let r = check_path("layouts/linux-6.1-task_struct.toml");
    assert_eq!(r.count(Severity::Error), 0, "{:#?}", r.findings);
    assert_eq!(r.count(Severity::Warning), 0);
    let waived: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.waived.is_some())
        .map(|f| (f.flag.clone().unwrap_or_default(), f.rule))
        .collect();
    assert_eq!(
        waived,
        vec![
            ("sched_reset_on_fork".to_string(), RuleId::LockNotHeld),
            ("sched_migrated".to_string(), RuleId::LockNotHeld),
            ("sched_remote_wakeup".to_string(), RuleId::RemoteWriter),
            // The #MC handler leaves these set for its task_work: waived because no
            // task-context writer shares their __u64 unit.
            ("mce_ripv".to_string(), RuleId::UnbalancedIrqWriter),
            ("mce_whole_page".to_string(), RuleId::UnbalancedIrqWriter),
        ]
    );
    // 26 PF_* flags and 6 holes (PF__HOLE__*): the holes are free bits with a name.
    let flags = word(&r, "flags");
    assert_eq!(
        (flags.used, flags.reserved, flags.holes, flags.free),
        (26, 0, 6, 6)
    );
    assert_eq!(flags.map(), "#hh# ##hh #### ###h #h## #### #### ####");
    assert_eq!(word(&r, "atomic_flags").used, 8);
    assert_eq!(word(&r, "sched_bits").used, 4);
    assert_eq!(word(&r, "current_bits").used, 17);
    // in_memstall: set only on current, read remotely — a note, not an error.
    assert!(
        r.findings
            .iter()
            .any(|f| f.rule == RuleId::RemoteReader && f.flag.as_deref() == Some("in_memstall"))
    );
}

#[test]
fn the_2020_proposal_frees_four_pf_bits_on_6_1() {
    let r = check_path("examples/memalloc-2020.toml");
    assert_eq!(r.count(Severity::Error), 0, "{:#?}", r.findings);
    let after = r.after.as_ref().expect("after");
    let flags = after.iter().find(|o| o.word == "flags").expect("flags");
    // The six holes stay free; the four moved bits join them.
    assert_eq!((flags.holes, flags.free), (6, 10));
    let cur = after
        .iter()
        .find(|o| o.word == "current_bits")
        .expect("current_bits");
    assert_eq!(cur.used, 21);
    let moved: Vec<&str> = r.moved.iter().map(|m| m.flag.as_str()).collect();
    assert_eq!(
        moved,
        [
            "PF_MEMALLOC_NOIO",
            "PF_MEMALLOC_NOFS",
            "PF_MEMALLOC_PIN",
            "PF_LOCAL_THROTTLE"
        ]
    );
}

#[test]
fn moving_only_noio_and_nofs_splits_the_groups() {
    let text = "format = 1\nbase = \"builtin:linux-6.1\"\n[[proposal]]\nmove = \"PF_MEMALLOC_NOIO\"\nto = \"current_bits\"\n[[proposal]]\nmove = \"PF_MEMALLOC_NOFS\"\nto = \"current_bits\"\n";
    let loaded = layout::parse_str("plan.toml", text).expect("loads");
    let r = check::check(&loaded);
    let splits: Vec<String> = r
        .findings
        .iter()
        .filter(|f| f.rule == RuleId::GroupSplit)
        .map(|f| f.message.clone())
        .collect();
    assert_eq!(splits.len(), 2, "{splits:?}");
    assert!(
        splits
            .iter()
            .any(|m| m.contains("memalloc-scope") && m.contains("PF_MEMALLOC_PIN in flags"))
    );
    assert!(
        splits
            .iter()
            .any(|m| m.contains("io-flusher") && m.contains("PF_LOCAL_THROTTLE in flags"))
    );
}

#[test]
fn pfa_spread_page_cannot_join_the_strictly_current_bits_and_pf_kthread_never_moves() {
    let r = check_path("examples/spread-page-must-fail.toml");
    let e: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].rule, RuleId::RemoteWriter);
    assert!(
        e[0].evidence
            .iter()
            .any(|x| x.starts_with("kernel/cgroup/cpuset.c:"))
    );

    let text = "format = 1\nbase = \"builtin:linux-6.1\"\n[[proposal]]\nmove = \"PF_KTHREAD\"\nto = \"atomic_flags\"\n";
    let r = check::check(&layout::parse_str("plan.toml", text).expect("loads"));
    assert!(
        r.findings
            .iter()
            .any(|f| f.rule == RuleId::AbiPinned && f.severity == Severity::Error)
    );
}

#[test]
fn a_new_flag_takes_a_hole_of_6_1_flags_and_passes() {
    let dir = tempfile::tempdir().expect("tmp");
    let plan = dir.path().join("plan.toml");
    std::fs::write(
        &plan,
        "format = 1\nbase = \"builtin:linux-6.1\"\n\n[[proposal]]\nadd = \"PF_NEW\"\nto = \"flags\"\n[[proposal.writer]]\ncontext = \"current\"\n",
    )
    .expect("write plan");
    let loaded = layout::load(&Input::Path(plan)).expect("loads");
    let r = check::check(&loaded);
    assert_eq!(r.count(Severity::Error), 0, "{:#?}", r.findings);
    // Holes first: the lowest hole, PF__HOLE__00004000.
    let m = &r.moved[0];
    assert_eq!((m.to_word.as_str(), m.to_bit), ("flags", Some(14)));
    assert!(
        r.findings
            .iter()
            .any(|f| f.rule == RuleId::HoleTaken && f.message.contains("PF__HOLE__00004000")),
        "{:#?}",
        r.findings
    );
    let after = r.after.as_ref().expect("after");
    let flags = after.iter().find(|o| o.word == "flags").expect("flags");
    assert_eq!((flags.used, flags.holes, flags.free), (27, 5, 5));
}

#[test]
fn linux_5_8_shows_the_sched_bits_race_fixed_in_november_2020() {
    // In v5.8, sched_remote_wakeup sat in the scheduler-lock word but ttwu() wrote it under
    // p->pi_lock only: the data race "sched: Fix data-race in wakeup" (Nov 2020) fixed by
    // moving it to the strictly-current block. flagplan reports it as lock-not-held.
    let r = check_path("layouts/linux-5.8-task_struct.toml");
    let errors: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| (f.flag.clone().unwrap_or_default(), f.rule))
        .collect();
    assert!(
        errors.contains(&("sched_remote_wakeup".to_string(), RuleId::LockNotHeld)),
        "{errors:?}"
    );
    let flags = word(&r, "flags");
    assert_eq!((flags.used, flags.reserved, flags.free), (29, 0, 3));
}

fn line_of(tree: &Path, file: &str, line: usize) -> Option<String> {
    let bytes = std::fs::read(tree.join(file)).ok()?;
    String::from_utf8_lossy(&bytes)
        .lines()
        .nth(line.checked_sub(1)?)
        .map(str::to_string)
}

#[test]
#[ignore = "needs a Linux tree: set FLAGPLAN_LINUX_6_1"]
fn every_file_line_of_the_6_1_layout_exists_in_the_tree() {
    let tree = common::linux_6_1();
    let loaded = layout::load(&Input::Path(
        root().join("layouts/linux-6.1-task_struct.toml"),
    ))
    .expect("loads");
    let l = &loaded.layout;
    let mut checked = 0;
    for f in &l.flags {
        // The definition line names the flag (a #define or a bitfield member).
        let src = f.source.as_deref().expect("every 6.1 flag has a source");
        let (file, n) = src.rsplit_once(':').expect("file:line");
        let text = line_of(&tree, file, n.parse().expect("line")).unwrap_or_default();
        assert!(text.contains(&f.name), "{}: {src} is `{text}`", f.name);
        let evidence = f
            .writers
            .iter()
            .flat_map(|w| &w.evidence)
            .chain(&f.read_evidence);
        for e in evidence {
            let (file, n) = e
                .rsplit_once(':')
                .unwrap_or_else(|| panic!("{}: evidence `{e}` is not file:line", f.name));
            assert!(
                line_of(&tree, file, n.parse().expect("line")).is_some(),
                "{}: {e} does not exist in the tree",
                f.name
            );
            checked += 1;
        }
    }
    assert!(checked > 200, "only {checked} evidence lines");
}

#[test]
fn a_refused_move_is_judged_on_every_rule_as_suggest_judges_it() {
    // mce_bits has no room: the move is refused (no-free-bit), and the remote writer that makes
    // it illegal anyway is reported too, as `suggest --flag PFA_SPREAD_PAGE` reports it; so is
    // the #MC handler's unrestored mce_ripv, which no task-written flag may share a unit with.
    let dir = tempfile::tempdir().expect("tmp");
    let plan = dir.path().join("plan.toml");
    std::fs::write(
        &plan,
        "format = 1\nbase = \"builtin:linux-6.1\"\n[[proposal]]\nmove = \"PFA_SPREAD_PAGE\"\nto = \"mce_bits\"\n",
    )
    .expect("write plan");
    let r = check::check(&layout::load(&Input::Path(plan)).expect("loads"));
    let mut rules: Vec<RuleId> = r
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.rule)
        .collect();
    rules.sort();
    assert_eq!(
        rules,
        [
            RuleId::RemoteWriter,
            RuleId::IrqSharedUnit,
            RuleId::NoFreeBit
        ],
        "{:#?}",
        r.findings
    );
    let rw = r
        .findings
        .iter()
        .find(|f| f.rule == RuleId::RemoteWriter)
        .expect("remote-writer");
    assert!(
        rw.message.contains("holding cpuset_mutex"),
        "{}",
        rw.message
    );
    let a = flagplan::suggest::Analysis::new(
        layout::load(&Input::Builtin("linux-6.1".into()))
            .expect("builtin")
            .layout,
    );
    let ranked = flagplan::suggest::rank_flag(&a, "PFA_SPREAD_PAGE").expect("ranks");
    let mce = ranked
        .rejected
        .iter()
        .find(|x| x.word == "mce_bits")
        .expect("mce_bits rejected");
    let mut srules: Vec<&str> = mce.blocks.iter().map(|b| b.rule).collect();
    srules.sort();
    assert_eq!(srules, ["irq-shared-unit", "no-free-bit", "remote-writer"]);
}
