//! Classify every occurrence of a flag name in one file: which flag, read or write, on which
//! receiver, in which function, through which helper.

mod access;
mod bits;
mod helpers;
mod masks;
mod receivers;
mod statements;

pub use access::*;
pub use helpers::c_file_helpers;

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use serde::Serialize;

use super::balance::{AccessKind, Balance, Paths, SetGuard, Undoers, WriteAt};
use super::contexts::{self, IrqRoot, StoppedSpan, TableSlot};
use super::guards::{self, IrqGuard};
use super::lexer::{TokKind, Token, tokenize};
use super::locks::{self, HeldLock, LockSpan};
use super::names::{HelperRecv, Name, Names};
use super::parse::{self, Local, Unit, UnitKind, VarType, text};

/// One access to a mask word in a statement: `recv->flags OP rhs`.
#[derive(Clone, Copy, Debug)]
struct MaskAccess {
    /// First token of the receiver expression.
    recv_start: usize,
    /// The `->` before the word.
    arrow: usize,
    /// A store (`=`, `|=`, `&=`, `^=`), not a test.
    write: bool,
    /// End of the stored right-hand side (just past the word for a test).
    rhs_end: usize,
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
    accesses: Option<((usize, usize), Vec<MaskAccess>)>,
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
    /// `src` when it is valid UTF-8 (nearly every file): token texts are then sliced, not
    /// validated one by one.
    src_str: Option<&'a str>,
    /// Functions of this file stored in members: calls through those members may run them.
    member_slots: Vec<contexts::MemberSlot>,
    /// The empty lock list every call made without a lock shares.
    no_locks: std::sync::Arc<[locks::HeldLock]>,
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
    /// This file's path under the tree root (empty when not known).
    rel: &'a str,
    /// Callee and caller names of the recorded calls, one copy each.
    names_seen: HashSet<std::sync::Arc<str>>,
    header: bool,
    /// An arch trap file (`arch/*/kernel/traps*.c`): its `do_*()` handlers are exception entries.
    arch_traps: bool,
    /// Reading a `.c` file for helpers: small functions writing a flag are helpers too.
    c_helpers: bool,
}

/// What a file's path says about how to read it.
#[derive(Clone, Copy, Debug, Default)]
pub struct FileRole<'p> {
    /// The path under the tree root.
    pub rel: &'p str,
    /// A header (`.h`): its inline functions and macros may be helpers.
    pub header: bool,
    /// An arch trap file ([`contexts::is_arch_traps_file`]).
    pub arch_traps: bool,
}

impl FileRole<'_> {
    /// The role of the file at `rel` (a path under the tree root).
    pub fn of(rel: &str, header: bool) -> FileRole<'_> {
        FileRole {
            rel,
            header,
            arch_traps: contexts::is_arch_traps_file(rel),
        }
    }
}

/// Scan one file's text.
pub fn scan_file(src: &[u8], names: &Names, role: FileRole<'_>) -> FileScan {
    scan_mode(src, names, role, false)
}

fn scan_mode(src: &[u8], names: &Names, role: FileRole<'_>, c_helpers: bool) -> FileScan {
    let header = role.header;
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
        src_str: std::str::from_utf8(src).ok(),
        no_locks: std::sync::Arc::from(Vec::new()),
        member_slots: Vec::new(),
        toks: &toks,
        names,
        lines,
        out: FileScan::default(),
        lock_spans: Vec::new(),
        stopped: Vec::new(),
        guards: Vec::new(),
        file_statics: HashSet::new(),
        file_functions: HashSet::new(),
        rel: role.rel,
        names_seen: HashSet::new(),
        header,
        arch_traps: role.arch_traps,
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
    if !c_helpers {
        let defined = |f: &str| cx.file_functions.contains(f);
        cx.member_slots = contexts::member_slots(src, &toks, &defined);
        // Function tables and irq entry points: for the call graph, not for helpers.
        let slots = contexts::table_slots(src, &toks, &|k| cx.line_of(k));
        let mut roots = contexts::registrations(src, &toks, 0..toks.len(), &|k| cx.line_of(k));
        roots.extend(cx.entry_roots(&units));
        cx.out.slots = slots;
        cx.out.irq_roots = roots;
    }
    // `#define PR_IO_FLUSHER (PF_MEMALLOC_NOIO | PF_LOCAL_THROTTLE)`: a mask named by a macro.
    let file_masks = cx.mask_macros(&units);
    cx.file_masks = file_masks.clone();
    let mut covered = vec![false; toks.len()];
    for u in &units {
        for c in covered.iter_mut().take(u.body.end).skip(u.name_tok) {
            *c = true;
        }
        let name = cx.intern(&u.name);
        let function = u.kind == UnitKind::Function;
        cx.out.functions.push(DefinedFn {
            name,
            // A header's `static inline` is every includer's own copy: called from anywhere.
            is_static: u.is_static && function && !header,
            noreturn: u.is_noreturn && function,
        });
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
    // Kept until the walk ends (the call graph spans files): no room to spare.
    let mut out = cx.out;
    out.calls.shrink_to_fit();
    out.indirect.shrink_to_fit();
    out.accesses.shrink_to_fit();
    out.functions.shrink_to_fit();
    out
}

impl<'a> Ctx<'a> {
    fn t(&self, i: usize) -> &'a str {
        let Some(t) = self.toks.get(i) else {
            return "";
        };
        match self.src_str {
            Some(s) => s.get(t.start as usize..t.end as usize).unwrap_or(""),
            None => text(self.src, t),
        }
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
        if self.c_helpers
            && !(u.kind == UnitKind::Macro
                || (u.kind == UnitKind::Function && self.is_small_c_helper(u)))
        {
            return; // looking for `.c` helpers: only a macro or a small function can be one
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
        let body_toks = self.toks.get(body.clone()).unwrap_or_default();
        self.guards = if has_hit || guards::may_guard(self.src, body_toks) {
            guards::irq_guards(self.src, self.toks, u)
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
            let Some(MaskAccess {
                recv_start: rs,
                arrow: a,
                write,
                rhs_end: re,
            }) = self.mask_target(s, e, i)
            else {
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
            if let Some(p) = a.op.strip_prefix("mask-param:") {
                // A call passing this unit's mask parameter on: known at its callers.
                if !helper_unit {
                    let reason = format!(
                        "helper called with parameter {p} of `{}` as its mask: known only at its callers",
                        u.name
                    );
                    let helper = self.t(a.tok);
                    self.unclassified(a.tok, helper, &u.name, &reason);
                }
                continue;
            }
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
            irq_guard: guards::guard_at(&self.guards, at),
            task_guard: guards::task_guard_at(&self.guards, at),
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
