//! What a function's code says about the context of its writes: interrupt entry points it
//! registers or is (`request_irq()` handlers, softirq actions, tasklets, timers, NAPI `poll`,
//! exception entries), `in_interrupt()`-style guards, and tasks that cannot run (a child before
//! `wake_up_new_task()`, a tracee after `ptrace_check_attach()`, a kthread before its first wake-up).

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
        let name = text(src, &toks[i]);
        let Some((_, arg, what)) = REGISTRARS.iter().find(|(n, _, _)| *n == name) else {
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

/// A token range of a function under a positive `in_interrupt()`-style test, or (`task`)
/// where an `in_task()` test says the code runs as a task.
#[derive(Clone, Debug)]
pub struct IrqGuard {
    pub from: usize,
    pub to: usize,
    pub why: String,
    /// Task context (`if (in_task() && ...)`, after `if (!in_task()) return;`), not irq.
    pub task: bool,
}

/// Operators at the top level of the condition `from..to` (not inside parentheses).
fn top_level_ops(src: &[u8], toks: &[Token], from: usize, to: usize) -> (bool, bool) {
    let (mut and, mut or, mut depth) = (false, false, 0usize);
    for t in &toks[from..to] {
        match t.text(src) {
            b"(" | b"[" => depth += 1,
            b")" | b"]" => depth = depth.saturating_sub(1),
            b"&&" if depth == 0 => and = true,
            b"||" if depth == 0 => or = true,
            b"?" if depth == 0 => or = true, // a conditional: neither branch is sure
            _ => {}
        }
    }
    (and, or)
}

/// The end of the block holding token `at` (its `}`), or `end`.
fn block_end(src: &[u8], toks: &[Token], at: usize, end: usize) -> usize {
    let mut depth = 0usize;
    for (k, t) in toks.iter().enumerate().take(end).skip(at) {
        match t.text(src) {
            b"{" => depth += 1,
            b"}" if depth == 0 => return k,
            b"}" => depth -= 1,
            _ => {}
        }
    }
    end
}

/// What a test's truth says about the context: `Some(true)` when a true test leaves only task
/// context (`in_task()`; `gfpflags_allow_blocking(gfp)`: a caller that may sleep is no
/// interrupt; `preemptible()`), `Some(false)` when a false one does (`in_interrupt()`, which is
/// also true with bottom halves off; `in_atomic()`).
fn task_test(name: &str) -> Option<bool> {
    match name {
        "in_task" | "gfpflags_allow_blocking" | "preemptible" => Some(true),
        "in_interrupt" | "in_atomic" => Some(false),
        _ => None,
    }
}

/// The first label (`name:` at the start of a statement) of the block from `at` to its end
/// (`end`), not inside a nested block: code from there on is reached by a `goto` too.
fn label_or_block_end(src: &[u8], toks: &[Token], at: usize, end: usize) -> usize {
    let end = block_end(src, toks, at, end);
    let mut depth = 0usize;
    for k in at..end {
        match toks[k].text(src) {
            b"{" => depth += 1,
            b"}" => depth = depth.saturating_sub(1),
            _ if depth == 0
                && toks[k].kind == TokKind::Ident
                && toks.get(k + 1).is_some_and(|t| t.is(src, ":"))
                && matches!(toks[k - 1].text(src), b";" | b"{" | b"}")
                && !matches!(toks[k].text(src), b"default" | b"case") =>
            {
                return k;
            }
            _ => {}
        }
    }
    end
}

/// The task-context region a test `name(…)` at `k` in the condition `open..close` of an `if`
/// makes, if any, and the test as written (`!in_interrupt()`):
/// - `if (in_task() && …) …`, `if (!in_interrupt() && …) …`: the rest of the condition and the
///   branch;
/// - `if (… || !in_task()) return …;` (or `goto …;`): the rest of the block, up to its first
///   label (a `goto` from elsewhere reaches the code after it).
///
/// Only a test at the condition's top level, joined by `&&` (or `||` for the second form) and
/// compared with nothing, counts; not inside parentheses (`!(in_task() && x)`, `x && (y ||
/// in_task())`), and not after `else` (the other branch reaches the code too).
fn task_region(
    src: &[u8],
    toks: &[Token],
    u: &Unit,
    k: usize,
    open: usize,
    close: usize,
) -> Option<(usize, usize, String)> {
    let is = |i: usize, s: &str| toks.get(i).is_some_and(|t| t.is(src, s));
    let name = text(src, &toks[k]);
    let true_is_task = task_test(name)?;
    if !is(k + 1, "(") {
        return None;
    }
    let call_end = parse::matching(src, toks, k + 1, close)?;
    let depth = toks[open + 1..k]
        .iter()
        .fold(0isize, |d, t| match t.text(src) {
            b"(" | b"[" => d + 1,
            b")" | b"]" => d - 1,
            _ => d,
        });
    if depth != 0 {
        return None;
    }
    let negated = is(k - 1, "!");
    let start = if negated { k - 1 } else { k };
    let term_is_task = true_is_task != negated;
    let test = format!("{}{name}()", if negated { "!" } else { "" });
    let (and, or) = top_level_ops(src, toks, open + 1, close);
    let after_ok = |joiner: &str| call_end + 1 == close || is(call_end + 1, joiner);
    let then_end = if is(close + 1, "{") {
        parse::matching(src, toks, close + 1, u.body.end).unwrap_or(u.body.end)
    } else {
        parse::expr_end(src, toks, close + 1, u.body.end)
    };
    if term_is_task && (start == open + 1 || is(start - 1, "&&")) && after_ok("&&") && !or {
        // What follows the test in the condition (`in_task() && (current->flags & X)`) is
        // evaluated only in task context too.
        return Some((k, then_end, test));
    }
    let alone = start == open + 1 || is(start - 1, "||");
    let after_else = open >= 2 && is(open - 2, "else");
    let leaves = is(close + 1, "return") || is(close + 1, "goto");
    if !term_is_task && alone && after_ok("||") && !and && !after_else && leaves {
        let to = label_or_block_end(src, toks, then_end + 1, u.body.end);
        return Some((then_end, to, test));
    }
    None
}

/// Does any token of `toks` name a test [`irq_guards`] reads? (Most functions have none, and
/// need no guard pass.)
pub fn may_guard(src: &[u8], toks: &[Token]) -> bool {
    toks.iter().any(|t| {
        t.kind == TokKind::Ident && {
            let name = text(src, t);
            task_test(name).is_some() || IRQ_TESTS.contains(&name)
        }
    })
}

const IRQ_TESTS: &[&str] = &[
    "in_interrupt",
    "in_softirq",
    "in_serving_softirq",
    "in_nmi",
    "in_irq",
    "in_hardirq",
];

/// Every `if (in_interrupt() ...) { ... }` region of `u`, in one pass. A condition that negates
/// a test (`!in_interrupt()`) makes no region.
pub fn irq_guards(src: &[u8], toks: &[Token], u: &Unit) -> Vec<IrqGuard> {
    let mut out = Vec::new();
    let mut i = u.body.start;
    while i + 1 < u.body.end {
        if !toks[i].is(src, "if") || !toks[i + 1].is(src, "(") {
            i += 1;
            continue;
        }
        let Some(close) = parse::matching(src, toks, i + 1, u.body.end) else {
            i += 1;
            continue;
        };
        let tests: Vec<usize> = (i + 2..close)
            .filter(|&k| IRQ_TESTS.contains(&text(src, &toks[k])))
            .collect();
        let negated = tests.iter().any(|&k| toks[k - 1].is(src, "!"));
        if let Some((from, to, test)) = (i + 2..close)
            .filter(|&k| toks[k].kind == TokKind::Ident)
            .find_map(|k| task_region(src, toks, u, k, i + 1, close))
        {
            out.push(IrqGuard {
                from,
                to,
                why: format!("under an `{test}` test that leaves only task context here"),
                task: true,
            });
        }
        if let Some(&k) = tests.first()
            && !negated
        {
            let to = if toks.get(close + 1).is_some_and(|t| t.is(src, "{")) {
                parse::matching(src, toks, close + 1, u.body.end).unwrap_or(u.body.end)
            } else {
                parse::expr_end(src, toks, close + 1, u.body.end)
            };
            out.push(IrqGuard {
                from: close,
                to,
                why: format!("under `if ({}())`", text(src, &toks[k])),
                task: false,
            });
        }
        i = close;
    }
    out
}

/// The interrupt guard around token `at`, if any.
pub fn guard_at(guards: &[IrqGuard], at: usize) -> Option<String> {
    guards
        .iter()
        .find(|g| !g.task && g.from < at && at <= g.to)
        .map(|g| g.why.clone())
}

/// The `in_task()` guard around token `at`, if any.
pub fn task_guard_at(guards: &[IrqGuard], at: usize) -> Option<String> {
    guards
        .iter()
        .find(|g| g.task && g.from < at && at <= g.to)
        .map(|g| g.why.clone())
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
        let name = text(src, &toks[i]);
        let Some(close) = parse::matching(src, toks, i + 1, body.end) else {
            i += 1;
            continue;
        };
        let first_arg = || {
            parse::split_args(src, toks, i + 2, close)
                .first()
                .filter(|r| r.len() == 1)
                .map(|r| text(src, &toks[r.start]).to_string())
        };
        if let Some((_, why)) = CREATORS.iter().find(|(n, _)| *n == name) {
            // `v = creator(...)`
            if i >= 2 && toks[i - 1].is(src, "=") && toks[i - 2].kind == TokKind::Ident {
                out.push(StoppedSpan {
                    var: text(src, &toks[i - 2]).to_string(),
                    from: i,
                    to: body.end,
                    why: why.to_string(),
                });
            }
        } else if let Some((_, why)) = STOPPERS.iter().find(|(n, _)| *n == name) {
            if let Some(v) = first_arg() {
                out.push(StoppedSpan {
                    var: v,
                    from: close,
                    to: body.end,
                    why: why.to_string(),
                });
            }
        } else if WAKERS.contains(&name)
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
