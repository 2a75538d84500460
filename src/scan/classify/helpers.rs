//! Helpers found from bodies: header inlines and macros, and small `.c` functions that change a
//! flag on every call; a helper's call sites as accesses.

use super::*;

/// Helpers defined in a `.c` file (`kernel/freezer.c`: `set_freezable()`; `kernel/kthread.c`:
/// `kthread_bind()`): non-static functions of at most [`C_HELPER_MAX_STATEMENTS`] statements that
/// write a flag of `current` or of a parameter, directly or through the file's own static
/// functions that do (read as helpers within the file, then dropped). Their locks and a wait
/// inside them go with them to the call sites.
pub fn c_file_helpers(src: &[u8], names: &Names, file: &str) -> Vec<FoundHelper> {
    let mut local: Option<Names> = None;
    let mut found = Vec::new();
    for _round in 0..4 {
        let fs = scan_mode(
            src,
            local.as_ref().unwrap_or(names),
            FileRole::of(file, false),
            true,
        );
        let mut grown = false;
        for h in fs.helpers {
            if !h.write || found.iter().any(|f: &FoundHelper| f.name == h.name) {
                continue;
            }
            if h.is_static {
                let table = local.get_or_insert_with(|| names.clone());
                grown |= table.add_helper(h.to_helper(file));
            }
            found.push(h);
        }
        if !grown {
            break;
        }
    }
    found.retain(|h| !h.is_static);
    found
}

impl FoundHelper {
    /// The helper as the name table holds it, defined at `file`.
    pub fn to_helper(&self, file: &str) -> crate::scan::names::Helper {
        crate::scan::names::Helper {
            name: self.name.clone(),
            recv: self.recv,
            flags: self.flags.clone(),
            mask_param: self.mask_param,
            mask_rest: false,
            asserts: None,
            inner_locks: self.locks.clone(),
            stopped: self.stopped.clone(),
            kind: file.ends_with(".c").then_some(self.kind),
            write: self.write,
            def: format!("{file}:{}", self.line),
            how: if file.ends_with(".c") {
                "c-body"
            } else {
                "body"
            },
        }
    }
}

impl<'a> Ctx<'a> {
    pub(super) fn find_helpers(&mut self, u: &Unit, acc: &[RawAccess]) {
        /// What one receiver of a unit gets: flags, a mask parameter, the first store's line,
        /// the locks and the wait around that store.
        struct Seen {
            flags: Vec<String>,
            mask_param: Option<usize>,
            line: u32,
            locks: Vec<String>,
            stopped: Option<String>,
            kind: AccessKind,
        }
        let mut by_recv: HashMap<(HelperRecv, bool), Seen> = HashMap::new();
        // Read helpers: only small, direct tests of a parameter (`tsk_used_math(p)`); a reader
        // of current (`copy_to_user` testing PF_KTHREAD deep inside) would flood the evidence.
        let statements = u.body.clone().filter(|&k| self.t(k) == ";").count();
        // A `.c` function is a helper for the stores it makes on every call (`kthread_bind()`),
        // not for one behind a test (`kthread_unpark()` rebinds only per-CPU threads).
        let c_function = self.c_helpers && u.kind == UnitKind::Function;
        for a in acc {
            if !a.write
                && (matches!(a.recv, Recv::Current { .. }) || !a.via.is_empty() || statements > 2)
            {
                continue;
            }
            if c_function && !self.unconditional(u, a.tok) {
                continue;
            }
            let recv = match &a.recv {
                Recv::Current { .. } => HelperRecv::Current,
                Recv::Param { index, .. } => HelperRecv::Param(*index),
                _ => continue,
            };
            let e = by_recv.entry((recv, a.write)).or_insert_with(|| Seen {
                flags: Vec::new(),
                mask_param: None,
                line: a.line,
                locks: a.locks.iter().map(|l| l.lock.clone()).collect(),
                stopped: a.stopped.clone(),
                kind: a.kind,
            });
            // A call passing this unit's own mask parameter on (no flag of its own).
            if let Some(mp) = a.op.strip_prefix("mask-param:") {
                e.mask_param = mp.parse().ok();
            } else if a.flag.is_empty() {
                continue;
            } else if !e.flags.contains(&a.flag) {
                e.flags.push(a.flag.clone());
            }
        }
        let mut keys: Vec<_> = by_recv.into_iter().collect();
        keys.sort_by_key(|((r, w), _)| (!*w, format!("{r:?}")));
        // One helper per unit: its writes win over its reads.
        if let Some(((recv, write), seen)) = keys.into_iter().next()
            && (!seen.flags.is_empty() || seen.mask_param.is_some())
        {
            self.out.helpers.push(FoundHelper {
                name: u.name.clone(),
                recv,
                flags: seen.flags,
                mask_param: seen.mask_param,
                write,
                line: seen.line,
                locks: seen.locks,
                stopped: seen.stopped,
                is_static: u.is_static && !u.is_inline && u.kind == UnitKind::Function,
                kind: seen.kind,
            });
        }
    }

    /// Token `i` sits in a statement of the function's outermost block that no `if`, loop,
    /// `switch` or `case` governs: it runs on every call that gets that far.
    pub(super) fn unconditional(&self, u: &Unit, i: usize) -> bool {
        let mut depth = 0i32;
        let mut start = u.body.start;
        for k in u.body.start..i.min(u.body.end) {
            match self.t(k) {
                "{" => depth += 1,
                "}" => depth -= 1,
                _ => {}
            }
            if matches!(self.t(k), ";" | "{" | "}") {
                start = k + 1;
            }
        }
        // Skip a label (`unlock:`) before the statement.
        while start + 1 < i && self.toks[start].kind == TokKind::Ident && self.t(start + 1) == ":" {
            start += 2;
        }
        depth == 0
            && !matches!(
                self.t(start),
                "if" | "else" | "for" | "while" | "do" | "switch" | "case" | "default"
            )
    }

    /// A function of a `.c` file small enough to be an accessor (`set_freezable()`: five
    /// statements), not code whose callers would all become writers (`try_to_wake_up()`).
    pub(super) fn is_small_c_helper(&self, u: &Unit) -> bool {
        !u.is_inline
            && u.body.clone().filter(|&k| self.t(k) == ";").count() <= C_HELPER_MAX_STATEMENTS
    }

    /// A header inline or macro storing into `current->flags` or `param->flags` from one of its
    /// parameters (`current_restore_flags(orig, flags)`): a helper whose mask is an argument.
    pub(super) fn mask_param_helper(&mut self, u: &Unit, locals: &HashMap<String, Local>) {
        for a in u.body.clone() {
            if self.t(a) != "->" || !self.names.mask_words.iter().any(|w| w == self.t(a + 1)) {
                continue;
            }
            if !matches!(self.t(a + 2), "=" | "|=" | "&=" | "^=") {
                continue;
            }
            let (s, e) = self.stmt(u, a);
            let Some((rs, _)) = self.receiver_before(s, a) else {
                continue;
            };
            let recv = match self.resolve(u, locals, rs, a) {
                Some(Recv::Current { .. }) => HelperRecv::Current,
                Some(Recv::Param { index, .. }) => HelperRecv::Param(index),
                _ => continue,
            };
            let re = parse::expr_end(self.src, self.toks, a + 3, e);
            let mp = (a + 3..re).find_map(|k| u.params.iter().position(|p| p.name == self.t(k)));
            if let Some(mp) = mp
                && !matches!(recv, HelperRecv::Param(r) if r == mp)
            {
                let (line, _) = self.pos(a);
                self.out.helpers.push(FoundHelper {
                    name: u.name.clone(),
                    recv,
                    flags: Vec::new(),
                    mask_param: Some(mp),
                    write: true,
                    line,
                    locks: locks::held_at(&self.lock_spans, a)
                        .into_iter()
                        .map(|l| l.lock)
                        .collect(),
                    stopped: None,
                    is_static: u.is_static && !u.is_inline && u.kind == UnitKind::Function,
                    kind: AccessKind::Assign,
                });
                return;
            }
        }
    }

    /// The flags a local holds when it is the value a saving helper returned: `x` in
    /// `memalloc_noio_restore(x)` after `x = memalloc_noio_save()` or `x =
    /// memalloc_flags_save(PF_A | PF_B)` (the last assignment before token `before`).
    fn saved_flags(
        &self,
        u: &Unit,
        arg: &std::ops::Range<usize>,
        before: usize,
        masks: &HashMap<String, (Vec<String>, Vec<usize>)>,
    ) -> Option<Vec<String>> {
        if arg.len() != 1 || self.toks[arg.start].kind != TokKind::Ident {
            return None;
        }
        let var = self.t(arg.start);
        if u.params.iter().any(|p| p.name == var) {
            return None;
        }
        let (at, _) = self
            .assigns
            .get(var)?
            .iter()
            .rev()
            .find(|(k, _)| *k < before)?;
        let call = at + 2;
        let Some(Name::Helper(h)) = self.names.get(self.t(call)) else {
            return None;
        };
        let saver = &self.names.helpers[*h];
        if !saver.write
            || self.t(call + 1) != "("
            || matches!(
                AccessKind::of_write(&saver.name),
                AccessKind::Restore | AccessKind::Clear
            )
        {
            return None;
        }
        let mut flags = saver.flags.clone();
        if let Some(mp) = saver.mask_param {
            let close = parse::matching(self.src, self.toks, call + 1, u.body.end)?;
            let args = parse::split_args(self.src, self.toks, call + 2, close);
            let r = args.get(mp)?;
            flags.extend(self.flags_in(r.start, r.end, masks, &mut HashSet::new()));
        }
        (!flags.is_empty()).then_some(flags)
    }

    #[allow(clippy::type_complexity)]
    pub(super) fn helper_hit(
        &mut self,
        u: &Unit,
        locals: &HashMap<String, Local>,
        masks: &HashMap<String, (Vec<String>, Vec<usize>)>,
        h: usize,
        i: usize,
        acc: &mut Vec<RawAccess>,
    ) {
        if i == u.name_tok {
            return;
        }
        let helper = &self.names.helpers[h];
        let name = helper.name.clone();
        if !self.header && !self.c_helpers && self.file_statics.contains(&name) {
            return; // this file's own static function of that name, read as a function
        }
        if helper.how == "c-body" && !self.c_helpers {
            if u.name == name {
                return; // a recursive helper calling itself: its store is already a write site
            }
            if self.file_functions.contains(&name) && !self.is_this_file(&helper.def) {
                return; // another file's own function of that name (`__weak`, an arch twin)
            }
        }
        if matches!(self.t(i.wrapping_sub(1)), "->" | "." | "goto") || self.t(i + 1) == ":" {
            return; // a struct member or a label of the same name
        }
        if self.t(i + 1) != "(" {
            self.unclassified(i, &name, &u.name, "helper named but not called here");
            return;
        }
        let Some(close) = parse::matching(self.src, self.toks, i + 1, u.body.end) else {
            self.unclassified(i, &name, &u.name, "unbalanced call");
            return;
        };
        let args = parse::split_args(self.src, self.toks, i + 2, close);
        let (recv, receiver) = match helper.recv {
            HelperRecv::Current => (Recv::Current { alias: None }, "current".to_string()),
            HelperRecv::Param(k) => {
                let Some(r) = args.get(k) else {
                    self.unclassified(i, &name, &u.name, "helper called with too few arguments");
                    return;
                };
                let Some(recv) = self.resolve(u, locals, r.start, r.end) else {
                    return;
                };
                (recv, self.expr_text(r.start, r.end))
            }
        };
        let mut flags = helper.flags.clone();
        let mut used = HashSet::new();
        let mut restores_saved = false;
        if let Some(mp) = helper.mask_param
            && let Some(r) = args.get(mp)
        {
            let last = if helper.mask_rest { args.len() } else { mp + 1 };
            for r in args.iter().take(last).skip(mp) {
                flags.extend(self.flags_in(r.start, r.end, masks, &mut used));
            }
            if flags.is_empty()
                && let Some(saved) = self.saved_flags(u, r, i, masks)
            {
                // `memalloc_noio_restore(noio_flag)` with `noio_flag = memalloc_noio_save()`.
                flags = saved;
                restores_saved = true;
            }
            if flags.is_empty() {
                // Inside another helper passing its own mask parameter along: that one is a helper too.
                if let Some(p) =
                    (r.start..r.end).find_map(|k| u.params.iter().position(|p| p.name == self.t(k)))
                {
                    self.push(
                        acc,
                        i,
                        "",
                        helper.write,
                        &format!("mask-param:{p}"),
                        receiver,
                        recv,
                        u,
                        Vec::new(),
                        Vec::new(),
                    );
                    return;
                }
                self.unclassified(
                    i,
                    &name,
                    &u.name,
                    "helper called with a mask this reader cannot see",
                );
                return;
            }
        }
        let mut group = flags.clone();
        group.sort();
        group.dedup();
        let via = vec![helper.def.clone()];
        let asserted = helper.asserts.map(|l| HeldLock {
            lock: l.to_string(),
            via: format!("{name}() asserts it"),
            line: self.pos(i).0,
            softirq: false,
        });
        for f in &group {
            let before = acc.len();
            self.push(
                acc,
                i,
                f,
                helper.write,
                &name,
                receiver.clone(),
                recv.clone(),
                u,
                if group.len() > 1 {
                    group.clone()
                } else {
                    Vec::new()
                },
                via.clone(),
            );
            for a in &mut acc[before..] {
                if let Some(k) = helper.kind {
                    a.kind = k;
                }
                if restores_saved && a.write {
                    a.kind = AccessKind::Restore;
                }
                if let Some(l) = &asserted {
                    a.locks.push(l.clone());
                }
                for l in &helper.inner_locks {
                    a.locks.push(HeldLock {
                        lock: l.clone(),
                        via: format!("{name}() takes it"),
                        line: a.line,
                        softirq: false,
                    });
                }
                if a.stopped.is_none()
                    && !matches!(a.recv, Recv::Current { .. })
                    && let Some(why) = &helper.stopped
                {
                    a.stopped = Some(format!("{name}(): {why}"));
                }
            }
        }
    }
}
