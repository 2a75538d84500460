//! The tests that decide a function's context at a point of its body: `if (in_interrupt())`
//! makes interrupt context; `in_task()`, `gfpflags_allow_blocking()` and the like leave only task
//! context, for the writes and the calls under them.

use super::lexer::{TokKind, Token};
use super::parse::{self, Unit, text};

/// A token range of a function under a positive `in_interrupt()`-style test, or (`task`)
/// where an `in_task()` test says the code runs as a task.
#[derive(Clone, Debug)]
pub struct IrqGuard {
    pub from: usize,
    pub to: usize,
    pub why: String,
    /// Task context (`if (in_task() && ...)`, after `if (!in_task()) return;`), not irq.
    pub task: bool,
}

/// Operators at the top level of the condition `from..to` (not inside parentheses).
fn top_level_ops(src: &[u8], toks: &[Token], from: usize, to: usize) -> (bool, bool) {
    let (mut and, mut or, mut depth) = (false, false, 0usize);
    for t in &toks[from..to] {
        match t.text(src) {
            b"(" | b"[" => depth += 1,
            b")" | b"]" => depth = depth.saturating_sub(1),
            b"&&" if depth == 0 => and = true,
            b"||" if depth == 0 => or = true,
            b"?" if depth == 0 => or = true, // a conditional: neither branch is sure
            _ => {}
        }
    }
    (and, or)
}

/// The end of the block holding token `at` (its `}`), or `end`.
fn block_end(src: &[u8], toks: &[Token], at: usize, end: usize) -> usize {
    let mut depth = 0usize;
    for (k, t) in toks.iter().enumerate().take(end).skip(at) {
        match t.text(src) {
            b"{" => depth += 1,
            b"}" if depth == 0 => return k,
            b"}" => depth -= 1,
            _ => {}
        }
    }
    end
}

/// What a test's truth says about the context: `Some(true)` when a true test leaves only task
/// context (`in_task()`; `gfpflags_allow_blocking(gfp)`: a caller that may sleep is no
/// interrupt; `preemptible()`), `Some(false)` when a false one does (`in_interrupt()`, which is
/// also true with bottom halves off; `in_atomic()`).
fn task_test(name: &str) -> Option<bool> {
    TASK_TESTS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, true_is_task)| true_is_task)
}

const TASK_TESTS: &[(&str, bool)] = &[
    ("in_task", true),
    ("gfpflags_allow_blocking", true),
    ("preemptible", true),
    ("in_interrupt", false),
    ("in_atomic", false),
];

/// The first place from `at` to the end of its block (`end`) that other code jumps to: a label
/// (`name:` at the start of a statement, in a nested block too, which a `goto` enters) or a `case`
/// or `default` of a switch. Code from there on is reached without passing what came before.
fn label_or_block_end(src: &[u8], toks: &[Token], at: usize, end: usize) -> usize {
    let end = block_end(src, toks, at, end);
    (at..end)
        .find(|&k| {
            let t = toks[k].text(src);
            t == b"case"
                || t == b"default"
                || (toks[k].kind == TokKind::Ident
                    && toks.get(k + 1).is_some_and(|n| n.is(src, ":"))
                    && k > 0
                    && matches!(toks[k - 1].text(src), b";" | b"{" | b"}" | b":"))
        })
        .unwrap_or(end)
}

/// The task-context region a test `name(…)` at `k` in the condition `open..close` of an `if`
/// makes, if any, and the test as written (`!in_interrupt()`):
/// - `if (in_task() && …) …`, `if (!in_interrupt() && …) …`: the rest of the condition and the
///   branch;
/// - `if (… || !in_task()) return …;` (or `goto …;`), a statement of its block: the rest of the
///   block, up to its first label or `case` ([`label_or_block_end`]).
///
/// Only a test at the condition's top level, joined by `&&` (or `||` for the second form) and
/// compared with nothing, counts; not inside parentheses (`!(in_task() && x)`, `x && (y ||
/// in_task())`), and for the second form not as the body of an `else`, an unbraced `if` or a
/// loop (the code after it is reached without the test).
fn task_region(
    src: &[u8],
    toks: &[Token],
    u: &Unit,
    k: usize,
    open: usize,
    close: usize,
) -> Option<(usize, usize, String)> {
    let is = |i: usize, s: &str| toks.get(i).is_some_and(|t| t.is(src, s));
    let name = text(src, &toks[k]);
    let true_is_task = task_test(name)?;
    if !is(k + 1, "(") {
        return None;
    }
    let call_end = parse::matching(src, toks, k + 1, close)?;
    let depth = toks[open + 1..k]
        .iter()
        .fold(0isize, |d, t| match t.text(src) {
            b"(" | b"[" => d + 1,
            b")" | b"]" => d - 1,
            _ => d,
        });
    if depth != 0 {
        return None;
    }
    let negated = is(k - 1, "!");
    let start = if negated { k - 1 } else { k };
    let term_is_task = true_is_task != negated;
    let test = format!("{}{name}()", if negated { "!" } else { "" });
    let (and, or) = top_level_ops(src, toks, open + 1, close);
    let after_ok = |joiner: &str| call_end + 1 == close || is(call_end + 1, joiner);
    let then_end = if is(close + 1, "{") {
        parse::matching(src, toks, close + 1, u.body.end).unwrap_or(u.body.end)
    } else {
        parse::expr_end(src, toks, close + 1, u.body.end)
    };
    if term_is_task && (start == open + 1 || is(start - 1, "&&")) && after_ok("&&") && !or {
        // What follows the test in the condition (`in_task() && (current->flags & X)`) is
        // evaluated only in task context too.
        return Some((k, then_end, test));
    }
    let alone = start == open + 1 || is(start - 1, "||");
    // The `if` is a statement of its block, so what follows it runs only past the test: not the
    // body of an unbraced `if`, loop or `else`.
    let in_block = open >= 2 && [";", "{", "}", ":"].iter().any(|p| is(open - 2, p));
    let leaves = is(close + 1, "return") || is(close + 1, "goto");
    if !term_is_task && alone && after_ok("||") && !and && in_block && leaves {
        let to = label_or_block_end(src, toks, then_end + 1, u.body.end);
        return Some((then_end, to, test));
    }
    None
}

/// Does any token of `toks` name a test [`irq_guards`] reads? (Most functions have none, and
/// need no guard pass.)
pub fn may_guard(src: &[u8], toks: &[Token]) -> bool {
    // On the bytes: most tokens start with none of the tests' first bytes, and no token is
    // checked as UTF-8 (every function of a file with a hit comes through here).
    toks.iter().any(|t| {
        t.kind == TokKind::Ident
            && matches!(t.text(src).first(), Some(b'i' | b'g' | b'p'))
            && std::str::from_utf8(t.text(src))
                .is_ok_and(|name| task_test(name).is_some() || IRQ_TESTS.contains(&name))
    })
}

const IRQ_TESTS: &[&str] = &[
    "in_interrupt",
    "in_softirq",
    "in_serving_softirq",
    "in_nmi",
    "in_irq",
    "in_hardirq",
];

/// Every `if (in_interrupt() ...) { ... }` region of `u`, in one pass. A condition that negates
/// a test (`!in_interrupt()`) makes no region.
pub fn irq_guards(src: &[u8], toks: &[Token], u: &Unit) -> Vec<IrqGuard> {
    let mut out = Vec::new();
    let mut i = u.body.start;
    while i + 1 < u.body.end {
        if !toks[i].is(src, "if") || !toks[i + 1].is(src, "(") {
            i += 1;
            continue;
        }
        let Some(close) = parse::matching(src, toks, i + 1, u.body.end) else {
            i += 1;
            continue;
        };
        let tests: Vec<usize> = (i + 2..close)
            .filter(|&k| IRQ_TESTS.contains(&text(src, &toks[k])))
            .collect();
        let negated = tests.iter().any(|&k| toks[k - 1].is(src, "!"));
        if let Some((from, to, test)) = (i + 2..close)
            .filter(|&k| toks[k].kind == TokKind::Ident)
            .find_map(|k| task_region(src, toks, u, k, i + 1, close))
        {
            out.push(IrqGuard {
                from,
                to,
                why: format!("under an `{test}` test that leaves only task context here"),
                task: true,
            });
        }
        if let Some(&k) = tests.first()
            && !negated
        {
            let to = if toks.get(close + 1).is_some_and(|t| t.is(src, "{")) {
                parse::matching(src, toks, close + 1, u.body.end).unwrap_or(u.body.end)
            } else {
                parse::expr_end(src, toks, close + 1, u.body.end)
            };
            out.push(IrqGuard {
                from: close,
                to,
                why: format!("under `if ({}())`", text(src, &toks[k])),
                task: false,
            });
        }
        i = close;
    }
    out
}

/// The interrupt guard around token `at`, if any.
pub fn guard_at(guards: &[IrqGuard], at: usize) -> Option<String> {
    guards
        .iter()
        .find(|g| !g.task && g.from < at && at <= g.to)
        .map(|g| g.why.clone())
}

/// The `in_task()` guard around token `at`, if any.
pub fn task_guard_at(guards: &[IrqGuard], at: usize) -> Option<String> {
    guards
        .iter()
        .find(|g| g.task && g.from < at && at <= g.to)
        .map(|g| g.why.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::lexer::tokenize;

    #[test]
    fn every_test_name_passes_the_byte_filter_and_others_do_not() {
        for name in TASK_TESTS
            .iter()
            .map(|(n, _)| *n)
            .chain(IRQ_TESTS.iter().copied())
        {
            let src = format!("x = {name}();");
            assert!(
                may_guard(src.as_bytes(), &tokenize(src.as_bytes())),
                "{name}"
            );
        }
        for src in ["x = in_tasks();", "if (gfp_allow(x)) y();", "task_in();"] {
            assert!(
                !may_guard(src.as_bytes(), &tokenize(src.as_bytes())),
                "{src}"
            );
        }
    }
}
