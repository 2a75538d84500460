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

/// What the control flow of one function says about the path between two of its tokens.
pub trait Paths {
    /// Does the guard at `guard` run before `set` on every path to it: the same block, with
    /// `set` a plain statement (not the body of an `if`, a loop or an `else`)?
    fn covers(&self, guard: usize, set: usize) -> bool;
    /// A way from `from` that does not reach `to`: `to` only under a condition, or a `goto`,
    /// `break` or `continue` between them that leaves past it. `None` when every path from
    /// `from` that does not return first reaches `to`.
    fn leaves(&self, from: usize, to: usize) -> Option<String>;
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
    /// Every store on current, per flag.
    stores: HashMap<&'a str, Vec<usize>>,
    /// The clearing stores that undo a guarded set (see [`Undoers::guarded_clear_after`]).
    paired_clears: foldhash::HashSet<usize>,
}

impl<'a> Undoers<'a> {
    pub fn of(all: &[WriteAt<'a>], guards: &[SetGuard<'a>], paths: &dyn Paths) -> Undoers<'a> {
        let mut u = Undoers::default();
        for w in all.iter().filter(|w| w.on_current) {
            u.stores.entry(w.flag).or_default().push(w.tok);
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
            .chain(u.stores.values_mut())
        {
            toks.sort_unstable();
        }
        let paired: Vec<usize> = all
            .iter()
            .filter(|w| w.on_current)
            .filter_map(|w| {
                u.guarded_clear_after(w, paths)
                    .filter(|&c| paths.leaves(w.tok, c).is_none())
            })
            .collect();
        u.paired_clears.extend(paired);
        u
    }

    /// The first restoring store of `w`'s flag after it.
    fn restores_after(&self, w: &WriteAt<'_>) -> &[usize] {
        self.restores
            .get(w.flag)
            .map_or(&[], |toks| &toks[toks.partition_point(|&t| t <= w.tok)..])
    }

    /// For a store of 1 after a [`SetGuard`] that covers it, with no store of the flag between:
    /// the first store of 0 after it. The flag was clear before the store, so clearing it puts
    /// it back.
    fn guarded_clear_after(&self, w: &WriteAt<'_>, paths: &dyn Paths) -> Option<usize> {
        if w.constant != Some(true) {
            return None;
        }
        let guards = self.guards.get(w.flag)?;
        let stores = self.stores.get(w.flag)?;
        let guarded = guards
            .iter()
            .filter(|&&g| g < w.tok)
            .any(|&g| paths.covers(g, w.tok) && !stores.iter().any(|&s| g < s && s < w.tok));
        guarded
            .then(|| first_after(self.clears.get(w.flag)?, w.tok))
            .flatten()
    }
}

/// Restores judged per write, at most.
const MAX_CANDIDATES: usize = 8;

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
    paths: &dyn Paths,
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
    // The restores after the write, nearest first (a few: a later one may be on every path
    // where an earlier one is in a branch), then a guarded clear.
    let restores = undoers.restores_after(w).iter().take(MAX_CANDIDATES);
    let candidates = restores.map(|&r| (r, "restored")).chain(
        undoers
            .guarded_clear_after(w, paths)
            .map(|c| (c, "cleared (the function returns earlier when it is set)")),
    );
    let mut first_miss = None;
    for (r, how) in candidates {
        let first_return = returns.get(returns.partition_point(|(t, _)| *t <= w.tok));
        let miss = match first_return.filter(|(t, _)| *t < r) {
            Some((_, l)) => Some(format!(
                "{function}() returns at line {l} before the restore at line {}",
                line(r)
            )),
            None => paths
                .leaves(w.tok, r)
                .map(|why| format!("{function}(): {why}")),
        };
        match miss {
            None => {
                return Some(Balance {
                    balanced: true,
                    why: format!("{how} at line {} on every return path", line(r)),
                });
            }
            Some(why) => {
                first_miss.get_or_insert(why);
            }
        }
    }
    Some(Balance {
        balanced: false,
        why: first_miss.unwrap_or_else(|| format!("{function}() never restores it")),
    })
}
