//! What a write does to its flag (set, clear, assign, restore, whole word) and whether the
//! function puts back on every return path what it changed (`memalloc_*_save()`/`_restore()`,
//! `current_restore_flags(old, PF_X)`, `old = current->flags; ... current->flags = old`, and a
//! recursion guard: `if (current->X) return; current->X = 1; ... current->X = 0;`).

use foldhash::HashMap;

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
    /// A store of the constant 1 (`Some(true)`) or 0 (`Some(false)`) into a one-bit field.
    pub constant: Option<bool>,
}

/// A test of a flag of current that returns when the flag is set: `if (current->X) return ...;`
/// (also under `WARN_ON_ONCE()`/`unlikely()`). After it, the flag is known to be clear.
pub struct SetGuard<'a> {
    pub flag: &'a str,
    pub tok: usize,
}

/// The stores on current of one function that can undo a write, per flag, in token order:
/// built once per function so that judging each write is a binary search, not a walk over every
/// write (a statement of 25,000 flags must not cost 25,000² steps).
#[derive(Default)]
pub struct Undoers<'a> {
    /// Stores of a saved value (`_restore()`, a whole-word store).
    restores: HashMap<&'a str, Vec<usize>>,
    /// Stores of the constant 0 into a one-bit field.
    clears: HashMap<&'a str, Vec<usize>>,
    /// [`SetGuard`]s.
    guards: HashMap<&'a str, Vec<usize>>,
    /// The clearing stores that undo a guarded set (see [`Undoers::guarded_clear_after`]).
    paired_clears: foldhash::HashSet<usize>,
}

impl<'a> Undoers<'a> {
    pub fn of(all: &[WriteAt<'a>], guards: &[SetGuard<'a>]) -> Undoers<'a> {
        let mut u = Undoers::default();
        for w in all.iter().filter(|w| w.on_current) {
            if w.kind.restores() {
                u.restores.entry(w.flag).or_default().push(w.tok);
            } else if w.constant == Some(false) {
                u.clears.entry(w.flag).or_default().push(w.tok);
            }
        }
        for g in guards {
            u.guards.entry(g.flag).or_default().push(g.tok);
        }
        for toks in u
            .restores
            .values_mut()
            .chain(u.clears.values_mut())
            .chain(u.guards.values_mut())
        {
            toks.sort_unstable();
        }
        let paired: Vec<usize> = all
            .iter()
            .filter(|w| w.on_current)
            .filter_map(|w| u.guarded_clear_after(w))
            .collect();
        u.paired_clears.extend(paired);
        u
    }

    /// The first restoring store of `w`'s flag after it.
    fn restore_after(&self, w: &WriteAt<'_>) -> Option<usize> {
        first_after(self.restores.get(w.flag)?, w.tok)
    }

    /// For a store of 1 after a [`SetGuard`]: the first store of 0 after it. The flag was clear
    /// before the store, so clearing it puts it back.
    fn guarded_clear_after(&self, w: &WriteAt<'_>) -> Option<usize> {
        if w.constant != Some(true) {
            return None;
        }
        let guarded = self
            .guards
            .get(w.flag)
            .is_some_and(|g| g.first().is_some_and(|&t| t < w.tok));
        guarded
            .then(|| first_after(self.clears.get(w.flag)?, w.tok))
            .flatten()
    }
}

fn first_after(toks: &[usize], tok: usize) -> Option<usize> {
    toks.get(toks.partition_point(|&t| t <= tok)).copied()
}

/// The balance of write `w` in a function whose undoing stores are `undoers` and whose `return`
/// statements are at `returns` (token index, line, in token order); `line` maps a token to its
/// line.
pub fn balance(
    w: &WriteAt<'_>,
    undoers: &Undoers<'_>,
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
    if undoers.paired_clears.contains(&w.tok) {
        return Some(Balance {
            balanced: true,
            why: "the clearing store itself (the flag was clear before the set)".to_string(),
        });
    }
    let (r, how) = match (undoers.restore_after(w), undoers.guarded_clear_after(w)) {
        (Some(r), _) => (r, "restored"),
        (None, Some(c)) => (c, "cleared (the function returns earlier when it is set)"),
        (None, None) => {
            return Some(Balance {
                balanced: false,
                why: format!("{function}() never restores it"),
            });
        }
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
        why: format!("{how} at line {} on every return path", line(r)),
    })
}
