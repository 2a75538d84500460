//! `flagplan scan` infers contexts from the code: interrupt entries and their callees, save/restore
//! balance, tasks that cannot run, locks held, whole-word stores, and the tree root above a subtree.

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
name = "frozen"
word = "current_bits"
"#;

const SCHED_H: &str = r#"
static inline unsigned int save_b(void)
{
	unsigned int old = current->flags & PF_B;
	current->flags |= PF_B;
	return old;
}
static inline void current_restore_flags(unsigned long orig, unsigned long flags)
{
	current->flags &= ~flags;
	current->flags |= orig & flags;
}
"#;

fn scan_dir(files: &[(&str, &str)], sub: &str) -> Evidence {
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
        &dir.path().join(sub),
        scan::ScanOptions::default(),
    )
    .expect("scan")
}

fn scan_c(c: &str) -> Evidence {
    scan_dir(&[("include/linux/sched.h", SCHED_H), ("kernel/t.c", c)], "")
}

/// The write of `flag` at `line` of `kernel/t.c`, the file of [`scan_c`].
fn write_at<'a>(ev: &'a Evidence, flag: &str, line: u32) -> &'a scan::Access {
    write_in(ev, flag, "kernel/t.c", line)
}

#[test]
fn a_callee_of_a_request_irq_handler_is_current_irq_and_unbalanced() {
    let ev = scan_c(
        "static void helper(void)\n{\n\tcurrent->flags |= PF_A;\n}\nstatic irqreturn_t h(int irq, void *d)\n{\n\thelper();\n\treturn IRQ_HANDLED;\n}\nint probe(void)\n{\n\treturn request_irq(1, h, 0, \"x\", NULL);\n}\n",
    );
    let a = write_at(&ev, "PF_A", 3);
    assert_eq!(a.context, ScanContext::CurrentIrq, "{:?}", a.chain);
    assert!(
        a.chain[0].contains("registered by request_irq()"),
        "{:?}",
        a.chain
    );
    assert!(
        a.chain.iter().any(|c| c.contains("h() calls helper()")),
        "{:?}",
        a.chain
    );
    assert_eq!(a.balanced, Some(false));
    assert!(
        a.balance
            .as_deref()
            .unwrap_or("")
            .contains("never restores")
    );
}

#[test]
fn a_function_stored_in_a_member_and_called_through_it_in_the_same_file_is_followed() {
    // The NAPI backlog: `sd->backlog.poll = process_backlog;` and `n->poll(n, w)` in the softirq.
    let c = "static void rx(void)\n{\n\tunsigned int o = save_b();\n\tcurrent_restore_flags(o, PF_B);\n}\n\
static int backlog(struct napi_struct *n, int w)\n{\n\trx();\n\treturn 0;\n}\n\
static void poll_one(struct napi_struct *n)\n{\n\tn->poll(n, 64);\n}\n\
static void action(struct softirq_action *h)\n{\n\tpoll_one(h->n);\n}\n\
void init(struct softnet_data *sd)\n{\n\tsd->backlog.poll = backlog;\n\topen_softirq(NET_RX_SOFTIRQ, action);\n}\n";
    let ev = scan_c(c);
    let a = write_at(&ev, "PF_B", 3);
    assert_eq!(a.context, ScanContext::CurrentIrq, "{:#?}", a.chain);
    assert!(
        a.chain
            .iter()
            .any(|l| l.contains("calls ->poll(), which this file sets to backlog()")),
        "{:#?}",
        a.chain
    );
    assert_eq!(a.balanced, Some(true));
    // Stored in another file, or a parameter stored in the member: not followed.
    let other = scan_dir(
        &[
            ("include/linux/sched.h", SCHED_H),
            (
                "kernel/t.c",
                "static void rx(void)\n{\n\tcurrent->flags |= PF_A;\n}\nint backlog(struct napi_struct *n, int w)\n{\n\trx();\n\treturn 0;\n}\nvoid set(struct napi_struct *n, int (*poll)(struct napi_struct *, int))\n{\n\tn->poll = poll;\n}\n",
            ),
            (
                "kernel/u.c",
                "static void action(struct softirq_action *h)\n{\n\th->n->poll(h->n, 64);\n}\nvoid init(void)\n{\n\tn.poll = backlog;\n\topen_softirq(1, action);\n}\nint r(void)\n{\n\treturn current->flags & PF_B;\n}\n",
            ),
        ],
        "",
    );
    assert_eq!(write_at(&other, "PF_A", 3).context, ScanContext::Current);
}

#[test]
fn the_thread_function_of_a_threaded_irq_runs_as_a_task() {
    let ev = scan_c(
        "static irqreturn_t th(int irq, void *d)\n{\n\tcurrent->flags |= PF_A;\n\treturn IRQ_HANDLED;\n}\nint probe(void)\n{\n\treturn request_threaded_irq(1, NULL, th, 0, \"x\", NULL);\n}\n",
    );
    let a = write_at(&ev, "PF_A", 3);
    assert_eq!(a.context, ScanContext::Current, "{:?}", a.chain);
    assert_eq!(a.balanced, None);
}

#[test]
fn a_softirq_action_that_restores_on_every_path_is_balanced() {
    let ev = scan_c(
        "static void act(struct softirq_action *h)\n{\n\tunsigned int f = save_b();\n\twork();\n\tcurrent_restore_flags(f, PF_B);\n}\nstatic void early(struct softirq_action *h)\n{\n\tunsigned int f = save_b();\n\tif (busy())\n\t\treturn;\n\tcurrent_restore_flags(f, PF_B);\n}\nvoid init(void)\n{\n\topen_softirq(1, act);\n\topen_softirq(2, early);\n}\n",
    );
    let set = write_at(&ev, "PF_B", 3);
    assert_eq!(set.context, ScanContext::CurrentIrq, "{:?}", set.chain);
    assert_eq!(set.balanced, Some(true), "{:?}", set.balance);
    let restore = write_at(&ev, "PF_B", 5);
    assert_eq!(restore.kind.as_str(), "restore");
    let early = write_at(&ev, "PF_B", 9);
    assert_eq!(early.balanced, Some(false));
    assert!(
        early
            .balance
            .as_deref()
            .unwrap_or("")
            .contains("returns at line 11"),
        "{:?}",
        early.balance
    );
}

#[test]
fn an_in_interrupt_test_makes_the_write_current_irq() {
    let ev = scan_c(
        "void f(void)\n{\n\tif (in_interrupt())\n\t\tcurrent->flags |= PF_A;\n\tcurrent->flags |= PF_B;\n\tif (!in_interrupt())\n\t\tcurrent->flags &= ~PF_A;\n}\n",
    );
    let a = write_at(&ev, "PF_A", 4);
    assert_eq!(a.context, ScanContext::CurrentIrq, "{:?}", a.chain);
    assert!(a.chain[0].contains("in_interrupt"));
    assert_eq!(write_at(&ev, "PF_B", 5).context, ScanContext::Current);
    assert_eq!(write_at(&ev, "PF_A", 7).context, ScanContext::Current);
}

#[test]
fn a_tracee_after_ptrace_check_attach_is_stopped() {
    let ev = scan_c(
        "void req(struct task_struct *child)\n{\n\tchild->flags |= PF_A;\n}\nlong sys_pt(long pid)\n{\n\tstruct task_struct *child = find_task(pid);\n\tchild->flags |= PF_B;\n\tif (ptrace_check_attach(child, 0))\n\t\treturn -1;\n\tchild->flags &= ~PF_B;\n\treq(child);\n\treturn 0;\n}\n",
    );
    assert_eq!(write_at(&ev, "PF_B", 8).context, ScanContext::Remote);
    let b = write_at(&ev, "PF_B", 11);
    assert_eq!(b.context, ScanContext::RemoteStopped, "{:?}", b.chain);
    assert!(
        b.stopped
            .as_deref()
            .unwrap_or("")
            .contains("ptrace_check_attach")
    );
    let a = write_at(&ev, "PF_A", 3);
    assert_eq!(a.context, ScanContext::RemoteStopped, "{:?}", a.chain);
    assert!(a.chain.iter().any(|c| c.contains("passes a stopped task")));
}

#[test]
fn a_new_child_is_stopped_until_it_is_woken() {
    let ev = scan_c(
        "void clone(void)\n{\n\tstruct task_struct *p;\n\tp = dup_task_struct(current);\n\tp->flags &= ~PF_A;\n\twake_up_new_task(p);\n\tp->flags |= PF_B;\n}\n",
    );
    assert_eq!(write_at(&ev, "PF_A", 5).context, ScanContext::RemoteStopped);
    assert_eq!(write_at(&ev, "PF_B", 7).context, ScanContext::Remote);
}

#[test]
fn a_regset_set_callback_is_called_on_a_stopped_tracee() {
    let ev = scan_c(
        "static int my_set(struct task_struct *target, const struct user_regset *r)\n{\n\ttarget->flags |= PF_A;\n\treturn 0;\n}\nstatic const struct user_regset regs[] = {\n\t[0] = { .n = 1, .set = my_set, },\n};\n",
    );
    let a = write_at(&ev, "PF_A", 3);
    assert_eq!(a.context, ScanContext::RemoteStopped, "{:?}", a.chain);
    assert!(
        a.chain[0].contains("struct user_regset .set"),
        "{:?}",
        a.chain
    );
}

#[test]
fn locks_held_are_seen_in_the_function_and_in_every_caller() {
    let ev = scan_c(
        "void f(struct task_struct *p)\n{\n\tstruct rq_flags rf;\n\tstruct rq *rq = task_rq_lock(p, &rf);\n\tif (bad(p)) {\n\t\ttask_rq_unlock(rq, p, &rf);\n\t\treturn;\n\t}\n\tp->frozen = 1;\n\ttask_rq_unlock(rq, p, &rf);\n\tp->frozen = 0;\n}\nstatic void g(struct task_struct *t)\n{\n\tt->frozen = 1;\n}\nvoid h(struct task_struct *t)\n{\n\tspin_lock_irq(&t->sighand->siglock);\n\tg(t);\n\tspin_unlock_irq(&t->sighand->siglock);\n}\n",
    );
    let locks = |a: &scan::Access| a.locks.iter().map(|l| l.lock.clone()).collect::<Vec<_>>();
    assert_eq!(
        locks(write_at(&ev, "frozen", 9)),
        ["p->pi_lock", "rq->__lock"]
    );
    assert!(locks(write_at(&ev, "frozen", 11)).is_empty());
    assert_eq!(locks(write_at(&ev, "frozen", 15)), ["t->sighand->siglock"]);
}

#[test]
fn a_whole_word_store_writes_every_flag_of_the_word_and_restores() {
    let ev = scan_c(
        "void loop(void)\n{\n\tunsigned int old = current->flags;\n\tcurrent->flags |= PF_A;\n\tcurrent->flags = old;\n}\nvoid other(struct sig *s)\n{\n\ts->flags = 0;\n}\n",
    );
    for f in ["PF_A", "PF_B"] {
        let w = write_at(&ev, f, 5);
        assert_eq!(w.kind.as_str(), "whole", "{w:?}");
    }
    assert!(
        !ev.accesses.iter().any(|a| a.line == 9),
        "another struct's flags word"
    );
    assert_eq!(write_at(&ev, "PF_A", 4).kind.as_str(), "set");
}

#[test]
fn a_subtree_scan_finds_the_tree_root_and_its_helpers() {
    let ev = scan_dir(
        &[
            ("include/linux/sched.h", SCHED_H),
            ("kernel/t.c", "void f(void)\n{\n\tsave_b();\n}\n"),
        ],
        "kernel",
    );
    assert!(ev.root_warning.is_none());
    let a = write_at(&ev, "PF_B", 3);
    assert_eq!(a.op, "save_b");
    let lone = scan_dir(&[("t.c", "void f(void)\n{\n\tsave_b();\n}\n")], "");
    assert!(lone.root_warning.is_some());
}

/// The write of `flag` at `file:line`.
fn write_in<'a>(ev: &'a Evidence, flag: &str, file: &str, line: u32) -> &'a scan::Access {
    ev.accesses
        .iter()
        .find(|a| a.flag == flag && a.is_write() && a.line == line && a.file == file)
        .unwrap_or_else(|| panic!("no write of {flag} at {file}:{line}: {:#?}", ev.accesses))
}

#[test]
fn an_exception_entry_is_interrupt_context_but_the_page_fault_is_not() {
    let c = "static void fix(void)\n{\n\tcurrent->flags |= PF_A;\n}\n\
DEFINE_IDTENTRY_ERRORCODE(exc_general_protection)\n{\n\tfix();\n}\n\
static void fault(void)\n{\n\tcurrent->flags |= PF_B;\n}\n\
DEFINE_IDTENTRY_RAW_ERRORCODE(exc_page_fault)\n{\n\tfault();\n}\n";
    let ev = scan_dir(
        &[
            ("include/linux/sched.h", SCHED_H),
            ("arch/x86/kernel/traps.c", c),
        ],
        "",
    );
    let gp = write_in(&ev, "PF_A", "arch/x86/kernel/traps.c", 3);
    assert_eq!(gp.context, ScanContext::CurrentIrq, "{:?}", gp.chain);
    assert!(
        gp.chain[0].contains("exc_general_protection() is an exception handler"),
        "{:?}",
        gp.chain
    );
    let pf = write_in(&ev, "PF_B", "arch/x86/kernel/traps.c", 11);
    assert_eq!(pf.context, ScanContext::Current, "{:?}", pf.chain);
}

#[test]
fn a_do_handler_of_an_arch_trap_file_is_an_exception_entry() {
    let traps = "void do_fpd_trap(struct pt_regs *regs, unsigned long pc)\n{\n\tcurrent->flags |= PF_A;\n}\n\
static void do_local(struct pt_regs *regs)\n{\n\tcurrent->flags |= PF_B;\n}\n\
void do_other(int x)\n{\n\tcurrent->flags &= ~PF_A;\n}\n";
    let ev = scan_dir(
        &[
            ("include/linux/sched.h", SCHED_H),
            ("arch/sparc/kernel/traps_32.c", traps),
            ("arch/sparc/kernel/setup.c", traps),
        ],
        "",
    );
    let t = "arch/sparc/kernel/traps_32.c";
    let a = write_in(&ev, "PF_A", t, 3);
    assert_eq!(a.context, ScanContext::CurrentIrq, "{:?}", a.chain);
    assert!(a.chain[0].contains("arch trap file"), "{:?}", a.chain);
    // Static, or not taking `struct pt_regs *` first: a helper, not an entry.
    assert_eq!(write_in(&ev, "PF_B", t, 7).context, ScanContext::Current);
    assert_eq!(write_in(&ev, "PF_A", t, 11).context, ScanContext::Current);
    // The same code outside a trap file is not an entry.
    let s = "arch/sparc/kernel/setup.c";
    assert_eq!(write_in(&ev, "PF_A", s, 3).context, ScanContext::Current);
}

#[test]
fn a_call_never_crosses_from_one_architecture_into_another() {
    let x86 = "DEFINE_IDTENTRY(exc_alignment_check)\n{\n\tfpu_setup();\n}\n";
    let csky = "void fpu_setup(void)\n{\n\tcurrent->flags |= PF_A;\n}\n";
    let generic = "void fpu_setup(void)\n{\n\tcurrent->flags |= PF_B;\n}\n";
    let ev = scan_dir(
        &[
            ("include/linux/sched.h", SCHED_H),
            ("arch/x86/kernel/traps.c", x86),
            ("arch/csky/kernel/fpu.c", csky),
            ("kernel/fpu.c", generic),
        ],
        "",
    );
    let a = write_in(&ev, "PF_A", "arch/csky/kernel/fpu.c", 3);
    assert_eq!(a.context, ScanContext::Current, "{:?}", a.chain);
    // Generic code is built with every architecture.
    let b = write_in(&ev, "PF_B", "kernel/fpu.c", 3);
    assert_eq!(b.context, ScanContext::CurrentIrq, "{:?}", b.chain);
}

#[test]
fn interrupt_context_does_not_pass_a_noreturn_function_or_the_return_to_user_mode() {
    let x86 = "DEFINE_IDTENTRY(exc_invalid_op)\n{\n\tmake_task_dead(11);\n\tirqentry_exit_to_user_mode(regs);\n\tnote();\n}\n";
    let exit = "void __noreturn make_task_dead(int signr)\n{\n\tcurrent->flags |= PF_A;\n\tdo_exit(signr);\n}\n\
void __noreturn do_exit(long code)\n{\n\tcurrent->flags |= PF_B;\n}\n\
static void loop(void)\n{\n\tcurrent->flags &= ~PF_A;\n}\n\
void irqentry_exit_to_user_mode(struct pt_regs *regs)\n{\n\tloop();\n}\n\
void note(void)\n{\n\tcurrent->flags &= ~PF_B;\n}\n";
    let ev = scan_dir(
        &[
            ("include/linux/sched.h", SCHED_H),
            ("arch/x86/kernel/traps.c", x86),
            ("kernel/exit.c", exit),
        ],
        "",
    );
    let f = "kernel/exit.c";
    for (flag, line) in [("PF_A", 3), ("PF_B", 8), ("PF_A", 12)] {
        let a = write_in(&ev, flag, f, line);
        assert_eq!(
            a.context,
            ScanContext::Current,
            "line {line}: {:?}",
            a.chain
        );
    }
    // An ordinary callee of the same entry is reached.
    let n = write_in(&ev, "PF_B", f, 20);
    assert_eq!(n.context, ScanContext::CurrentIrq, "{:?}", n.chain);
}

#[test]
fn a_call_under_bh_lock_sock_runs_in_softirq_context() {
    let h = "static inline int sk_backlog_rcv(struct sock *sk, struct sk_buff *skb)\n{\n\treturn __sk_backlog_rcv(sk, skb);\n}\n";
    let c = "int __sk_backlog_rcv(struct sock *sk, struct sk_buff *skb)\n{\n\tunsigned int o = save_b();\n\tcurrent_restore_flags(o, PF_B);\n\treturn 0;\n}\n\
int __sk_receive_skb(struct sock *sk, struct sk_buff *skb, const int nested)\n{\n\tif (nested)\n\t\tbh_lock_sock_nested(sk);\n\telse\n\t\tbh_lock_sock(sk);\n\tsk_backlog_rcv(sk, skb);\n\tbh_unlock_sock(sk);\n\treturn 0;\n}\n\
void bt_accept(struct sock *sk, bool bh)\n{\n\tif (bh)\n\t\tbh_lock_sock_nested(sk);\n\telse\n\t\tlock_sock_nested(sk, 1);\n\tother(sk);\n}\n\
void other(struct sock *sk)\n{\n\tcurrent->flags |= PF_A;\n}\n";
    let ev = scan_dir(
        &[
            ("include/linux/sched.h", SCHED_H),
            ("include/net/sock.h", h),
            ("net/core/sock.c", c),
        ],
        "",
    );
    let f = "net/core/sock.c";
    let set = write_in(&ev, "PF_B", f, 3);
    assert_eq!(set.context, ScanContext::CurrentIrq, "{:#?}", set.chain);
    assert!(
        set.chain[0].contains("holding sk->sk_lock.slock from bh_lock_sock"),
        "{:#?}",
        set.chain
    );
    assert!(
        set.chain
            .iter()
            .any(|l| l.contains("sk_backlog_rcv() calls __sk_backlog_rcv()")),
        "{:#?}",
        set.chain
    );
    assert_eq!(set.balanced, Some(true));
    // Taken on one branch only: not a proof of softirq context.
    let a = write_in(&ev, "PF_A", f, 27);
    assert_eq!(a.context, ScanContext::Current, "{:#?}", a.chain);
}

#[test]
fn a_restore_of_a_saved_value_restores_the_flags_the_save_set() {
    // Linux 6.12's API: the restore clears a saved value, not a named flag.
    let mm = "static inline unsigned memalloc_flags_save(unsigned flags)\n{\n\tunsigned oldflags = ~current->flags & flags;\n\tcurrent->flags |= flags;\n\treturn oldflags;\n}\n\
static inline void memalloc_flags_restore(unsigned flags)\n{\n\tcurrent->flags &= ~flags;\n}\n\
static inline unsigned int memalloc_b_save(void)\n{\n\treturn memalloc_flags_save(PF_B);\n}\n\
static inline void memalloc_b_restore(unsigned int flags)\n{\n\tmemalloc_flags_restore(flags);\n}\n";
    let c = "static void act(struct softirq_action *h)\n{\n\tunsigned int f = memalloc_b_save();\n\twork();\n\tmemalloc_b_restore(f);\n}\n\
static void both(struct softirq_action *h)\n{\n\tunsigned int g;\n\tg = memalloc_flags_save(PF_A | PF_B);\n\tif (busy())\n\t\treturn;\n\tmemalloc_flags_restore(g);\n}\n\
void init(void)\n{\n\topen_softirq(1, act);\n\topen_softirq(2, both);\n}\n\
void param(unsigned int v)\n{\n\tmemalloc_b_restore(v);\n}\n";
    let ev = scan_dir(
        &[
            ("include/linux/sched.h", SCHED_H),
            ("include/linux/sched/mm.h", mm),
            ("kernel/t.c", c),
        ],
        "",
    );
    let set = write_at(&ev, "PF_B", 3);
    assert_eq!(set.context, ScanContext::CurrentIrq, "{:?}", set.chain);
    assert_eq!(set.balanced, Some(true), "{:?}", set.balance);
    let restore = write_at(&ev, "PF_B", 5);
    assert_eq!(restore.kind.as_str(), "restore");
    assert_eq!(restore.context, ScanContext::CurrentIrq);
    // Both flags of a direct save are restored; the early return leaves them unbalanced.
    for flag in ["PF_A", "PF_B"] {
        assert_eq!(write_at(&ev, flag, 13).kind.as_str(), "restore", "{flag}");
        let save = write_at(&ev, flag, 10);
        assert_eq!(save.balanced, Some(false), "{flag}: {:?}", save.balance);
    }
    // A parameter's value is not known here: no access, but said so.
    assert!(
        !ev.accesses
            .iter()
            .any(|a| a.file == "kernel/t.c" && a.line == 22 && a.is_write()),
        "{:#?}",
        ev.accesses
    );
    assert!(
        ev.unclassified.iter().any(|u| u.line == 22
            && u.name == "memalloc_b_restore"
            && u.reason.contains("known only at its callers")),
        "{:#?}",
        ev.unclassified
    );
    // The direct save's flags are accesses, not a local mask left unapplied.
    assert!(
        !ev.unclassified.iter().any(|u| u.line == 10),
        "{:#?}",
        ev.unclassified
    );
}

#[test]
fn an_in_task_test_keeps_task_context_under_an_interrupt_path() {
    let c = "static void stamp(void)\n{\n\tif (!plug || !in_task())\n\t\treturn;\n\tcurrent->flags |= PF_A;\n}\n\
static void worker(void)\n{\n\tif (in_task() && (current->flags & PF_B))\n\t\tcurrent->flags &= ~PF_B;\n\tif (in_task() || busy())\n\t\tcurrent->flags |= PF_B;\n}\n\
static void tick(struct timer_list *t)\n{\n\tstamp();\n\tworker();\n}\n\
void init(struct timer_list *t)\n{\n\ttimer_setup(t, tick, 0);\n}\n";
    let ev = scan_c(c);
    let a = write_at(&ev, "PF_A", 5);
    assert_eq!(a.context, ScanContext::Current, "{:#?}", a.chain);
    assert!(a.chain[0].contains("!in_task()"), "{:#?}", a.chain);
    assert_eq!(write_at(&ev, "PF_B", 10).context, ScanContext::Current);
    // `||`: the branch may run in the timer.
    let b = write_at(&ev, "PF_B", 12);
    assert_eq!(b.context, ScanContext::CurrentIrq, "{:#?}", b.chain);
}

#[test]
fn a_read_after_an_in_task_test_in_the_same_condition_is_task_context() {
    let c = "static int is_worker(void)\n{\n\tif (in_task() && (current->flags & PF_A))\n\t\treturn 1;\n\treturn 0;\n}\n\
static irqreturn_t h(int irq, void *d)\n{\n\tis_worker();\n\treturn IRQ_HANDLED;\n}\n\
int probe(void)\n{\n\treturn request_irq(1, h, 0, \"x\", NULL);\n}\n";
    let ev = scan_c(c);
    let read = ev
        .accesses
        .iter()
        .find(|a| a.flag == "PF_A" && a.line == 3)
        .expect("the read");
    assert_eq!(read.context, ScanContext::Current, "{:#?}", read.chain);
}

#[test]
fn an_in_task_test_that_does_not_decide_the_path_keeps_the_interrupt_context() {
    // Each function writes PF_A at line 3 of its own body under a timer; none of these tests
    // proves task context there.
    let bodies = [
        "\tif (x || (y && !in_task()))\n\t\treturn;\n\tcurrent->flags |= PF_A;\n",
        "\tif (x && (y || in_task()))\n\t\treturn;\n\tcurrent->flags |= PF_A;\n",
        "\tif (!(in_task() && x))\n\t\treturn;\n\tcurrent->flags |= PF_A;\n",
        "\tif (in_task() == 0)\n\t\treturn;\n\tcurrent->flags |= PF_A;\n",
        "\tif (!in_task())\n\t\tgoto out;\n\tx();\nout:\n\tcurrent->flags |= PF_A;\n",
        "\tif (a) { b(); } else if (!in_task())\n\t\treturn;\n\tcurrent->flags |= PF_A;\n",
    ];
    for (n, body) in bodies.iter().enumerate() {
        let c = format!(
            "static void f(void)\n{{\n{body}}}\nstatic void tick(struct timer_list *t)\n{{\n\tf();\n}}\nvoid init(struct timer_list *t)\n{{\n\ttimer_setup(t, tick, 0);\n}}\n"
        );
        let ev = scan_c(&c);
        let writes: Vec<&scan::Access> = ev
            .accesses
            .iter()
            .filter(|a| a.file == "kernel/t.c" && a.function == "f" && a.is_write())
            .collect();
        assert!(!writes.is_empty(), "case {n}: no write found");
        for a in writes {
            assert_eq!(
                a.context,
                ScanContext::CurrentIrq,
                "case {n} line {}: {:#?}",
                a.line,
                a.chain
            );
        }
    }
}

#[test]
fn bh_lock_sock_after_local_bh_disable_is_process_context() {
    let c = "void tcp_close(struct sock *sk)\n{\n\tlocal_bh_disable();\n\tbh_lock_sock(sk);\n\tclose_cb(sk);\n\tbh_unlock_sock(sk);\n}\n\
void close_cb(struct sock *sk)\n{\n\tcurrent->flags |= PF_A;\n}\n";
    let ev = scan_dir(
        &[("include/linux/sched.h", SCHED_H), ("net/core/sock.c", c)],
        "",
    );
    let a = write_in(&ev, "PF_A", "net/core/sock.c", 10);
    assert_eq!(a.context, ScanContext::Current, "{:#?}", a.chain);
}

#[test]
fn a_files_own_static_function_shadows_a_header_inline_of_the_same_name() {
    let h = "static inline void reset_state(void)\n{\n\tcurrent->flags |= PF_A;\n}\n";
    let d = "static void reset_state(void)\n{\n\tstop();\n}\n\
static irqreturn_t h(int irq, void *x)\n{\n\treset_state();\n\treturn IRQ_HANDLED;\n}\n\
int probe(void)\n{\n\treturn request_irq(1, h, 0, \"x\", NULL);\n}\n\
int r(void)\n{\n\treturn current->flags & PF_B;\n}\n";
    let ev = scan_dir(
        &[
            ("include/linux/sched.h", SCHED_H),
            ("include/linux/rs.h", h),
            ("drivers/d.c", d),
        ],
        "",
    );
    let a = write_in(&ev, "PF_A", "include/linux/rs.h", 3);
    assert_eq!(a.context, ScanContext::Current, "{:#?}", a.chain);
}

#[test]
fn a_header_read_early_is_kept_when_a_later_level_needs_it() {
    // `a.h` may call anything (a comment before a `(`): read at the first level, where it calls
    // nothing on the chain, and needed at the second (`hin()` calls `mid()`).
    let a = "/* see foo\n   (below) */\nstatic inline void hin(void)\n{\n\tmid();\n}\n";
    let t = "void w(void)\n{\n\tcurrent->flags |= PF_A;\n}\nvoid mid(void)\n{\n\tw();\n}\n";
    let d = "static irqreturn_t h(int irq, void *x)\n{\n\thin();\n\treturn IRQ_HANDLED;\n}\n\
int probe(void)\n{\n\treturn request_irq(1, h, 0, \"x\", NULL);\n}\n\
int r(void)\n{\n\treturn current->flags & PF_B;\n}\n";
    let ev = scan_dir(
        &[
            ("include/linux/sched.h", SCHED_H),
            ("include/linux/a.h", a),
            ("kernel/t.c", t),
            ("drivers/d.c", d),
        ],
        "",
    );
    let w = write_at(&ev, "PF_A", 3);
    assert_eq!(w.context, ScanContext::CurrentIrq, "{:#?}", w.chain);
    assert!(
        w.chain.iter().any(|l| l.contains("hin() calls mid()")),
        "{:#?}",
        w.chain
    );
}

/// An RCU callback runs in softirq (`rcu_core()`, RCU_SOFTIRQ) unless callbacks are offloaded:
/// `call_rcu()`/`call_rcu_hurry()` register interrupt entries. SRCU and Tasks RCU callbacks run
/// from a workqueue or a kthread, as tasks (io_uring's `io_eventfd_ops()` in 6.1).
#[test]
fn an_rcu_callback_is_softirq_but_srcu_and_tasks_rcu_callbacks_are_not() {
    let c = r#"static void signal(struct ctx *c)
{
	current->frozen = 1;
	wake(c);
	current->frozen = 0;
}
static void ops(struct rcu_head *rcu)
{
	signal(container_of(rcu, struct ctx, rcu));
	guarded(container_of(rcu, struct ctx, rcu));
}
static void hurried(struct rcu_head *rcu)
{
	current->flags |= PF_A;
}
static void by_srcu(struct rcu_head *rcu)
{
	current->flags |= PF_B;
}
static void by_tasks(struct rcu_head *rcu)
{
	current->flags &= ~PF_B;
}
static void guarded(struct ctx *c)
{
	if (WARN_ON_ONCE(current->frozen))
		return;
	current->frozen = 1;
	wake(c);
	current->frozen = 0;
}
void post(struct ctx *c)
{
	call_rcu(&c->rcu, ops);
	call_rcu_hurry(&c->rcu, hurried);
	call_srcu(&c->srcu, &c->rcu, by_srcu);
	call_rcu_tasks(&c->rcu, by_tasks);
}
"#;
    let ev = scan_dir(&[("include/linux/sched.h", SCHED_H), ("lib/t.c", c)], "");
    let set = write_in(&ev, "frozen", "lib/t.c", 3);
    assert_eq!(set.context, ScanContext::CurrentIrq, "{:?}", set.chain);
    assert!(
        set.chain[0].contains("call_rcu()") && set.chain[0].contains("RCU callback"),
        "{:?}",
        set.chain
    );
    // Cleared, but it may have been set before: a nested set is lost, so not balanced.
    assert_eq!(set.balanced, Some(false), "{:?}", set.balance);
    let hurried = write_in(&ev, "PF_A", "lib/t.c", 14);
    assert_eq!(
        hurried.context,
        ScanContext::CurrentIrq,
        "{:?}",
        hurried.chain
    );
    for line in [18, 22] {
        let task = write_in(&ev, "PF_B", "lib/t.c", line);
        assert_eq!(task.context, ScanContext::Current, "{:?}", task.chain);
    }
    // The recursion guard of eventfd_signal_mask() and page_owner's save_stack(): the flag is
    // clear when it is set, so clearing it puts it back.
    let guarded = write_in(&ev, "frozen", "lib/t.c", 28);
    assert_eq!(
        guarded.context,
        ScanContext::CurrentIrq,
        "{:?}",
        guarded.chain
    );
    assert_eq!(guarded.balanced, Some(true), "{:?}", guarded.balance);
    assert!(
        guarded.balance.as_deref().unwrap_or("").contains("cleared"),
        "{:?}",
        guarded.balance
    );
    let clear = write_in(&ev, "frozen", "lib/t.c", 30);
    assert_eq!(clear.balanced, Some(true), "{:?}", clear.balance);
    // Without the guard, the clear undoes nothing of its own.
    let unguarded = write_in(&ev, "frozen", "lib/t.c", 5);
    assert_eq!(unguarded.balanced, Some(false), "{:?}", unguarded.balance);
}

/// Only a test that returns when the flag is set makes a set-then-clear pair balanced: not a
/// negated test, not an `&&`, and not with a return between the set and the clear.
#[test]
fn a_set_then_clear_pair_is_balanced_only_after_a_test_that_returns_when_set() {
    let c = r#"static irqreturn_t negated(int irq, void *d)
{
	if (!current->frozen)
		return IRQ_NONE;
	current->frozen = 1;
	current->frozen = 0;
	return IRQ_HANDLED;
}
static irqreturn_t both(int irq, void *d)
{
	if (current->frozen && d)
		return IRQ_NONE;
	current->frozen = 1;
	current->frozen = 0;
	return IRQ_HANDLED;
}
static irqreturn_t early(int irq, void *d)
{
	if (current->flags & PF_A)
		return IRQ_NONE;
	current->flags |= PF_A;
	if (d)
		return IRQ_NONE;
	current->flags &= ~PF_A;
	return IRQ_HANDLED;
}
static irqreturn_t masks(int irq, void *d)
{
	if (unlikely(current->flags & PF_B))
		return IRQ_NONE;
	current->flags |= PF_B;
	current->flags &= ~PF_B;
	return IRQ_HANDLED;
}
int probe(void)
{
	return request_irq(1, negated, 0, "a", NULL) ?: request_irq(2, both, 0, "b", NULL) ?:
	       request_irq(3, early, 0, "c", NULL) ?: request_irq(4, masks, 0, "d", NULL);
}
"#;
    let ev = scan_dir(&[("include/linux/sched.h", SCHED_H), ("lib/t.c", c)], "");
    for (flag, line) in [("frozen", 5), ("frozen", 13), ("PF_A", 21)] {
        let w = write_in(&ev, flag, "lib/t.c", line);
        assert_eq!(w.context, ScanContext::CurrentIrq, "{:?}", w.chain);
        assert_eq!(w.balanced, Some(false), "line {line}: {:?}", w.balance);
    }
    let early = write_in(&ev, "PF_A", "lib/t.c", 21);
    assert!(
        early
            .balance
            .as_deref()
            .unwrap_or("")
            .contains("returns at line 23"),
        "{:?}",
        early.balance
    );
    let masks = write_in(&ev, "PF_B", "lib/t.c", 31);
    assert_eq!(masks.balanced, Some(true), "{:?}", masks.balance);
}

/// A driver's irq handler in a file with no flag name (vfio's `vfio_msihandler()` calling
/// `eventfd_signal()`): the walk finds the registration, reads the handler, and the write the
/// exported function makes is interrupt context, with the driver's file in the chain.
#[test]
fn an_irq_handler_in_a_file_with_no_flag_name_is_an_entry() {
    let signal = r#"void signal_it(struct ctx *c)
{
	if (WARN_ON_ONCE(current->frozen))
		return;
	current->frozen = 1;
	wake(c);
	current->frozen = 0;
}
"#;
    let driver = r#"#include <linux/eventfd.h>

static irqreturn_t
msi_handler(int irq, void *arg)
{
	struct ctx *trigger = arg;

	signal_it(trigger);
	return IRQ_HANDLED;
}

static irqreturn_t other(int irq, void *arg)
{
	return IRQ_NONE;
}

int setup(struct ctx *c, int irq)
{
	int ret;

	if (c->shared)
		ret = request_irq(irq, other, 0, "other", c);
	ret = request_irq(irq, msi_handler, 0, "msi", c);
	return ret;
}
"#;
    let ev = scan_dir(
        &[
            ("include/linux/sched.h", SCHED_H),
            ("fs/signal.c", signal),
            ("drivers/vfio/intrs.c", driver),
        ],
        "",
    );
    let set = write_in(&ev, "frozen", "fs/signal.c", 5);
    assert_eq!(set.context, ScanContext::CurrentIrq, "{:?}", set.chain);
    assert!(
        set.chain[0].contains("msi_handler()")
            && set.chain[0].contains("request_irq()")
            && set.chain[0].contains("drivers/vfio/intrs.c:23"),
        "{:?}",
        set.chain
    );
    assert_eq!(set.balanced, Some(true), "{:?}", set.balance);
    // The driver's file is read for its calls, not counted as a file with a hit.
    assert_eq!(ev.files_with_hits, 2, "sched.h and fs/signal.c");
}

/// The scheduler runs as a task: an interrupt cannot call it ("scheduling while atomic"), so a
/// path from an irq handler through `schedule()` (a driver that sleeps in its hard-irq handler,
/// sound/soc/codecs/rt5640.c in 6.1) does not make the scheduler's writes interrupt context.
#[test]
fn interrupt_context_does_not_pass_the_scheduler() {
    let sched = r#"static void __schedule(unsigned int sched_mode)
{
	struct task_struct *prev = current;

	prev->flags |= PF_A;
	prev->flags &= ~PF_A;
}
void schedule(void)
{
	__schedule(0);
}
void schedule_timeout(long t)
{
	schedule();
}
void schedule_work(struct work_struct *w)
{
	current->flags |= PF_B;
}
"#;
    let driver = r#"static void wait_a_bit(void)
{
	schedule_timeout(1);
}
static irqreturn_t h(int irq, void *d)
{
	wait_a_bit();
	schedule_work(d);
	return IRQ_HANDLED;
}
int probe(void)
{
	return request_irq(1, h, 0, "h", NULL);
}
"#;
    let ev = scan_dir(
        &[
            ("include/linux/sched.h", SCHED_H),
            ("kernel/sched/core.c", sched),
            ("lib/d.c", driver),
        ],
        "",
    );
    let w = write_in(&ev, "PF_A", "kernel/sched/core.c", 5);
    assert_eq!(w.context, ScanContext::Current, "{:?}", w.chain);
    // schedule_work() may be called from an irq handler: only the scheduler proper is cut.
    let q = write_in(&ev, "PF_B", "kernel/sched/core.c", 18);
    assert_eq!(q.context, ScanContext::CurrentIrq, "{:?}", q.chain);
}

/// The balance of the write marked `/*S*/` in an irq handler with body `body`.
fn probe_case(pre: &str, body: &str, flag: &str) -> (ScanContext, Option<bool>, Option<String>) {
    let c = format!(
        "{pre}static irqreturn_t h(int irq, void *d)\n{{\n{body}\treturn IRQ_HANDLED;\n}}\nint probe(void)\n{{\n\treturn request_irq(1, h, 0, \"x\", NULL);\n}}\n"
    );
    let line = c.lines().position(|l| l.contains("/*S*/")).expect("marker") as u32 + 1;
    let ev = scan_dir(&[("include/linux/sched.h", SCHED_H), ("lib/t.c", &c)], "");
    let w = write_in(&ev, flag, "lib/t.c", line);
    (w.context, w.balanced, w.balance.clone())
}

fn expect_unbalanced(cases: &[(&str, &str, &str)]) {
    let wrong: Vec<String> = cases
        .iter()
        .filter_map(|(name, body, flag)| {
            let (ctx, b, why) = probe_case("", body, flag);
            assert_eq!(ctx, ScanContext::CurrentIrq, "{name}");
            (b != Some(false)).then(|| format!("{name}: {b:?} {why:?}"))
        })
        .collect();
    assert!(wrong.is_empty(), "said balanced:\n{}", wrong.join("\n"));
}

/// The guard must dominate the set: here it runs only when `d` (or in a loop that may not run).
#[test]
fn a_guard_in_a_branch_or_loop_does_not_cover_the_set() {
    expect_unbalanced(&[
        (
            "guard_in_then",
            "\tif (d) {\n\t\tif (current->frozen)\n\t\t\treturn IRQ_NONE;\n\t}\n\tcurrent->frozen = 1; /*S*/\n\twork(d);\n\tcurrent->frozen = 0;\n",
            "frozen",
        ),
        (
            "guard_in_else",
            "\tif (d) {\n\t\twork(d);\n\t} else {\n\t\tif (current->frozen)\n\t\t\treturn IRQ_NONE;\n\t}\n\tcurrent->frozen = 1; /*S*/\n\twork(d);\n\tcurrent->frozen = 0;\n",
            "frozen",
        ),
        (
            "guard_then_set_in_else",
            "\tif (d) {\n\t\tif (current->frozen)\n\t\t\treturn IRQ_NONE;\n\t} else {\n\t\tcurrent->frozen = 1; /*S*/\n\t\twork(d);\n\t\tcurrent->frozen = 0;\n\t}\n",
            "frozen",
        ),
        (
            "guard_in_loop",
            "\tfor (i = 0; i < n; i++) {\n\t\tif (current->frozen)\n\t\t\treturn IRQ_NONE;\n\t}\n\tcurrent->frozen = 1; /*S*/\n\twork(d);\n\tcurrent->frozen = 0;\n",
            "frozen",
        ),
    ]);
}

/// A test that returns when the flag is clear, or on something else, is not a guard.
#[test]
fn a_test_that_returns_when_clear_is_not_a_guard() {
    let t = |test: &str, set: &str, clear: &str| {
        format!("\tif ({test})\n\t\treturn IRQ_NONE;\n\t{set}; /*S*/\n\twork(d);\n\t{clear};\n")
    };
    let f = ("current->frozen = 1", "current->frozen = 0");
    let a = ("current->flags |= PF_A", "current->flags &= ~PF_A");
    let cases = [
        ("lt", t("current->frozen < 1", f.0, f.1), "frozen"),
        ("le", t("current->frozen <= 0", f.0, f.1), "frozen"),
        ("minus", t("current->frozen - 1", f.0, f.1), "frozen"),
        ("xor", t("current->frozen ^ 1", f.0, f.1), "frozen"),
        (
            "wrapper",
            t("is_clear(current->frozen)", f.0, f.1),
            "frozen",
        ),
        ("tilde", t("~current->flags & PF_A", a.0, a.1), "PF_A"),
        ("other_bits", t("current->flags & ~PF_A", a.0, a.1), "PF_A"),
    ];
    let refs: Vec<(&str, &str, &str)> =
        cases.iter().map(|(n, b, f)| (*n, b.as_str(), *f)).collect();
    expect_unbalanced(&refs);
}

/// A store between the guard and the set may leave the flag set: the clear then loses it.
#[test]
fn a_store_between_the_guard_and_the_set_voids_the_guard() {
    expect_unbalanced(&[(
        "store_between",
        "\tif (current->frozen)\n\t\treturn IRQ_NONE;\n\tcurrent->frozen = saved;\n\tcurrent->frozen = 1; /*S*/\n\twork(d);\n\tcurrent->frozen = 0;\n",
        "frozen",
    )]);
}

/// A conditional clear, a clear in the other branch, a goto or a break past the clear: not on
/// every path (a review finding, as are the tests around it).
#[test]
fn a_clear_not_on_every_path_is_not_balanced() {
    expect_unbalanced(&[
        (
            "clear_in_if",
            "\tif (current->frozen)\n\t\treturn IRQ_NONE;\n\tcurrent->frozen = 1; /*S*/\n\twork(d);\n\tif (d)\n\t\tcurrent->frozen = 0;\n",
            "frozen",
        ),
        (
            "clear_in_else",
            "\tif (current->frozen)\n\t\treturn IRQ_NONE;\n\tif (d)\n\t\tcurrent->frozen = 1; /*S*/\n\telse\n\t\tcurrent->frozen = 0;\n",
            "frozen",
        ),
        (
            "goto_past",
            "\tif (current->frozen)\n\t\treturn IRQ_NONE;\n\tcurrent->frozen = 1; /*S*/\n\tif (work(d))\n\t\tgoto out;\n\tcurrent->frozen = 0;\nout:\n",
            "frozen",
        ),
        (
            "break_past",
            "\tif (current->frozen)\n\t\treturn IRQ_NONE;\n\twhile (d) {\n\t\tcurrent->frozen = 1; /*S*/\n\t\tif (work(d))\n\t\t\tbreak;\n\t\tcurrent->frozen = 0;\n\t}\n",
            "frozen",
        ),
    ]);
}

/// Another file that defines its own non-static function of a `.c` helper's name (a `__weak`
/// override, an arch twin) calls its own function, not the helper.
#[test]
fn another_files_own_function_of_a_c_helpers_name_is_not_the_helper() {
    let k = "void kbind(struct task_struct *p)\n{\n\tp->flags |= PF_B;\n}\n";
    let other = "void kbind(struct task_struct *p)\n{\n\tpr_info(\"%d\", p->pid);\n}\nvoid user2(struct task_struct *p)\n{\n\tkbind(p);\n}\n";
    let ev = scan_dir(
        &[
            ("include/linux/sched.h", SCHED_H),
            ("kernel/k.c", k),
            ("arch/x/kernel/o.c", other),
        ],
        "",
    );
    let bogus: Vec<_> = ev
        .accesses
        .iter()
        .filter(|a| a.file == "arch/x/kernel/o.c" && a.is_write())
        .collect();
    assert!(bogus.is_empty(), "{bogus:#?}");
}

/// A recursive `.c` helper: its call to itself inside its own body is not a second write site.
#[test]
fn a_recursive_c_helper_call_in_its_own_body_is_not_a_second_write() {
    let a = "void mark_tree(struct task_struct *p)\n{\n\tp->flags |= PF_B;\n\tmark_tree(p->real_parent);\n}\n";
    let ev = scan_dir(&[("include/linux/sched.h", SCHED_H), ("kernel/k.c", a)], "");
    let inside: Vec<_> = ev
        .accesses
        .iter()
        .filter(|a| a.file == "kernel/k.c" && a.is_write() && a.line == 4)
        .collect();
    assert!(inside.is_empty(), "{inside:#?}");
}

/// The restore rule and the control flow between a save and its restore: a `goto` to a label
/// before the restore, or a `break` out of a `switch` between them, still reaches it; a `goto`
/// past it, or a restore under a condition, does not.
#[test]
fn a_restore_is_on_every_path_only_when_no_jump_skips_it() {
    let case = |body: &str| probe_case("", body, "PF_B");
    let (_, b, why) = case(
        "\tunsigned int f = save_b(); /*S*/\n\tif (work(d))\n\t\tgoto out;\n\twork(d);\nout:\n\tcurrent_restore_flags(f, PF_B);\n",
    );
    assert_eq!(b, Some(true), "{why:?}");
    let (_, b, why) = case(
        "\tunsigned int f = save_b(); /*S*/\n\tswitch (d->x) {\n\tcase 1:\n\t\twork(d);\n\t\tbreak;\n\t}\n\tcurrent_restore_flags(f, PF_B);\n",
    );
    assert_eq!(b, Some(true), "{why:?}");
    let (_, b, why) = case(
        "\tunsigned int f = save_b(); /*S*/\n\tif (work(d))\n\t\tgoto out;\n\tcurrent_restore_flags(f, PF_B);\nout:\n\twork(d);\n",
    );
    assert_eq!(b, Some(false), "{why:?}");
    assert!(why.as_deref().unwrap_or("").contains("goto out"), "{why:?}");
    let (_, b, why) =
        case("\tunsigned int f = save_b(); /*S*/\n\tif (d)\n\t\tcurrent_restore_flags(f, PF_B);\n");
    assert_eq!(b, Some(false), "{why:?}");
}

/// `if (C) save; ... if (C) restore;` with the same test and nothing assigned to it between is
/// on every path (net/core/dev.c's `__netif_receive_skb_list()` in 6.1); with the test's
/// variable assigned between, it is not.
#[test]
fn a_restore_under_the_same_test_as_its_save_is_on_every_path() {
    let (_, b, why) = probe_case(
        "",
        "\tunsigned int f = 0;\n\tbool m = d->m;\n\n\tif (m)\n\t\tf = save_b(); /*S*/\n\telse\n\t\tcurrent_restore_flags(f, PF_B);\n\twork(d);\n\tif (m)\n\t\tcurrent_restore_flags(f, PF_B);\n",
        "PF_B",
    );
    assert_eq!(b, Some(true), "{why:?}");
    let (_, b, why) = probe_case(
        "",
        "\tunsigned int f = 0;\n\tbool m = d->m;\n\n\tif (m)\n\t\tf = save_b(); /*S*/\n\tm = work(d);\n\tif (m)\n\t\tcurrent_restore_flags(f, PF_B);\n",
        "PF_B",
    );
    assert_eq!(b, Some(false), "{why:?}");
}

// Balance cases from the second review of stop 18 (each failed before its fix).

#[test]
fn a_same_test_restore_nested_in_another_if_is_not_on_every_path() {
    let body = "\tunsigned int f = 0;\n\tbool m = d->m;\n\n\tif (m)\n\t\tf = save_b(); /*S*/\n\tif (d->y) {\n\t\tif (m)\n\t\t\tcurrent_restore_flags(f, PF_B);\n\t}\n";
    let (_, b, why) = probe_case("", body, "PF_B");
    assert_eq!(b, Some(false), "{why:?}");
}

#[test]
fn a_same_test_restore_in_a_loop_that_may_not_run_is_not_on_every_path() {
    let body = "\tunsigned int f = 0;\n\tbool m = d->m;\n\n\tif (m)\n\t\tf = save_b(); /*S*/\n\twhile (d->n) {\n\t\tif (m)\n\t\t\tcurrent_restore_flags(f, PF_B);\n\t\td = d->next;\n\t}\n";
    let (_, b, why) = probe_case("", body, "PF_B");
    assert_eq!(b, Some(false), "{why:?}");
}

#[test]
fn a_same_test_restore_under_a_second_if_is_not_on_every_path() {
    let body = "\tunsigned int f = 0;\n\tbool m = d->m;\n\n\tif (m)\n\t\tf = save_b(); /*S*/\n\tif (m)\n\t\tif (d->y)\n\t\t\tcurrent_restore_flags(f, PF_B);\n";
    let (_, b, why) = probe_case("", body, "PF_B");
    assert_eq!(b, Some(false), "{why:?}");
}

#[test]
fn a_continue_inside_a_switch_is_not_caught_by_the_switch() {
    let body = "\tunsigned int f;\n\tfor (i = 0; i < n; i++) {\n\t\tf = save_b(); /*S*/\n\t\tswitch (d->x) {\n\t\tcase 1:\n\t\t\tcontinue;\n\t\t}\n\t\tcurrent_restore_flags(f, PF_B);\n\t}\n";
    let (_, b, why) = probe_case("", body, "PF_B");
    assert_eq!(b, Some(false), "{why:?}");
}

#[test]
fn a_restore_in_a_conditional_expression_is_not_on_every_path() {
    let body =
        "\tunsigned int f = save_b(); /*S*/\n\td->x ? current_restore_flags(f, PF_B) : work(d);\n";
    let (_, b, why) = probe_case("", body, "PF_B");
    assert_eq!(b, Some(false), "{why:?}");
}

#[test]
fn a_restore_after_and_and_is_not_on_every_path() {
    let body =
        "\tunsigned int f = save_b(); /*S*/\n\td->x && (current_restore_flags(f, PF_B), 1);\n";
    let (_, b, why) = probe_case("", body, "PF_B");
    assert_eq!(b, Some(false), "{why:?}");
}

#[test]
fn a_restore_as_the_body_of_a_for_is_not_on_every_path() {
    let body = "\tunsigned int f = save_b(); /*S*/\n\tfor (i = 0; i < d->n; i++)\n\t\tcurrent_restore_flags(f, PF_B);\n";
    let (_, b, why) = probe_case("", body, "PF_B");
    assert_eq!(b, Some(false), "{why:?}");
}

#[test]
fn a_member_named_like_the_label_is_not_the_label() {
    let body = "\tunsigned int f = save_b(); /*S*/\n\tif (work(d))\n\t\tgoto out;\n\td->r = d->x ? d->out : 0;\n\tcurrent_restore_flags(f, PF_B);\nout:\n\twork(d);\n";
    let (_, b, why) = probe_case("", body, "PF_B");
    assert_eq!(b, Some(false), "{why:?}");
}

#[test]
fn a_label_between_the_guard_and_the_set_lets_a_jump_skip_the_guard() {
    let body = "\tif (d->y)\n\t\tgoto again;\n\tif (current->frozen)\n\t\treturn IRQ_NONE;\nagain:\n\tcurrent->frozen = 1; /*S*/\n\twork(d);\n\tcurrent->frozen = 0;\n";
    let (_, b, why) = probe_case("", body, "frozen");
    assert_eq!(b, Some(false), "{why:?}");
}

#[test]
fn a_break_out_of_an_iterator_macro_does_not_skip_the_restore() {
    let body = "\tstruct p *p;\n\tunsigned int f = save_b(); /*S*/\n\tlist_for_each_entry(p, &d->list, node) {\n\t\tif (p->x)\n\t\t\tbreak;\n\t}\n\tcurrent_restore_flags(f, PF_B);\n";
    let (_, b, why) = probe_case("", body, "PF_B");
    assert_eq!(b, Some(true), "{why:?}");
}

#[test]
fn a_test_that_calls_a_function_is_not_the_same_test() {
    let body = "\tunsigned int f = 0;\n\n\tif (need(d))\n\t\tf = save_b(); /*S*/\n\twork(d);\n\tif (need(d))\n\t\tcurrent_restore_flags(f, PF_B);\n";
    let (_, b, why) = probe_case("", body, "PF_B");
    assert_eq!(b, Some(false), "{why:?}");
}

#[test]
fn a_test_through_a_member_is_not_the_same_test() {
    let body = "\tunsigned int f = 0;\n\tbool m = d->m;\n\tbool *pm = &d->m;\n\n\tif (d->m)\n\t\tf = save_b(); /*S*/\n\t*pm = 0;\n\tif (d->m)\n\t\tcurrent_restore_flags(f, PF_B);\n";
    let (_, b, why) = probe_case("", body, "PF_B");
    assert_eq!(b, Some(false), "{why:?}");
}

/// Jumps the path check gets right: a goto back before the save, a `continue` or `break` that
/// leaves the save's loop, a label in a nested block, a `?` before a name like the label.
#[test]
fn jumps_around_a_save_and_its_restore() {
    let cases = [
        (
            "goto_back_before_save",
            "\tunsigned int f;\nagain:\n\tf = save_b(); /*S*/\n\tif (work(d))\n\t\tgoto again;\n\tcurrent_restore_flags(f, PF_B);\n",
            Some(false),
        ),
        (
            "do_while_continue",
            "\tunsigned int f;\n\tdo {\n\t\tf = save_b(); /*S*/\n\t\tif (work(d))\n\t\t\tcontinue;\n\t\tcurrent_restore_flags(f, PF_B);\n\t} while (d->n);\n",
            Some(false),
        ),
        (
            "label_in_nested_block",
            "\tunsigned int f = save_b(); /*S*/\n\tif (work(d))\n\t\tgoto mid;\n\tif (d->y) {\nmid:\n\t\twork(d);\n\t}\n\tcurrent_restore_flags(f, PF_B);\n",
            Some(true),
        ),
        (
            "case_label_name_ternary_q",
            "\tunsigned int f = save_b(); /*S*/\n\tif (work(d))\n\t\tgoto out;\n\td->r = d->x ? out : 0;\n\tcurrent_restore_flags(f, PF_B);\nout:\n\twork(d);\n",
            Some(false),
        ),
        (
            "break_out_of_loop_to_restore",
            "\tunsigned int f;\n\twhile (d->n) {\n\t\tf = save_b(); /*S*/\n\t\tif (work(d))\n\t\t\tbreak;\n\t\tcurrent_restore_flags(f, PF_B);\n\t}\n",
            Some(false),
        ),
    ];
    let mut bad = Vec::new();
    for (n, body, want) in cases {
        let (_, b, why) = probe_case("", body, "PF_B");
        if b != want {
            bad.push(format!("{n}: {b:?} {why:?}"));
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
}

const SIGNAL_IT: &str = "void signal_it(struct ctx *c)\n{\n\tif (WARN_ON_ONCE(current->frozen))\n\t\treturn;\n\tcurrent->frozen = 1;\n\twake(c);\n\tcurrent->frozen = 0;\n}\n";

/// The context of `signal_it()`'s set when `files` are scanned with it.
fn signal_it_context(files: &[(&str, &str)]) -> (ScanContext, Vec<String>) {
    let mut all = vec![
        ("include/linux/sched.h", SCHED_H),
        ("fs/signal.c", SIGNAL_IT),
    ];
    all.extend_from_slice(files);
    let ev = scan_dir(&all, "");
    let w = write_in(&ev, "frozen", "fs/signal.c", 5);
    (w.context, w.chain.clone())
}

/// The entry-file pass reads a definition with an annotation before its body, and every
/// definition of the entry function (a stub under `#ifndef`, the real one under `#else`).
#[test]
fn an_entry_file_handler_with_an_annotation_or_a_stub_first_is_read() {
    let annotated = "static void tick(struct timer_list *t)\n\t__must_hold(&big_lock)\n{\n\tsignal_it(from_timer(c, t, timer));\n}\nvoid setup(struct ctx *c)\n{\n\ttimer_setup(&c->timer, tick, 0);\n}\n";
    let (ctx, chain) = signal_it_context(&[("drivers/x/d.c", annotated)]);
    assert_eq!(ctx, ScanContext::CurrentIrq, "{chain:?}");
    let stub_first = "#ifndef CONFIG_X\nstatic irqreturn_t h(int irq, void *arg)\n{\n\treturn IRQ_NONE;\n}\n#else\nstatic irqreturn_t h(int irq, void *arg)\n{\n\tsignal_it(arg);\n\treturn IRQ_HANDLED;\n}\n#endif\nint setup(struct ctx *c, int irq)\n{\n\treturn request_irq(irq, h, 0, \"x\", c);\n}\n";
    let (ctx, chain) = signal_it_context(&[("drivers/x/d.c", stub_first)]);
    assert_eq!(ctx, ScanContext::CurrentIrq, "{chain:?}");
}

/// The context of each write of `kernel/t.c`'s function `f`, by line, when a timer callback
/// calls `f()`.
fn contexts_of_f_under_a_timer(body: &str) -> Vec<(u32, ScanContext)> {
    let c = format!(
        "static void f(gfp_t gfp)\n{{\n{body}}}\nstatic void tick(struct timer_list *t)\n{{\n\tf(GFP_ATOMIC);\n}}\nvoid init(struct timer_list *t)\n{{\n\ttimer_setup(t, tick, 0);\n}}\n"
    );
    let ev = scan_c(&c);
    ev.accesses
        .iter()
        .filter(|a| a.file == "kernel/t.c" && a.function == "f" && a.is_write())
        .map(|a| (a.line, a.context))
        .collect()
}

#[test]
fn a_test_that_the_caller_may_block_leaves_only_task_context() {
    use ScanContext::{Current, CurrentIrq};
    // Each body writes at line 5 where only a task gets (a caller that may sleep, or no
    // interrupt), and at line 7 where the timer gets too.
    let cases = [
        // A `goto` past the code: task context up to the label, which is reached from elsewhere.
        "\tif (!gfpflags_allow_blocking(gfp))\n\t\tgoto nomem;\n\tcurrent->flags |= PF_A;\nnomem:\n\tcurrent->flags |= PF_B;\n",
        "\tif (x && gfpflags_allow_blocking(gfp)) {\n\t\ty();\n\t\tcurrent->flags |= PF_A;\n\t}\n\tcurrent->flags |= PF_B;\n",
        "\tif (!in_interrupt()) {\n\t\ty();\n\t\tcurrent->flags |= PF_A;\n\t}\n\tcurrent->flags |= PF_B;\n",
        "\tif (in_interrupt())\n\t\treturn;\n\tcurrent->flags |= PF_A;\nout:\n\tcurrent->flags |= PF_B;\n",
        "\tif (!in_task())\n\t\tgoto out;\n\tcurrent->flags |= PF_A;\nout:\n\tcurrent->flags |= PF_B;\n",
    ];
    for (n, body) in cases.iter().enumerate() {
        let got = contexts_of_f_under_a_timer(body);
        assert_eq!(got, [(5, Current), (7, CurrentIrq)], "case {n}: {body}");
    }
}

#[test]
fn a_test_that_does_not_leave_only_task_context_keeps_the_interrupt_context() {
    use ScanContext::CurrentIrq;
    let cases = [
        // May block, or not: either way.
        "\tif (x || gfpflags_allow_blocking(gfp))\n\t\tcurrent->flags |= PF_A;\n",
        // Only hard irq is excluded by !in_hardirq(); a softirq timer still gets here.
        "\tif (!in_hardirq())\n\t\tcurrent->flags |= PF_A;\n",
        // Returns when it may block: what follows is the atomic path.
        "\tif (gfpflags_allow_blocking(gfp))\n\t\treturn;\n\tcurrent->flags |= PF_A;\n",
        // In the `else`, the test was false.
        "\tif (!in_interrupt())\n\t\ty();\n\telse\n\t\tcurrent->flags |= PF_A;\n",
    ];
    for (n, body) in cases.iter().enumerate() {
        let got = contexts_of_f_under_a_timer(body);
        assert!(!got.is_empty(), "case {n}: no write");
        assert!(
            got.iter().all(|(_, c)| *c == CurrentIrq),
            "case {n}: {got:?}\n{body}"
        );
    }
}

#[test]
fn a_call_made_only_when_the_caller_may_block_is_not_an_interrupt_path() {
    let mm = r#"static void reclaim(void)
{
	current->flags |= PF_A;
}
static void stall(void)
{
	current->flags |= PF_B;
}
int charge(gfp_t gfp)
{
	if (!gfpflags_allow_blocking(gfp))
		goto nomem;
	reclaim();
nomem:
	stall();
	return 0;
}
"#;
    let ev = scan_mm_called_by_an_irq_handler(mm, "charge(GFP_ATOMIC)");
    let a = write_in(&ev, "PF_A", "mm/memcontrol.c", 3);
    assert_eq!(a.context, ScanContext::Current, "{:#?}", a.chain);
    let b = write_in(&ev, "PF_B", "mm/memcontrol.c", 7);
    assert_eq!(b.context, ScanContext::CurrentIrq, "{:#?}", b.chain);
    assert!(
        b.chain.iter().any(|c| c.contains("charge() calls stall()")),
        "{:#?}",
        b.chain
    );
}

/// `kernel/t.c` with a write of `PF_A` in `w()` (line 3) and a hard-irq handler calling it
/// through a chain of `levels` functions.
fn chain_of_calls(levels: usize) -> String {
    let mut c = String::from("static void w(void)\n{\n\tcurrent->flags |= PF_A;\n}\n");
    let mut callee = "w".to_string();
    for n in 1..levels {
        c.push_str(&format!("static void f{n}(void)\n{{\n\t{callee}();\n}}\n"));
        callee = format!("f{n}");
    }
    c.push_str(&format!(
        "static irqreturn_t h(int irq, void *d)\n{{\n\t{callee}();\n\treturn IRQ_HANDLED;\n}}\nint probe(void)\n{{\n\treturn request_irq(1, h, 0, \"x\", NULL);\n}}\n"
    ));
    c
}

/// `mm/memcontrol.c` holding `mm`, and a driver whose hard-irq handler makes the call `call`.
fn scan_mm_called_by_an_irq_handler(mm: &str, call: &str) -> Evidence {
    let driver = format!(
        "static irqreturn_t h(int irq, void *d)\n{{\n\t{call};\n\treturn IRQ_HANDLED;\n}}\nint probe(void)\n{{\n\treturn request_irq(1, h, 0, \"h\", NULL);\n}}\n"
    );
    scan_dir(
        &[
            ("include/linux/sched.h", SCHED_H),
            ("mm/memcontrol.c", mm),
            ("drivers/d.c", &driver),
        ],
        "",
    )
}

#[test]
fn interrupt_context_is_followed_up_seven_levels_of_callers() {
    // h() -> f6() -> ... -> f1() -> w(): page allocation and free from a NAPI poll are this deep
    // (tbnet_poll() -> __free_pages() -> ... -> __reset_page_owner() -> save_stack()).
    let ev = scan_c(&chain_of_calls(7));
    let a = write_at(&ev, "PF_A", 3);
    assert_eq!(a.context, ScanContext::CurrentIrq, "{:#?}", a.chain);
    assert_eq!(a.chain.len(), 8, "{:#?}", a.chain);
    let ev = scan_c(&chain_of_calls(8));
    assert_eq!(write_at(&ev, "PF_A", 3).context, ScanContext::Current);
}

#[test]
fn a_task_test_does_not_cover_code_a_switch_or_a_goto_enters_past_it() {
    use ScanContext::CurrentIrq;
    // Each body writes PF_A where the timer gets without passing the test (a review's cases).
    let cases = [
        // Later `case` and `default` labels are entered from the switch.
        "\tswitch (x) {\n\tcase 1:\n\t\tif (in_interrupt())\n\t\t\treturn;\n\t\ty();\n\tcase 2:\n\t\tcurrent->flags |= PF_A;\n\t}\n",
        "\tswitch (x) {\n\tcase 1:\n\t\tif (!gfpflags_allow_blocking(gfp))\n\t\t\tgoto out;\n\t\ty();\n\tdefault:\n\t\tcurrent->flags |= PF_A;\n\t}\nout:\n\treturn;\n",
        // A label in a nested block, reached by a goto from the other side of the test.
        "\tif (!in_task())\n\t\tgoto out;\n\tif (y) {\nagain:\n\t\tcurrent->flags |= PF_A;\n\t}\n\treturn;\nout:\n\tgoto again;\n",
        // The test is the body of an unbraced `if` or loop: what follows runs without it.
        "\tif (x)\n\t\tif (in_interrupt())\n\t\t\treturn;\n\tcurrent->flags |= PF_A;\n",
        "\twhile (x)\n\t\tif (!in_task())\n\t\t\treturn;\n\tcurrent->flags |= PF_A;\n",
        "\tfor (;;)\n\t\tif (in_atomic())\n\t\t\tgoto out;\n\tcurrent->flags |= PF_A;\nout:\n\treturn;\n",
    ];
    for (n, body) in cases.iter().enumerate() {
        let got = contexts_of_f_under_a_timer(body);
        assert!(!got.is_empty(), "case {n}: no write");
        assert!(
            got.iter().all(|(_, c)| *c == CurrentIrq),
            "case {n}: {got:?}\n{body}"
        );
    }
}

#[test]
fn a_call_after_a_case_label_past_a_may_block_test_is_an_interrupt_path() {
    let mm = "static void reclaim(void)\n{\n\tcurrent->flags |= PF_A;\n}\nint charge(gfp_t gfp, int x)\n{\n\tswitch (x) {\n\tcase 0:\n\t\tif (!gfpflags_allow_blocking(gfp))\n\t\t\treturn 0;\n\t\tbreak;\n\tdefault:\n\t\treclaim();\n\t}\n\treturn 0;\n}\n";
    let ev = scan_mm_called_by_an_irq_handler(mm, "charge(GFP_ATOMIC, 1)");
    let a = write_in(&ev, "PF_A", "mm/memcontrol.c", 3);
    assert_eq!(a.context, ScanContext::CurrentIrq, "{:#?}", a.chain);
}

#[test]
fn odd_task_tests_do_not_panic() {
    for c in [
        "#define G(x) if (!in_task()) goto x\n",
        "#define H if (in_interrupt()) return\n",
        "#define K(g) if (!gfpflags_allow_blocking(g)) goto\n",
        "void f(void)\n{\n\tif (!in_task()) goto\n}\n",
        "void f(void)\n{\n\tif (!in_task()) return; l:\n}\n",
        "void f(void)\n{\n\tif (in_atomic( }\n",
        "void f(void)\n{\n\tif (in_interrupt()) return;\n\tcurrent->flags |= PF_A;\nx:}\n",
        "void f(void)\n{ if (!preemptible()) goto a; a: current->flags |= PF_A; }\n",
        "void f(void)\n{\n\tif (gfpflags_allow_blocking) return;\n\tcurrent->flags |= PF_A;\n}\n",
        "void f(void)\n{\n\tif (gfpflags_allow_blocking(\n",
        "#define M if (!in_task()) return; current->flags |= PF_A; lbl:\n",
    ] {
        let ev = scan_c(c);
        assert!(ev.files_scanned >= 1, "{c}");
    }
}
