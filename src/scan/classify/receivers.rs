//! Receivers: which task (or object) an access is on, and the calls that pass tasks along.

use super::*;

impl<'a> Ctx<'a> {
    /// Tokens of the receiver expression that ends just before token `arrow`.
    pub(super) fn receiver_before(&self, floor: usize, arrow: usize) -> Option<(usize, usize)> {
        let end = arrow;
        let mut j = arrow.checked_sub(1)?;
        if j < floor {
            return None;
        }
        loop {
            let t = self.t(j);
            if t == ")" || t == "]" {
                let o = parse::matching_back(self.src, self.toks, j, floor)?;
                j = o;
                // A call or index: include what it applies to.
                if o > floor && (self.toks[o - 1].kind == TokKind::Ident || self.t(o - 1) == "]") {
                    j = o - 1;
                    if self.t(j) == "]" {
                        continue;
                    }
                }
            } else if self.toks[j].kind != TokKind::Ident {
                return None;
            }
            if j >= floor + 2 && matches!(self.t(j - 1), "->" | ".") {
                j -= 2;
                continue;
            }
            return Some((j, end));
        }
    }

    pub(super) fn expr_text(&self, s: usize, e: usize) -> String {
        let mut out = String::new();
        for k in s..e {
            out.push_str(self.t(k));
        }
        out
    }

    /// What the tokens `s..e` denote as a receiver; `None` for a pointer to another struct.
    pub(super) fn resolve(
        &self,
        u: &Unit,
        locals: &HashMap<String, Local>,
        s: usize,
        e: usize,
    ) -> Option<Recv> {
        let mut s = s;
        let mut e = e;
        while e > s + 1
            && self.t(s) == "("
            && parse::matching(self.src, self.toks, s, e) == Some(e - 1)
        {
            s += 1;
            e -= 1;
        }
        // Casts to the task type.
        let expr = self.expr_text(s, e);
        let task = self.names.object.is_task;
        if task && parse::is_current_expr(self.src, &self.toks[s..e]) {
            return Some(Recv::Current { alias: None });
        }
        if e == s + 1 && self.toks[s].kind == TokKind::Ident {
            let name = self.t(s);
            if let Some(l) = locals.get(name) {
                if task && l.assigned && l.only_current {
                    return Some(Recv::Current {
                        alias: Some(format!("{name} = current")),
                    });
                }
                if task
                    && l.ty == VarType::Task
                    && let Some(rhs) = self.assigns.get(name)
                {
                    let before: Vec<&(usize, String)> =
                        rhs.iter().filter(|(k, _)| *k < s).collect();
                    if !before.is_empty()
                        && before
                            .iter()
                            .all(|(k, r)| parse::this_cpu_curr(r, &self.assigns, *k))
                    {
                        return Some(Recv::Current {
                            alias: Some(format!(
                                "{name} = {} (this CPU's running task)",
                                before[0].1
                            )),
                        });
                    }
                }
                return match l.ty {
                    VarType::Task => Some(Recv::Task { expr }),
                    VarType::Other => None,
                    VarType::Untyped => Some(Recv::Untyped { expr }),
                };
            }
            if let Some(index) = u.params.iter().position(|p| p.name == name) {
                let p = &u.params[index];
                return match p.ty {
                    VarType::Other => None,
                    ty => Some(Recv::Param {
                        index,
                        name: name.to_string(),
                        typed: ty == VarType::Task,
                    }),
                };
            }
            if task && name == "init_task" {
                return Some(Recv::Task { expr });
            }
            return Some(Recv::Untyped { expr });
        }
        if task && parse::this_cpu_curr(&expr, &self.assigns, s) {
            return Some(Recv::Current {
                alias: Some(format!("{expr} of this CPU's runqueue")),
            });
        }
        if e >= s + 3
            && self.t(e - 2) == "->"
            && self.names.object.members.iter().any(|m| m == self.t(e - 1))
        {
            return Some(Recv::Task { expr });
        }
        if task && self.t(s) == "&" && self.t(s + 1) == "init_task" {
            return Some(Recv::Task { expr });
        }
        Some(Recv::Untyped { expr })
    }

    /// The call whose argument list holds token `i`: callee name and argument index.
    pub(super) fn enclosing_call(&self, floor: usize, i: usize) -> Option<(&'a str, usize)> {
        let mut depth = 0i32;
        let mut arg = 0usize;
        let mut j = i;
        while j > floor {
            j -= 1;
            match self.t(j) {
                ")" | "]" => depth += 1,
                "(" | "[" if depth > 0 => depth -= 1,
                "," if depth == 0 => arg += 1,
                "(" => {
                    let c = j.checked_sub(1)?;
                    if c >= floor
                        && self.toks[c].kind == TokKind::Ident
                        && !is_keyword(self.t(c))
                        && !WRAPPERS.contains(&self.t(c))
                    {
                        return Some((self.t(c), arg));
                    }
                    arg = 0;
                }
                _ => {}
            }
        }
        None
    }

    /// Calls whose arguments include a task: kept to decide "every caller passes current".
    pub(super) fn record_calls(&mut self, u: &Unit, locals: &HashMap<String, Local>) {
        let mut caller: Option<std::sync::Arc<str>> = None;
        // Calls under the same locks share one list (most calls hold none).
        let mut held: std::sync::Arc<[HeldLock]> = std::sync::Arc::clone(&self.no_locks);
        let mut i = u.body.start;
        while i + 1 < u.body.end {
            if self.toks[i].kind == TokKind::Ident
                && self.t(i + 1) == "("
                && !is_keyword(self.t(i))
                && let Some(close) = parse::matching(self.src, self.toks, i + 1, u.body.end)
            {
                {
                    let ranges = parse::split_args(self.src, self.toks, i + 2, close);
                    let args: Vec<Arg> = ranges
                        .iter()
                        .map(|r| match self.resolve(u, locals, r.start, r.end) {
                            Some(Recv::Current { .. }) => Arg::Current,
                            Some(Recv::Param { index, .. }) => Arg::Param(index),
                            Some(Recv::Task { .. }) => Arg::Task,
                            Some(Recv::Untyped { expr })
                                if r.len() == 1
                                    && expr.len() > 1
                                    && expr.bytes().all(|b| {
                                        b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'
                                    }) =>
                            {
                                Arg::Const(expr)
                            }
                            _ => Arg::Other,
                        })
                        .zip(&ranges)
                        .map(|(a, r)| match a {
                            Arg::Task | Arg::Param(_) | Arg::Other if r.len() == 1 => {
                                match contexts::stopped_at(&self.stopped, self.t(r.start), i) {
                                    Some(why) => Arg::Stopped(why),
                                    None => a,
                                }
                            }
                            a => a,
                        })
                        .collect();
                    // Trailing arguments that say nothing about a task are not kept (a call
                    // reads `args.get(k)`, and a missing one means the same): most calls keep none.
                    let mut args = args;
                    while matches!(args.last(), Some(Arg::Other)) {
                        args.pop();
                    }
                    let callee = self.intern(self.t(i));
                    let caller =
                        std::sync::Arc::clone(caller.get_or_insert_with(|| self.intern(&u.name)));
                    if matches!(self.t(i.wrapping_sub(1)), "->" | ".") {
                        self.record_indirect(&caller, i);
                    }
                    self.out.calls.push(Call {
                        callee,
                        caller,
                        line: self.line_of(i),
                        args: args.into_boxed_slice(),
                        locks: {
                            let now = locks::held_at(&self.lock_spans, i);
                            if *now != *held {
                                held = now.into();
                            }
                            std::sync::Arc::clone(&held)
                        },
                        task_only: super::guards::task_guard_at(&self.guards, i).is_some(),
                    });
                }
            }
            i += 1;
        }
    }

    /// `x->member(...)` at token `i`: a possible call of every function of this file stored
    /// in `member`.
    fn record_indirect(&mut self, caller: &std::sync::Arc<str>, i: usize) {
        let member = self.t(i);
        let targets: Vec<String> = self
            .member_slots
            .iter()
            .filter(|s| s.member == member)
            .map(|s| s.function.clone())
            .collect();
        for f in targets {
            let callee = self.intern(&f);
            self.out.indirect.push(IndirectCall {
                callee,
                caller: std::sync::Arc::clone(caller),
                member: member.to_string(),
                line: self.line_of(i),
            });
        }
    }

    /// One shared copy of a name per file.
    pub(super) fn intern(&mut self, name: &str) -> std::sync::Arc<str> {
        if let Some(n) = self.names_seen.get(name) {
            return std::sync::Arc::clone(n);
        }
        let n: std::sync::Arc<str> = std::sync::Arc::from(name);
        self.names_seen.insert(std::sync::Arc::clone(&n));
        n
    }
}
