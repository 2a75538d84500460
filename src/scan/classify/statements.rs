//! Statements and control: statement bounds, `switch`/`case` guards, irq entry roots, balance.

use super::*;

impl<'a> Ctx<'a> {
    /// Functions that are interrupt entries by their name or by the macro that defines them.
    pub(super) fn entry_roots(&self, units: &[Unit]) -> Vec<IrqRoot> {
        let mut out = Vec::new();
        for u in units.iter().filter(|u| u.kind == UnitKind::Function) {
            let why = match &u.defined_by {
                Some(m) => contexts::idtentry_is_irq(m, &u.name).map(|w| format!("{w} ({m})")),
                None if self.arch_traps && self.is_trap_handler(u) => {
                    Some("exception handler (arch trap file, entered from its assembly)".into())
                }
                None => contexts::entry_by_name(&u.name).map(str::to_string),
            };
            if let Some(why) = why {
                out.push(IrqRoot {
                    function: u.name.clone(),
                    line: self.line_of(u.name_tok),
                    why,
                    by_definition: true,
                });
            }
        }
        out
    }

    /// `do_*(struct pt_regs *regs, ...)`, not static.
    fn is_trap_handler(&self, u: &Unit) -> bool {
        let first: Vec<&str> = (u.name_tok + 2..u.name_tok + 5)
            .map(|k| self.t(k))
            .collect();
        self.t(u.name_tok + 1) == "("
            && contexts::is_arch_trap_handler(&u.name, u.is_static, &first)
    }

    /// Balance of every write on current among the writes of one function.
    pub(super) fn balances(&self, u: &Unit, acc: &mut [RawAccess]) {
        let returns: Vec<(usize, u32)> = u
            .body
            .clone()
            .filter(|&k| self.t(k) == "return")
            .map(|k| (k, self.line_of(k)))
            .collect();
        let on_current = |a: &RawAccess| matches!(a.recv, Recv::Current { .. });
        let writes: Vec<WriteAt> = acc
            .iter()
            .map(|a| WriteAt {
                flag: &a.flag,
                kind: a.kind,
                tok: a.tok,
                on_current: a.write && on_current(a),
                constant: self.constant_store(a),
            })
            .collect();
        let guards: Vec<SetGuard> = acc
            .iter()
            .filter(|a| !a.write && on_current(a) && self.returns_when_set(u, a.tok))
            .map(|a| SetGuard {
                flag: &a.flag,
                tok: a.tok,
            })
            .collect();
        let paths = FnPaths::new(self, u);
        let undoers = Undoers::of(&writes, &guards, &paths);
        let out: Vec<Option<Balance>> = writes
            .iter()
            .map(|w| {
                crate::scan::balance::balance(w, &undoers, &returns, &u.name, &paths, &|k| {
                    self.line_of(k)
                })
            })
            .collect();
        for (a, b) in acc.iter_mut().zip(out) {
            a.balance = b;
        }
    }

    /// Whether write `a` sets its flag (`Some(true)`: `|= PF_X`, `->x = 1`) or clears it
    /// (`Some(false)`: `&= ~PF_X`, `->x = 0`) whatever the flag was before.
    fn constant_store(&self, a: &RawAccess) -> Option<bool> {
        match a.kind {
            AccessKind::Set => Some(true),
            AccessKind::Clear => Some(false),
            AccessKind::Assign if self.t(a.tok + 1) == "=" && self.t(a.tok + 3) == ";" => {
                match self.t(a.tok + 2) {
                    "1" | "true" => Some(true),
                    "0" | "false" => Some(false),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// Whether the read at `tok` is the whole test of `if (...) return`: `if (current->x)` or
    /// `if (current->flags & PF_X)`, bare or under `WARN_ON_ONCE()`, `WARN_ON()`, `unlikely()`
    /// or `likely()`. Any other test (a negation, a comparison, another term) is not a guard.
    fn returns_when_set(&self, u: &Unit, tok: usize) -> bool {
        let (s, _) = self.stmt(u, tok);
        if self.t(s) != "if" || self.t(s + 1) != "(" {
            return false;
        }
        let Some(close) = parse::matching(self.src, self.toks, s + 1, u.body.end) else {
            return false;
        };
        if !(tok < close && self.t(close + 1) == "return") {
            return false;
        }
        let wraps = |a: usize, b: usize| {
            parse::matching(self.src, self.toks, a, b) == Some(b.wrapping_sub(1))
        };
        let (mut a, mut b) = (s + 2, close);
        loop {
            if self.t(a) == "(" && wraps(a, b) {
                (a, b) = (a + 1, b - 1);
            } else if matches!(
                self.t(a),
                "WARN_ON_ONCE" | "WARN_ON" | "unlikely" | "likely"
            ) && self.t(a + 1) == "("
                && wraps(a + 1, b)
            {
                (a, b) = (a + 2, b - 1);
            } else {
                break;
            }
        }
        let words: Vec<&str> = (a..b).map(|k| self.t(k)).collect();
        b.checked_sub(1) == Some(tok)
            && matches!(
                words.as_slice(),
                ["current", "->", _] | ["current", "->", "flags", "&", _]
            )
    }

    /// Is `def` (`file:line`) in this file?
    pub(super) fn is_this_file(&self, def: &str) -> bool {
        def.strip_prefix(self.rel)
            .is_some_and(|rest| rest.starts_with(':'))
    }

    /// Statement bounds around token `i` inside `u`: after the previous `;{}` to the next one.
    pub(super) fn stmt(&self, u: &Unit, i: usize) -> (usize, usize) {
        if let Some((s, e)) = self.memo.borrow().stmt
            && s <= i
            && i < e
            && s >= u.body.start
            && e <= u.body.end
        {
            return (s, e);
        }
        let r = self.stmt_scan(u, i);
        self.memo.borrow_mut().stmt = Some(r);
        r
    }

    pub(super) fn stmt_scan(&self, u: &Unit, i: usize) -> (usize, usize) {
        let is_b = |j: usize| matches!(self.t(j), ";" | "{" | "}");
        let mut s = i;
        while s > u.body.start && !is_b(s - 1) {
            s -= 1;
        }
        let mut e = i;
        while e < u.body.end && !is_b(e) {
            e += 1;
        }
        (s, e)
    }

    /// `case LABEL:` of a `switch (param)` around token `at`, nearest first.
    pub(super) fn case_guard(&self, u: &Unit, at: usize) -> Option<(usize, String)> {
        let (s, _) = self.stmt(u, at);
        if let Some((k, g)) = &self.memo.borrow().guard
            && *k == s
        {
            return g.clone();
        }
        let g = self.case_guard_scan(u, at);
        let g = g.filter(|(_, l)| l != "default");
        self.memo.borrow_mut().guard = Some((s, g.clone()));
        g
    }

    pub(super) fn case_guard_scan(&self, u: &Unit, at: usize) -> Option<(usize, String)> {
        let mut memo = self.memo.borrow_mut();
        if memo
            .switches
            .as_ref()
            .is_none_or(|(k, _)| *k != u.body.start)
        {
            memo.switches = Some((u.body.start, self.switches(u)));
        }
        let (_, sw) = memo.switches.as_ref()?;
        // The innermost switch on a parameter around `at`, and the last label before it.
        let inner = sw
            .iter()
            .filter(|w| w.open < at && at < w.close)
            .max_by_key(|w| w.open)?;
        let param = inner.param?;
        let k = inner.labels.partition_point(|(p, _)| *p < at);
        let (_, label) = inner.labels.get(k.checked_sub(1)?)?;
        Some((param, label.clone()))
    }

    /// Every `switch (x) { ... }` of a unit with its `case` labels, in one pass.
    pub(super) fn switches(&self, u: &Unit) -> Vec<Switch> {
        let mut out: Vec<Switch> = Vec::new();
        let mut stack: Vec<(usize, usize)> = Vec::new(); // (index in out, brace depth of its body)
        let mut depth = 0usize;
        let mut i = u.body.start;
        while i < u.body.end {
            match self.t(i) {
                "switch" if self.t(i + 1) == "(" => {
                    if let Some(close) = parse::matching(self.src, self.toks, i + 1, u.body.end)
                        && self.t(close + 1) == "{"
                        && let Some(end) =
                            parse::matching(self.src, self.toks, close + 1, u.body.end)
                    {
                        let param = (close == i + 3)
                            .then(|| u.params.iter().position(|p| p.name == self.t(i + 2)))
                            .flatten();
                        out.push(Switch {
                            open: close + 1,
                            close: end,
                            param,
                            labels: Vec::new(),
                        });
                        depth += 1;
                        stack.push((out.len() - 1, depth));
                        i = close + 2;
                        continue;
                    }
                }
                "{" => depth += 1,
                "}" => {
                    if stack.last().is_some_and(|&(_, d)| d == depth) {
                        stack.pop();
                    }
                    depth = depth.saturating_sub(1);
                }
                "case" => {
                    if let Some(&(w, _)) = stack.last() {
                        out[w].labels.push((i, self.t(i + 1).to_string()));
                    }
                }
                "default" if self.t(i + 1) == ":" => {
                    if let Some(&(w, _)) = stack.last() {
                        out[w].labels.push((i, "default".to_string()));
                    }
                }
                _ => {}
            }
            i += 1;
        }
        out
    }
}

/// The blocks of one function body, for [`Paths`]: built on first use (most functions have no
/// restore to judge).
struct FnPaths<'c, 'a> {
    cx: &'c Ctx<'a>,
    u: &'c Unit,
    /// For each token of the body, the innermost `{` around it (`u.body.start - 1` at the top).
    opens: std::cell::OnceCell<Vec<usize>>,
}

/// Statements that make the statement after them conditional or repeated.
const CONTROL: &[&str] = &[
    "if", "else", "for", "while", "do", "switch", "case", "default",
];

impl<'c, 'a> FnPaths<'c, 'a> {
    fn new(cx: &'c Ctx<'a>, u: &'c Unit) -> Self {
        FnPaths {
            cx,
            u,
            opens: std::cell::OnceCell::new(),
        }
    }

    fn top(&self) -> usize {
        self.u.body.start.wrapping_sub(1)
    }

    /// The innermost `{` around token `i` of the body.
    fn open_of(&self, i: usize) -> usize {
        let opens = self.opens.get_or_init(|| {
            let mut stack = vec![self.top()];
            let mut out = Vec::with_capacity(self.u.body.len());
            for k in self.u.body.clone() {
                let inner = stack.last().copied().unwrap_or(self.top());
                out.push(inner);
                match self.cx.t(k) {
                    "{" => stack.push(k),
                    "}" if stack.len() > 1 => {
                        stack.pop();
                    }
                    _ => {}
                }
            }
            out
        });
        i.checked_sub(self.u.body.start)
            .and_then(|k| opens.get(k).copied())
            .unwrap_or(self.top())
    }

    /// The block around the `{` at `open` (`None` at the top).
    fn parent(&self, open: usize) -> Option<usize> {
        (open != self.top()).then(|| self.open_of(open))
    }

    /// Is the statement around `i` a plain one, run whenever control reaches it: not the body
    /// of a control statement without braces (`if (x) f();`, `for (…) f();`), not after `case
    /// X:`, and `i` not behind `?`, `&&`, `||` or `,` in it. A label before it (`out:`) is allowed.
    fn plain(&self, i: usize) -> bool {
        let (mut s, _) = self.cx.stmt(self.u, i);
        if self.is_label(s) {
            s += 2;
        }
        !CONTROL.contains(&self.cx.t(s))
            && !(s..i).any(|k| matches!(self.cx.t(k), ")" | "?" | ":" | "&&" | "||" | ","))
    }

    /// Is token `k` a label (`name:` at the start of a statement)?
    fn is_label(&self, k: usize) -> bool {
        self.cx
            .toks
            .get(k)
            .is_some_and(|t| t.kind == TokKind::Ident)
            && self.cx.t(k + 1) == ":"
            && (k == self.u.body.start || matches!(self.cx.t(k - 1), ";" | "{" | "}"))
            && !CONTROL.contains(&self.cx.t(k))
    }

    /// Does the block opened at `open` belong to a loop (`for`, `while`, `do`, a
    /// `list_for_each*()`-style iterator macro), or (`switch_too`) to a `switch`?
    fn breakable(&self, open: usize, switch_too: bool) -> bool {
        let before = open.wrapping_sub(1);
        match self.cx.t(before) {
            "do" => true,
            ")" => parse::matching_back(self.cx.src, self.cx.toks, before, self.u.body.start)
                .is_some_and(|o| match self.cx.t(o.wrapping_sub(1)) {
                    "for" | "while" => true,
                    "switch" => switch_too,
                    w => w.contains("for_each"),
                }),
            _ => false,
        }
    }

    /// Is the `break`/`continue` at `b` caught by a loop (or, for `break`, a `switch`) opened
    /// after `from`?
    fn caught_after(&self, b: usize, from: usize) -> bool {
        let switch_too = self.cx.t(b) == "break";
        let mut open = Some(self.open_of(b));
        while let Some(o) = open.filter(|&o| o != self.top() && o > from) {
            if self.breakable(o, switch_too) {
                return true;
            }
            open = self.parent(o);
        }
        false
    }

    /// The test of the `if` that directly governs token `i` (`if (C) <i>;`, nothing else
    /// between), when the `if` runs whenever control reaches it from `from`'s block, and the test
    /// reads only local names (no call, no member, no pointer): its tokens.
    fn direct_test(&self, i: usize, enclosing: usize) -> Option<Vec<&'a str>> {
        let (s, _) = self.cx.stmt(self.u, i);
        if self.cx.t(s) != "if" || self.cx.t(s + 1) != "(" || self.open_of(s) > enclosing {
            return None;
        }
        let c = parse::matching(self.cx.src, self.cx.toks, s + 1, self.u.body.end)?;
        let direct = c < i
            && !(c + 1..i).any(|k| {
                CONTROL.contains(&self.cx.t(k))
                    || matches!(self.cx.t(k), "(" | ")" | "?" | "&&" | "||" | ",")
            });
        let simple = (s + 2..c).all(|k| {
            matches!(self.cx.toks[k].kind, TokKind::Ident | TokKind::Number)
                || matches!(self.cx.t(k), "!" | "&&" | "||" | "==" | "!=")
        });
        (direct && simple).then(|| (s + 2..c).map(|k| self.cx.t(k)).collect())
    }

    /// `if (C) <from>; ... if (C) <to>;` with the same test of local names, both `if`s in blocks
    /// that run whenever `from`'s does, and nothing assigned to a name of the test between them
    /// nor its address taken anywhere (`if (pfmemalloc) save(); ... if (pfmemalloc) restore();`).
    fn same_condition(&self, from: usize, to: usize) -> bool {
        let (sf, _) = self.cx.stmt(self.u, from);
        let (Some(a), Some(b)) = (
            self.direct_test(from, from),
            self.direct_test(to, self.open_of(sf)),
        ) else {
            return false;
        };
        let names: Vec<&str> = a
            .iter()
            .copied()
            .filter(|w| w.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_'))
            .collect();
        let assigned = |k: usize| {
            names.contains(&self.cx.t(k))
                && self.cx.toks[k].kind == TokKind::Ident
                && matches!(
                    self.cx.t(k + 1),
                    "=" | "+=" | "-=" | "|=" | "&=" | "^=" | "++" | "--"
                )
                || matches!(self.cx.t(k.wrapping_sub(1)), "++" | "--")
                    && names.contains(&self.cx.t(k))
        };
        let address_taken = self
            .u
            .body
            .clone()
            .any(|k| self.cx.t(k) == "&" && names.contains(&self.cx.t(k + 1)));
        a == b && !a.is_empty() && !address_taken && !(from..to).any(assigned)
    }

    /// The token of label `name:` in the body.
    fn label(&self, name: &str) -> Option<usize> {
        self.u
            .body
            .clone()
            .find(|&k| self.cx.t(k) == name && self.is_label(k))
    }
}

impl Paths for FnPaths<'_, '_> {
    fn covers(&self, guard: usize, set: usize) -> bool {
        let (s, _) = self.cx.stmt(self.u, guard);
        // A label between them lets a jump reach the set without the guard.
        self.open_of(s) == self.open_of(set)
            && self.plain(set)
            && !(s + 1..=set).any(|k| self.is_label(k))
            && self.leaves(s, set).is_none()
    }

    fn leaves(&self, from: usize, to: usize) -> Option<String> {
        let line = |k: usize| self.cx.line_of(k);
        if (!self.plain(to) || self.open_of(to) > from) && !self.same_condition(from, to) {
            return Some(format!("line {} runs only under a condition", line(to)));
        }
        for k in from + 1..to {
            match self.cx.t(k) {
                "goto" => {
                    let target = self.cx.t(k + 1);
                    if self.label(target).is_none_or(|l| l > to || l < from) {
                        return Some(format!(
                            "goto {target} at line {} skips line {}",
                            line(k),
                            line(to)
                        ));
                    }
                }
                w @ ("break" | "continue") if !self.caught_after(k, from) => {
                    return Some(format!("{w} at line {} skips line {}", line(k), line(to)));
                }
                _ => {}
            }
        }
        None
    }
}
