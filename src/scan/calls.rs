//! Call resolution across the scanned files: what a task parameter receives from its callers,
//! whether a function is reachable from an interrupt entry (the search is in [`irq`]), which
//! locks every caller holds, and the `[[quiescent]]` overrides of the layout.

use std::cell::RefCell;

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use crate::model::Quiescent;

use super::classify::{Arg, Call, FileScan, IndirectCall};
use super::contexts::{IrqRoot, TableSlot};
use super::evidence::ScanContext;
use super::locks::HeldLock;

mod irq;

/// How many levels of callers are followed to find out what a parameter receives.
pub const MAX_DEPTH: usize = 3;
/// How many levels of callers are followed up to an interrupt entry. Seven reach page
/// allocation and free from a NAPI poll (6.1's `save_stack()` rows); on 6.1 an eighth adds a
/// false path only (a timer's `kill_cad_pid()` to `ns_capable()`, which `si_fromuser()` cuts).
pub const MAX_IRQ_DEPTH: usize = 7;
/// How many functions one interrupt-reachability question may visit.
const MAX_IRQ_VISITS: usize = 4000;

/// The architecture a file belongs to (`arch/x86/kernel/traps.c` → `x86`), if any.
fn arch_of(file: &str) -> Option<&str> {
    file.strip_prefix("arch/")?.split('/').next()
}

/// Can code in `caller` call a function of `callee`? Not across two architectures: only one is
/// built (x86's `exc_alignment_check()` never calls csky's `die()`).
fn same_build(caller: &str, callee: &str) -> bool {
    match (arch_of(caller), arch_of(callee)) {
        // User-mode Linux is built with its host architecture's `arch/x86/um/`.
        (Some(a), Some(b)) => a == b || matches!((a, b), ("um", "x86") | ("x86", "um")),
        _ => true,
    }
}

/// A function known by name in one file.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct FnKey<'a> {
    name: &'a str,
    file: &'a str,
}

/// A function by name and defining file, owned (for memo tables).
type FnId = (String, String);
/// Steps from an interrupt entry down to a function, entry first.
type IrqPath = Vec<String>;

/// The result of following a task parameter up its callers.
pub struct ParamResolution {
    pub context: ScanContext,
    /// Every caller path's context.
    pub leaves: Vec<ScanContext>,
    /// How it was decided, one line per step.
    pub chain: Vec<String>,
}

/// The calls, statics, interrupt roots and table slots of the scanned files, by name.
/// A call by position: `files[file].1.calls[call]` (8 bytes, not a fat pointer and a
/// reference: the index holds one per call of the tree).
#[derive(Clone, Copy, Debug)]
struct CallRef {
    file: u32,
    call: u32,
}

struct Index<'a> {
    files: &'a [(String, FileScan)],
    /// callee → the calls of it
    calls: HashMap<&'a str, Vec<CallRef>>,
    /// (static function, file defining it)
    statics: HashSet<(&'a str, &'a str)>,
    /// (`__noreturn` function, file defining it)
    noreturn: HashSet<(&'a str, &'a str)>,
    /// function name → (file, root)
    roots: HashMap<&'a str, Vec<(&'a str, &'a IrqRoot)>>,
    /// function name → (file, slot)
    slots: HashMap<&'a str, Vec<(&'a str, &'a TableSlot)>>,
    /// callee → (file, call through a member of a function the file stores there)
    indirect: HashMap<&'a str, Vec<(&'a str, &'a IndirectCall)>>,
}

impl<'a> Index<'a> {
    /// The file and the call at `r`.
    fn call(&self, r: CallRef) -> Option<(&'a str, &'a Call)> {
        let files: &'a [(String, FileScan)] = self.files;
        let (file, fs) = files.get(r.file as usize)?;
        Some((file.as_str(), fs.calls.get(r.call as usize)?))
    }
}

pub struct Resolver<'a> {
    quiescent: &'a [Quiescent],
    /// Shared by a resolver and its [`Resolver::without_quiescent`] twin.
    index: std::rc::Rc<Index<'a>>,
    irq_memo: RefCell<HashMap<FnId, Option<IrqPath>>>,
}

impl<'a> Resolver<'a> {
    pub fn new(files: &'a [(String, FileScan)], quiescent: &'a [Quiescent]) -> Resolver<'a> {
        let mut r = Index {
            files,
            calls: HashMap::new(),
            statics: HashSet::new(),
            noreturn: HashSet::new(),
            roots: HashMap::new(),
            slots: HashMap::new(),
            indirect: HashMap::new(),
        };
        for (fi, (file, fs)) in files.iter().enumerate() {
            for (ci, c) in fs.calls.iter().enumerate() {
                let at = CallRef {
                    file: u32::try_from(fi).unwrap_or(u32::MAX),
                    call: u32::try_from(ci).unwrap_or(u32::MAX),
                };
                r.calls.entry(&*c.callee).or_default().push(at);
            }
            for f in &fs.functions {
                if f.is_static {
                    r.statics.insert((&*f.name, file.as_str()));
                }
                if f.noreturn {
                    r.noreturn.insert((&*f.name, file.as_str()));
                }
            }
            for root in &fs.irq_roots {
                r.roots
                    .entry(root.function.as_str())
                    .or_default()
                    .push((file, root));
            }
            for c in &fs.indirect {
                r.indirect.entry(&*c.callee).or_default().push((file, c));
            }
            for s in &fs.slots {
                r.slots
                    .entry(s.function.as_str())
                    .or_default()
                    .push((file, s));
            }
        }
        Resolver {
            quiescent,
            index: std::rc::Rc::new(r),
            irq_memo: RefCell::new(HashMap::new()),
        }
    }

    /// The same index without the layout's `[[quiescent]]` facts (to tell which facts the
    /// inference makes redundant), built once, not twice.
    pub fn without_quiescent(&self) -> Resolver<'a> {
        Resolver {
            quiescent: &[],
            index: std::rc::Rc::clone(&self.index),
            irq_memo: RefCell::new(HashMap::new()),
        }
    }

    /// Does a registration or definition in `from` name the function `name` of `file`? A static
    /// function is only named from its own file.
    fn names_it(&self, name: &str, file: &str, from: &str) -> bool {
        from == file || !self.index.statics.contains(&(name, file))
    }

    pub fn quiescent(&self, function: &str, file: &str) -> Option<&'a Quiescent> {
        self.quiescent
            .iter()
            .find(|q| q.function == function && q.file.as_deref().is_none_or(|f| f == file))
    }

    fn slot(&self, function: &str, file: &str) -> Option<&'a TableSlot> {
        self.index
            .slots
            .get(function)?
            .iter()
            .find(|(f, _)| self.names_it(function, file, f))
            .map(|(f, s)| {
                let _ = f;
                *s
            })
    }

    /// The calls of `function` (defined in `file`) that can reach it: from its own file if it is
    /// static, and never from another architecture's code.
    fn callers(&self, function: &str, file: &str) -> Vec<(&'a str, &'a Call)> {
        let is_static = self.index.statics.contains(&(function, file));
        self.index
            .calls
            .get(function)
            .map(|v| {
                v.iter()
                    .filter_map(|r| self.index.call(*r))
                    .filter(|(f, c)| {
                        (!is_static || *f == file)
                            && &*c.caller != function
                            && same_build(f, file)
                            // A file calls its own static function of that name, not this one.
                            && (*f == file || !self.index.statics.contains(&(function, *f)))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The calls through a member that may run `function`: only from its own file, which
    /// stores it in that member.
    fn indirect_callers(&self, function: &str, file: &str) -> Vec<(&'a str, &'a IndirectCall)> {
        self.index
            .indirect
            .get(function)
            .map(|v| {
                v.iter()
                    .filter(|(f, c)| *f == file && &*c.caller != function)
                    .copied()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The locks every caller of `function` holds at its call, or holds because every one of
    /// its own callers does (up to [`MAX_DEPTH`] levels); none when no caller is seen.
    pub fn caller_locks(&self, function: &str, file: &str) -> Vec<HeldLock> {
        self.caller_locks_at(function, file, 0)
    }

    fn caller_locks_at(&self, function: &str, file: &str, depth: usize) -> Vec<HeldLock> {
        if depth >= MAX_DEPTH {
            return Vec::new();
        }
        let callers = self.callers(function, file);
        if callers.is_empty() || callers.len() > 64 {
            return Vec::new();
        }
        let mut common: Option<Vec<HeldLock>> = None;
        for (cf, c) in callers {
            let mut held: Vec<HeldLock> = c
                .locks
                .iter()
                .map(|l| HeldLock {
                    lock: l.lock.clone(),
                    via: format!("{} in caller {}() at {cf}:{}", l.via, c.caller, c.line),
                    line: l.line,
                    softirq: false,
                })
                .collect();
            for l in self.caller_locks_at(&c.caller, cf, depth + 1) {
                if !held.iter().any(|h| h.lock == l.lock) {
                    held.push(l);
                }
            }
            common = Some(match common {
                None => held,
                Some(prev) => prev
                    .into_iter()
                    .filter(|l| held.iter().any(|h| h.lock == l.lock))
                    .collect(),
            });
            if common.as_ref().is_some_and(Vec::is_empty) {
                break;
            }
        }
        common.unwrap_or_default()
    }

    /// The context of a write on parameter `index` of `function` (defined in `file`).
    pub fn param(
        &self,
        function: &str,
        file: &str,
        index: usize,
        guard: Option<&(usize, String)>,
    ) -> ParamResolution {
        let mut chain = Vec::new();
        let mut leaves = Vec::new();
        let context = self.param_at(function, file, index, guard, 0, &mut chain, &mut leaves);
        ParamResolution {
            context,
            leaves,
            chain,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn param_at(
        &self,
        function: &str,
        file: &str,
        index: usize,
        guard: Option<&(usize, String)>,
        depth: usize,
        chain: &mut Vec<String>,
        leaves: &mut Vec<ScanContext>,
    ) -> ScanContext {
        if let Some(q) = self.quiescent(function, file) {
            chain.push(format!("{function}() is quiescent: {}", q.reason));
            leaves.push(ScanContext::RemoteStopped);
            return ScanContext::RemoteStopped;
        }
        let mut results = Vec::new();
        if index == 0
            && let Some(s) = self.slot(function, file)
        {
            chain.push(format!(
                "{function}() is a {} (line {}): {}",
                s.slot, s.line, s.why
            ));
            leaves.push(ScanContext::RemoteStopped);
            results.push(ScanContext::RemoteStopped);
        }
        let calls: Vec<(&str, &Call)> = self
            .callers(function, file)
            .into_iter()
            .filter(|(_, c)| c.passes_task())
            // A caller passing another constant never reaches this `case`.
            .filter(|(_, c)| match guard {
                Some((gi, label)) => !matches!(c.args.get(*gi), Some(Arg::Const(k)) if k != label),
                None => true,
            })
            .collect();
        if calls.is_empty() && results.is_empty() {
            chain.push(format!(
                "unknown receiver: no call of {function}() with a task argument seen"
            ));
            leaves.push(ScanContext::Unknown);
            return ScanContext::Unknown;
        }
        for (f, c) in &calls {
            let ctx = match c.args.get(index) {
                Some(Arg::Current) => {
                    if chain.len() < 6 {
                        chain.push(format!("{f}:{} {}() passes current", c.line, c.caller));
                    }
                    ScanContext::Current
                }
                Some(Arg::Stopped(why)) => {
                    chain.push(format!(
                        "{f}:{} {}() passes a stopped task ({why})",
                        c.line, c.caller
                    ));
                    ScanContext::RemoteStopped
                }
                Some(Arg::Task) => {
                    if let Some(q) = self.quiescent(&c.caller, f) {
                        chain.push(format!(
                            "{f}:{} {}() passes a stopped task ({})",
                            c.line, c.caller, q.reason
                        ));
                        ScanContext::RemoteStopped
                    } else {
                        chain.push(format!("{f}:{} {}() passes another task", c.line, c.caller));
                        ScanContext::Remote
                    }
                }
                Some(Arg::Param(j)) if depth < MAX_DEPTH => {
                    chain.push(format!(
                        "{f}:{} {}() passes its parameter {}",
                        c.line,
                        c.caller,
                        j + 1
                    ));
                    let sub = self.param_at(&c.caller, f, *j, None, depth + 1, chain, leaves);
                    results.push(sub);
                    continue;
                }
                _ => {
                    chain.push(format!(
                        "{f}:{} {}() passes an untyped value",
                        c.line, c.caller
                    ));
                    ScanContext::Unknown
                }
            };
            leaves.push(ctx);
            results.push(ctx);
        }
        combine(&results)
    }
}

/// The context of several caller paths: the weakest of them.
pub fn combine(r: &[ScanContext]) -> ScanContext {
    if r.contains(&ScanContext::Remote) {
        ScanContext::Remote
    } else if r.contains(&ScanContext::Unknown) {
        ScanContext::Unknown
    } else if r.iter().all(|c| *c == ScanContext::Current) {
        ScanContext::Current
    } else if r
        .iter()
        .all(|c| matches!(c, ScanContext::Current | ScanContext::CurrentIrq))
    {
        ScanContext::CurrentIrq
    } else {
        ScanContext::RemoteStopped
    }
}
