//! Simple `typedef`s of integer types (`typedef unsigned int __bitwise fmode_t;`), so that a word
//! declared with a kernel typedef gets its width from the tree rather than a guess.

use std::collections::HashMap;

use super::lex::Tok;
use super::pp::CodeTok;

/// Annotations that do not change a typedef's width.
const IGNORED: &[&str] = &["__bitwise", "__bitwise__", "const", "volatile"];

/// Every file-scope `typedef TYPE NAME;` whose TYPE is a plain word list (no struct body, no
/// function, no array), mapped NAME → TYPE words joined by one space.
pub fn collect(code: &[CodeTok]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut depth = 0i32;
    let mut i = 0;
    while i < code.len() {
        match &code[i].tok.tok {
            Tok::Punct(p) if p == "{" => depth += 1,
            Tok::Punct(p) if p == "}" => depth -= 1,
            Tok::Ident(w) if w == "typedef" && depth == 0 => {
                let (end, decl) = declaration(code, i + 1);
                if let Some((name, ty)) = decl {
                    out.entry(name).or_insert(ty);
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// Read from `i` to the `;`: `(index after it, Some((name, type)))` when it is a plain typedef.
fn declaration(code: &[CodeTok], mut i: usize) -> (usize, Option<(String, String)>) {
    let mut words = Vec::new();
    let mut plain = true;
    while i < code.len() {
        match &code[i].tok.tok {
            Tok::Punct(p) if p == ";" => return (i + 1, plain.then(|| split(words)).flatten()),
            Tok::Punct(p) if p == "{" => return (i, None),
            Tok::Ident(w) => {
                if !IGNORED.contains(&w.as_str()) {
                    words.push(w.clone());
                }
            }
            Tok::Comment { .. } | Tok::Newline => {}
            _ => plain = false,
        }
        i += 1;
    }
    (i, None)
}

fn split(mut words: Vec<String>) -> Option<(String, String)> {
    let name = words.pop()?;
    (!words.is_empty()).then(|| (name, words.join(" ")))
}

#[cfg(test)]
mod tests {
    use crate::cread::Header;

    #[test]
    fn plain_typedefs_only() {
        let h = Header::read(
            b"typedef unsigned int __bitwise fmode_t;\ntypedef unsigned long vm_flags_t;\ntypedef struct { int x; } foo_t;\ntypedef int (*fn_t)(int);\n",
        );
        assert_eq!(
            h.typedefs.get("fmode_t").map(String::as_str),
            Some("unsigned int")
        );
        assert_eq!(
            h.typedefs.get("vm_flags_t").map(String::as_str),
            Some("unsigned long")
        );
        assert!(!h.typedefs.contains_key("foo_t"));
        assert!(!h.typedefs.contains_key("fn_t"));
    }
}
