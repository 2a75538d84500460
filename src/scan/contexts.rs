//! What a function's code says about the context of its writes: interrupt entry points it
//! registers or is (`request_irq()` handlers, softirq actions, tasklets, timers, NAPI `poll`,
//! exception entries), and tasks that cannot run (a child before `wake_up_new_task()`, a tracee
//! after `ptrace_check_attach()`, a kthread before its first wake-up). The tests around a write
//! (`in_interrupt()`, `in_task()`) are in [`super::guards`].

use serde::Serialize;

use super::lexer::{TokKind, Token};
use super::parse::{self, Unit, text};

/// A function that runs in interrupt context, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IrqRoot {
    pub function: String,
    /// `registered by request_irq() at file:line`, `softirq entry`, ...
    pub why: String,
    /// Line of the registration, or of the definition.
    pub line: u32,
    /// An entry by its own definition (`DEFINE_IDTENTRY*`, a trap handler, a name): it is that
    /// file's function, not a same-named one elsewhere.
    pub by_definition: bool,
}

/// Calls whose argument at `arg` is a function that runs in interrupt context.
const REGISTRARS: &[(&str, usize, &str)] = &[
    ("request_irq", 1, "hard-irq handler"),
    ("request_any_context_irq", 1, "hard-irq handler"),
    ("request_percpu_irq", 1, "hard-irq handler"),
    ("request_nmi", 1, "NMI handler"),
    ("devm_request_irq", 2, "hard-irq handler"),
    ("devm_request_any_context_irq", 2, "hard-irq handler"),
    // The primary handler only: the thread function runs in task context.
    ("request_threaded_irq", 1, "hard-irq handler"),
    ("devm_request_threaded_irq", 2, "hard-irq handler"),
    ("open_softirq", 1, "softirq action"),
    ("tasklet_init", 1, "tasklet"),
    ("tasklet_setup", 1, "tasklet"),
    ("DECLARE_TASKLET", 1, "tasklet"),
    ("DECLARE_TASKLET_OLD", 1, "tasklet"),
    ("timer_setup", 1, "timer callback"),
    ("DEFINE_TIMER", 1, "timer callback"),
    ("netif_napi_add", 2, "NAPI poll"),
    ("netif_napi_add_weight", 2, "NAPI poll"),
    ("netif_napi_add_tx", 2, "NAPI poll"),
    ("netif_napi_add_tx_weight", 2, "NAPI poll"),
    ("register_nmi_handler", 1, "NMI handler"),
    // Invoked by rcu_core() in RCU_SOFTIRQ (or by an rcuc/rcuo kthread when offloaded: the
    // weaker context is the one that counts). call_srcu() and call_rcu_tasks() callbacks run
    // from a workqueue or a kthread, as tasks.
    ("call_rcu", 1, "RCU callback (softirq)"),
    ("call_rcu_hurry", 1, "RCU callback (softirq)"),
];

/// Functions that are interrupt entries by name.
const ENTRY_NAMES: &[(&str, &str)] = &[
    ("handle_softirqs", "softirq entry"),
    ("__do_softirq", "softirq entry"),
    ("do_machine_check", "machine-check exception handler"),
    ("exc_machine_check", "machine-check exception handler"),
    ("exc_nmi", "NMI handler"),
    ("default_do_nmi", "NMI handler"),
];

/// The kind of exception entry a `DEFINE_IDTENTRY*(function)` defines. Every exception entry
/// counts as interrupt context (the hardware entered it between two instructions of whatever ran),
/// except the page fault: it is the task's own memory access, handled as the task, in the
/// context that made it (the kernel's "process context" that may sleep in `handle_mm_fault()`).
/// A synchronous trap from user mode cannot split a read-modify-write of the kernel's; the
/// reason printed says "exception", so a reviewer can tell it from a hard irq.
pub fn idtentry_is_irq(kind: &str, function: &str) -> Option<&'static str> {
    let rest = kind.strip_prefix("DEFINE_IDTENTRY")?;
    if function == "exc_page_fault" {
        None
    } else if rest.starts_with("_IRQ") || rest.starts_with("_SYSVEC") {
        Some("hard-irq entry")
    } else if rest.starts_with("_NMI") {
        Some("NMI entry")
    } else if rest.starts_with("_MCE") {
        Some("machine-check exception handler")
    } else if rest.starts_with("_DEBUG") {
        Some("debug exception handler (NMI-like)")
    } else {
        Some("exception handler")
    }
}

/// Is `rel` an architecture's trap file (`arch/*/kernel/traps*.c`), where the entry code in
/// assembly calls the `do_*(struct pt_regs *regs, ...)` exception handlers?
pub fn is_arch_traps_file(rel: &str) -> bool {
    let mut parts = rel.split('/');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next()),
        (Some("arch"), Some(_), Some("kernel"), Some(file), None)
            if file.starts_with("traps") && file.ends_with(".c")
    )
}

/// An exception handler of an arch trap file: a function `do_*` (not `static`) whose first
/// parameter is `struct pt_regs *`.
pub fn is_arch_trap_handler(name: &str, is_static: bool, first_param_type: &[&str]) -> bool {
    name.starts_with("do_")
        && !is_static
        && first_param_type.starts_with(&["struct", "pt_regs", "*"])
}

/// Every registrar: its name, and the argument that names the entry function.
pub fn registrars() -> impl Iterator<Item = (&'static str, usize)> {
    REGISTRARS.iter().map(|&(name, arg, _)| (name, arg))
}

pub fn entry_by_name(name: &str) -> Option<&'static str> {
    ENTRY_NAMES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, w)| *w)
}

/// The registrations of interrupt handlers in tokens `range` (a function body or a whole file).
pub fn registrations(
    src: &[u8],
    toks: &[Token],
    range: std::ops::Range<usize>,
    line: &dyn Fn(usize) -> u32,
) -> Vec<IrqRoot> {
    let mut out = Vec::new();
    for i in range.clone() {
        if toks[i].kind != TokKind::Ident || !toks.get(i + 1).is_some_and(|t| t.is(src, "(")) {
            continue;
        }
        let name = toks[i].text(src);
        let Some((name, arg, what)) = REGISTRARS.iter().find(|(n, _, _)| n.as_bytes() == name)
        else {
            continue;
        };
        let Some(close) = parse::matching(src, toks, i + 1, range.end) else {
            continue;
        };
        let args = parse::split_args(src, toks, i + 2, close);
        let Some(r) = args.get(*arg) else { continue };
        // `handler` or `&handler`.
        let fnt: Vec<&Token> = toks[r.clone()].iter().filter(|t| !t.is(src, "&")).collect();
        if let [t] = fnt.as_slice()
            && t.kind == TokKind::Ident
        {
            let l = line(i);
            out.push(IrqRoot {
                function: text(src, t).to_string(),
                why: format!("{what} registered by {name}() at line {l}"),
                line: l,
                by_definition: false,
            });
        }
    }
    out
}

/// A task local or parameter that cannot run over a range of a function.
#[derive(Clone, Debug)]
pub struct StoppedSpan {
    pub var: String,
    pub from: usize,
    pub to: usize,
    pub why: String,
}

/// Calls that return a task that has never run.
const CREATORS: &[(&str, &str)] = &[
    (
        "dup_task_struct",
        "new task from dup_task_struct(), not yet visible",
    ),
    ("alloc_task_struct_node", "task_struct just allocated"),
    (
        "copy_process",
        "child from copy_process(), before wake_up_new_task()",
    ),
    ("fork_idle", "idle task from fork_idle(), never woken"),
    (
        "kthread_create",
        "kthread from kthread_create(), before its first wake-up",
    ),
    (
        "kthread_create_on_node",
        "kthread from kthread_create_on_node(), before its first wake-up",
    ),
    (
        "kthread_create_on_cpu",
        "kthread from kthread_create_on_cpu(), before its first wake-up",
    ),
    (
        "__kthread_create_on_node",
        "kthread from __kthread_create_on_node(), before its first wake-up",
    ),
    (
        "create_io_thread",
        "io thread from create_io_thread(), before wake_up_new_task()",
    ),
];

/// Calls after which their task argument cannot run.
const STOPPERS: &[(&str, &str)] = &[
    (
        "ptrace_check_attach",
        "tracee frozen by ptrace_check_attach()",
    ),
    (
        "ptrace_freeze_traced",
        "tracee frozen by ptrace_freeze_traced()",
    ),
    (
        "wait_task_inactive",
        "off the CPU after wait_task_inactive()",
    ),
];

/// Calls that let their task argument run again.
const WAKERS: &[&str] = &[
    "wake_up_new_task",
    "wake_up_process",
    "wake_up_state",
    "kthread_unpark",
    "ptrace_unfreeze_traced",
];

/// Every stopped span of a function body, in one pass.
pub fn stopped_spans(src: &[u8], toks: &[Token], u: &Unit) -> Vec<StoppedSpan> {
    let mut out: Vec<StoppedSpan> = Vec::new();
    let body = u.body.clone();
    let mut i = body.start;
    while i + 1 < body.end {
        if toks[i].kind != TokKind::Ident || !toks[i + 1].is(src, "(") {
            i += 1;
            continue;
        }
        // On the bytes, before anything else: most calls are none of these.
        let name = toks[i].text(src);
        let is = |n: &&str| n.as_bytes() == name;
        let known = CREATORS.iter().any(|(n, _)| is(n))
            || STOPPERS.iter().any(|(n, _)| is(n))
            || WAKERS.iter().any(is);
        let Some(close) = known
            .then(|| parse::matching(src, toks, i + 1, body.end))
            .flatten()
        else {
            i += 1;
            continue;
        };
        let first_arg = || {
            parse::split_args(src, toks, i + 2, close)
                .first()
                .filter(|r| r.len() == 1)
                .map(|r| text(src, &toks[r.start]).to_string())
        };
        if let Some((_, why)) = CREATORS.iter().find(|(n, _)| is(n)) {
            // `v = creator(...)`
            if i >= 2 && toks[i - 1].is(src, "=") && toks[i - 2].kind == TokKind::Ident {
                out.push(StoppedSpan {
                    var: text(src, &toks[i - 2]).to_string(),
                    from: i,
                    to: body.end,
                    why: why.to_string(),
                });
            }
        } else if let Some((_, why)) = STOPPERS.iter().find(|(n, _)| is(n)) {
            if let Some(v) = first_arg() {
                out.push(StoppedSpan {
                    var: v,
                    from: close,
                    to: body.end,
                    why: why.to_string(),
                });
            }
        } else if WAKERS.iter().any(is)
            && let Some(v) = first_arg()
        {
            for s in out.iter_mut().filter(|s| s.var == v && s.to == body.end) {
                s.to = i;
            }
        }
        i += 1;
    }
    out
}

/// Why `var` cannot run at token `at`, if the function says so.
pub fn stopped_at(spans: &[StoppedSpan], var: &str, at: usize) -> Option<String> {
    spans
        .iter()
        .find(|s| s.var == var && s.from < at && at < s.to)
        .map(|s| s.why.clone())
}

/// Ops-table slots whose callback receives a task that cannot run: (struct, member, why).
const STOPPED_SLOTS: &[(&str, &str, &str)] = &[
    (
        "user_regset",
        "set",
        "regset `.set` callback: ptrace_regset() calls it on a tracee frozen by ptrace_check_attach()",
    ),
    (
        "user_regset",
        "get",
        "regset `.get` callback: ptrace_regset() calls it on a frozen tracee, the core dump on the dumping process's threads",
    ),
    (
        "user_regset",
        "regset_get",
        "regset `.regset_get` callback: ptrace_regset() calls it on a frozen tracee, the core dump on the dumping process's threads",
    ),
    (
        "cgroup_subsys",
        "fork",
        "cgroup `.fork` callback: cgroup_post_fork() calls it from copy_process() on the child before wake_up_new_task()",
    ),
];

/// A function of this file stored in a member (`.poll = process_backlog,` in an initializer,
/// `sd->backlog.poll = process_backlog;`): a call through that member in this file may run it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberSlot {
    pub member: String,
    pub function: String,
}

/// Every `.M = F` / `->M = F` of the file whose `F` is a function `defined` in the file (a
/// parameter or a variable stored there is not a known function).
pub fn member_slots(src: &[u8], toks: &[Token], defined: &dyn Fn(&str) -> bool) -> Vec<MemberSlot> {
    let mut out: Vec<MemberSlot> = Vec::new();
    for k in 0..toks.len().saturating_sub(4) {
        if !(toks[k].is(src, ".") || toks[k].is(src, "->"))
            || toks[k + 1].kind != TokKind::Ident
            || !toks[k + 2].is(src, "=")
            || toks[k + 3].kind != TokKind::Ident
            || !toks[k + 4].is(src, ",") && !toks[k + 4].is(src, "}") && !toks[k + 4].is(src, ";")
        {
            continue;
        }
        let function = text(src, &toks[k + 3]);
        if !defined(function) {
            continue;
        }
        let slot = MemberSlot {
            member: text(src, &toks[k + 1]).to_string(),
            function: function.to_string(),
        };
        if !out.contains(&slot) {
            out.push(slot);
        }
    }
    out
}

/// A function named in an ops table whose slot fixes the context of its task argument.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TableSlot {
    pub function: String,
    /// `struct user_regset`'s `.set`.
    pub slot: String,
    pub why: String,
    pub line: u32,
}

/// Designated initializers `.member = function` inside `struct TYPE ... = { ... }` initializers
/// of the tables in [`STOPPED_SLOTS`].
pub fn table_slots(src: &[u8], toks: &[Token], line: &dyn Fn(usize) -> u32) -> Vec<TableSlot> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 2 < toks.len() {
        if !toks[i].is(src, "struct") {
            i += 1;
            continue;
        }
        let ty = text(src, &toks[i + 1]);
        if !STOPPED_SLOTS.iter().any(|(t, _, _)| *t == ty) {
            i += 1;
            continue;
        }
        // The initializer: `struct T name[...] = {`
        let Some(eq) =
            (i + 2..toks.len().min(i + 12)).find(|&k| toks[k].is(src, "=") || toks[k].is(src, ";"))
        else {
            i += 1;
            continue;
        };
        if !toks[eq].is(src, "=") || !toks.get(eq + 1).is_some_and(|t| t.is(src, "{")) {
            i = eq;
            continue;
        }
        let end = parse::matching(src, toks, eq + 1, toks.len()).unwrap_or(toks.len());
        for k in eq + 1..end.saturating_sub(3) {
            if !toks[k].is(src, ".") || !toks[k + 2].is(src, "=") {
                continue;
            }
            let member = text(src, &toks[k + 1]);
            let f = &toks[k + 3];
            if let Some((_, _, why)) = STOPPED_SLOTS
                .iter()
                .find(|(t, m, _)| *t == ty && *m == member)
                && f.kind == TokKind::Ident
                && toks
                    .get(k + 4)
                    .is_some_and(|t| t.is(src, ",") || t.is(src, "}"))
            {
                out.push(TableSlot {
                    function: text(src, f).to_string(),
                    slot: format!("struct {ty} .{member}"),
                    why: why.to_string(),
                    line: line(k),
                });
            }
        }
        i = end;
    }
    out
}
