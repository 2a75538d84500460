//! What a write does to its flag (set, clear, assign, restore, whole word) and whether the
//! function puts back on every return path what it changed (`memalloc_*_save()`/`_restore()`,
//! `current_restore_flags(old, PF_X)`, `old = current->flags; ... current->flags = old`).

use foldhash::{HashMap, HashMapExt};

use serde::Serialize;

/// What an access does to its flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccessKind {
    Read,
    Set,
    Clear,
    /// A store of a computed value (`p->frozen = x`, `p->flags = (p->flags & ~A) | B`).
    Assign,
    /// The restoring half of a save/restore pair (`memalloc_noio_restore(f)`).
    Restore,
    /// A store of the whole word (`current->flags = saved`): it writes every flag of the word.
    Whole,
}

impl AccessKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessKind::Read => "read",
            AccessKind::Set => "set",
            AccessKind::Clear => "clear",
            AccessKind::Assign => "assign",
            AccessKind::Restore => "restore",
            AccessKind::Whole => "whole",
        }
    }

    /// The kind of a write by operation `op` (an operator, a bit operation or a helper's name).
    pub fn of_write(op: &str) -> AccessKind {
        match op {
            "|=" => AccessKind::Set,
            "&=" => AccessKind::Clear,
            "=" | "^=" | "+=" | "-=" | "++" | "--" => AccessKind::Assign,
            _ if op.ends_with("_restore") || op.contains("restore_flags") => AccessKind::Restore,
            _ if op.contains("clear") => AccessKind::Clear,
            _ if op.contains("set") || op.ends_with("_save") => AccessKind::Set,
            _ => AccessKind::Assign,
        }
    }

    /// Does this access put back a saved value?
    pub fn restores(self) -> bool {
        matches!(self, AccessKind::Restore | AccessKind::Whole)
    }
}

/// Whether a write is undone before the function returns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Balance {
    pub balanced: bool,
    /// The restore (`file`-relative line), or what makes it unbalanced.
    pub why: String,
}

/// One write of a function, for [`balance`].
pub struct WriteAt<'a> {
    pub flag: &'a str,
    pub kind: AccessKind,
    pub tok: usize,
    pub on_current: bool,
}

/// The restoring stores on current of one function, per flag, in token order: built once per
/// function so that judging each write is a binary search, not a walk over every write (a
/// statement of 25,000 flags must not cost 25,000² steps).
pub fn restores_by_flag<'a>(all: &[WriteAt<'a>]) -> HashMap<&'a str, Vec<usize>> {
    let mut by: HashMap<&str, Vec<usize>> = HashMap::new();
    for r in all.iter().filter(|r| r.on_current && r.kind.restores()) {
        by.entry(r.flag).or_default().push(r.tok);
    }
    for toks in by.values_mut() {
        toks.sort_unstable();
    }
    by
}

/// The balance of write `w` in a function whose restoring stores are `restores` (from
/// [`restores_by_flag`]) and whose `return` statements are at `returns` (token index, line, in
/// token order); `line` maps a token to its line.
pub fn balance(
    w: &WriteAt<'_>,
    restores: &HashMap<&str, Vec<usize>>,
    returns: &[(usize, u32)],
    function: &str,
    line: &dyn Fn(usize) -> u32,
) -> Option<Balance> {
    if !w.on_current || w.kind == AccessKind::Read {
        return None;
    }
    if w.kind.restores() {
        return Some(Balance {
            balanced: true,
            why: "the restoring store itself".to_string(),
        });
    }
    let restore = restores.get(w.flag).and_then(|toks| {
        let i = toks.partition_point(|&t| t <= w.tok);
        toks.get(i).copied()
    });
    let Some(r) = restore else {
        return Some(Balance {
            balanced: false,
            why: format!("{function}() never restores it"),
        });
    };
    let first_return = returns.get(returns.partition_point(|(t, _)| *t <= w.tok));
    if let Some((_, l)) = first_return.filter(|(t, _)| *t < r) {
        return Some(Balance {
            balanced: false,
            why: format!(
                "{function}() returns at line {l} before the restore at line {}",
                line(r)
            ),
        });
    }
    Some(Balance {
        balanced: true,
        why: format!("restored at line {} on every return path", line(r)),
    })
}
