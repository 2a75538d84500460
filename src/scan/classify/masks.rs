//! Mask words (`PF_*`): masks built in macros and locals, `|=`/`&=` hits, whole-word stores.

use super::*;

impl<'a> Ctx<'a> {
    /// `X->flags = v` with no flag in `v`: a store of the whole word, a write of all its flags.
    pub(super) fn whole_word_stores(
        &mut self,
        u: &Unit,
        locals: &HashMap<String, Local>,
        acc: &mut Vec<RawAccess>,
    ) {
        for a in u.body.clone() {
            if self.t(a) != "->" || self.t(a + 2) != "=" {
                continue;
            }
            let word = self.t(a + 1);
            if !self.names.mask_words.iter().any(|w| w == word) {
                continue;
            }
            let (s, e) = self.stmt(u, a);
            let re = parse::expr_end(self.src, self.toks, a + 3, e);
            let has_flag = (a + 3..re).any(|k| {
                self.names.get(self.t(k)).is_some() || self.file_masks.contains_key(self.t(k))
            });
            if has_flag || re <= a + 3 {
                continue;
            }
            let Some((rs, _)) = self.receiver_before(s, a) else {
                continue;
            };
            // Only a typed task: `sig->flags = SIGNAL_GROUP_EXIT` is another struct's word.
            let Some(recv) = self.resolve(u, locals, rs, a).filter(|r| {
                matches!(
                    r,
                    Recv::Current { .. } | Recv::Task { .. } | Recv::Param { typed: true, .. }
                )
            }) else {
                continue;
            };
            let receiver = self.expr_text(rs, a);
            let value = self.expr_text(a + 3, re);
            let flags: Vec<String> = self
                .names
                .flags
                .iter()
                .filter(|f| f.word == word && f.kind == crate::model::Kind::Mask)
                .map(|f| f.name.clone())
                .collect();
            for f in flags {
                self.push(
                    acc,
                    a + 1,
                    &f,
                    true,
                    &format!("= {value} (whole word)"),
                    receiver.clone(),
                    recv.clone(),
                    u,
                    Vec::new(),
                    Vec::new(),
                );
                if let Some(last) = acc.last_mut() {
                    last.kind = AccessKind::Whole;
                }
            }
        }
    }

    /// Parameterless macros whose body is only mask flag names and operators.
    pub(super) fn mask_macros(&self, units: &[Unit]) -> MaskMap {
        let mut out = MaskMap::new();
        for u in units
            .iter()
            .filter(|u| u.kind == UnitKind::Macro && u.params.is_empty())
        {
            let mut flags = Vec::new();
            let mut at = Vec::new();
            let mut pure = true;
            for k in u.body.clone() {
                let w = self.t(k);
                match self.names.get(w) {
                    Some(Name::Flag(f))
                        if self.names.flags[*f].kind == crate::model::Kind::Mask =>
                    {
                        flags.push(w.to_string());
                        at.push(k);
                    }
                    _ if self.toks[k].kind == TokKind::Punct
                        && matches!(w, "(" | ")" | "|" | "~" | "&") => {}
                    _ => pure = false,
                }
            }
            if pure && !flags.is_empty() {
                out.insert(u.name.clone(), (flags, at));
            }
        }
        out
    }

    /// Locals that hold a mask built from flag names: `unsigned f = PF_A | PF_B;`, `f |= PF_C`.
    #[allow(clippy::type_complexity)]
    pub(super) fn local_masks(
        &self,
        u: &Unit,
        locals: &HashMap<String, Local>,
    ) -> HashMap<String, (Vec<String>, Vec<usize>)> {
        let mut out: HashMap<String, (Vec<String>, Vec<usize>)> = HashMap::new();
        let _ = locals;
        let mut i = u.body.start;
        while i + 1 < u.body.end {
            let t = &self.toks[i];
            if t.kind == TokKind::Ident
                && matches!(self.t(i + 1), "=" | "|=")
                && !matches!(self.t(i.wrapping_sub(1)), "->" | "." | "*")
            {
                let e = parse::expr_end(self.src, self.toks, i + 2, u.body.end);
                let mut found = Vec::new();
                for k in i + 2..e {
                    if let Some(Name::Flag(f)) = self.names.get(self.t(k))
                        && self.names.flags[*f].kind == crate::model::Kind::Mask
                    {
                        found.push((self.names.flags[*f].name.clone(), k));
                    }
                }
                // Only a pure mask (flag names and operators), not `x = p->flags & PF_A` nor
                // `x = memalloc_flags_save(PF_A)` (a helper's call is an access of its own).
                let pure = (i + 2..e).all(|k| {
                    let w = self.t(k);
                    self.toks[k].kind != TokKind::Ident
                        || matches!(self.names.get(w), Some(Name::Flag(_)))
                        || out.contains_key(w)
                });
                if !found.is_empty() && pure {
                    let entry = out.entry(self.t(i).to_string()).or_default();
                    for (f, k) in found {
                        entry.0.push(f);
                        entry.1.push(k);
                    }
                }
                i = e;
            }
            i += 1;
        }
        out
    }

    /// Mask flag names (and local masks, expanded) in tokens `s..e`.
    pub(super) fn flags_in(
        &self,
        s: usize,
        e: usize,
        masks: &HashMap<String, (Vec<String>, Vec<usize>)>,
        used: &mut HashSet<String>,
    ) -> Vec<String> {
        if let Some((k, out, u)) = &self.memo.borrow().flags
            && *k == (s, e)
        {
            used.extend(u.iter().cloned());
            return out.clone();
        }
        let mut mine = HashSet::new();
        let out = self.flags_in_scan(s, e, masks, &mut mine);
        self.memo.borrow_mut().flags = Some(((s, e), out.clone(), mine.iter().cloned().collect()));
        used.extend(mine);
        out
    }

    pub(super) fn flags_in_scan(
        &self,
        s: usize,
        e: usize,
        masks: &HashMap<String, (Vec<String>, Vec<usize>)>,
        used: &mut HashSet<String>,
    ) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for k in s..e {
            let w = self.t(k);
            if let Some(Name::Flag(f)) = self.names.get(w)
                && self.names.flags[*f].kind == crate::model::Kind::Mask
            {
                out.push(w.to_string());
            } else if let Some((fl, _)) = masks.get(w)
                && !matches!(self.t(k + 1), "=" | "|=")
            {
                used.insert(w.to_string());
                out.extend(fl.iter().cloned());
            }
        }
        out.sort();
        out.dedup();
        out
    }

    #[allow(clippy::type_complexity)]
    pub(super) fn mask_hit(
        &mut self,
        u: &Unit,
        locals: &HashMap<String, Local>,
        masks: &HashMap<String, (Vec<String>, Vec<usize>)>,
        used: &mut HashSet<String>,
        i: usize,
        acc: &mut Vec<RawAccess>,
    ) {
        let flag = self.t(i).to_string();
        // Part of a local mask definition: accounted when the local is applied.
        if self.memo_mask_toks(u, masks, i) {
            return;
        }
        let (s, e) = self.stmt(u, i);
        let accs = self.mask_accesses(s, e);
        let target = self.mask_target(s, e, i);
        if let Some(MaskAccess {
            recv_start: rs,
            arrow: a,
            write,
            rhs_end: re,
        }) = target
        {
            let Some(recv) = self.resolve(u, locals, rs, a) else {
                return;
            };
            let group = if write {
                self.flags_in(a + 3, re, masks, used)
            } else {
                // Flags of this statement attributed to the same access.
                let (gs, ge) = (
                    a + 2,
                    accs.iter()
                        .map(|x| x.arrow)
                        .filter(|&x| x > a)
                        .min()
                        .unwrap_or(e),
                );
                self.flags_in(gs, ge, masks, used)
            };
            let mut in_mask_param = None;
            if let Recv::Current { .. } | Recv::Param { .. } = recv
                && write
                && !u.params.is_empty()
            {
                // `current->flags &= ~flags` with `flags` a parameter: a helper with a mask
                // argument (looked for once per store, not once per flag of it).
                let cached = self.memo.borrow().mask_param.filter(|(k, _)| *k == a);
                in_mask_param = match cached {
                    Some((_, p)) => p,
                    None => {
                        let p = (a + 3..re)
                            .filter_map(|k| u.params.iter().position(|p| p.name == self.t(k)))
                            .last();
                        self.memo.borrow_mut().mask_param = Some((a, p));
                        p
                    }
                };
            }
            let op = if write {
                self.t(a + 2).to_string()
            } else {
                "test".to_string()
            };
            let receiver = self.expr_text(rs, a);
            self.push(
                acc,
                i,
                &flag,
                write,
                &op,
                receiver.clone(),
                recv.clone(),
                u,
                group,
                Vec::new(),
            );
            if let Some(p) = in_mask_param
                && write
                && !acc.iter().any(|x| x.op == format!("mask-param:{p}"))
            {
                self.push(
                    acc,
                    i,
                    "",
                    true,
                    &format!("mask-param:{p}"),
                    receiver,
                    recv,
                    u,
                    Vec::new(),
                    Vec::new(),
                );
            }
            return;
        }
        // A test of a copy: `unsigned pflags = READ_ONCE(current->flags); ... pflags & PF_A`.
        if let Some((v, rtok)) = self.flags_copy(s, e) {
            if let Some(recv) = self.resolve(u, locals, rtok, rtok + 1) {
                let group = self.flags_in(s, e, masks, used);
                let receiver = self.t(rtok).to_string();
                self.push(
                    acc,
                    i,
                    &flag,
                    false,
                    &format!("test of copy `{v}`"),
                    receiver,
                    recv,
                    u,
                    group,
                    Vec::new(),
                );
            }
            return;
        }
        // A mask-parameter helper reached through its mask argument is handled at the helper name.
        if let Some((callee, _)) = self.enclosing_call(s, i)
            && let Some(Name::Helper(_)) = self.names.get(callee)
        {
            return;
        }
        let reason = if let Some((callee, _)) = self.enclosing_call(s, i) {
            format!("passed to `{callee}()`, which this reader does not know as a flag helper")
        } else if (s..e).any(|k| matches!(self.t(k), "&" | "|" | "^" | "&=" | "|=")) {
            "mask operation on a value not read from a task's flags in this statement".to_string()
        } else {
            "not part of a flags operation".to_string()
        };
        self.unclassified(i, &flag, &u.name, &reason);
    }

    /// A local in statement `s..e` tested with `&` whose every earlier assignment copies a task's
    /// mask word (`v = R->flags` or `v = READ_ONCE(R->flags)`): the local and R's token.
    pub(super) fn flags_copy(&self, s: usize, e: usize) -> Option<(String, usize)> {
        for k in s..e {
            if self.toks[k].kind != TokKind::Ident
                || !(self.t(k + 1) == "&" || self.t(k.wrapping_sub(1)) == "&")
            {
                continue;
            }
            let v = self.t(k);
            let Some(list) = self.assigns.get(v) else {
                continue;
            };
            let before: Vec<&(usize, String)> = list.iter().filter(|(a, _)| *a < s).collect();
            let mut rtok = None;
            let all = !before.is_empty()
                && before.iter().all(|(a, rhs)| {
                    let inner = rhs
                        .strip_prefix("READ_ONCE(")
                        .and_then(|x| x.strip_suffix(')'))
                        .unwrap_or(rhs);
                    let ok = self.names.mask_words.iter().any(|w| {
                        inner
                            .strip_suffix(w.as_str())
                            .is_some_and(|r| r.ends_with("->"))
                    });
                    if ok {
                        let skip = if rhs.starts_with("READ_ONCE(") { 4 } else { 2 };
                        rtok = Some(a + skip);
                    }
                    ok
                });
            if all && let Some(r) = rtok {
                return Some((v.to_string(), r));
            }
        }
        None
    }

    /// Is token `i` part of a local mask definition? (sorted once per unit, then bisected)
    pub(super) fn memo_mask_toks(
        &self,
        u: &Unit,
        masks: &HashMap<String, (Vec<String>, Vec<usize>)>,
        i: usize,
    ) -> bool {
        let mut memo = self.memo.borrow_mut();
        if memo
            .mask_toks
            .as_ref()
            .is_none_or(|(k, _)| *k != u.body.start)
        {
            let mut v: Vec<usize> = masks
                .values()
                .flat_map(|(_, t)| t.iter().copied())
                .collect();
            v.sort_unstable();
            memo.mask_toks = Some((u.body.start, MaskToks(v)));
        }
        memo.mask_toks.as_ref().is_some_and(|(_, m)| m.contains(&i))
    }

    /// Accesses to a mask word in statement `s..e`.
    pub(super) fn mask_accesses(&self, s: usize, e: usize) -> Vec<MaskAccess> {
        if let Some((k, v)) = &self.memo.borrow().accesses
            && *k == (s, e)
        {
            return v.clone();
        }
        let accs = self.mask_accesses_scan(s, e);
        self.memo.borrow_mut().accesses = Some(((s, e), accs.clone()));
        accs
    }

    pub(super) fn mask_accesses_scan(&self, s: usize, e: usize) -> Vec<MaskAccess> {
        let mut accs = Vec::new();
        for a in s..e {
            if self.t(a) == "->" && self.names.mask_words.iter().any(|w| w == self.t(a + 1)) {
                let Some((rs, _)) = self.receiver_before(s, a) else {
                    continue;
                };
                let op = self.t(a + 2);
                let write = matches!(op, "=" | "|=" | "&=" | "^=");
                let rhs_end = if write {
                    parse::expr_end(self.src, self.toks, a + 3, e)
                } else {
                    a + 2
                };
                accs.push(MaskAccess {
                    recv_start: rs,
                    arrow: a,
                    write,
                    rhs_end,
                });
            }
        }
        accs
    }

    /// The mask-word access that token `i` belongs to: the store whose right-hand side holds it,
    /// else (a test) the nearest access before it, else after it.
    pub(super) fn mask_target(&self, s: usize, e: usize, i: usize) -> Option<MaskAccess> {
        let accs = self.mask_accesses(s, e);
        accs.iter()
            .find(|x| x.write && i > x.arrow + 2 && i < x.rhs_end)
            .copied()
            .or_else(|| {
                accs.iter()
                    .filter(|x| x.arrow < i)
                    .max_by_key(|x| x.arrow)
                    .or_else(|| accs.iter().min_by_key(|x| x.arrow))
                    .copied()
            })
    }
}
