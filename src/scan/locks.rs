//! Locks held at a point of a function: acquire/release pairs, `guard()`/`scoped_guard()` scopes,
//! the scheduler's `task_rq_lock()`/`rq_lock*()` wrappers and `lockdep_assert_held()`.

use serde::Serialize;

use super::lexer::{TokKind, Token};
use super::parse::{self, text};

/// A lock held at an access, as the code writes it (`p->pi_lock`, `rq->__lock`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct HeldLock {
    /// The lock expression as written, without a leading `&`.
    pub lock: String,
    /// The call that takes or asserts it (`spin_lock_irqsave`, `task_rq_lock`, `guard(mutex)`).
    pub via: String,
    /// The line of that call.
    pub line: u32,
    /// Taken by [`BH_SOCK_LOCK`] on every path to this point of its block: the code runs in
    /// softirq context.
    #[serde(skip)]
    pub softirq: bool,
}

/// One lock held over a token range of a function body.
#[derive(Clone, Debug)]
pub struct LockSpan {
    pub held: HeldLock,
    /// Token index of the acquiring call.
    pub from: usize,
    /// Token index of the release (or the end of the scope / function).
    pub to: usize,
    /// Up to which token the lock says "softirq context" ([`BH_SOCK_LOCK`] taken on every
    /// path, to the end of its block); `from` when it does not.
    pub softirq_to: usize,
}

const LOCK_BASES: &[&str] = &[
    "spin_lock",
    "raw_spin_lock",
    "mutex_lock",
    "read_lock",
    "write_lock",
    "down_read",
    "down_write",
    "spin_trylock",
    "raw_spin_trylock",
    "mutex_trylock",
];
const LOCK_SUFFIXES: &[&str] = &[
    "",
    "_irq",
    "_irqsave",
    "_bh",
    "_nested",
    "_irqsave_nested",
    "_interruptible",
    "_killable",
    "_io",
];

fn is_acquire(name: &str) -> bool {
    LOCK_BASES.iter().any(|b| {
        name.strip_prefix(b)
            .is_some_and(|rest| LOCK_SUFFIXES.contains(&rest))
    })
}

/// Can a call of `name` take, assert or release a lock? A cheap test on the name alone, so
/// that the arguments of every other call (most of a function body) are never split. Every
/// name [`acquires`] and [`releases`] know has `lock`, `guard`, `down_` or `up_` in it.
fn may_name_lock(name: &[u8]) -> bool {
    memchr::memmem::find(name, b"lock").is_some()
        || memchr::memmem::find(name, b"guard").is_some()
        || name.starts_with(b"down_")
        || name.starts_with(b"up_")
}

/// The unlock calls: each base with `""`, `_irq`, `_irqrestore` or `_bh`.
const RELEASE_BASES: &[&str] = &[
    "spin_unlock",
    "raw_spin_unlock",
    "mutex_unlock",
    "read_unlock",
    "write_unlock",
];
const RELEASE_SUFFIXES: &[&str] = &["", "_irq", "_irqrestore", "_bh"];

fn is_release(name: &str) -> bool {
    RELEASE_BASES.iter().any(|b| {
        name.strip_prefix(b)
            .is_some_and(|rest| RELEASE_SUFFIXES.contains(&rest))
    }) || UP.contains(&name)
}

// The calls known by name, one list per way of naming the lock; [`acquires`] and [`releases`]
// read these lists, and the prefilter's test checks every name in them.
/// `task_rq_lock(p, &rf)`: `p->pi_lock` and the rq lock.
const TASK_RQ_LOCK: &[&str] = &["task_rq_lock"];
/// The rq lock of the first argument.
const RQ_LOCK: &[&str] = &[
    "rq_lock",
    "rq_lock_irq",
    "rq_lock_irqsave",
    "raw_spin_rq_lock",
    "raw_spin_rq_lock_irq",
    "raw_spin_rq_lock_nested",
    "lockdep_assert_rq_held",
];
const DOUBLE_RQ_LOCK: &[&str] = &["double_rq_lock"];
const THIS_RQ_LOCK: &[&str] = &["this_rq_lock_irq"];
/// The mmap lock wrappers (include/linux/mmap_lock.h) take or assert `mm->mmap_lock`.
const MMAP_LOCK: &[&str] = &[
    "mmap_write_lock",
    "mmap_write_lock_nested",
    "mmap_write_lock_killable",
    "mmap_write_trylock",
    "mmap_read_lock",
    "mmap_read_lock_killable",
    "mmap_read_trylock",
    "mmap_assert_write_locked",
    "mmap_assert_locked",
];
/// Assertions that the lock of the first argument is held.
const ASSERT_HELD: &[&str] = &[
    "lockdep_assert_held",
    "lockdep_assert_held_write",
    "lockdep_assert_held_read",
    "assert_spin_locked",
    "assert_raw_spin_locked",
];
const SCOPED_GUARD: &[&str] = &["scoped_guard"];
const TASK_RQ_UNLOCK: &[&str] = &["task_rq_unlock"];
const RQ_UNLOCK: &[&str] = &[
    "rq_unlock",
    "rq_unlock_irq",
    "rq_unlock_irqrestore",
    "raw_spin_rq_unlock",
    "raw_spin_rq_unlock_irq",
];
const DOUBLE_RQ_UNLOCK: &[&str] = &["double_rq_unlock"];
const THIS_RQ_UNLOCK: &[&str] = &["rq_unlock_irq_this"];
const MMAP_UNLOCK: &[&str] = &["mmap_write_unlock", "mmap_read_unlock"];
/// `bh_lock_sock(sk)`: `sk->sk_lock.slock`. `include/net/sock.h`: "BH context may only use the
/// following locking interface"; process context uses it too, after `local_bh_disable()`
/// (`tcp_close()`), which is why a function that disabled bottom halves first is not taken
/// for softirq context.
const BH_SOCK_LOCK: &[&str] = &["bh_lock_sock", "bh_lock_sock_nested"];
const BH_SOCK_UNLOCK: &[&str] = &["bh_unlock_sock"];

/// The `(` matching the `)` at `close`, looking back no further than `lo`.
fn open_of(src: &[u8], toks: &[Token], close: usize, lo: usize) -> Option<usize> {
    let mut depth = 0usize;
    for k in (lo..=close).rev() {
        match toks[k].text(src) {
            b")" => depth += 1,
            b"(" => {
                depth -= 1;
                if depth == 0 {
                    return Some(k);
                }
            }
            _ => {}
        }
    }
    None
}

fn is_bh_sock_lock(src: &[u8], t: Option<&Token>) -> bool {
    t.is_some_and(|t| BH_SOCK_LOCK.contains(&text(src, t)))
}

/// Is the [`BH_SOCK_LOCK`] call at `i` (arguments closed at `close`) taken on every path to the
/// code after it in its block? Not when it is the lone statement of an `if` or `else` branch,
/// unless the other branch takes it too (`if (nested) bh_lock_sock_nested(sk); else
/// bh_lock_sock(sk);`).
fn bh_taken_on_every_path(src: &[u8], toks: &[Token], lo: usize, i: usize, close: usize) -> bool {
    let Some(before) = i.checked_sub(1).filter(|&b| b >= lo) else {
        return true;
    };
    if toks[before].is(src, "else") {
        // `if (c) OTHER(args); else THIS(args);`
        return before >= lo + 3
            && toks[before - 1].is(src, ";")
            && toks[before - 2].is(src, ")")
            && open_of(src, toks, before - 2, lo)
                .and_then(|o| o.checked_sub(1))
                .is_some_and(|n| is_bh_sock_lock(src, toks.get(n)));
    }
    if toks[before].is(src, ")") {
        // `if (c) THIS(args); else OTHER(args);`
        let is_if = open_of(src, toks, before, lo)
            .and_then(|o| o.checked_sub(1))
            .is_some_and(|k| toks[k].is(src, "if"));
        if !is_if {
            return true;
        }
        return toks.get(close + 1).is_some_and(|t| t.is(src, ";"))
            && toks.get(close + 2).is_some_and(|t| t.is(src, "else"))
            && is_bh_sock_lock(src, toks.get(close + 3));
    }
    true
}

/// The socket spinlock of socket expression `sk`.
fn sock_lock_of(sk: &str) -> String {
    format!("{sk}->sk_lock.slock")
}
const UP: &[&str] = &["up_read", "up_write"];

fn lock_text(src: &[u8], toks: &[Token], r: &std::ops::Range<usize>) -> String {
    let mut s = String::new();
    for t in &toks[r.clone()] {
        s.push_str(text(src, t));
    }
    s.strip_prefix('&').map(str::to_string).unwrap_or(s)
}

/// The rq lock of runqueue expression `rq` (`rq->__lock` in 6.1 and later).
fn rq_lock_of(rq: &str) -> String {
    format!("{}->__lock", rq.strip_prefix('&').unwrap_or(rq))
}

struct Acquire {
    locks: Vec<String>,
    /// `true` for a scope guard: held to the end of the enclosing block.
    scoped: bool,
}

/// What a call at `i` (an identifier followed by `(`) acquires.
fn acquires(
    src: &[u8],
    toks: &[Token],
    i: usize,
    args: &[std::ops::Range<usize>],
) -> Option<Acquire> {
    let name = text(src, &toks[i]);
    let arg = |k: usize| args.get(k).map(|r| lock_text(src, toks, r));
    let locks = if TASK_RQ_LOCK.contains(&name) {
        vec![format!("{}->pi_lock", arg(0)?), "rq->__lock".to_string()]
    } else if RQ_LOCK.contains(&name) {
        vec![rq_lock_of(&arg(0)?)]
    } else if DOUBLE_RQ_LOCK.contains(&name) {
        vec![rq_lock_of(&arg(0)?), rq_lock_of(&arg(1)?)]
    } else if THIS_RQ_LOCK.contains(&name) {
        vec!["rq->__lock".to_string()]
    } else if MMAP_LOCK.contains(&name) {
        vec![format!("{}->mmap_lock", arg(0)?)]
    } else if BH_SOCK_LOCK.contains(&name) {
        vec![sock_lock_of(&arg(0)?)]
    } else if ASSERT_HELD.contains(&name) {
        vec![arg(0)?]
    } else if SCOPED_GUARD.contains(&name) {
        return Some(Acquire {
            locks: vec![arg(1)?],
            scoped: true,
        });
    } else if is_acquire(name) {
        vec![arg(0)?]
    } else {
        return None;
    };
    Some(Acquire {
        locks,
        scoped: false,
    })
}

/// What a call at `i` releases.
fn releases(src: &[u8], toks: &[Token], i: usize, args: &[std::ops::Range<usize>]) -> Vec<String> {
    let name = text(src, &toks[i]);
    let arg = |k: usize| args.get(k).map(|r| lock_text(src, toks, r));
    if TASK_RQ_UNLOCK.contains(&name) {
        let mut v = vec!["rq->__lock".to_string()];
        v.extend(arg(1).map(|p| format!("{p}->pi_lock")));
        v
    } else if RQ_UNLOCK.contains(&name) {
        arg(0).map(|r| rq_lock_of(&r)).into_iter().collect()
    } else if DOUBLE_RQ_UNLOCK.contains(&name) {
        [arg(0), arg(1)]
            .into_iter()
            .flatten()
            .map(|r| rq_lock_of(&r))
            .collect()
    } else if THIS_RQ_UNLOCK.contains(&name) {
        vec!["rq->__lock".to_string()]
    } else if BH_SOCK_UNLOCK.contains(&name) {
        arg(0).map(|s| sock_lock_of(&s)).into_iter().collect()
    } else if MMAP_UNLOCK.contains(&name) {
        arg(0)
            .map(|m| format!("{m}->mmap_lock"))
            .into_iter()
            .collect()
    } else if is_release(name) {
        arg(0).into_iter().collect()
    } else {
        Vec::new()
    }
}

/// The `}` closing the innermost block of `body` that holds token `i`.
fn scope_end(src: &[u8], toks: &[Token], body: &std::ops::Range<usize>, i: usize) -> usize {
    let mut depth = 0usize;
    for (k, t) in toks.iter().enumerate().take(body.end).skip(i) {
        if t.kind != TokKind::Punct {
            continue;
        }
        match t.text(src) {
            b"{" => depth += 1,
            b"}" if depth == 0 => return k,
            b"}" => depth -= 1,
            _ => {}
        }
    }
    body.end
}

/// Does the block holding token `i` leave the function (`return`, `goto`) after `i`?
fn early_exit(src: &[u8], toks: &[Token], body: &std::ops::Range<usize>, i: usize) -> bool {
    let end = scope_end(src, toks, body, i);
    if end >= body.end {
        return false; // the function's own block: the release is on the main path
    }
    let mut depth = 0usize;
    for t in &toks[i..end] {
        match t.text(src) {
            b"{" => depth += 1,
            b"}" => depth = depth.saturating_sub(1),
            b"return" | b"goto" if depth == 0 => return true,
            _ => {}
        }
    }
    false
}

/// Every lock span of a function body, in one pass. `line` maps a token to its line.
pub fn spans(
    src: &[u8],
    toks: &[Token],
    body: std::ops::Range<usize>,
    line: &dyn Fn(usize) -> u32,
) -> Vec<LockSpan> {
    let mut out: Vec<LockSpan> = Vec::new();
    // Bottom halves disabled earlier in the function (`local_bh_disable()`, `spin_lock_bh()`):
    // process context that keeps softirqs out, so a `bh_lock_sock()` after it proves nothing.
    let mut bh_disabled = false;
    let mut i = body.start;
    while i + 1 < body.end {
        if toks[i].kind != TokKind::Ident || !toks[i + 1].is(src, "(") {
            i += 1;
            continue;
        }
        let word = toks[i].text(src);
        bh_disabled |= word == b"local_bh_disable" || word.ends_with(b"_bh");
        if !may_name_lock(word) {
            i += 1;
            continue;
        }
        let Some(close) = parse::matching(src, toks, i + 1, body.end) else {
            i += 1;
            continue;
        };
        let name = text(src, &toks[i]);
        if name == "guard" {
            // `guard(spinlock_irqsave)(&lock);`: held to the end of the enclosing block.
            if toks.get(close + 1).is_some_and(|t| t.is(src, "("))
                && let Some(c2) = parse::matching(src, toks, close + 1, body.end)
            {
                let kind = lock_text(src, toks, &(i + 2..close));
                let args = parse::split_args(src, toks, close + 2, c2);
                if let Some(r) = args.first() {
                    out.push(LockSpan {
                        held: HeldLock {
                            lock: lock_text(src, toks, r),
                            via: format!("guard({kind})"),
                            line: line(i),
                            softirq: false,
                        },
                        from: i,
                        to: scope_end(src, toks, &body, c2),
                        softirq_to: i,
                    });
                }
            }
            i += 1;
            continue;
        }
        let args = parse::split_args(src, toks, i + 2, close);
        if let Some(acq) = acquires(src, toks, i, &args) {
            let to = if acq.scoped {
                // `scoped_guard(type, lock) { ... }` or a single statement.
                match toks.get(close + 1) {
                    Some(t) if t.is(src, "{") => {
                        parse::matching(src, toks, close + 1, body.end).unwrap_or(body.end)
                    }
                    _ => parse::expr_end(src, toks, close + 1, body.end),
                }
            } else {
                body.end
            };
            let softirq_to = if BH_SOCK_LOCK.contains(&name)
                && !bh_disabled
                && bh_taken_on_every_path(src, toks, body.start, i, close)
            {
                scope_end(src, toks, &body, i)
            } else {
                i
            };
            for lock in acq.locks {
                out.push(LockSpan {
                    held: HeldLock {
                        lock,
                        via: name.to_string(),
                        line: line(i),
                        softirq: false,
                    },
                    from: i,
                    to,
                    softirq_to,
                });
            }
        } else {
            let released = releases(src, toks, i, &args);
            // A release on an early-exit branch (`unlock; return -EINVAL;`) does not end the
            // lock for the code after the branch.
            if released.is_empty() || early_exit(src, toks, &body, close) {
                i += 1;
                continue;
            }
            for lock in released {
                if let Some(s) = out
                    .iter_mut()
                    .rev()
                    .find(|s| s.held.lock == lock && s.to == body.end && s.from < i)
                {
                    s.to = i;
                }
            }
        }
        i += 1;
    }
    out
}

/// The locks held at token `at`.
pub fn held_at(spans: &[LockSpan], at: usize) -> Vec<HeldLock> {
    let mut v: Vec<HeldLock> = spans
        .iter()
        .filter(|s| s.from < at && at < s.to)
        .map(|s| HeldLock {
            softirq: at < s.softirq_to,
            ..s.held.clone()
        })
        .collect();
    v.sort();
    // The same lock taken twice (`if (n) bh_lock_sock_nested(sk); else bh_lock_sock(sk);`):
    // one entry, in softirq context if either says so.
    v.dedup_by(|a, b| {
        let same = a.lock == b.lock;
        if same {
            b.softirq |= a.softirq;
        }
        same
    });
    v
}

/// Does `via`, the call that took a lock, hold a read-write lock only for read?
pub fn is_read_acquire(via: &str) -> bool {
    via.starts_with("down_read")
        || via.starts_with("read_lock")
        || via.starts_with("mmap_read_")
        || via == "mmap_assert_locked"
        || via == "lockdep_assert_held_read"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lock_call_passes_the_name_prefilter() {
        let mut names: Vec<String> = Vec::new();
        for b in LOCK_BASES {
            for s in LOCK_SUFFIXES {
                names.push(format!("{b}{s}"));
            }
        }
        for b in RELEASE_BASES {
            for s in RELEASE_SUFFIXES {
                names.push(format!("{b}{s}"));
            }
        }
        let named: &[&[&str]] = &[
            TASK_RQ_LOCK,
            RQ_LOCK,
            DOUBLE_RQ_LOCK,
            THIS_RQ_LOCK,
            MMAP_LOCK,
            ASSERT_HELD,
            SCOPED_GUARD,
            TASK_RQ_UNLOCK,
            RQ_UNLOCK,
            DOUBLE_RQ_UNLOCK,
            THIS_RQ_UNLOCK,
            MMAP_UNLOCK,
            BH_SOCK_LOCK,
            BH_SOCK_UNLOCK,
            UP,
            &["guard"],
        ];
        names.extend(named.iter().flat_map(|l| l.iter().map(|n| n.to_string())));
        for n in &names {
            assert!(may_name_lock(n.as_bytes()), "{n} is filtered out");
        }
        for n in ["kfree", "printk", "wake_up_process", "set_task_cpu"] {
            assert!(!may_name_lock(n.as_bytes()), "{n}");
        }
    }

    #[test]
    fn a_release_on_an_early_exit_branch_keeps_the_lock() {
        let src = b"void f(void) { spin_lock(&l); if (x) { spin_unlock(&l); return; } y = 1; spin_unlock(&l); }";
        let toks = crate::scan::lexer::tokenize(src);
        let open = toks.iter().position(|t| t.is(src, "{")).unwrap_or(0);
        let close = parse::matching(src, &toks, open, toks.len()).unwrap_or(toks.len());
        let s = spans(src, &toks, open + 1..close, &|_| 1);
        assert_eq!(s.len(), 1);
        let y = toks.iter().position(|t| t.is(src, "y")).unwrap_or(0);
        assert_eq!(held_at(&s, y).len(), 1, "y = 1 runs with l held");
        assert!(held_at(&s, close - 1).is_empty());
    }
}
