//! Classify every occurrence of a flag name in one file: which flag, read or write, on which
//! receiver, in which function, through which helper.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::balance::{AccessKind, Balance, WriteAt};
use super::contexts::{self, IrqGuard, IrqRoot, StoppedSpan, TableSlot};
use super::lexer::{TokKind, Token, tokenize};
use super::locks::{self, HeldLock, LockSpan};
use super::names::{HelperRecv, Name, Names};
use super::parse::{self, Local, Unit, UnitKind, VarType, text};

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
    /// Why the receiver cannot run here (`ptrace_check_attach()` before, a new child, ...).
    pub stopped: Option<String>,
    /// For a write on current: is it undone on every return path of the function?
    pub balance: Option<Balance>,
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
    pub callee: String,
    pub caller: String,
    pub line: u32,
    pub args: Vec<Arg>,
    /// Locks the caller holds at the call.
    pub locks: Vec<HeldLock>,
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

#[derive(Debug, Default)]
pub struct FileScan {
    pub accesses: Vec<RawAccess>,
    pub unclassified: Vec<Unclassified>,
    pub calls: Vec<Call>,
    pub helpers: Vec<FoundHelper>,
    /// Bitfield-name accesses on receivers typed as another struct (not counted).
    pub other_struct: usize,
    pub functions: Vec<(String, bool)>,
    /// Interrupt entry points this file defines or registers.
    pub irq_roots: Vec<IrqRoot>,
    /// Functions named in ops-table slots that fix their task argument's context.
    pub slots: Vec<TableSlot>,
}

const BITOPS_WRITE: &[&str] = &[
    "set_bit",
    "clear_bit",
    "change_bit",
    "__set_bit",
    "__clear_bit",
    "__change_bit",
    "test_and_set_bit",
    "test_and_clear_bit",
    "test_and_change_bit",
    "assign_bit",
    "set_bit_lock",
    "clear_bit_unlock",
];
const BITOPS_READ: &[&str] = &["test_bit", "variable_test_bit", "constant_test_bit"];
/// Calls that only wrap a condition: a flag inside them is part of the enclosing expression.
const WRAPPERS: &[&str] = &[
    "likely",
    "unlikely",
    "WARN_ON",
    "WARN_ON_ONCE",
    "BUG_ON",
    "READ_ONCE",
    "data_race",
    "WARN_ON_FUNCTION_MISMATCH",
];

type MaskMap = HashMap<String, (Vec<String>, Vec<usize>)>;

struct MaskToks(Vec<usize>);

struct Switch {
    open: usize,
    close: usize,
    param: Option<usize>,
    labels: Vec<(usize, String)>,
}

impl MaskToks {
    fn contains(&self, i: &usize) -> bool {
        self.0.binary_search(i).is_ok()
    }
}

/// Per-statement results reused by every hit of one statement (an enormous statement full of
/// flag names must not cost quadratic time).
#[derive(Default)]
#[allow(clippy::type_complexity)]
struct Memo {
    stmt: Option<(usize, usize)>,
    accesses: Option<((usize, usize), Vec<(usize, usize, bool, usize)>)>,
    flags: Option<((usize, usize), Vec<String>, Vec<String>)>,
    guard: Option<(usize, Option<(usize, String)>)>,
    mask_toks: Option<(usize, MaskToks)>,
    switches: Option<(usize, Vec<Switch>)>,
    mask_param: Option<(usize, Option<usize>)>,
    /// (byte offset, column) of the last position computed.
    col: Option<(u32, u32, u32)>,
}

struct Ctx<'a> {
    memo: std::cell::RefCell<Memo>,
    file_masks: MaskMap,
    file_masks_used: HashSet<String>,
    /// Simple assignments of the unit being read (for `rq->curr` of this CPU).
    assigns: parse::Assigns,
    src: &'a [u8],
    toks: &'a [Token],
    names: &'a Names,
    lines: Vec<u32>,
    out: FileScan,
    /// Per-function facts of the unit being read.
    lock_spans: Vec<LockSpan>,
    stopped: Vec<StoppedSpan>,
    guards: Vec<IrqGuard>,
    /// Static functions this file defines: they win over a same-named helper elsewhere.
    file_statics: HashSet<String>,
    /// Every function this file defines.
    file_functions: HashSet<String>,
    header: bool,
    /// Reading a `.c` file for helpers: small functions writing a flag are helpers too.
    c_helpers: bool,
}

/// Scan one file's text.
pub fn scan_file(src: &[u8], names: &Names, header: bool) -> FileScan {
    scan_mode(src, names, header, false)
}

/// Helpers defined in a `.c` file (`kernel/freezer.c`: `set_freezable()`; `kernel/kthread.c`:
/// `kthread_bind()`): non-static functions of at most [`C_HELPER_MAX_STATEMENTS`] statements that
/// write a flag of `current` or of a parameter, directly or through the file's own static
/// functions that do (read as helpers within the file, then dropped). Their locks and a wait
/// inside them go with them to the call sites.
pub fn c_file_helpers(src: &[u8], names: &Names, file: &str) -> Vec<FoundHelper> {
    let mut local: Option<Names> = None;
    let mut found = Vec::new();
    for _round in 0..4 {
        let fs = scan_mode(src, local.as_ref().unwrap_or(names), false, true);
        let mut grown = false;
        for h in fs.helpers {
            if !h.write || found.iter().any(|f: &FoundHelper| f.name == h.name) {
                continue;
            }
            if h.is_static {
                let table = local.get_or_insert_with(|| names.clone());
                grown |= table.add_helper(h.to_helper(file));
            }
            found.push(h);
        }
        if !grown {
            break;
        }
    }
    found.retain(|h| !h.is_static);
    found
}

impl FoundHelper {
    /// The helper as the name table holds it, defined at `file`.
    pub fn to_helper(&self, file: &str) -> crate::scan::names::Helper {
        crate::scan::names::Helper {
            name: self.name.clone(),
            recv: self.recv,
            flags: self.flags.clone(),
            mask_param: self.mask_param,
            mask_rest: false,
            asserts: None,
            inner_locks: self.locks.clone(),
            stopped: self.stopped.clone(),
            kind: file.ends_with(".c").then_some(self.kind),
            write: self.write,
            def: format!("{file}:{}", self.line),
            how: if file.ends_with(".c") {
                "c-body"
            } else {
                "body"
            },
        }
    }
}

fn scan_mode(src: &[u8], names: &Names, header: bool, c_helpers: bool) -> FileScan {
    let toks = tokenize(src);
    let mut lines = Vec::new();
    lines.push(0u32);
    for i in memchr::memchr_iter(b'\n', src) {
        lines.push(u32::try_from(i + 1).unwrap_or(u32::MAX));
    }
    let mut cx = Ctx {
        memo: std::cell::RefCell::new(Memo::default()),
        file_masks: HashMap::new(),
        file_masks_used: HashSet::new(),
        assigns: HashMap::new(),
        src,
        toks: &toks,
        names,
        lines,
        out: FileScan::default(),
        lock_spans: Vec::new(),
        stopped: Vec::new(),
        guards: Vec::new(),
        file_statics: HashSet::new(),
        file_functions: HashSet::new(),
        header,
        c_helpers,
    };
    let units = parse::units(src, &toks, &names.object);
    cx.file_statics = units
        .iter()
        .filter(|u| u.kind == UnitKind::Function && u.is_static && !u.is_inline)
        .map(|u| u.name.clone())
        .collect();
    cx.file_functions = units
        .iter()
        .filter(|u| u.kind == UnitKind::Function)
        .map(|u| u.name.clone())
        .collect();
    let slots = contexts::table_slots(src, &toks, &|k| cx.line_of(k));
    let mut roots = contexts::registrations(src, &toks, 0..toks.len(), &|k| cx.line_of(k));
    roots.extend(cx.entry_roots(&units));
    cx.out.slots = slots;
    cx.out.irq_roots = roots;
    // `#define PR_IO_FLUSHER (PF_MEMALLOC_NOIO | PF_LOCAL_THROTTLE)`: a mask named by a macro.
    let file_masks = cx.mask_macros(&units);
    cx.file_masks = file_masks.clone();
    let mut covered = vec![false; toks.len()];
    for u in &units {
        for c in covered.iter_mut().take(u.body.end).skip(u.name_tok) {
            *c = true;
        }
        cx.out
            .functions
            .push((u.name.clone(), u.is_static && u.kind == UnitKind::Function));
        cx.unit(u, header);
    }
    for (name, (flags, at)) in &file_masks {
        if cx.file_masks_used.contains(name) {
            continue;
        }
        for (f, i) in flags.iter().zip(at) {
            let reason =
                format!("in mask macro `{name}`, not applied to a task's flags in this file");
            cx.unclassified(*i, f, name, &reason);
        }
    }
    // Flag names outside every function and macro: initializers, declarations.
    for (i, t) in toks.iter().enumerate() {
        if covered[i] || t.kind != TokKind::Ident {
            continue;
        }
        if let Some(Name::Flag(f)) = names.get(text(src, t))
            && names.flags[*f].kind != crate::model::Kind::Bitfield
        {
            let name = text(src, t).to_string();
            cx.unclassified(
                i,
                &name,
                "",
                "outside any function (an initializer or declaration)",
            );
        }
    }
    cx.out
}

impl<'a> Ctx<'a> {
    fn t(&self, i: usize) -> &'a str {
        self.toks.get(i).map_or("", |t| text(self.src, t))
    }

    fn pos(&self, i: usize) -> (u32, u32) {
        let off = self.toks.get(i).map_or(0, |t| t.start);
        let line = self.lines.partition_point(|&s| s <= off);
        let start = self.lines.get(line.saturating_sub(1)).copied().unwrap_or(0);
        // Count characters from the last position on the same line (hits come in order).
        let mut memo = self.memo.borrow_mut();
        let (from, base) = match memo.col {
            Some((ls, o, c)) if ls == start && o <= off => (o, c),
            _ => (start, 1),
        };
        let count = self
            .src
            .get(from as usize..off as usize)
            .map_or(0, |s| s.iter().filter(|&&b| (b & 0xC0) != 0x80).count());
        let col = base.saturating_add(u32::try_from(count).unwrap_or(u32::MAX));
        memo.col = Some((start, off, col));
        (u32::try_from(line).unwrap_or(u32::MAX), col)
    }

    fn line_of(&self, i: usize) -> u32 {
        let off = self.toks.get(i).map_or(0, |t| t.start);
        u32::try_from(self.lines.partition_point(|&s| s <= off)).unwrap_or(u32::MAX)
    }

    /// Functions that are interrupt entries by their name or by the macro that defines them.
    fn entry_roots(&self, units: &[Unit]) -> Vec<IrqRoot> {
        let mut out = Vec::new();
        for u in units.iter().filter(|u| u.kind == UnitKind::Function) {
            let why = match &u.defined_by {
                Some(m) => contexts::idtentry_is_irq(m).map(|w| format!("{w} ({m})")),
                None => contexts::entry_by_name(&u.name).map(str::to_string),
            };
            if let Some(why) = why {
                out.push(IrqRoot {
                    function: u.name.clone(),
                    line: self.line_of(u.name_tok),
                    why,
                });
            }
        }
        out
    }

    /// Balance of every write on current among the writes of one function.
    fn balances(&self, u: &Unit, acc: &mut [RawAccess]) {
        let returns: Vec<(usize, u32)> = u
            .body
            .clone()
            .filter(|&k| self.t(k) == "return")
            .map(|k| (k, self.line_of(k)))
            .collect();
        let writes: Vec<WriteAt> = acc
            .iter()
            .map(|a| WriteAt {
                flag: &a.flag,
                kind: a.kind,
                tok: a.tok,
                on_current: a.write && matches!(a.recv, Recv::Current { .. }),
            })
            .collect();
        let restores = super::balance::restores_by_flag(&writes);
        let out: Vec<Option<Balance>> = writes
            .iter()
            .map(|w| super::balance::balance(w, &restores, &returns, &u.name, &|k| self.line_of(k)))
            .collect();
        for (a, b) in acc.iter_mut().zip(out) {
            a.balance = b;
        }
    }

    /// `X->flags = v` with no flag in `v`: a store of the whole word, a write of all its flags.
    fn whole_word_stores(
        &mut self,
        u: &Unit,
        locals: &HashMap<String, Local>,
        acc: &mut Vec<RawAccess>,
    ) {
        for a in u.body.clone() {
            if self.t(a) != "->" || self.t(a + 2) != "=" {
                continue;
            }
            let word = self.t(a + 1);
            if !self.names.mask_words.iter().any(|w| w == word) {
                continue;
            }
            let (s, e) = self.stmt(u, a);
            let re = parse::expr_end(self.src, self.toks, a + 3, e);
            let has_flag = (a + 3..re).any(|k| {
                self.names.get(self.t(k)).is_some() || self.file_masks.contains_key(self.t(k))
            });
            if has_flag || re <= a + 3 {
                continue;
            }
            let Some((rs, _)) = self.receiver_before(s, a) else {
                continue;
            };
            // Only a typed task: `sig->flags = SIGNAL_GROUP_EXIT` is another struct's word.
            let Some(recv) = self.resolve(u, locals, rs, a).filter(|r| {
                matches!(
                    r,
                    Recv::Current { .. } | Recv::Task { .. } | Recv::Param { typed: true, .. }
                )
            }) else {
                continue;
            };
            let receiver = self.expr_text(rs, a);
            let value = self.expr_text(a + 3, re);
            let flags: Vec<String> = self
                .names
                .flags
                .iter()
                .filter(|f| f.word == word && f.kind == crate::model::Kind::Mask)
                .map(|f| f.name.clone())
                .collect();
            for f in flags {
                self.push(
                    acc,
                    a + 1,
                    &f,
                    true,
                    &format!("= {value} (whole word)"),
                    receiver.clone(),
                    recv.clone(),
                    u,
                    Vec::new(),
                    Vec::new(),
                );
                if let Some(last) = acc.last_mut() {
                    last.kind = AccessKind::Whole;
                }
            }
        }
    }

    fn unclassified(&mut self, i: usize, name: &str, function: &str, reason: &str) {
        let (line, col) = self.pos(i);
        self.out.unclassified.push(Unclassified {
            name: name.to_string(),
            function: function.to_string(),
            line,
            col,
            reason: reason.to_string(),
        });
    }

    fn unit(&mut self, u: &Unit, header: bool) {
        // A flag's own #define is not an access; a mask macro is read where it is used.
        if u.kind == UnitKind::Macro
            && (matches!(self.names.get(&u.name), Some(Name::Flag(_)))
                || self.file_masks.contains_key(&u.name))
        {
            return;
        }
        let body = u.body.clone();
        let has_hit = (body.clone()).any(|i| {
            self.toks[i].kind == TokKind::Ident
                && (self.names.get(self.t(i)).is_some() || self.file_masks.contains_key(self.t(i)))
        });
        let locals = if u.kind == UnitKind::Function {
            parse::locals(self.src, self.toks, body.clone(), &self.names.object)
        } else {
            HashMap::new()
        };
        if u.kind == UnitKind::Function {
            self.lock_spans = locks::spans(self.src, self.toks, body.clone(), &|k| self.line_of(k));
            self.stopped = contexts::stopped_spans(self.src, self.toks, u);
        } else {
            self.lock_spans.clear();
            self.stopped.clear();
        }
        self.guards = if has_hit {
            contexts::irq_guards(self.src, self.toks, u)
        } else {
            Vec::new()
        };
        self.assigns = if u.kind == UnitKind::Function && has_hit {
            parse::assignments(self.src, self.toks, body.clone())
        } else {
            HashMap::new()
        };
        if u.kind == UnitKind::Function {
            self.record_calls(u, &locals);
        }
        let helper_unit = u.kind == UnitKind::Macro
            || (header && u.is_inline)
            || (self.c_helpers && u.kind == UnitKind::Function && self.is_small_c_helper(u));
        if !has_hit {
            if helper_unit {
                self.mask_param_helper(u, &locals);
            }
            return;
        }
        let mut masks = self.local_masks(u, &locals);
        for (k, v) in &self.file_masks {
            masks
                .entry(k.clone())
                .or_insert_with(|| (v.0.clone(), Vec::new()));
        }
        let mut used_masks: HashSet<String> = HashSet::new();
        let mut acc: Vec<RawAccess> = Vec::new();
        for i in body.clone() {
            if self.toks[i].kind != TokKind::Ident {
                continue;
            }
            let Some(name) = self.names.get(self.t(i)) else {
                continue;
            };
            match name {
                Name::Flag(f) => {
                    let flag = &self.names.flags[*f];
                    match flag.kind {
                        crate::model::Kind::Mask => {
                            self.mask_hit(u, &locals, &masks, &mut used_masks, i, &mut acc)
                        }
                        crate::model::Kind::Bitnum => self.bitnum_hit(u, &locals, i, &mut acc),
                        crate::model::Kind::Bitfield => self.bitfield_hit(u, &locals, i, &mut acc),
                    }
                }
                Name::Helper(h) => self.helper_hit(u, &locals, &masks, *h, i, &mut acc),
            }
        }
        // Uses of a local mask in a flags operation: `p->flags &= ~m`.
        for i in body.clone() {
            let w = self.t(i);
            if self.toks[i].kind != TokKind::Ident || matches!(self.t(i + 1), "=" | "|=") {
                continue;
            }
            let Some((flags, _)) = masks.get(w) else {
                continue;
            };
            let (s, e) = self.stmt(u, i);
            let Some((rs, a, write, re)) = self.mask_target(s, e, i) else {
                continue;
            };
            if !write || i <= a + 2 || i >= re {
                continue;
            }
            let Some(recv) = self.resolve(u, &locals, rs, a) else {
                continue;
            };
            used_masks.insert(w.to_string());
            let group = self.flags_in(a + 3, re, &masks, &mut used_masks);
            let receiver = self.expr_text(rs, a);
            let op = self.t(a + 2).to_string();
            for f in flags.clone() {
                if acc.iter().any(|x| x.flag == f && x.line == self.pos(i).0) {
                    continue;
                }
                self.push(
                    &mut acc,
                    i,
                    &f,
                    true,
                    &op,
                    receiver.clone(),
                    recv.clone(),
                    u,
                    group.clone(),
                    Vec::new(),
                );
            }
        }
        // Masks built in a local but never applied here.
        for (var, (flags, toks)) in &masks {
            if self.file_masks.contains_key(var) {
                if used_masks.contains(var) {
                    self.file_masks_used.insert(var.clone());
                }
                continue;
            }
            if used_masks.contains(var) {
                continue;
            }
            for (f, ti) in flags.iter().zip(toks) {
                self.unclassified(
                    *ti,
                    f,
                    &u.name,
                    &format!("mask built in local `{var}`, not applied to a task's flags in this function"),
                );
            }
        }
        if u.kind == UnitKind::Function {
            self.whole_word_stores(u, &locals, &mut acc);
        }
        self.balances(u, &mut acc);
        // A macro or header inline that writes current's or a parameter's flags is a helper.
        if helper_unit {
            self.find_helpers(u, &acc);
        }
        for a in acc {
            if helper_unit && matches!(a.recv, Recv::Param { .. }) {
                // Represented at the helper's call sites.
                continue;
            }
            if u.kind == UnitKind::Macro && matches!(a.recv, Recv::Untyped { .. }) {
                let (line, col) = (a.line, a.col);
                self.out.unclassified.push(Unclassified {
                    name: a.flag,
                    function: u.name.clone(),
                    line,
                    col,
                    reason: format!("in macro `{}` on `{}`", u.name, a.receiver),
                });
                continue;
            }
            self.out.accesses.push(a);
        }
    }

    fn find_helpers(&mut self, u: &Unit, acc: &[RawAccess]) {
        /// What one receiver of a unit gets: flags, a mask parameter, the first store's line,
        /// the locks and the wait around that store.
        struct Seen {
            flags: Vec<String>,
            mask_param: Option<usize>,
            line: u32,
            locks: Vec<String>,
            stopped: Option<String>,
            kind: AccessKind,
        }
        let mut by_recv: HashMap<(HelperRecv, bool), Seen> = HashMap::new();
        // Read helpers: only small, direct tests of a parameter (`tsk_used_math(p)`); a reader
        // of current (`copy_to_user` testing PF_KTHREAD deep inside) would flood the evidence.
        let statements = u.body.clone().filter(|&k| self.t(k) == ";").count();
        // A `.c` function is a helper for the stores it makes on every call (`kthread_bind()`),
        // not for one behind a test (`kthread_unpark()` rebinds only per-CPU threads).
        let c_function = self.c_helpers && u.kind == UnitKind::Function;
        for a in acc {
            if !a.write
                && (matches!(a.recv, Recv::Current { .. }) || !a.via.is_empty() || statements > 2)
            {
                continue;
            }
            if c_function && !self.unconditional(u, a.tok) {
                continue;
            }
            let recv = match &a.recv {
                Recv::Current { .. } => HelperRecv::Current,
                Recv::Param { index, .. } => HelperRecv::Param(*index),
                _ => continue,
            };
            let e = by_recv.entry((recv, a.write)).or_insert_with(|| Seen {
                flags: Vec::new(),
                mask_param: None,
                line: a.line,
                locks: a.locks.iter().map(|l| l.lock.clone()).collect(),
                stopped: a.stopped.clone(),
                kind: a.kind,
            });
            if a.flag.is_empty() {
                continue;
            }
            if let Some(mp) = a.op.strip_prefix("mask-param:") {
                e.mask_param = mp.parse().ok();
            } else if !e.flags.contains(&a.flag) {
                e.flags.push(a.flag.clone());
            }
        }
        let mut keys: Vec<_> = by_recv.into_iter().collect();
        keys.sort_by_key(|((r, w), _)| (!*w, format!("{r:?}")));
        // One helper per unit: its writes win over its reads.
        if let Some(((recv, write), seen)) = keys.into_iter().next()
            && (!seen.flags.is_empty() || seen.mask_param.is_some())
        {
            self.out.helpers.push(FoundHelper {
                name: u.name.clone(),
                recv,
                flags: seen.flags,
                mask_param: seen.mask_param,
                write,
                line: seen.line,
                locks: seen.locks,
                stopped: seen.stopped,
                is_static: u.is_static && !u.is_inline && u.kind == UnitKind::Function,
                kind: seen.kind,
            });
        }
    }

    /// Token `i` sits in a statement of the function's outermost block that no `if`, loop,
    /// `switch` or `case` governs: it runs on every call that gets that far.
    fn unconditional(&self, u: &Unit, i: usize) -> bool {
        let mut depth = 0i32;
        let mut start = u.body.start;
        for k in u.body.start..i.min(u.body.end) {
            match self.t(k) {
                "{" => depth += 1,
                "}" => depth -= 1,
                _ => {}
            }
            if matches!(self.t(k), ";" | "{" | "}") {
                start = k + 1;
            }
        }
        // Skip a label (`unlock:`) before the statement.
        while start + 1 < i && self.toks[start].kind == TokKind::Ident && self.t(start + 1) == ":" {
            start += 2;
        }
        depth == 0
            && !matches!(
                self.t(start),
                "if" | "else" | "for" | "while" | "do" | "switch" | "case" | "default"
            )
    }

    /// A function of a `.c` file small enough to be an accessor (`set_freezable()`: five
    /// statements), not code whose callers would all become writers (`try_to_wake_up()`).
    fn is_small_c_helper(&self, u: &Unit) -> bool {
        !u.is_inline
            && u.body.clone().filter(|&k| self.t(k) == ";").count() <= C_HELPER_MAX_STATEMENTS
    }

    /// Statement bounds around token `i` inside `u`: after the previous `;{}` to the next one.
    fn stmt(&self, u: &Unit, i: usize) -> (usize, usize) {
        if let Some((s, e)) = self.memo.borrow().stmt
            && s <= i
            && i < e
            && s >= u.body.start
            && e <= u.body.end
        {
            return (s, e);
        }
        let r = self.stmt_scan(u, i);
        self.memo.borrow_mut().stmt = Some(r);
        r
    }

    fn stmt_scan(&self, u: &Unit, i: usize) -> (usize, usize) {
        let is_b = |j: usize| matches!(self.t(j), ";" | "{" | "}");
        let mut s = i;
        while s > u.body.start && !is_b(s - 1) {
            s -= 1;
        }
        let mut e = i;
        while e < u.body.end && !is_b(e) {
            e += 1;
        }
        (s, e)
    }

    /// Tokens of the receiver expression that ends just before token `arrow`.
    fn receiver_before(&self, floor: usize, arrow: usize) -> Option<(usize, usize)> {
        let end = arrow;
        let mut j = arrow.checked_sub(1)?;
        if j < floor {
            return None;
        }
        loop {
            let t = self.t(j);
            if t == ")" || t == "]" {
                let o = parse::matching_back(self.src, self.toks, j, floor)?;
                j = o;
                // A call or index: include what it applies to.
                if o > floor && (self.toks[o - 1].kind == TokKind::Ident || self.t(o - 1) == "]") {
                    j = o - 1;
                    if self.t(j) == "]" {
                        continue;
                    }
                }
            } else if self.toks[j].kind != TokKind::Ident {
                return None;
            }
            if j >= floor + 2 && matches!(self.t(j - 1), "->" | ".") {
                j -= 2;
                continue;
            }
            return Some((j, end));
        }
    }

    fn expr_text(&self, s: usize, e: usize) -> String {
        let mut out = String::new();
        for k in s..e {
            out.push_str(self.t(k));
        }
        out
    }

    /// What the tokens `s..e` denote as a receiver; `None` for a pointer to another struct.
    fn resolve(
        &self,
        u: &Unit,
        locals: &HashMap<String, Local>,
        s: usize,
        e: usize,
    ) -> Option<Recv> {
        let mut s = s;
        let mut e = e;
        while e > s + 1
            && self.t(s) == "("
            && parse::matching(self.src, self.toks, s, e) == Some(e - 1)
        {
            s += 1;
            e -= 1;
        }
        // Casts to the task type.
        let expr = self.expr_text(s, e);
        let task = self.names.object.is_task;
        if task && parse::is_current_expr(self.src, &self.toks[s..e]) {
            return Some(Recv::Current { alias: None });
        }
        if e == s + 1 && self.toks[s].kind == TokKind::Ident {
            let name = self.t(s);
            if let Some(l) = locals.get(name) {
                if task && l.assigned && l.only_current {
                    return Some(Recv::Current {
                        alias: Some(format!("{name} = current")),
                    });
                }
                if task
                    && l.ty == VarType::Task
                    && let Some(rhs) = self.assigns.get(name)
                {
                    let before: Vec<&(usize, String)> =
                        rhs.iter().filter(|(k, _)| *k < s).collect();
                    if !before.is_empty()
                        && before
                            .iter()
                            .all(|(k, r)| parse::this_cpu_curr(r, &self.assigns, *k))
                    {
                        return Some(Recv::Current {
                            alias: Some(format!(
                                "{name} = {} (this CPU's running task)",
                                before[0].1
                            )),
                        });
                    }
                }
                return match l.ty {
                    VarType::Task => Some(Recv::Task { expr }),
                    VarType::Other => None,
                    VarType::Untyped => Some(Recv::Untyped { expr }),
                };
            }
            if let Some(index) = u.params.iter().position(|p| p.name == name) {
                let p = &u.params[index];
                return match p.ty {
                    VarType::Other => None,
                    ty => Some(Recv::Param {
                        index,
                        name: name.to_string(),
                        typed: ty == VarType::Task,
                    }),
                };
            }
            if task && name == "init_task" {
                return Some(Recv::Task { expr });
            }
            return Some(Recv::Untyped { expr });
        }
        if task && parse::this_cpu_curr(&expr, &self.assigns, s) {
            return Some(Recv::Current {
                alias: Some(format!("{expr} of this CPU's runqueue")),
            });
        }
        if e >= s + 3
            && self.t(e - 2) == "->"
            && self.names.object.members.iter().any(|m| m == self.t(e - 1))
        {
            return Some(Recv::Task { expr });
        }
        if task && self.t(s) == "&" && self.t(s + 1) == "init_task" {
            return Some(Recv::Task { expr });
        }
        Some(Recv::Untyped { expr })
    }

    /// Parameterless macros whose body is only mask flag names and operators.
    fn mask_macros(&self, units: &[Unit]) -> MaskMap {
        let mut out = MaskMap::new();
        for u in units
            .iter()
            .filter(|u| u.kind == UnitKind::Macro && u.params.is_empty())
        {
            let mut flags = Vec::new();
            let mut at = Vec::new();
            let mut pure = true;
            for k in u.body.clone() {
                let w = self.t(k);
                match self.names.get(w) {
                    Some(Name::Flag(f))
                        if self.names.flags[*f].kind == crate::model::Kind::Mask =>
                    {
                        flags.push(w.to_string());
                        at.push(k);
                    }
                    _ if self.toks[k].kind == TokKind::Punct
                        && matches!(w, "(" | ")" | "|" | "~" | "&") => {}
                    _ => pure = false,
                }
            }
            if pure && !flags.is_empty() {
                out.insert(u.name.clone(), (flags, at));
            }
        }
        out
    }

    /// Locals that hold a mask built from flag names: `unsigned f = PF_A | PF_B;`, `f |= PF_C`.
    #[allow(clippy::type_complexity)]
    fn local_masks(
        &self,
        u: &Unit,
        locals: &HashMap<String, Local>,
    ) -> HashMap<String, (Vec<String>, Vec<usize>)> {
        let mut out: HashMap<String, (Vec<String>, Vec<usize>)> = HashMap::new();
        let _ = locals;
        let mut i = u.body.start;
        while i + 1 < u.body.end {
            let t = &self.toks[i];
            if t.kind == TokKind::Ident
                && matches!(self.t(i + 1), "=" | "|=")
                && !matches!(self.t(i.wrapping_sub(1)), "->" | "." | "*")
            {
                let e = parse::expr_end(self.src, self.toks, i + 2, u.body.end);
                let mut found = Vec::new();
                for k in i + 2..e {
                    if let Some(Name::Flag(f)) = self.names.get(self.t(k))
                        && self.names.flags[*f].kind == crate::model::Kind::Mask
                    {
                        found.push((self.names.flags[*f].name.clone(), k));
                    }
                }
                // Only a pure mask (flag names and operators), not `x = p->flags & PF_A`.
                let pure = (i + 2..e).all(|k| {
                    let w = self.t(k);
                    self.toks[k].kind != TokKind::Ident
                        || self.names.get(w).is_some()
                        || out.contains_key(w)
                });
                if !found.is_empty() && pure {
                    let entry = out.entry(self.t(i).to_string()).or_default();
                    for (f, k) in found {
                        entry.0.push(f);
                        entry.1.push(k);
                    }
                }
                i = e;
            }
            i += 1;
        }
        out
    }

    /// Mask flag names (and local masks, expanded) in tokens `s..e`.
    fn flags_in(
        &self,
        s: usize,
        e: usize,
        masks: &HashMap<String, (Vec<String>, Vec<usize>)>,
        used: &mut HashSet<String>,
    ) -> Vec<String> {
        if let Some((k, out, u)) = &self.memo.borrow().flags
            && *k == (s, e)
        {
            used.extend(u.iter().cloned());
            return out.clone();
        }
        let mut mine = HashSet::new();
        let out = self.flags_in_scan(s, e, masks, &mut mine);
        self.memo.borrow_mut().flags = Some(((s, e), out.clone(), mine.iter().cloned().collect()));
        used.extend(mine);
        out
    }

    fn flags_in_scan(
        &self,
        s: usize,
        e: usize,
        masks: &HashMap<String, (Vec<String>, Vec<usize>)>,
        used: &mut HashSet<String>,
    ) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for k in s..e {
            let w = self.t(k);
            if let Some(Name::Flag(f)) = self.names.get(w)
                && self.names.flags[*f].kind == crate::model::Kind::Mask
            {
                out.push(w.to_string());
            } else if let Some((fl, _)) = masks.get(w)
                && !matches!(self.t(k + 1), "=" | "|=")
            {
                used.insert(w.to_string());
                out.extend(fl.iter().cloned());
            }
        }
        out.sort();
        out.dedup();
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &self,
        acc: &mut Vec<RawAccess>,
        at: usize,
        flag: &str,
        write: bool,
        op: &str,
        receiver: String,
        recv: Recv,
        u: &Unit,
        group: Vec<String>,
        via: Vec<String>,
    ) {
        let (line, col) = self.pos(at);
        let case_guard = self.case_guard(u, at);
        let kind = if write {
            AccessKind::of_write(op)
        } else {
            AccessKind::Read
        };
        let var = match &recv {
            Recv::Param { name, .. } => Some(name.as_str()),
            Recv::Task { expr } | Recv::Untyped { expr } => Some(expr.as_str()),
            Recv::Current { .. } => None,
        };
        let stopped = var.and_then(|v| contexts::stopped_at(&self.stopped, v, at));
        acc.push(RawAccess {
            case_guard,
            kind,
            tok: at,
            locks: locks::held_at(&self.lock_spans, at),
            irq_guard: contexts::guard_at(&self.guards, at),
            stopped,
            balance: None,
            flag: flag.to_string(),
            write,
            op: op.to_string(),
            receiver,
            recv,
            function: u.name.clone(),
            line,
            col,
            group,
            via,
        });
    }

    #[allow(clippy::type_complexity)]
    fn mask_hit(
        &mut self,
        u: &Unit,
        locals: &HashMap<String, Local>,
        masks: &HashMap<String, (Vec<String>, Vec<usize>)>,
        used: &mut HashSet<String>,
        i: usize,
        acc: &mut Vec<RawAccess>,
    ) {
        let flag = self.t(i).to_string();
        // Part of a local mask definition: accounted when the local is applied.
        if self.memo_mask_toks(u, masks, i) {
            return;
        }
        let (s, e) = self.stmt(u, i);
        let accs = self.mask_accesses(s, e);
        let target = self.mask_target(s, e, i);
        if let Some((rs, a, write, re)) = target {
            let Some(recv) = self.resolve(u, locals, rs, a) else {
                return;
            };
            let group = if write {
                self.flags_in(a + 3, re, masks, used)
            } else {
                // Flags of this statement attributed to the same access.
                let (gs, ge) = (
                    a + 2,
                    accs.iter()
                        .map(|x| x.1)
                        .filter(|&x| x > a)
                        .min()
                        .unwrap_or(e),
                );
                self.flags_in(gs, ge, masks, used)
            };
            let mut in_mask_param = None;
            if let Recv::Current { .. } | Recv::Param { .. } = recv
                && write
                && !u.params.is_empty()
            {
                // `current->flags &= ~flags` with `flags` a parameter: a helper with a mask
                // argument (looked for once per store, not once per flag of it).
                let cached = self.memo.borrow().mask_param.filter(|(k, _)| *k == a);
                in_mask_param = match cached {
                    Some((_, p)) => p,
                    None => {
                        let p = (a + 3..re)
                            .filter_map(|k| u.params.iter().position(|p| p.name == self.t(k)))
                            .last();
                        self.memo.borrow_mut().mask_param = Some((a, p));
                        p
                    }
                };
            }
            let op = if write {
                self.t(a + 2).to_string()
            } else {
                "test".to_string()
            };
            let receiver = self.expr_text(rs, a);
            self.push(
                acc,
                i,
                &flag,
                write,
                &op,
                receiver.clone(),
                recv.clone(),
                u,
                group,
                Vec::new(),
            );
            if let Some(p) = in_mask_param
                && write
                && !acc.iter().any(|x| x.op == format!("mask-param:{p}"))
            {
                self.push(
                    acc,
                    i,
                    "",
                    true,
                    &format!("mask-param:{p}"),
                    receiver,
                    recv,
                    u,
                    Vec::new(),
                    Vec::new(),
                );
            }
            return;
        }
        // A test of a copy: `unsigned pflags = READ_ONCE(current->flags); ... pflags & PF_A`.
        if let Some((v, rtok)) = self.flags_copy(s, e) {
            if let Some(recv) = self.resolve(u, locals, rtok, rtok + 1) {
                let group = self.flags_in(s, e, masks, used);
                let receiver = self.t(rtok).to_string();
                self.push(
                    acc,
                    i,
                    &flag,
                    false,
                    &format!("test of copy `{v}`"),
                    receiver,
                    recv,
                    u,
                    group,
                    Vec::new(),
                );
            }
            return;
        }
        // A mask-parameter helper reached through its mask argument is handled at the helper name.
        if let Some((callee, _)) = self.enclosing_call(s, i)
            && let Some(Name::Helper(_)) = self.names.get(callee)
        {
            return;
        }
        let reason = if let Some((callee, _)) = self.enclosing_call(s, i) {
            format!("passed to `{callee}()`, which this reader does not know as a flag helper")
        } else if (s..e).any(|k| matches!(self.t(k), "&" | "|" | "^" | "&=" | "|=")) {
            "mask operation on a value not read from a task's flags in this statement".to_string()
        } else {
            "not part of a flags operation".to_string()
        };
        self.unclassified(i, &flag, &u.name, &reason);
    }

    /// A local in statement `s..e` tested with `&` whose every earlier assignment copies a task's
    /// mask word (`v = R->flags` or `v = READ_ONCE(R->flags)`): the local and R's token.
    fn flags_copy(&self, s: usize, e: usize) -> Option<(String, usize)> {
        for k in s..e {
            if self.toks[k].kind != TokKind::Ident
                || !(self.t(k + 1) == "&" || self.t(k.wrapping_sub(1)) == "&")
            {
                continue;
            }
            let v = self.t(k);
            let Some(list) = self.assigns.get(v) else {
                continue;
            };
            let before: Vec<&(usize, String)> = list.iter().filter(|(a, _)| *a < s).collect();
            let mut rtok = None;
            let all = !before.is_empty()
                && before.iter().all(|(a, rhs)| {
                    let inner = rhs
                        .strip_prefix("READ_ONCE(")
                        .and_then(|x| x.strip_suffix(')'))
                        .unwrap_or(rhs);
                    let ok = self.names.mask_words.iter().any(|w| {
                        inner
                            .strip_suffix(w.as_str())
                            .is_some_and(|r| r.ends_with("->"))
                    });
                    if ok {
                        let skip = if rhs.starts_with("READ_ONCE(") { 4 } else { 2 };
                        rtok = Some(a + skip);
                    }
                    ok
                });
            if all && let Some(r) = rtok {
                return Some((v.to_string(), r));
            }
        }
        None
    }

    /// Is token `i` part of a local mask definition? (sorted once per unit, then bisected)
    fn memo_mask_toks(
        &self,
        u: &Unit,
        masks: &HashMap<String, (Vec<String>, Vec<usize>)>,
        i: usize,
    ) -> bool {
        let mut memo = self.memo.borrow_mut();
        if memo
            .mask_toks
            .as_ref()
            .is_none_or(|(k, _)| *k != u.body.start)
        {
            let mut v: Vec<usize> = masks
                .values()
                .flat_map(|(_, t)| t.iter().copied())
                .collect();
            v.sort_unstable();
            memo.mask_toks = Some((u.body.start, MaskToks(v)));
        }
        memo.mask_toks.as_ref().is_some_and(|(_, m)| m.contains(&i))
    }

    /// `case LABEL:` of a `switch (param)` around token `at`, nearest first.
    fn case_guard(&self, u: &Unit, at: usize) -> Option<(usize, String)> {
        let (s, _) = self.stmt(u, at);
        if let Some((k, g)) = &self.memo.borrow().guard
            && *k == s
        {
            return g.clone();
        }
        let g = self.case_guard_scan(u, at);
        let g = g.filter(|(_, l)| l != "default");
        self.memo.borrow_mut().guard = Some((s, g.clone()));
        g
    }

    fn case_guard_scan(&self, u: &Unit, at: usize) -> Option<(usize, String)> {
        let mut memo = self.memo.borrow_mut();
        if memo
            .switches
            .as_ref()
            .is_none_or(|(k, _)| *k != u.body.start)
        {
            memo.switches = Some((u.body.start, self.switches(u)));
        }
        let (_, sw) = memo.switches.as_ref()?;
        // The innermost switch on a parameter around `at`, and the last label before it.
        let inner = sw
            .iter()
            .filter(|w| w.open < at && at < w.close)
            .max_by_key(|w| w.open)?;
        let param = inner.param?;
        let k = inner.labels.partition_point(|(p, _)| *p < at);
        let (_, label) = inner.labels.get(k.checked_sub(1)?)?;
        Some((param, label.clone()))
    }

    /// Every `switch (x) { ... }` of a unit with its `case` labels, in one pass.
    fn switches(&self, u: &Unit) -> Vec<Switch> {
        let mut out: Vec<Switch> = Vec::new();
        let mut stack: Vec<(usize, usize)> = Vec::new(); // (index in out, brace depth of its body)
        let mut depth = 0usize;
        let mut i = u.body.start;
        while i < u.body.end {
            match self.t(i) {
                "switch" if self.t(i + 1) == "(" => {
                    if let Some(close) = parse::matching(self.src, self.toks, i + 1, u.body.end)
                        && self.t(close + 1) == "{"
                        && let Some(end) =
                            parse::matching(self.src, self.toks, close + 1, u.body.end)
                    {
                        let param = (close == i + 3)
                            .then(|| u.params.iter().position(|p| p.name == self.t(i + 2)))
                            .flatten();
                        out.push(Switch {
                            open: close + 1,
                            close: end,
                            param,
                            labels: Vec::new(),
                        });
                        depth += 1;
                        stack.push((out.len() - 1, depth));
                        i = close + 2;
                        continue;
                    }
                }
                "{" => depth += 1,
                "}" => {
                    if stack.last().is_some_and(|&(_, d)| d == depth) {
                        stack.pop();
                    }
                    depth = depth.saturating_sub(1);
                }
                "case" => {
                    if let Some(&(w, _)) = stack.last() {
                        out[w].labels.push((i, self.t(i + 1).to_string()));
                    }
                }
                "default" if self.t(i + 1) == ":" => {
                    if let Some(&(w, _)) = stack.last() {
                        out[w].labels.push((i, "default".to_string()));
                    }
                }
                _ => {}
            }
            i += 1;
        }
        out
    }

    /// Accesses to a mask word in statement `s..e`: (receiver start, `->`, is a store, rhs end).
    fn mask_accesses(&self, s: usize, e: usize) -> Vec<(usize, usize, bool, usize)> {
        if let Some((k, v)) = &self.memo.borrow().accesses
            && *k == (s, e)
        {
            return v.clone();
        }
        let accs = self.mask_accesses_scan(s, e);
        self.memo.borrow_mut().accesses = Some(((s, e), accs.clone()));
        accs
    }

    fn mask_accesses_scan(&self, s: usize, e: usize) -> Vec<(usize, usize, bool, usize)> {
        let mut accs = Vec::new();
        for a in s..e {
            if self.t(a) == "->" && self.names.mask_words.iter().any(|w| w == self.t(a + 1)) {
                let Some((rs, _)) = self.receiver_before(s, a) else {
                    continue;
                };
                let op = self.t(a + 2);
                let write = matches!(op, "=" | "|=" | "&=" | "^=");
                let rhs_end = if write {
                    parse::expr_end(self.src, self.toks, a + 3, e)
                } else {
                    a + 2
                };
                accs.push((rs, a, write, rhs_end));
            }
        }
        accs
    }

    /// The mask-word access that token `i` belongs to: the store whose right-hand side holds it,
    /// else (a test) the nearest access before it, else after it.
    fn mask_target(&self, s: usize, e: usize, i: usize) -> Option<(usize, usize, bool, usize)> {
        let accs = self.mask_accesses(s, e);
        accs.iter()
            .find(|&&(_, a, w, re)| w && i > a + 2 && i < re)
            .copied()
            .or_else(|| {
                accs.iter()
                    .filter(|&&(_, a, _, _)| a < i)
                    .max_by_key(|&&(_, a, _, _)| a)
                    .or_else(|| accs.iter().min_by_key(|&&(_, a, _, _)| a))
                    .copied()
            })
    }

    /// A header inline or macro storing into `current->flags` or `param->flags` from one of its
    /// parameters (`current_restore_flags(orig, flags)`): a helper whose mask is an argument.
    fn mask_param_helper(&mut self, u: &Unit, locals: &HashMap<String, Local>) {
        for a in u.body.clone() {
            if self.t(a) != "->" || !self.names.mask_words.iter().any(|w| w == self.t(a + 1)) {
                continue;
            }
            if !matches!(self.t(a + 2), "=" | "|=" | "&=" | "^=") {
                continue;
            }
            let (s, e) = self.stmt(u, a);
            let Some((rs, _)) = self.receiver_before(s, a) else {
                continue;
            };
            let recv = match self.resolve(u, locals, rs, a) {
                Some(Recv::Current { .. }) => HelperRecv::Current,
                Some(Recv::Param { index, .. }) => HelperRecv::Param(index),
                _ => continue,
            };
            let re = parse::expr_end(self.src, self.toks, a + 3, e);
            let mp = (a + 3..re).find_map(|k| u.params.iter().position(|p| p.name == self.t(k)));
            if let Some(mp) = mp
                && !matches!(recv, HelperRecv::Param(r) if r == mp)
            {
                let (line, _) = self.pos(a);
                self.out.helpers.push(FoundHelper {
                    name: u.name.clone(),
                    recv,
                    flags: Vec::new(),
                    mask_param: Some(mp),
                    write: true,
                    line,
                    locks: locks::held_at(&self.lock_spans, a)
                        .into_iter()
                        .map(|l| l.lock)
                        .collect(),
                    stopped: None,
                    is_static: u.is_static && !u.is_inline && u.kind == UnitKind::Function,
                    kind: AccessKind::Assign,
                });
                return;
            }
        }
    }

    /// The call whose argument list holds token `i`: callee name and argument index.
    fn enclosing_call(&self, floor: usize, i: usize) -> Option<(&'a str, usize)> {
        let mut depth = 0i32;
        let mut arg = 0usize;
        let mut j = i;
        while j > floor {
            j -= 1;
            match self.t(j) {
                ")" | "]" => depth += 1,
                "(" | "[" if depth > 0 => depth -= 1,
                "," if depth == 0 => arg += 1,
                "(" => {
                    let c = j.checked_sub(1)?;
                    if c >= floor
                        && self.toks[c].kind == TokKind::Ident
                        && !is_keyword(self.t(c))
                        && !WRAPPERS.contains(&self.t(c))
                    {
                        return Some((self.t(c), arg));
                    }
                    arg = 0;
                }
                _ => {}
            }
        }
        None
    }

    fn bitnum_hit(
        &mut self,
        u: &Unit,
        locals: &HashMap<String, Local>,
        i: usize,
        acc: &mut Vec<RawAccess>,
    ) {
        let flag = self.t(i).to_string();
        let (s, e) = self.stmt(u, i);
        if let Some((callee, argn)) = self.enclosing_call(s, i) {
            let write = BITOPS_WRITE.contains(&callee);
            if (write || BITOPS_READ.contains(&callee)) && argn == 0 {
                // The word argument: `&X->atomic_flags`.
                let close = (i..e).find(|&k| self.t(k) == ",").unwrap_or(e);
                let word_at = (close..e).find(|&k| {
                    self.t(k) == "->" && self.names.bitnum_words.iter().any(|w| w == self.t(k + 1))
                });
                if let Some(a) = word_at {
                    let floor = close + 1;
                    if let Some((rs, _)) = self.receiver_before(floor, a)
                        && let Some(recv) = self.resolve(u, locals, rs, a)
                    {
                        let receiver = self.expr_text(rs, a);
                        self.push(
                            acc,
                            i,
                            &flag,
                            write,
                            callee,
                            receiver,
                            recv,
                            u,
                            Vec::new(),
                            Vec::new(),
                        );
                    }
                    return;
                }
            }
            self.unclassified(
                i,
                &flag,
                &u.name,
                &format!("passed to `{callee}()` without a task's atomic_flags"),
            );
            return;
        }
        self.unclassified(i, &flag, &u.name, "not an argument of a bit operation");
    }

    fn bitfield_hit(
        &mut self,
        u: &Unit,
        locals: &HashMap<String, Local>,
        i: usize,
        acc: &mut Vec<RawAccess>,
    ) {
        let arrow = self.t(i.wrapping_sub(1));
        if i == 0 || !matches!(arrow, "->" | ".") {
            return; // not a member access: another identifier of the same name
        }
        if arrow == "." {
            // Designated initializers and struct values: never a task_struct pointer access.
            self.out.other_struct += 1;
            return;
        }
        let flag = self.t(i).to_string();
        let (s, _) = self.stmt(u, i);
        let Some((rs, a)) = self.receiver_before(s.min(i - 1), i - 1) else {
            self.unclassified(
                i,
                &flag,
                &u.name,
                "member access on an expression this reader cannot parse",
            );
            return;
        };
        let Some(recv) = self.resolve(u, locals, rs, a) else {
            self.out.other_struct += 1;
            return;
        };
        let next = self.t(i + 1);
        let before = self.t(rs.wrapping_sub(1));
        let write = matches!(next, "=" | "|=" | "&=" | "^=" | "+=" | "-=" | "++" | "--")
            || matches!(before, "++" | "--");
        let op = if write {
            if matches!(before, "++" | "--") {
                before
            } else {
                next
            }
            .to_string()
        } else {
            "read".to_string()
        };
        let receiver = self.expr_text(rs, a);
        self.push(
            acc,
            i,
            &flag,
            write,
            &op,
            receiver,
            recv,
            u,
            Vec::new(),
            Vec::new(),
        );
    }

    #[allow(clippy::type_complexity)]
    fn helper_hit(
        &mut self,
        u: &Unit,
        locals: &HashMap<String, Local>,
        masks: &HashMap<String, (Vec<String>, Vec<usize>)>,
        h: usize,
        i: usize,
        acc: &mut Vec<RawAccess>,
    ) {
        if i == u.name_tok {
            return;
        }
        let helper = &self.names.helpers[h];
        let name = helper.name.clone();
        if !self.header && !self.c_helpers && self.file_statics.contains(&name) {
            return; // this file's own static function of that name, read as a function
        }
        if helper.how == "c-body" && !self.c_helpers && self.file_functions.contains(&name) {
            // Defined in this file: its callers here are resolved as a function's are.
            return;
        }
        if matches!(self.t(i.wrapping_sub(1)), "->" | "." | "goto") || self.t(i + 1) == ":" {
            return; // a struct member or a label of the same name
        }
        if self.t(i + 1) != "(" {
            self.unclassified(i, &name, &u.name, "helper named but not called here");
            return;
        }
        let Some(close) = parse::matching(self.src, self.toks, i + 1, u.body.end) else {
            self.unclassified(i, &name, &u.name, "unbalanced call");
            return;
        };
        let args = parse::split_args(self.src, self.toks, i + 2, close);
        let (recv, receiver) = match helper.recv {
            HelperRecv::Current => (Recv::Current { alias: None }, "current".to_string()),
            HelperRecv::Param(k) => {
                let Some(r) = args.get(k) else {
                    self.unclassified(i, &name, &u.name, "helper called with too few arguments");
                    return;
                };
                let Some(recv) = self.resolve(u, locals, r.start, r.end) else {
                    return;
                };
                (recv, self.expr_text(r.start, r.end))
            }
        };
        let mut flags = helper.flags.clone();
        let mut used = HashSet::new();
        if let Some(mp) = helper.mask_param
            && let Some(r) = args.get(mp)
        {
            let last = if helper.mask_rest { args.len() } else { mp + 1 };
            for r in args.iter().take(last).skip(mp) {
                flags.extend(self.flags_in(r.start, r.end, masks, &mut used));
            }
            if flags.is_empty() {
                // Inside another helper passing its own mask parameter along: that one is a helper too.
                if let Some(p) =
                    (r.start..r.end).find_map(|k| u.params.iter().position(|p| p.name == self.t(k)))
                {
                    self.push(
                        acc,
                        i,
                        "",
                        helper.write,
                        &format!("mask-param:{p}"),
                        receiver,
                        recv,
                        u,
                        Vec::new(),
                        Vec::new(),
                    );
                    return;
                }
                self.unclassified(
                    i,
                    &name,
                    &u.name,
                    "helper called with a mask this reader cannot see",
                );
                return;
            }
        }
        let mut group = flags.clone();
        group.sort();
        group.dedup();
        let via = vec![helper.def.clone()];
        let asserted = helper.asserts.map(|l| HeldLock {
            lock: l.to_string(),
            via: format!("{name}() asserts it"),
            line: self.pos(i).0,
        });
        for f in &group {
            let before = acc.len();
            self.push(
                acc,
                i,
                f,
                helper.write,
                &name,
                receiver.clone(),
                recv.clone(),
                u,
                if group.len() > 1 {
                    group.clone()
                } else {
                    Vec::new()
                },
                via.clone(),
            );
            for a in &mut acc[before..] {
                if let Some(k) = helper.kind {
                    a.kind = k;
                }
                if let Some(l) = &asserted {
                    a.locks.push(l.clone());
                }
                for l in &helper.inner_locks {
                    a.locks.push(HeldLock {
                        lock: l.clone(),
                        via: format!("{name}() takes it"),
                        line: a.line,
                    });
                }
                if a.stopped.is_none()
                    && !matches!(a.recv, Recv::Current { .. })
                    && let Some(why) = &helper.stopped
                {
                    a.stopped = Some(format!("{name}(): {why}"));
                }
            }
        }
    }

    /// Calls whose arguments include a task: kept to decide "every caller passes current".
    fn record_calls(&mut self, u: &Unit, locals: &HashMap<String, Local>) {
        let mut i = u.body.start;
        while i + 1 < u.body.end {
            if self.toks[i].kind == TokKind::Ident
                && self.t(i + 1) == "("
                && !is_keyword(self.t(i))
                && let Some(close) = parse::matching(self.src, self.toks, i + 1, u.body.end)
            {
                {
                    let ranges = parse::split_args(self.src, self.toks, i + 2, close);
                    let args: Vec<Arg> = ranges
                        .iter()
                        .map(|r| match self.resolve(u, locals, r.start, r.end) {
                            Some(Recv::Current { .. }) => Arg::Current,
                            Some(Recv::Param { index, .. }) => Arg::Param(index),
                            Some(Recv::Task { .. }) => Arg::Task,
                            Some(Recv::Untyped { expr })
                                if r.len() == 1
                                    && expr.len() > 1
                                    && expr.bytes().all(|b| {
                                        b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'
                                    }) =>
                            {
                                Arg::Const(expr)
                            }
                            _ => Arg::Other,
                        })
                        .zip(&ranges)
                        .map(|(a, r)| match a {
                            Arg::Task | Arg::Param(_) | Arg::Other if r.len() == 1 => {
                                match contexts::stopped_at(&self.stopped, self.t(r.start), i) {
                                    Some(why) => Arg::Stopped(why),
                                    None => a,
                                }
                            }
                            a => a,
                        })
                        .collect();
                    self.out.calls.push(Call {
                        callee: self.t(i).to_string(),
                        caller: u.name.clone(),
                        line: self.line_of(i),
                        args,
                        locks: locks::held_at(&self.lock_spans, i),
                    });
                }
            }
            i += 1;
        }
    }
}

fn is_keyword(w: &str) -> bool {
    matches!(
        w,
        "if" | "while"
            | "for"
            | "switch"
            | "return"
            | "sizeof"
            | "typeof"
            | "__typeof__"
            | "defined"
            | "likely"
            | "unlikely"
            | "READ_ONCE"
            | "WRITE_ONCE"
    )
}
