//! The evidence of a scan: every access with the context it implies, resolved across files
//! (quiescent functions, callers that pass `current`), the helpers used, the groups, and the
//! occurrences that could not be classified.

use std::collections::BTreeMap;

use foldhash::HashMap;

use serde::Serialize;

use crate::model::Layout;

use super::balance::AccessKind;
use super::calls::Resolver;
use super::classify::{FileScan, RawAccess, Recv};
use super::locks::HeldLock;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScanContext {
    Current,
    /// On current, from hard-irq, softirq, NMI or exception context.
    CurrentIrq,
    Remote,
    RemoteStopped,
    Unknown,
}

impl ScanContext {
    pub fn as_str(self) -> &'static str {
        match self {
            ScanContext::Current => "current",
            ScanContext::CurrentIrq => "current-irq",
            ScanContext::Remote => "remote",
            ScanContext::RemoteStopped => "remote-stopped",
            ScanContext::Unknown => "unknown",
        }
    }
    pub const ALL: [ScanContext; 5] = [
        ScanContext::Current,
        ScanContext::CurrentIrq,
        ScanContext::Remote,
        ScanContext::RemoteStopped,
        ScanContext::Unknown,
    ];
}

#[derive(Clone, Debug, Serialize)]
pub struct Access {
    pub flag: String,
    pub word: String,
    /// `write` or `read`.
    pub access: &'static str,
    /// What the access does: `read`, `set`, `clear`, `assign`, `restore`, `whole`.
    pub kind: AccessKind,
    pub context: ScanContext,
    /// For a `current-irq` write: undone on every return path of its function.
    pub balanced: Option<bool>,
    /// Where it is restored, or the path that leaves it changed.
    pub balance: Option<String>,
    /// Locks held at the access: in its function, or by every caller.
    pub locks: Vec<HeldLock>,
    /// Why the receiver cannot run (inferred from the code, or the layout's quiescent fact).
    pub stopped: Option<String>,
    /// `high`, or `low` when the receiver could not be typed or resolved.
    pub confidence: &'static str,
    pub receiver: String,
    pub receiver_kind: Recv,
    pub function: String,
    pub file: String,
    pub line: u32,
    pub col: u32,
    pub op: String,
    pub group: Vec<String>,
    /// Helper definitions the access goes through.
    pub via: Vec<String>,
    /// How the context was decided (alias, callers, quiescent function).
    pub chain: Vec<String>,
    /// The context of each caller path (a helper called on `current` by one caller and on a
    /// stopped child by another has both); `context` is the weakest of them.
    pub paths: Vec<ScanContext>,
    /// For a write of a bit-number word: an atomic bitop (`set_bit()`, `SetPageX()`), or a
    /// plain read-modify-write (`__set_bit()`, `__SetPageX()`, `__folio_set_x()`).
    pub atomic: Option<bool>,
}

impl Access {
    pub fn site(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
    pub fn is_write(&self) -> bool {
        self.access == "write"
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct UnclassifiedAt {
    pub name: String,
    pub file: String,
    pub line: u32,
    pub col: u32,
    pub function: String,
    pub reason: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct HelperOut {
    pub name: String,
    pub receiver: String,
    pub flags: Vec<String>,
    pub mask_param: Option<usize>,
    pub write: bool,
    pub def: String,
    pub how: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct GroupOut {
    pub flags: Vec<String>,
    pub count: usize,
    pub first: String,
}

/// A `[[quiescent]]` fact of the layout, and whether the inference already gives its contexts.
#[derive(Clone, Debug, Serialize)]
pub struct FactUse {
    pub function: String,
    pub file: Option<String>,
    /// `redundant` (inference gives the same contexts), `needed`, or `unused` (no write in it).
    pub status: &'static str,
    /// Non-current writes the fact decides.
    pub writes: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct Evidence {
    pub version: u32,
    pub tool: String,
    pub src: String,
    pub layout: String,
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    pub files_with_hits: usize,
    pub accesses: Vec<Access>,
    pub unclassified: Vec<UnclassifiedAt>,
    pub helpers: Vec<HelperOut>,
    pub groups: Vec<GroupOut>,
    /// Bitfield-named members of other structs (not counted).
    pub other_struct: usize,
    /// The layout's `[[quiescent]]` facts, judged against the inference.
    pub quiescent: Vec<FactUse>,
    /// Set when the scanned directory is not the root of a tree (helpers of `include/` lost).
    pub root_warning: Option<String>,
}

/// Everything the resolver needs from the walk.
pub struct Collected {
    pub files: Vec<(String, FileScan)>,
    /// Files the walk found a name in (the calling-headers pass adds files without one).
    pub files_with_hits: usize,
}

/// Resolve the raw per-file results into evidence.
pub fn resolve(
    layout: &Layout,
    names: &super::names::Names,
    col: &Collected,
    src: String,
    layout_name: String,
    files_scanned: u64,
    bytes_scanned: u64,
) -> Evidence {
    let r = Resolver::new(&col.files, &layout.quiescent);
    let bare = r.without_quiescent();
    let word_of: HashMap<&str, &str> = names
        .flags
        .iter()
        .map(|f| (f.name.as_str(), f.word.as_str()))
        .collect();
    let mut accesses = Vec::new();
    let mut unclassified = Vec::new();
    let mut other_struct = 0;
    // Per quiescent fact: writes it decides, and whether one of them needs it.
    let mut fact_writes = vec![(0usize, false); layout.quiescent.len()];
    for (file, fs) in &col.files {
        other_struct += fs.other_struct;
        for a in &fs.accesses {
            let word = word_of.get(a.flag.as_str()).copied().unwrap_or("");
            let mut acc = access(&r, file, a, word);
            if a.write && names.bitnum_words.iter().any(|w| w == word) {
                acc.atomic = Some(!a.op.starts_with("__"));
            }
            if !names.object.is_task {
                shared_object(&mut acc, &names.object);
            }
            if a.write && acc.context != ScanContext::Current {
                let alone = access(&bare, file, a, word);
                for (i, q) in layout.quiescent.iter().enumerate() {
                    let inside =
                        a.function == q.function && q.file.as_deref().is_none_or(|f| f == file);
                    if inside
                        || acc.chain.iter().any(|c| {
                            c.contains(&format!("{}() is quiescent", q.function))
                                || c.contains(&format!(
                                    "{}() passes a stopped task ({})",
                                    q.function, q.reason
                                ))
                        })
                    {
                        fact_writes[i].0 += 1;
                        if alone.context != acc.context {
                            fact_writes[i].1 = true;
                        }
                    }
                }
            }
            accesses.push(acc);
        }
        for u in &fs.unclassified {
            unclassified.push(UnclassifiedAt {
                name: u.name.clone(),
                file: file.clone(),
                line: u.line,
                col: u.col,
                function: u.function.clone(),
                reason: u.reason.clone(),
            });
        }
    }
    accesses
        .sort_by(|a, b| (&a.file, a.line, a.col, &a.flag).cmp(&(&b.file, b.line, b.col, &b.flag)));
    accesses.dedup_by(|a, b| {
        a.file == b.file && a.line == b.line && a.col == b.col && a.flag == b.flag
    });
    unclassified
        .sort_by(|a, b| (&a.file, a.line, a.col, &a.name).cmp(&(&b.file, b.line, b.col, &b.name)));
    let mut groups: BTreeMap<Vec<String>, (usize, String)> = BTreeMap::new();
    for a in &accesses {
        if a.group.len() > 1 && a.group.first() == Some(&a.flag) {
            let e = groups
                .entry(a.group.clone())
                .or_insert((0, format!("{}:{}", a.file, a.line)));
            e.0 += 1;
        }
    }
    let helpers = names
        .helpers
        .iter()
        .map(|h| HelperOut {
            name: h.name.clone(),
            receiver: match h.recv {
                super::names::HelperRecv::Current => "current".to_string(),
                super::names::HelperRecv::Param(i) => format!("arg{}", i + 1),
            },
            flags: h.flags.clone(),
            mask_param: h.mask_param.map(|m| m + 1),
            write: h.write,
            def: h.def.clone(),
            how: h.how,
        })
        .collect();
    Evidence {
        version: 1,
        tool: format!("flagplan {}", env!("CARGO_PKG_VERSION")),
        src,
        layout: layout_name,
        files_scanned,
        bytes_scanned,
        files_with_hits: col.files_with_hits,
        accesses,
        unclassified,
        helpers,
        groups: groups
            .into_iter()
            .map(|(flags, (count, first))| GroupOut {
                flags,
                count,
                first,
            })
            .collect(),
        other_struct,
        quiescent: layout
            .quiescent
            .iter()
            .zip(fact_writes)
            .map(|(q, (writes, needed))| FactUse {
                function: q.function.clone(),
                file: q.file.clone(),
                status: match (writes, needed) {
                    (0, _) => "unused",
                    (_, true) => "needed",
                    _ => "redundant",
                },
                writes,
            })
            .collect(),
        root_warning: None,
    }
}

/// Outside `task_struct` there is no `current` object: a typed receiver whose callers do not
/// decide it (an mm, a VMA, a page, a file) is one that other tasks may reach: `remote`.
fn shared_object(acc: &mut Access, obj: &super::names::Object) {
    if acc.context != ScanContext::Unknown
        || !matches!(acc.receiver_kind, Recv::Param { typed: true, .. })
    {
        return;
    }
    acc.context = ScanContext::Remote;
    acc.confidence = "high";
    acc.paths = vec![ScanContext::Remote];
    acc.chain.retain(|c| !c.starts_with("unknown receiver"));
    acc.chain.push(format!(
        "`{}` is a `struct {} *` parameter: other tasks may reach the object",
        acc.receiver,
        obj.structs.join("`/`struct ")
    ));
}

/// One raw access resolved to its context.
fn access(r: &Resolver, file: &str, a: &RawAccess, word: &str) -> Access {
    let mut chain = Vec::new();
    let mut leaves = Vec::new();
    let mut stopped = a.stopped.clone();
    let (mut context, mut high) = match &a.recv {
        Recv::Current { alias } => {
            if let Some(al) = alias {
                chain.push(format!("alias: {al}"));
            }
            (ScanContext::Current, true)
        }
        _ if a.stopped.is_some() => {
            chain.push(format!(
                "{}: {}",
                a.receiver,
                a.stopped.as_deref().unwrap_or("")
            ));
            (ScanContext::RemoteStopped, true)
        }
        Recv::Task { .. } => match r.quiescent(&a.function, file) {
            Some(q) => {
                chain.push(format!("{}() is quiescent: {}", a.function, q.reason));
                stopped = Some(format!("quiescent fact: {}", q.reason));
                (ScanContext::RemoteStopped, true)
            }
            None => (ScanContext::Remote, true),
        },
        Recv::Param { index, typed, .. } => {
            let p = r.param(&a.function, file, *index, a.case_guard.as_ref());
            chain = p.chain;
            leaves = p.leaves;
            if p.context == ScanContext::RemoteStopped {
                stopped = chain
                    .iter()
                    .find(|c| {
                        c.contains("stopped") || c.contains("quiescent") || c.contains("callback")
                    })
                    .cloned();
            }
            (p.context, *typed && p.context != ScanContext::Unknown)
        }
        Recv::Untyped { .. } => match r.quiescent(&a.function, file) {
            Some(q) => {
                chain.push(format!("{}() is quiescent: {}", a.function, q.reason));
                stopped = Some(format!("quiescent fact: {}", q.reason));
                (ScanContext::RemoteStopped, false)
            }
            None => {
                chain.push("unknown receiver: untyped expression".to_string());
                (ScanContext::Unknown, false)
            }
        },
    };
    if context == ScanContext::Current {
        let softirq_lock = a.locks.iter().find(|l| l.softirq);
        if let Some(g) = &a.irq_guard {
            chain.insert(0, format!("{}() {g}", a.function));
            context = ScanContext::CurrentIrq;
        } else if let Some(g) = &a.task_guard {
            chain.insert(0, format!("{}() {g}", a.function));
        } else if let Some(l) = softirq_lock {
            chain.insert(
                0,
                format!(
                    "{}() holds {} from {}() at line {}, which only softirq context takes",
                    a.function, l.lock, l.via, l.line
                ),
            );
            context = ScanContext::CurrentIrq;
        } else if let Some(path) = r.irq_path(&a.function, file) {
            chain.splice(0..0, path);
            context = ScanContext::CurrentIrq;
        }
        if context == ScanContext::CurrentIrq {
            leaves.retain(|c| *c != ScanContext::Current);
        }
    }
    if context == ScanContext::Unknown {
        high = false;
    }
    leaves.push(context);
    leaves.sort();
    leaves.dedup();
    let mut locks = a.locks.clone();
    if a.write {
        for l in r.caller_locks(&a.function, file) {
            if !locks.iter().any(|m| m.lock == l.lock) {
                locks.push(l);
            }
        }
    }
    let irq = context == ScanContext::CurrentIrq;
    Access {
        flag: a.flag.clone(),
        word: word.to_string(),
        access: if a.write { "write" } else { "read" },
        kind: a.kind,
        context,
        balanced: if irq {
            a.balance.as_ref().map(|b| b.balanced)
        } else {
            None
        },
        balance: if irq {
            a.balance.as_ref().map(|b| b.why.clone())
        } else {
            None
        },
        locks,
        stopped,
        confidence: if high { "high" } else { "low" },
        receiver: a.receiver.clone(),
        receiver_kind: a.recv.clone(),
        function: a.function.clone(),
        file: file.to_string(),
        line: a.line,
        col: a.col,
        op: a.op.clone(),
        group: a.group.clone(),
        via: a.via.clone(),
        chain,
        paths: leaves,
        atomic: None,
    }
}
