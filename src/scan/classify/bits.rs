//! Bit-number words (`set_bit(PFA_X, ...)`) and one-bit bitfield members.

use super::*;

impl<'a> Ctx<'a> {
    pub(super) fn bitnum_hit(
        &mut self,
        u: &Unit,
        locals: &HashMap<String, Local>,
        i: usize,
        acc: &mut Vec<RawAccess>,
    ) {
        let flag = self.t(i).to_string();
        let (s, e) = self.stmt(u, i);
        if let Some((callee, argn)) = self.enclosing_call(s, i) {
            let write = BITOPS_WRITE.contains(&callee);
            if (write || BITOPS_READ.contains(&callee)) && argn == 0 {
                // The word argument: `&X->atomic_flags`.
                let close = (i..e).find(|&k| self.t(k) == ",").unwrap_or(e);
                let word_at = (close..e).find(|&k| {
                    self.t(k) == "->" && self.names.bitnum_words.iter().any(|w| w == self.t(k + 1))
                });
                if let Some(a) = word_at {
                    let floor = close + 1;
                    if let Some((rs, _)) = self.receiver_before(floor, a)
                        && let Some(recv) = self.resolve(u, locals, rs, a)
                    {
                        let receiver = self.expr_text(rs, a);
                        self.push(
                            acc,
                            i,
                            &flag,
                            write,
                            callee,
                            receiver,
                            recv,
                            u,
                            Vec::new(),
                            Vec::new(),
                        );
                    }
                    return;
                }
            }
            self.unclassified(
                i,
                &flag,
                &u.name,
                &format!("passed to `{callee}()` without a task's atomic_flags"),
            );
            return;
        }
        self.unclassified(i, &flag, &u.name, "not an argument of a bit operation");
    }

    pub(super) fn bitfield_hit(
        &mut self,
        u: &Unit,
        locals: &HashMap<String, Local>,
        i: usize,
        acc: &mut Vec<RawAccess>,
    ) {
        let arrow = self.t(i.wrapping_sub(1));
        if i == 0 || !matches!(arrow, "->" | ".") {
            return; // not a member access: another identifier of the same name
        }
        if arrow == "." {
            // Designated initializers and struct values: never a task_struct pointer access.
            self.out.other_struct += 1;
            return;
        }
        let flag = self.t(i).to_string();
        let (s, _) = self.stmt(u, i);
        let Some((rs, a)) = self.receiver_before(s.min(i - 1), i - 1) else {
            self.unclassified(
                i,
                &flag,
                &u.name,
                "member access on an expression this reader cannot parse",
            );
            return;
        };
        let Some(recv) = self.resolve(u, locals, rs, a) else {
            self.out.other_struct += 1;
            return;
        };
        let next = self.t(i + 1);
        let before = self.t(rs.wrapping_sub(1));
        let write = matches!(next, "=" | "|=" | "&=" | "^=" | "+=" | "-=" | "++" | "--")
            || matches!(before, "++" | "--");
        let op = if write {
            if matches!(before, "++" | "--") {
                before
            } else {
                next
            }
            .to_string()
        } else {
            "read".to_string()
        };
        let receiver = self.expr_text(rs, a);
        self.push(
            acc,
            i,
            &flag,
            write,
            &op,
            receiver,
            recv,
            u,
            Vec::new(),
            Vec::new(),
        );
    }
}
