//! Enumerators of file-scope `enum NAME { ... }` definitions, counted in order as the compiler
//! does with every `#ifdef` around them on (the worst case), with `= OTHER` aliases kept.

use std::collections::HashMap;

use super::comment_text;
use super::lex::Tok;
use super::pp::CodeTok;

/// Evaluates an initializer given the enumerators seen so far (name → value tokens).
pub type EvalFn<'a> = dyn Fn(&[Tok], &HashMap<String, Vec<Tok>>) -> Option<u64> + 'a;

#[derive(Clone, Debug, PartialEq)]
pub struct Enumerator {
    /// The enum's tag (`pageflags`).
    pub enum_name: String,
    pub name: String,
    /// Offset of the name.
    pub name_at: usize,
    /// Index into the conditional states of the header.
    pub cond: usize,
    /// The value with every guard on; `None` when the initializer is not understood.
    pub value: Option<u64>,
    /// `PG_checked = PG_owner_priv_1`: the enumerator this one is written as.
    pub alias_of: Option<String>,
    /// Comment on the enumerator's line.
    pub doc: Option<String>,
}

/// Read every `enum NAME {` body in `code`. `eval` evaluates an initializer given the
/// enumerators seen so far.
pub fn collect(code: &[CodeTok], eval: &EvalFn) -> Vec<Enumerator> {
    let sig: Vec<usize> = (0..code.len())
        .filter(|&i| !matches!(code[i].tok.tok, Tok::Comment { .. } | Tok::Newline))
        .collect();
    let mut out = Vec::new();
    for (k, w) in sig.windows(3).enumerate() {
        let name = match (
            &code[w[0]].tok.tok,
            &code[w[1]].tok.tok,
            &code[w[2]].tok.tok,
        ) {
            (Tok::Ident(e), Tok::Ident(n), Tok::Punct(b)) if e == "enum" && b == "{" => n.clone(),
            _ => continue,
        };
        body(code, &sig[k + 3..], &name, eval, &mut out);
    }
    out
}

/// One enumerator's tokens: name, optional initializer, trailing comment.
struct Item<'a> {
    name: &'a str,
    name_at: usize,
    cond: usize,
    init: Vec<Tok>,
    doc: Option<String>,
}

fn body(
    code: &[CodeTok],
    sig: &[usize],
    enum_name: &str,
    eval: &EvalFn,
    out: &mut Vec<Enumerator>,
) {
    let mut items: Vec<Item> = Vec::new();
    let mut cur: Option<Item> = None;
    let mut depth = 0i32;
    for &i in sig {
        let t = &code[i];
        match &t.tok.tok {
            Tok::Punct(p) if p == "}" && depth == 0 => break,
            Tok::Punct(p) if p == "," && depth == 0 => {
                items.extend(cur.take());
                continue;
            }
            Tok::Punct(p) if p == "(" => depth += 1,
            Tok::Punct(p) if p == ")" => depth -= 1,
            _ => {}
        }
        match (&mut cur, &t.tok.tok) {
            (None, Tok::Ident(n)) => {
                cur = Some(Item {
                    name: n,
                    name_at: t.tok.start,
                    cond: t.cond,
                    init: Vec::new(),
                    doc: line_comment(code, i),
                });
            }
            (Some(it), Tok::Punct(p)) if p == "=" && it.init.is_empty() => {}
            (Some(it), tok) => it.init.push(tok.clone()),
            (None, _) => {}
        }
    }
    items.extend(cur.take());
    let mut known: HashMap<String, Vec<Tok>> = HashMap::new();
    let mut next = Some(0u64);
    for it in items {
        let (value, alias_of) = if it.init.is_empty() {
            (next, None)
        } else {
            let alias = match it.init.as_slice() {
                [Tok::Ident(a)] if known.contains_key(a) => Some(a.clone()),
                _ => None,
            };
            // Not understood: `None`, reported by whoever imports this enumerator.
            (eval(&it.init, &known), alias)
        };
        if let Some(v) = value {
            known.insert(it.name.to_string(), vec![Tok::Number(v.to_string())]);
        }
        next = value.and_then(|v| v.checked_add(1));
        out.push(Enumerator {
            enum_name: enum_name.to_string(),
            name: it.name.to_string(),
            name_at: it.name_at,
            cond: it.cond,
            value,
            alias_of,
            doc: it.doc,
        });
    }
}

/// A comment after the enumerator on its own line (`PG_locked, /* Page is locked. */`).
fn line_comment(code: &[CodeTok], i: usize) -> Option<String> {
    code[i + 1..]
        .iter()
        .take_while(|t| t.tok.tok != Tok::Newline)
        .find_map(|t| match &t.tok.tok {
            Tok::Comment { text, .. } => Some(comment_text(text)),
            _ => None,
        })
        .filter(|c| !c.is_empty())
}

#[cfg(test)]
mod tests {
    use crate::cread::Header;

    #[test]
    fn counted_across_ifdefs_with_aliases() {
        let h = Header::read(
            b"enum pageflags {\n\tPG_locked,\t/* locked */\n\tPG_b,\n#ifdef CONFIG_MMU\n\tPG_mlocked,\n#endif\n\tPG_c,\n\t__NR_PAGEFLAGS,\n\tPG_readahead = PG_b,\n\tPG_x = 7,\n\tPG_y = (1 << 4)\n};\n",
        );
        let v: Vec<(&str, Option<u64>, Option<&str>)> = h
            .enumerators
            .iter()
            .map(|e| (e.name.as_str(), e.value, e.alias_of.as_deref()))
            .collect();
        assert_eq!(
            v,
            vec![
                ("PG_locked", Some(0), None),
                ("PG_b", Some(1), None),
                ("PG_mlocked", Some(2), None),
                ("PG_c", Some(3), None),
                ("__NR_PAGEFLAGS", Some(4), None),
                ("PG_readahead", Some(1), Some("PG_b")),
                ("PG_x", Some(7), None),
                ("PG_y", Some(16), None),
            ]
        );
        let m = &h.enumerators[2];
        assert_eq!(h.cond_guard(m.cond).to_string(), "CONFIG_MMU");
        assert_eq!(h.enumerators[0].doc.as_deref(), Some("locked"));
    }
}
