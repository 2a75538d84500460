//! The evidence of a scan: every access with the context it implies, resolved across files
//! (quiescent functions, callers that pass `current`), the helpers used, the groups, and the
//! occurrences that could not be classified.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use crate::model::{Layout, Quiescent};

use super::classify::{Arg, Call, FileScan, Recv};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScanContext {
    Current,
    Remote,
    RemoteStopped,
    Unknown,
}

impl ScanContext {
    pub fn as_str(self) -> &'static str {
        match self {
            ScanContext::Current => "current",
            ScanContext::Remote => "remote",
            ScanContext::RemoteStopped => "remote-stopped",
            ScanContext::Unknown => "unknown",
        }
    }
    pub const ALL: [ScanContext; 4] = [
        ScanContext::Current,
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
    pub context: ScanContext,
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
}

/// Everything the resolver needs from the walk.
pub struct Collected {
    pub files: Vec<(String, FileScan)>,
}

struct Resolver<'a> {
    quiescent: &'a [Quiescent],
    /// callee → (file, call)
    calls: HashMap<&'a str, Vec<(&'a str, &'a Call)>>,
    /// static function name → files defining it
    statics: HashSet<(&'a str, &'a str)>,
}

impl<'a> Resolver<'a> {
    fn quiescent(&self, function: &str, file: &str) -> Option<&'a Quiescent> {
        self.quiescent
            .iter()
            .find(|q| q.function == function && q.file.as_deref().is_none_or(|f| f == file))
    }

    /// The context of a write on parameter `index` of `function` (defined in `file`).
    #[allow(clippy::too_many_arguments)]
    fn param(
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
        let is_static = self.statics.contains(&(function, file));
        let calls: Vec<&(&str, &Call)> = self
            .calls
            .get(function)
            .map(|v| {
                v.iter()
                    .filter(|(f, c)| (!is_static || *f == file) && c.caller != function)
                    // A caller passing another constant never reaches this `case`.
                    .filter(|(_, c)| match guard {
                        Some((gi, label)) => {
                            !matches!(c.args.get(*gi), Some(Arg::Const(k)) if k != label)
                        }
                        None => true,
                    })
                    .collect()
            })
            .unwrap_or_default();
        if calls.is_empty() {
            chain.push(format!(
                "unknown receiver: no call of {function}() with a task argument seen"
            ));
            leaves.push(ScanContext::Unknown);
            return ScanContext::Unknown;
        }
        let mut results = Vec::new();
        for (f, c) in &calls {
            let ctx = match c.args.get(index) {
                Some(Arg::Current) => {
                    if chain.len() < 6 {
                        chain.push(format!("{f}:{} {}() passes current", c.line, c.caller));
                    }
                    ScanContext::Current
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
                    let sub = self.param(&c.caller, f, *j, None, depth + 1, chain, leaves);
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

/// How many levels of callers are followed to find out what a parameter receives.
pub const MAX_DEPTH: usize = 3;

fn combine(r: &[ScanContext]) -> ScanContext {
    if r.contains(&ScanContext::Remote) {
        ScanContext::Remote
    } else if r.contains(&ScanContext::Unknown) {
        ScanContext::Unknown
    } else if r.iter().all(|c| *c == ScanContext::Current) {
        ScanContext::Current
    } else {
        ScanContext::RemoteStopped
    }
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
    let mut calls: HashMap<&str, Vec<(&str, &Call)>> = HashMap::new();
    let mut statics = HashSet::new();
    for (file, fs) in &col.files {
        for c in &fs.calls {
            calls.entry(c.callee.as_str()).or_default().push((file, c));
        }
        for (name, st) in &fs.functions {
            if *st {
                statics.insert((name.as_str(), file.as_str()));
            }
        }
    }
    let r = Resolver {
        quiescent: &layout.quiescent,
        calls,
        statics,
    };
    let word_of: HashMap<&str, &str> = names
        .flags
        .iter()
        .map(|f| (f.name.as_str(), f.word.as_str()))
        .collect();
    let mut accesses = Vec::new();
    let mut unclassified = Vec::new();
    let mut other_struct = 0;
    for (file, fs) in &col.files {
        other_struct += fs.other_struct;
        for a in &fs.accesses {
            let mut chain = Vec::new();
            let mut leaves = Vec::new();
            let (context, mut high) = match &a.recv {
                Recv::Current { alias } => {
                    if let Some(al) = alias {
                        chain.push(format!("alias: {al}"));
                    }
                    (ScanContext::Current, true)
                }
                Recv::Task { .. } => match r.quiescent(&a.function, file) {
                    Some(q) => {
                        chain.push(format!("{}() is quiescent: {}", a.function, q.reason));
                        (ScanContext::RemoteStopped, true)
                    }
                    None => (ScanContext::Remote, true),
                },
                Recv::Param { index, typed, .. } => {
                    let c = r.param(
                        &a.function,
                        file,
                        *index,
                        a.case_guard.as_ref(),
                        0,
                        &mut chain,
                        &mut leaves,
                    );
                    (c, *typed && c != ScanContext::Unknown)
                }
                Recv::Untyped { .. } => match r.quiescent(&a.function, file) {
                    Some(q) => {
                        chain.push(format!("{}() is quiescent: {}", a.function, q.reason));
                        (ScanContext::RemoteStopped, false)
                    }
                    None => {
                        chain.push("unknown receiver: untyped expression".to_string());
                        (ScanContext::Unknown, false)
                    }
                },
            };
            if context == ScanContext::Unknown {
                high = false;
            }
            leaves.push(context);
            leaves.sort();
            leaves.dedup();
            accesses.push(Access {
                flag: a.flag.clone(),
                word: word_of
                    .get(a.flag.as_str())
                    .copied()
                    .unwrap_or("")
                    .to_string(),
                access: if a.write { "write" } else { "read" },
                context,
                confidence: if high { "high" } else { "low" },
                receiver: a.receiver.clone(),
                receiver_kind: a.recv.clone(),
                function: a.function.clone(),
                file: file.clone(),
                line: a.line,
                col: a.col,
                op: a.op.clone(),
                group: a.group.clone(),
                via: a.via.clone(),
                chain,
                paths: leaves,
            });
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
        files_with_hits: col.files.len(),
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
    }
}
