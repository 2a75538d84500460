//! What a write does to its flag (set, clear, assign, restore, whole word) and whether the
//! function puts back on every return path what it changed (`memalloc_*_save()`/`_restore()`,
//! `current_restore_flags(old, PF_X)`, `old = current->flags; ... current->flags = old`).

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

/// The balance of write `w` among the writes `all` of one function whose `return` statements
/// are at `returns` (token index, line); `line` maps a token to its line.
pub fn balance(
    w: &WriteAt<'_>,
    all: &[WriteAt<'_>],
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
    let restore = all
        .iter()
        .filter(|r| r.on_current && r.kind.restores() && r.flag == w.flag && r.tok > w.tok)
        .map(|r| r.tok)
        .min();
    let Some(r) = restore else {
        return Some(Balance {
            balanced: false,
            why: format!("{function}() never restores it"),
        });
    };
    if let Some((_, l)) = returns.iter().find(|(t, _)| *t > w.tok && *t < r) {
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
