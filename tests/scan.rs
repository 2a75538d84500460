//! `flagplan scan` on small synthetic C trees: each pattern it must count, and the ones it must not.

use std::path::Path;

use flagplan::layout;
use flagplan::scan::{self, Evidence, ScanContext};

const LAYOUT: &str = r#"
format = 1
struct = "task_struct"
[[word]]
name = "flags"
type = "unsigned int"
kind = "mask"
rule = "current"
[[word]]
name = "atomic_flags"
type = "unsigned long"
kind = "bitnum"
rule = "atomic"
[[word]]
name = "current_bits"
type = "unsigned"
kind = "bitfield"
rule = "current"
[[flag]]
name = "PF_A"
word = "flags"
mask = 0x1
[[flag]]
name = "PF_B"
word = "flags"
mask = 0x2
[[flag]]
name = "PF_C"
word = "flags"
mask = 0x4
[[flag]]
name = "PFA_SPREAD_PAGE"
word = "atomic_flags"
bit = 0
[[flag]]
name = "frozen"
word = "current_bits"
[[flag]]
name = "in_iowait"
word = "current_bits"

[[quiescent]]
function = "copy_process"
reason = "child not running yet"

[[accessor]]
name = "hand_helper"
flags = ["PF_C"]
receiver = "arg1"
"#;

const SCHED_H: &str = r#"
#define TASK_PFA_TEST(name, func) static inline bool task_##func(struct task_struct *p) { return test_bit(PFA_##name, &p->atomic_flags); }
#define TASK_PFA_SET(name, func) static inline void task_set_##func(struct task_struct *p) { set_bit(PFA_##name, &p->atomic_flags); }
TASK_PFA_TEST(SPREAD_PAGE, spread_page)
TASK_PFA_SET(SPREAD_PAGE, spread_page)
#define set_stopped_child_used_a(child) do { (child)->flags |= PF_A; } while (0)
static inline unsigned int save_b(void)
{
	unsigned int old = current->flags & PF_B;
	current->flags |= PF_B;
	return old;
}
static inline void restore_flags(unsigned long orig, unsigned long flags)
{
	current->flags &= ~flags;
	current->flags |= orig & flags;
}
"#;

/// `kernel/kthread.c`'s `kthread_bind()` in small: a static that waits in `wait_task_inactive()`
/// and stores under `p->pi_lock` (line 12), and the exported helper that calls it (line 15).
const KTHREAD_BIND: &str = r#"
static void __bind_mask(struct task_struct *p, const struct cpumask *mask, unsigned int state)
{
	unsigned long flags;

	if (!wait_task_inactive(p, state)) {
		WARN_ON(1);
		return;
	}
	raw_spin_lock_irqsave(&p->pi_lock, flags);
	do_set_cpus_allowed(p, mask);
	p->flags |= PF_B;
	raw_spin_unlock_irqrestore(&p->pi_lock, flags);
}
void kthread_bind(struct task_struct *p, unsigned int cpu)
{
	__bind_mask(p, cpumask_of(cpu), TASK_UNINTERRUPTIBLE);
}
"#;

fn scan_tree(files: &[(&str, &str)]) -> Evidence {
    let dir = tempfile::tempdir().expect("tempdir");
    for (p, text) in files {
        let path = dir.path().join(p);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, text).expect("write");
    }
    let loaded = layout::parse_str("test.toml", LAYOUT).expect("layout");
    scan::scan(
        &loaded.layout,
        "test.toml",
        dir.path(),
        scan::ScanOptions::default(),
    )
    .expect("scan")
}

/// `c` as `lib/t.c`: not under `kernel/` or `mm/`, where a small function that writes a flag is
/// a helper and its calls are write sites of their own.
fn with_sched(c: &str) -> Evidence {
    scan_tree(&[("include/linux/sched.h", SCHED_H), ("lib/t.c", c)])
}

fn writes<'a>(ev: &'a Evidence, flag: &str) -> Vec<&'a scan::Access> {
    ev.accesses
        .iter()
        .filter(|a| a.flag == flag && a.is_write() && a.file == "lib/t.c")
        .collect()
}

#[test]
fn mask_ops_on_current_and_on_another_task() {
    let ev = with_sched(
        "void f(struct task_struct *p)\n{\n\tcurrent->flags |= PF_A;\n\tp->flags &= ~(PF_A | PF_B);\n\tif (p->flags & PF_C)\n\t\treturn;\n}\nvoid g(void) { struct task_struct *t = find(); f(t); }\n",
    );
    let a = writes(&ev, "PF_A");
    assert_eq!(a.len(), 2, "{a:#?}");
    assert_eq!(a[0].context, ScanContext::Current);
    assert_eq!((a[0].line, a[0].op.as_str()), (3, "|="));
    assert_eq!(a[1].context, ScanContext::Remote, "{:?}", a[1].chain);
    assert_eq!(a[1].group, vec!["PF_A", "PF_B"]);
    let c: Vec<_> = ev.accesses.iter().filter(|a| a.flag == "PF_C").collect();
    assert_eq!(c.len(), 1);
    assert!(!c[0].is_write());
    assert_eq!(c[0].context, ScanContext::Remote);
    assert!(ev.groups.iter().any(|g| g.flags == ["PF_A", "PF_B"]));
}

#[test]
fn alias_of_current_and_assignment() {
    let ev = with_sched(
        "void f(void)\n{\n\tstruct task_struct *me = current;\n\tme->flags |= PF_A;\n\tme->flags = PF_B;\n}\n",
    );
    for f in ["PF_A", "PF_B"] {
        let w = writes(&ev, f);
        assert_eq!(w.len(), 1, "{f}");
        assert_eq!(w[0].context, ScanContext::Current);
        assert!(w[0].chain.iter().any(|c| c.contains("me = current")));
    }
}

#[test]
fn mask_built_in_a_local_first() {
    let ev = with_sched(
        "void f(struct task_struct *p)\n{\n\tunsigned int m = PF_A | PF_B;\n\tp->flags &= ~m;\n}\nvoid g(struct task_struct *q) { f(q->group_leader); }\n",
    );
    for f in ["PF_A", "PF_B"] {
        let w = writes(&ev, f);
        assert_eq!(w.len(), 1, "{f}: {:#?}", ev.accesses);
        assert_eq!(w[0].line, 4);
        assert_eq!(w[0].context, ScanContext::Remote);
    }
    assert!(ev.unclassified.is_empty(), "{:#?}", ev.unclassified);
}

#[test]
fn an_unused_local_mask_is_listed_as_unclassified() {
    let ev = with_sched("int f(void)\n{\n\tunsigned int m = PF_A;\n\treturn g(m);\n}\n");
    assert!(writes(&ev, "PF_A").is_empty());
    assert_eq!(ev.unclassified.len(), 1);
    assert_eq!(ev.unclassified[0].line, 3);
}

#[test]
fn bitnum_ops_and_generated_helpers() {
    let ev = with_sched(
        "void f(struct task_struct *tsk)\n{\n\tset_bit(PFA_SPREAD_PAGE, &tsk->atomic_flags);\n\ttask_set_spread_page(tsk);\n\tif (test_bit(PFA_SPREAD_PAGE, &current->atomic_flags))\n\t\treturn;\n}\nvoid g(struct task_struct *t) { struct task_struct *o = t->real_parent; f(o); }\n",
    );
    let w = writes(&ev, "PFA_SPREAD_PAGE");
    assert_eq!(w.len(), 2, "{w:#?}");
    assert_eq!(w[0].op, "set_bit");
    assert_eq!(w[1].op, "task_set_spread_page");
    assert!(w[1].via[0].starts_with("include/linux/sched.h:"));
    assert!(w.iter().all(|a| a.context == ScanContext::Remote));
    assert!(
        ev.helpers
            .iter()
            .any(|h| h.name == "task_set_spread_page" && h.how == "TASK_PFA")
    );
    let reads: Vec<_> = ev
        .accesses
        .iter()
        .filter(|a| a.flag == "PFA_SPREAD_PAGE" && !a.is_write())
        .collect();
    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0].context, ScanContext::Current);
}

#[test]
fn helpers_found_from_bodies_and_declared_in_the_layout() {
    let ev = with_sched(
        "void f(struct task_struct *child)\n{\n\tunsigned int o = save_b();\n\trestore_flags(o, PF_A);\n\tset_stopped_child_used_a(child);\n\thand_helper(child);\n}\nvoid copy_process(void) { struct task_struct *p = alloc(); f(p); }\n",
    );
    let b = writes(&ev, "PF_B");
    assert_eq!(b.len(), 1);
    assert_eq!(
        (b[0].op.as_str(), b[0].context),
        ("save_b", ScanContext::Current)
    );
    let a = writes(&ev, "PF_A");
    assert_eq!(a.len(), 2, "{a:#?}");
    assert_eq!(a[0].op, "restore_flags");
    assert_eq!(a[0].context, ScanContext::Current);
    assert_eq!(a[1].op, "set_stopped_child_used_a");
    // f's only caller is copy_process, declared quiescent.
    assert_eq!(a[1].context, ScanContext::RemoteStopped, "{:?}", a[1].chain);
    let c = writes(&ev, "PF_C");
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].op, "hand_helper");
}

#[test]
fn helpers_calling_helpers_across_headers_are_found_four_deep() {
    // Each round finds the helper that calls the one the round before found; the later rounds
    // re-read only the headers that call a new name (a macro continuation line included).
    let ev = scan_tree(&[
        ("include/linux/sched.h", SCHED_H),
        (
            "include/linux/one.h",
            "static inline unsigned int one(void) { return save_b(); }\n",
        ),
        (
            "include/linux/two.h",
            "#define two() \\\n\tone \\\n\t()\nstatic inline int unrelated(void) { return 0; }\n",
        ),
        (
            "arch/x86/include/asm/three.h",
            "static inline unsigned int three(void) { return two(); }\n",
        ),
        (
            "include/linux/named.h",
            "/* three is named here but not called */ static int (*fp)(void) = three;\n",
        ),
        (
            "lib/t.c",
            "void f(void)\n{\n\tthree();\n\tone();\n\tunrelated();\n}\n",
        ),
    ]);
    let b = writes(&ev, "PF_B");
    let ops: Vec<&str> = b.iter().map(|a| a.op.as_str()).collect();
    assert_eq!(ops, ["three", "one"], "{b:#?}");
    assert!(b.iter().all(|a| a.context == ScanContext::Current));
}

#[test]
fn parameter_that_every_caller_passes_current() {
    let ev = with_sched(
        "static void zap(struct task_struct *tsk)\n{\n\ttsk->flags |= PF_A;\n}\nvoid a(void) { zap(current); }\nvoid b(void) { struct task_struct *me = current; zap(me); }\n",
    );
    let w = writes(&ev, "PF_A");
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].context, ScanContext::Current, "{:?}", w[0].chain);
    assert!(w[0].chain.iter().any(|c| c.contains("passes current")));
}

#[test]
fn parameter_without_callers_is_an_unknown_receiver() {
    let ev = with_sched("void lonely(struct task_struct *t)\n{\n\tt->flags |= PF_A;\n}\n");
    let w = writes(&ev, "PF_A");
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].context, ScanContext::Unknown);
    assert_eq!(w[0].confidence, "low");
    assert!(w[0].chain[0].contains("unknown receiver"));
}

#[test]
fn quiescent_function_makes_remote_stopped() {
    let ev = with_sched(
        "struct task_struct *copy_process(void)\n{\n\tstruct task_struct *p = dup();\n\tp->flags &= ~PF_A;\n\tp->frozen = 0;\n\treturn p;\n}\n",
    );
    assert_eq!(writes(&ev, "PF_A")[0].context, ScanContext::RemoteStopped);
    assert_eq!(writes(&ev, "frozen")[0].context, ScanContext::RemoteStopped);
}

#[test]
fn bitfields_of_tasks_count_and_of_other_structs_do_not() {
    let ev = with_sched(
        "void f(struct task_struct *p, struct cgroup *cgrp, struct rq *rq)\n{\n\tcgrp->frozen = 1;\n\tstruct css_set cs = { .frozen = 1 };\n\trq->curr->in_iowait = 1;\n\tcurrent->frozen = 1;\n\tif (p->frozen)\n\t\treturn;\n}\nvoid g(struct task_struct *x) { f(x->group_leader, 0, 0); }\n",
    );
    let frozen: Vec<_> = ev.accesses.iter().filter(|a| a.flag == "frozen").collect();
    assert_eq!(frozen.len(), 2, "{frozen:#?}");
    assert!(frozen[0].is_write() && frozen[0].context == ScanContext::Current);
    assert!(!frozen[1].is_write() && frozen[1].context == ScanContext::Remote);
    assert_eq!(ev.other_struct, 2);
    let io = writes(&ev, "in_iowait");
    assert_eq!(io.len(), 1);
    assert_eq!(io[0].receiver, "rq->curr");
    assert_eq!(io[0].context, ScanContext::Remote);
}

#[test]
fn untyped_receivers_have_low_confidence() {
    let ev = with_sched("void f(void)\n{\n\tglobal_task->frozen = 1;\n}\n");
    let w = writes(&ev, "frozen");
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].confidence, "low");
    assert_eq!(w[0].context, ScanContext::Unknown);
}

#[test]
fn comments_strings_and_if_zero_do_not_count() {
    let ev = with_sched(
        "/* p->flags |= PF_A; */\n// p->flags |= PF_B;\nvoid f(struct task_struct *p)\n{\n\tpr_info(\"PF_A p->flags |= PF_A\");\n#if 0\n\tp->flags |= PF_C;\n#endif\n\tchar c = 'PF_B';\n}\n",
    );
    let in_c: Vec<_> = ev.accesses.iter().filter(|a| a.file == "lib/t.c").collect();
    assert!(in_c.is_empty(), "{in_c:#?}");
    assert!(ev.unclassified.iter().all(|u| u.file != "lib/t.c"));
}

#[test]
fn unclassified_occurrences_are_listed_with_their_location() {
    let ev = with_sched("int f(unsigned int x)\n{\n\treturn mystery(PF_A) + (x & PF_B);\n}\n");
    let u: Vec<_> = ev
        .unclassified
        .iter()
        .filter(|u| u.file == "lib/t.c")
        .collect();
    assert_eq!(u.len(), 2, "{u:#?}");
    assert_eq!((u[0].name.as_str(), u[0].line, u[0].col), ("PF_A", 3, 17));
    assert!(u[0].reason.contains("mystery"));
    assert_eq!(u[1].name, "PF_B");
}

#[test]
fn switch_case_guard_follows_constant_arguments() {
    let ev = with_sched(
        "static int ctl(struct task_struct *task, unsigned long c)\n{\n\tswitch (c) {\n\tcase MODE_ONE:\n\t\ttask->flags |= PF_A;\n\t\tbreak;\n\tcase MODE_TWO:\n\t\ttask->flags |= PF_B;\n\t\tbreak;\n\t}\n\treturn 0;\n}\nvoid own(unsigned long c) { ctl(current, c); }\nvoid other(struct task_struct *t) { struct task_struct *o = t->parent; ctl(o, MODE_TWO); }\n",
    );
    assert_eq!(writes(&ev, "PF_A")[0].context, ScanContext::Current);
    assert_eq!(writes(&ev, "PF_B")[0].context, ScanContext::Remote);
}

#[test]
fn only_c_sources_and_headers_are_read_and_symlinks_are_not_followed() {
    let outside = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        outside.path().join("evil.c"),
        "void f(struct task_struct *p) { p->flags |= PF_A; }\n",
    )
    .expect("write");
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("notes.txt"),
        "void f(struct task_struct *p) { p->flags |= PF_A; }\n",
    )
    .expect("write");
    #[cfg(unix)]
    std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).expect("symlink");
    let loaded = layout::parse_str("test.toml", LAYOUT).expect("layout");
    let ev = scan::scan(
        &loaded.layout,
        "t",
        dir.path(),
        scan::ScanOptions::default(),
    )
    .expect("scan");
    assert_eq!(ev.files_scanned, 0);
    assert!(ev.accesses.is_empty());
}

#[test]
fn output_is_deterministic() {
    let files = [
        ("include/linux/sched.h", SCHED_H),
        ("a.c", "void f(void) { current->flags |= PF_A; }\n"),
        (
            "b/c.c",
            "void g(struct task_struct *p) { p->flags |= PF_B; }\n",
        ),
    ];
    let one = scan::report::json(&scan_tree(&files));
    let two = scan::report::json(&scan_tree(&files));
    // Only the temporary directory name differs.
    let strip = |s: &str| {
        s.lines()
            .filter(|l| !l.contains("\"src\""))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip(&one), strip(&two));
}

#[test]
fn update_adds_evidence_and_keeps_hand_facts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("kernel")).expect("mkdir");
    std::fs::write(
        src.join("kernel/t.c"),
        "static void poke(struct task_struct *p)\n{\n\tp->flags |= PF_A;\n}\nvoid g(struct task_struct *t) { struct task_struct *o = t->parent; poke(o); }\n",
    )
    .expect("write");
    let layout_text = LAYOUT.replace(
        "[[flag]]\nname = \"PF_B\"",
        "[[flag.writer]]\ncontext = \"current\" # hand comment\nevidence = [\"hand.c:1\"]\nnote = \"kept\"\n\n[[flag]]\nname = \"PF_B\"",
    );
    let lpath = dir.path().join("layout.toml");
    std::fs::write(&lpath, &layout_text).expect("write");
    let out = assert_cmd::Command::cargo_bin("flagplan")
        .expect("bin")
        .args(["scan"])
        .arg(&src)
        .arg("--layout")
        .arg(&lpath)
        .arg("--update")
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let new = std::fs::read_to_string(&lpath).expect("read");
    assert!(new.contains("# hand comment"), "{new}");
    assert!(new.contains("note = \"kept\""));
    assert!(new.contains("hand.c:1"));
    assert!(new.contains("context = \"remote\""), "{new}");
    assert!(new.contains("kernel/t.c:3"));
    assert!(layout::parse_str("new.toml", &new).is_ok());
    // Idempotent: a second update changes nothing.
    let again = assert_cmd::Command::cargo_bin("flagplan")
        .expect("bin")
        .arg("scan")
        .arg(&src)
        .arg("--layout")
        .arg(&lpath)
        .arg("--update")
        .output()
        .expect("run");
    assert!(again.status.success());
    assert_eq!(std::fs::read_to_string(&lpath).expect("read"), new);
}

#[test]
fn text_report_groups_by_flag() {
    let ev = with_sched("void f(struct task_struct *p)\n{\n\tcurrent->flags |= PF_A | PF_B;\n}\n");
    let loaded = layout::parse_str("test.toml", LAYOUT).expect("layout");
    let text = scan::report::text(&ev, &loaded.layout, false);
    assert!(
        text.contains("PF_A (flags)\n  writes: current 1, current-irq 0, remote 0"),
        "{text}"
    );
    assert!(text.contains("PF_A | PF_B"));
    let _ = Path::new("unused");
}

#[test]
fn missing_source_dir_is_an_input_error() {
    let out = assert_cmd::Command::cargo_bin("flagplan")
        .expect("bin")
        .args(["scan", "/nonexistent/tree", "--builtin", "linux-6.1"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn this_cpus_running_task_is_current() {
    let ev = with_sched(
        "void sched(void)\n{\n\tstruct task_struct *prev;\n\tstruct rq *rq;\n\tint cpu;\n\tcpu = smp_processor_id();\n\trq = cpu_rq(cpu);\n\tprev = rq->curr;\n\tprev->frozen = 1;\n\trq = other_rq();\n}\nvoid remote(struct rq *rq)\n{\n\trq->curr->frozen = 0;\n}\n",
    );
    let w = writes(&ev, "frozen");
    assert_eq!(w.len(), 2, "{w:#?}");
    assert_eq!(w[0].context, ScanContext::Current, "{:?}", w[0].chain);
    assert!(w[0].chain[0].contains("this CPU"));
    assert_eq!(w[1].context, ScanContext::Remote);
}

#[test]
fn mask_macros_of_the_file_are_expanded() {
    let ev =
        with_sched("#define BOTH (PF_A | PF_B)\nvoid f(void)\n{\n\tcurrent->flags |= BOTH;\n}\n");
    for f in ["PF_A", "PF_B"] {
        let w = writes(&ev, f);
        assert_eq!(w.len(), 1, "{f}: {:#?}", ev.accesses);
        assert_eq!(w[0].line, 4);
        assert_eq!(w[0].group, vec!["PF_A", "PF_B"]);
    }
    assert!(ev.unclassified.iter().all(|u| u.file != "lib/t.c"));
}

#[test]
fn tests_of_a_copied_flags_word_are_reads_of_its_task() {
    let ev = with_sched(
        "unsigned int ctx(unsigned int gfp)\n{\n\tunsigned int pflags = READ_ONCE(current->flags);\n\tif (pflags & (PF_A | PF_B))\n\t\tgfp = 0;\n\treturn gfp;\n}\n",
    );
    let reads: Vec<_> = ev.accesses.iter().filter(|a| a.file == "lib/t.c").collect();
    assert_eq!(reads.len(), 2, "{reads:#?}");
    assert!(
        reads
            .iter()
            .all(|a| !a.is_write() && a.context == ScanContext::Current)
    );
    assert_eq!(reads[0].group, vec!["PF_A", "PF_B"]);
    assert!(ev.groups.iter().any(|g| g.flags == ["PF_A", "PF_B"]));
}

/// Scan `files` against a layout of another structure's flag word (`mm_struct`, `page`, ...).
fn scan_object(layout: &str, files: &[(&str, &str)]) -> Evidence {
    let dir = tempfile::tempdir().expect("tempdir");
    for (p, text) in files {
        let path = dir.path().join(p);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, text).expect("write");
    }
    let loaded = layout::parse_str("test.toml", layout).expect("layout");
    scan::scan(
        &loaded.layout,
        "test.toml",
        dir.path(),
        scan::ScanOptions::default(),
    )
    .expect("scan")
}

fn object_layout(structure: &str, word: &str, kind: &str, rule: &str, flags: &[&str]) -> String {
    let mut s = format!(
        "format = 1\nstruct = \"{structure}\"\n[[word]]\nname = \"{word}\"\ntype = \"unsigned long\"\nkind = \"{kind}\"\nrule = \"{rule}\"\n"
    );
    for (i, f) in flags.iter().enumerate() {
        let pos = if kind == "mask" {
            format!("mask = {:#x}", 1u64 << i)
        } else {
            format!("bit = {i}")
        };
        s.push_str(&format!(
            "[[flag]]\nname = \"{f}\"\nword = \"{word}\"\n{pos}\n"
        ));
    }
    s
}

#[test]
fn mm_flags_bitops_on_typed_mm_receivers_atomic_or_not() {
    let l = object_layout(
        "mm_struct",
        "flags",
        "bitnum",
        "atomic",
        &["MMF_A", "MMF_B"],
    );
    let ev = scan_object(
        &l,
        &[(
            "lib/t.c",
            "void f(struct mm_struct *mm)\n{\n\tset_bit(MMF_A, &mm->flags);\n\t__set_bit(MMF_B, &mm->flags);\n}\nvoid g(struct task_struct *t)\n{\n\tclear_bit(MMF_A, &t->mm->flags);\n\tif (test_bit(MMF_B, &current->mm->flags))\n\t\treturn;\n}\nvoid h(struct mm_struct *mm) { f(mm); }\n",
        )],
    );
    let a = writes(&ev, "MMF_A");
    assert_eq!(a.len(), 2, "{a:#?}");
    assert!(a.iter().all(|x| x.confidence == "high"), "{a:#?}");
    assert!(a.iter().all(|x| x.atomic == Some(true)), "{a:#?}");
    // `t->mm` is an mm, and another task's: not current.
    assert_eq!(a[1].receiver, "t->mm");
    assert_eq!(a[1].context, ScanContext::Remote);
    let b = writes(&ev, "MMF_B");
    assert_eq!(b.len(), 1, "{b:#?}");
    assert_eq!(
        b[0].atomic,
        Some(false),
        "__set_bit is a plain read-modify-write"
    );
    // `current->mm` is not `current`: the mm is shared by every thread of the process.
    let read: Vec<_> = ev
        .accesses
        .iter()
        .filter(|x| x.flag == "MMF_B" && !x.is_write())
        .collect();
    assert_eq!(read.len(), 1, "{read:#?}");
    assert_ne!(read[0].context, ScanContext::Current);
}

#[test]
fn page_flag_accessors_come_from_the_trees_page_flags_h() {
    let page_flags = "#define PAGEFLAG(uname, lname, policy) TESTPAGEFLAG(uname, lname, policy) SETPAGEFLAG(uname, lname, policy) CLEARPAGEFLAG(uname, lname, policy)\n#define __PAGEFLAG(uname, lname, policy) TESTPAGEFLAG(uname, lname, policy) __SETPAGEFLAG(uname, lname, policy) __CLEARPAGEFLAG(uname, lname, policy)\n__PAGEFLAG(Locked, locked, PF_NO_TAIL)\nPAGEFLAG(Dirty, dirty, PF_HEAD) TESTSCFLAG(Dirty, dirty, PF_HEAD)\nPAGEFLAG(Private2, private_2, PF_ANY)\n";
    let l = object_layout(
        "page",
        "flags",
        "bitnum",
        "atomic",
        &["PG_locked", "PG_dirty", "PG_private_2"],
    );
    let ev = scan_object(
        &l,
        &[
            ("include/linux/page-flags.h", page_flags),
            (
                "lib/t.c",
                "void f(struct page *page, struct folio *folio)\n{\n\tSetPageDirty(page);\n\tfolio_clear_dirty(folio);\n\tif (TestClearPageDirty(page))\n\t\t__SetPageLocked(page);\n\t__folio_clear_locked(folio);\n\tSetPagePrivate2(page);\n\tif (PageDirty(page))\n\t\treturn;\n}\n",
            ),
        ],
    );
    let dirty = writes(&ev, "PG_dirty");
    let ops: Vec<&str> = dirty.iter().map(|a| a.op.as_str()).collect();
    assert_eq!(
        ops,
        ["SetPageDirty", "folio_clear_dirty", "TestClearPageDirty"],
        "{dirty:#?}"
    );
    assert!(dirty.iter().all(|a| a.atomic == Some(true)));
    assert!(dirty[0].via[0].starts_with("include/linux/page-flags.h:4"));
    let locked = writes(&ev, "PG_locked");
    assert_eq!(locked.len(), 2, "{locked:#?}");
    assert!(locked.iter().all(|a| a.atomic == Some(false)));
    assert_eq!(writes(&ev, "PG_private_2").len(), 1);
    // `PageDirty()` is a read.
    assert!(
        ev.accesses
            .iter()
            .any(|a| a.flag == "PG_dirty" && !a.is_write() && a.op == "PageDirty")
    );
}

#[test]
fn vm_flags_and_f_mode_stores_on_typed_receivers() {
    let l = object_layout(
        "vm_area_struct",
        "vm_flags",
        "mask",
        "lock(mmap_lock, write)",
        &["VM_A", "VM_B"],
    );
    let ev = scan_object(
        &l,
        &[(
            "drivers/t.c",
            "static int t_mmap(struct file *file, struct vm_area_struct *vma)\n{\n\tvma->vm_flags |= VM_A | VM_B;\n\treturn 0;\n}\nvoid g(struct vm_fault *vmf)\n{\n\tvmf->vma->vm_flags &= ~VM_B;\n}\n",
        )],
    );
    let a: Vec<_> = ev
        .accesses
        .iter()
        .filter(|a| a.flag == "VM_A" && a.is_write())
        .collect();
    assert_eq!(a.len(), 1, "{a:#?}");
    assert_eq!(a[0].group, ["VM_A", "VM_B"]);
    let b: Vec<_> = ev
        .accesses
        .iter()
        .filter(|a| a.flag == "VM_B" && a.is_write())
        .collect();
    assert_eq!(b.len(), 2, "{b:#?}");
    assert!(b.iter().all(|x| x.confidence == "high"), "{b:#?}");
    assert_eq!(b[1].receiver, "vmf->vma");

    let l = object_layout("file", "f_mode", "mask", "unpublished", &["FMODE_A"]);
    let ev = scan_object(
        &l,
        &[(
            "fs/t.c",
            "int t_open(struct inode *inode, struct file *filp)\n{\n\tfilp->f_mode |= FMODE_A;\n\treturn 0;\n}\n",
        )],
    );
    let a: Vec<_> = ev
        .accesses
        .iter()
        .filter(|a| a.flag == "FMODE_A" && a.is_write())
        .collect();
    assert_eq!(a.len(), 1, "{a:#?}");
    assert_eq!(a[0].confidence, "high", "{a:#?}");
}

#[test]
fn a_task_layout_does_not_take_other_structs_for_tasks() {
    // `struct mm_struct *mm` has `flags` too; in a task_struct layout it is not a task.
    let ev = with_sched(
        "void f(struct mm_struct *mm, struct task_struct *p)\n{\n\tmm->flags |= PF_A;\n\tp->flags |= PF_B;\n}\n",
    );
    assert!(writes(&ev, "PF_A").is_empty(), "{:#?}", writes(&ev, "PF_A"));
    assert_eq!(writes(&ev, "PF_B").len(), 1);
}

#[test]
fn vm_flags_accessors_of_newer_trees_and_the_mmap_lock() {
    let mm_h = "static inline void vm_flags_set(struct vm_area_struct *vma,\n\t\t\t\tvm_flags_t flags)\n{\n\tvma_start_write(vma);\n\tACCESS_PRIVATE(vma, __vm_flags) |= flags;\n}\nstatic inline void vm_flags_mod(struct vm_area_struct *vma,\n\t\t\t\tvm_flags_t set, vm_flags_t clear)\n{\n\tvma_start_write(vma);\n\t__vm_flags_mod(vma, set, clear);\n}\n";
    let l = object_layout(
        "vm_area_struct",
        "vm_flags",
        "mask",
        "lock(mmap_lock, write)",
        &["VM_A", "VM_B"],
    );
    let ev = scan_object(
        &l,
        &[
            ("include/linux/mm.h", mm_h),
            (
                "mm/t.c",
                "void f(struct vm_area_struct *vma)\n{\n\tvm_flags_set(vma, VM_A);\n\tvm_flags_mod(vma, VM_A, VM_B);\n}\nvoid g(struct mm_struct *mm, struct vm_area_struct *vma)\n{\n\tmmap_read_lock(mm);\n\tvma->vm_flags |= VM_B;\n\tmmap_read_unlock(mm);\n\tvma->vm_flags |= VM_A;\n}\n",
            ),
        ],
    );
    let w = |flag: &str| -> Vec<&scan::Access> {
        ev.accesses
            .iter()
            .filter(|a| a.flag == flag && a.is_write() && a.file == "mm/t.c")
            .collect()
    };
    let a = w("VM_A");
    assert_eq!(a.len(), 3, "{a:#?}");
    assert_eq!(
        (a[0].op.as_str(), a[1].op.as_str()),
        ("vm_flags_set", "vm_flags_mod")
    );
    // vm_flags_set() asserts the mmap lock for write (vma_start_write()).
    assert!(a[0].locks.iter().any(|l| l.lock == "mmap_lock"), "{a:#?}");
    // After mmap_read_unlock() nothing is held.
    assert!(a[2].locks.is_empty(), "{a:#?}");
    let b = w("VM_B");
    assert_eq!(b.len(), 2, "the clear mask of vm_flags_mod() too: {b:#?}");
    let read = b
        .iter()
        .find(|x| x.line == 9)
        .expect("the store under mmap_read_lock()");
    assert_eq!(read.locks.len(), 1, "{read:#?}");
    assert_eq!(
        (read.locks[0].lock.as_str(), read.locks[0].via.as_str()),
        ("mm->mmap_lock", "mmap_read_lock")
    );
}

#[test]
fn a_move_into_a_write_locked_word_is_refuted_by_a_store_under_the_read_lock() {
    let dir = tempfile::tempdir().expect("tempdir");
    let layout = "format = 1\nstruct = \"vm_area_struct\"\n[[word]]\nname = \"vm_flags\"\ntype = \"unsigned long\"\nkind = \"mask\"\nrule = \"lock(mmap_lock, write)\"\n[[word]]\nname = \"vm_bits\"\ntype = \"unsigned long\"\nkind = \"bitnum\"\nrule = \"atomic\"\n[[flag]]\nname = \"VM_A\"\nword = \"vm_flags\"\nmask = 0x1\n[[flag.writer]]\ncontext = \"remote\"\nlock = \"mmap_lock\"\n[[flag]]\nname = \"VMB_C\"\nword = \"vm_bits\"\nbit = 0\n[[flag.writer]]\ncontext = \"remote\"\nlock = \"mmap_lock\"\n";
    std::fs::write(dir.path().join("layout.toml"), layout).expect("write");
    std::fs::write(
        dir.path().join("plan.toml"),
        "format = 1\nbase = \"layout.toml\"\n[[proposal]]\nmove = \"VMB_C\"\nto = \"vm_flags\"\n",
    )
    .expect("write");
    let check = |mode: &str| {
        let src = dir.path().join(format!("linux-{mode}"));
        std::fs::create_dir_all(src.join("include/linux")).expect("mkdir");
        std::fs::create_dir_all(src.join("mm")).expect("mkdir");
        std::fs::write(src.join("include/linux/sched.h"), "\n").expect("write");
        std::fs::write(
            src.join("mm/t.c"),
            format!("void f(struct mm_struct *mm, struct vm_area_struct *vma)\n{{\n\tmmap_write_lock(mm);\n\tvma->vm_flags |= VM_A;\n\tmmap_write_unlock(mm);\n\tmmap_{mode}_lock(mm);\n\tset_bit(VMB_C, &vma->vm_bits);\n\tmmap_{mode}_unlock(mm);\n}}\n"),
        )
        .expect("write");
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_flagplan"))
            .current_dir(dir.path())
            .args(["check", "plan.toml", "--src"])
            .arg(&src)
            .args(["--format", "json"])
            .output()
            .expect("runs");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        (
            out.status.code(),
            v["findings"].as_array().cloned().unwrap_or_default(),
        )
    };
    let (code, findings) = check("read");
    assert_eq!(code, Some(1), "{findings:#?}");
    let refuted = findings
        .iter()
        .find(|f| f["rule"] == "evidence-rejects-move")
        .expect("evidence-rejects-move");
    let ev = refuted["evidence"].to_string();
    assert!(
        ev.contains("mm/t.c:7") && ev.contains("holding mm->mmap_lock"),
        "{ev}"
    );
    // The same store under the write lock admits the move.
    let (code, findings) = check("write");
    assert_eq!(code, Some(0), "{findings:#?}");
}

/// Small functions of kernel/ and mm/ `.c` files that change a flag are helpers, as header
/// inlines are: their call sites elsewhere are writes, with the locks the helper takes and a wait
/// inside it; a static function of the file passes its store on to the exported one; a large
/// function (`try_to_wake_up()`) stays code, judged at its store.
#[test]
fn small_functions_of_c_files_are_helpers_at_their_call_sites() {
    let freezer = r#"
static DEFINE_SPINLOCK(freezer_lock);
bool set_freezable(void)
{
	might_sleep();
	spin_lock_irq(&freezer_lock);
	current->flags &= ~PF_A;
	spin_unlock_irq(&freezer_lock);
	return try_to_freeze();
}
"#;
    let kthread = KTHREAD_BIND.to_string()
        + r#"static int big_waker(struct task_struct *p, unsigned int state, int wake_flags)
{
	unsigned long flags;
	int cpu, success = 0;
	preempt_disable();
	raw_spin_lock_irqsave(&p->pi_lock, flags);
	smp_mb__after_spinlock();
	if (!ttwu_state_match(p, state, &success))
		goto unlock;
	cpu = select_task_rq(p, p->wake_cpu, wake_flags);
	set_task_cpu(p, cpu);
	p->in_iowait = 0;
	ttwu_queue(p, cpu, wake_flags);
unlock:
	raw_spin_unlock_irqrestore(&p->pi_lock, flags);
	preempt_enable();
	return success;
}
int wake_it(struct task_struct *p)
{
	return big_waker(p, TASK_NORMAL, 0);
}
"#;
    let driver = r#"
static int worker(void *data)
{
	set_freezable();
	while (!kthread_should_stop())
		schedule();
	return 0;
}
int start(void)
{
	struct task_struct *t;

	t = kthread_create(worker, NULL, "w");
	if (IS_ERR(t))
		return PTR_ERR(t);
	kthread_bind(t, 1);
	wake_it(t);
	return 0;
}
"#;
    let ev = scan_tree(&[
        ("include/linux/sched.h", SCHED_H),
        ("kernel/freezer.c", freezer),
        ("kernel/kthread.c", &kthread),
        ("drivers/d.c", driver),
    ]);
    let at = |flag: &str| -> Vec<&scan::Access> {
        ev.accesses
            .iter()
            .filter(|a| a.flag == flag && a.is_write() && a.file == "drivers/d.c")
            .collect()
    };
    let freeze = at("PF_A");
    assert_eq!(freeze.len(), 1, "{freeze:#?}");
    assert_eq!(freeze[0].line, 4);
    assert_eq!(freeze[0].context, ScanContext::Current);
    assert!(
        freeze[0]
            .via
            .iter()
            .any(|v| v.starts_with("kernel/freezer.c:"))
    );
    assert!(
        freeze[0].locks.iter().any(|l| l.lock == "freezer_lock"),
        "{:?}",
        freeze[0].locks
    );
    let bind = at("PF_B");
    assert_eq!(bind.len(), 1, "{bind:#?}");
    assert_eq!(bind[0].line, 16);
    assert_eq!(
        bind[0].context,
        ScanContext::RemoteStopped,
        "{:#?}",
        bind[0]
    );
    assert!(
        bind[0].locks.iter().any(|l| l.lock == "p->pi_lock"),
        "{:?}",
        bind[0].locks
    );
    // The static function is not a helper outside its file, and the large one is code.
    assert!(at("in_iowait").is_empty(), "{:#?}", at("in_iowait"));
    let store = ev
        .accesses
        .iter()
        .filter(|a| a.flag == "in_iowait" && a.is_write())
        .count();
    assert_eq!(store, 1, "the large function's store, at the store");
}

/// A `.c` helper's calls inside its own file are write sites too, as its calls from other files
/// are (kernel/kthread.c: `kthread_create_on_cpu()` calls `kthread_bind()` on the kthread it has
/// just created). The store inside the helper stays a write site of its own.
#[test]
fn c_helper_calls_in_its_own_file_are_write_sites() {
    let kthread = KTHREAD_BIND.to_string()
        + r#"struct task_struct *kthread_create_on_cpu(int (*fn)(void *), void *data, unsigned int cpu)
{
	struct task_struct *p;

	p = kthread_create_on_node(fn, data, cpu_to_node(cpu), "x/%u", cpu);
	if (IS_ERR(p))
		return p;
	kthread_bind(p, cpu);
	return p;
}
"#;
    let ev = scan_tree(&[
        ("include/linux/sched.h", SCHED_H),
        ("kernel/kthread.c", &kthread),
    ]);
    let writes: Vec<&scan::Access> = ev
        .accesses
        .iter()
        .filter(|a| a.flag == "PF_B" && a.is_write() && a.file == "kernel/kthread.c")
        .collect();
    let lines: Vec<u32> = writes.iter().map(|a| a.line).collect();
    assert_eq!(lines, vec![12, 26], "{writes:#?}");
    let call = writes[1];
    assert_eq!(call.function, "kthread_create_on_cpu");
    assert_eq!(call.context, ScanContext::RemoteStopped, "{call:#?}");
    assert!(
        call.locks.iter().any(|l| l.lock == "p->pi_lock"),
        "{:?}",
        call.locks
    );
    // No helper call in the helper's own body: kthread_bind() calls the static, not itself.
    assert_eq!(
        writes
            .iter()
            .filter(|a| a.function == "kthread_bind")
            .count(),
        0
    );
}
