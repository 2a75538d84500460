//! What a file scan yields: accesses and their receivers, calls that pass tasks, helpers found.

use super::*;

/// Who an access is made on, as far as the enclosing function shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Recv {
    /// `current`, or a local that only ever holds `current`.
    Current { alias: Option<String> },
    /// The function's parameter number `index` (0-based); callers decide.
    Param {
        index: usize,
        name: String,
        typed: bool,
    },
    /// A `struct task_struct *` that is not `current`.
    Task { expr: String },
    /// An expression this reader cannot type.
    Untyped { expr: String },
}

#[derive(Clone, Debug, Serialize)]
pub struct RawAccess {
    pub flag: String,
    pub write: bool,
    /// The operation: `|=`, `&=`, `=`, `&` (test), `set_bit`, a helper's name, ...
    pub op: String,
    pub receiver: String,
    pub recv: Recv,
    pub function: String,
    pub line: u32,
    pub col: u32,
    /// Other flags in the same mask operation.
    pub group: Vec<String>,
    /// Helper definitions the access goes through.
    pub via: Vec<String>,
    /// Inside `switch (param) { case LABEL: ...}`: (parameter index, LABEL).
    #[serde(skip)]
    pub case_guard: Option<(usize, String)>,
    pub kind: AccessKind,
    /// Token index in the file (for ordering within a function).
    #[serde(skip)]
    pub tok: usize,
    /// Locks the function holds at the access.
    pub locks: Vec<HeldLock>,
    /// An `in_interrupt()`-style test around the access.
    pub irq_guard: Option<String>,
    /// An `in_task()` test that leaves only task context at the access.
    pub task_guard: Option<String>,
    /// Why the receiver cannot run here (`ptrace_check_attach()` before, a new child, ...).
    pub stopped: Option<String>,
    /// For a write on current: is it undone on every return path of the function?
    pub balance: Option<Balance>,
}

impl RawAccess {
    /// Is the receiver `current` (or an alias of it)?
    pub fn on_current(&self) -> bool {
        matches!(self.recv, Recv::Current { .. })
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Unclassified {
    pub name: String,
    pub function: String,
    pub line: u32,
    pub col: u32,
    pub reason: String,
}

/// Argument classes of a recorded call, for "every caller passes current".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Arg {
    Current,
    Param(usize),
    Task,
    /// An upper-case constant (`PR_SPEC_FORCE_DISABLE`).
    Const(String),
    /// A task that cannot run at the call, and why.
    Stopped(String),
    Other,
}

#[derive(Clone, Debug)]
pub struct Call {
    /// Interned per file: one allocation per distinct name, not per call.
    pub callee: std::sync::Arc<str>,
    /// Shared by every call of one function.
    pub caller: std::sync::Arc<str>,
    pub line: u32,
    /// The arguments up to the last one that says something about a task.
    pub args: Box<[Arg]>,
    /// Locks the caller holds at the call; one allocation shared by the calls of a function
    /// made under the same locks.
    pub locks: std::sync::Arc<[HeldLock]>,
    /// Made only where a test leaves task context (`if (gfpflags_allow_blocking(gfp))`, after
    /// `if (in_interrupt()) return;`): interrupt context does not take this call.
    pub task_only: bool,
}

impl Call {
    /// Does the call pass a task (so it can tell what a callee's task parameter receives)?
    pub fn passes_task(&self) -> bool {
        self.args.iter().any(|a| {
            matches!(
                a,
                Arg::Current | Arg::Param(_) | Arg::Task | Arg::Stopped(_)
            )
        })
    }
}

/// A call through member `member` in `caller` that may run `callee`, a function of the same
/// file stored in that member.
#[derive(Clone, Debug)]
pub struct IndirectCall {
    pub callee: std::sync::Arc<str>,
    pub caller: std::sync::Arc<str>,
    pub member: String,
    pub line: u32,
}

/// A helper found from its body: it writes or reads flags on `current` or on a parameter.
#[derive(Clone, Debug)]
pub struct FoundHelper {
    pub name: String,
    pub recv: HelperRecv,
    pub flags: Vec<String>,
    pub mask_param: Option<usize>,
    pub write: bool,
    pub line: u32,
    /// Locks held at its store, taken inside it.
    pub locks: Vec<String>,
    /// Why its target cannot run at the store (a wait inside it), whatever the caller passes.
    pub stopped: Option<String>,
    /// A `static` function of a `.c` file: a helper within that file only.
    pub is_static: bool,
    /// What its first store does.
    pub kind: AccessKind,
}

/// Small functions of a `.c` file that change a flag: at most this many statements.
pub const C_HELPER_MAX_STATEMENTS: usize = 8;

/// A function or macro a file defines.
#[derive(Clone, Debug)]
pub struct DefinedFn {
    pub name: std::sync::Arc<str>,
    /// A `static` function: only its own file calls it.
    pub is_static: bool,
    /// A function declared `__noreturn`: what called it never runs again.
    pub noreturn: bool,
}

#[derive(Debug, Default)]
pub struct FileScan {
    pub accesses: Vec<RawAccess>,
    pub unclassified: Vec<Unclassified>,
    pub calls: Vec<Call>,
    pub helpers: Vec<FoundHelper>,
    /// Bitfield-name accesses on receivers typed as another struct (not counted).
    pub other_struct: usize,
    /// The functions and macros the file defines.
    pub functions: Vec<DefinedFn>,
    /// Interrupt entry points this file defines or registers.
    pub irq_roots: Vec<IrqRoot>,
    /// Functions named in ops-table slots that fix their task argument's context.
    pub slots: Vec<TableSlot>,
    /// Calls through a member (`n->poll(n, weight)`) of functions this file stores in that
    /// member: followed to interrupt entries only.
    pub indirect: Vec<IndirectCall>,
}
