//! A C header reader, robust rather than complete: tokens with comments kept, `#if` nesting kept
//! as guard expressions (the syntax of [`crate::guard`]), `#define` values, and the members of a
//! named struct, bitfields included. It reads any bytes and never panics; what it does not
//! understand is returned as a [`Diag`] with its offset.

pub mod enums;
pub mod expr;
pub mod lex;
pub mod makefile;
pub mod pp;
pub mod structs;
pub mod typedefs;

use std::collections::HashMap;

use crate::guard::Guard;

pub use structs::{Member, MemberKind, Struct};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The header cannot be read faithfully (unbalanced `#if`, a truncated struct, nesting past a
    /// limit): an importer must stop rather than write a layout from it.
    Error,
    Warning,
    Note,
}

/// Something the reader met and did not (fully) understand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diag {
    pub severity: Severity,
    /// Byte offset in the header text.
    pub offset: usize,
    pub message: String,
}

impl Diag {
    pub fn new(severity: Severity, offset: usize, message: String) -> Self {
        Diag {
            severity,
            offset,
            message,
        }
    }
}

/// A header read into defines, conditionals and code tokens.
pub struct Header {
    pub text: String,
    line_starts: Vec<usize>,
    pub pp: pp::Preprocessed,
    pub defs: HashMap<String, Vec<lex::Tok>>,
    /// Plain integer typedefs at file scope: `fmode_t` → `unsigned int`.
    pub typedefs: HashMap<String, String>,
    /// Enumerators of every `enum NAME { ... }`, in order.
    pub enumerators: Vec<enums::Enumerator>,
}

impl Header {
    /// Read a header's bytes. Invalid UTF-8 is replaced (U+FFFD) before anything else, so every
    /// offset refers to [`Header::text`].
    pub fn read(bytes: &[u8]) -> Header {
        let text = String::from_utf8_lossy(bytes).into_owned();
        let mut line_starts = vec![0];
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        let (toks, issues) = lex::tokenize(text.as_bytes());
        let line_of = |off: usize| line_starts.partition_point(|&s| s <= off).max(1);
        let mut pp = pp::run(&toks, &line_of);
        for is in issues {
            pp.diags
                .push(Diag::new(Severity::Warning, is.offset, is.message));
        }
        let mut defs = HashMap::new();
        for d in &pp.defines {
            if d.params.is_none() {
                defs.insert(d.name.clone(), d.body.clone());
            }
        }
        let typedefs = typedefs::collect(&pp.code);
        let eval = |toks: &[lex::Tok], known: &HashMap<String, Vec<lex::Tok>>| {
            expr::Eval {
                defs: &defs,
                first: Some(known),
            }
            .eval(toks)
        };
        let enumerators = enums::collect(&pp.code, &eval);
        Header {
            text,
            line_starts,
            pp,
            defs,
            typedefs,
            enumerators,
        }
    }

    /// 1-based line of a byte offset.
    pub fn line(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= offset).max(1)
    }

    /// The guard of a define (file-level conditions, include guard excluded).
    pub fn define_guard(&self, d: &pp::Define) -> Guard {
        self.pp
            .conds
            .get(d.cond)
            .map_or(Guard::Always, |c| c.guard_from(0))
    }

    /// The guard of a conditional state (file-level conditions, include guard excluded).
    pub fn cond_guard(&self, cond: usize) -> Guard {
        self.pp
            .conds
            .get(cond)
            .map_or(Guard::Always, |c| c.guard_from(0))
    }

    /// Evaluate a token list as an integer constant, using the header's object-like defines.
    pub fn eval(&self, toks: &[lex::Tok]) -> Option<u64> {
        expr::Eval {
            defs: &self.defs,
            first: None,
        }
        .eval(toks)
    }

    /// Evaluate with `first` looked up before this header's defines (other headers' defines).
    pub fn eval_with(
        &self,
        toks: &[lex::Tok],
        first: &HashMap<String, Vec<lex::Tok>>,
    ) -> Option<u64> {
        expr::Eval {
            defs: &self.defs,
            first: Some(first),
        }
        .eval(toks)
    }

    /// `#if` expressions that were not understood and appear in `g`, as (line, text).
    pub fn opaque_in(&self, g: &Guard) -> Vec<(usize, String)> {
        let mut syms = std::collections::BTreeSet::new();
        g.symbols(&mut syms);
        self.pp
            .opaque
            .iter()
            .filter(|(s, _, _)| syms.contains(s))
            .map(|(_, at, text)| (self.line(*at), text.clone()))
            .collect()
    }

    /// The first [`Severity::Error`] the preprocessor met, if any.
    pub fn error(&self) -> Option<&Diag> {
        self.pp
            .diags
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .min_by_key(|d| d.offset)
    }

    /// Find `struct NAME { ... }` and read its members.
    pub fn find_struct(&self, name: &str) -> Option<Struct> {
        structs::find(self, name)
    }
}

/// Clean a comment's text for use as a doc string: drop leading `*` on continuation lines and
/// join the lines with single spaces.
pub fn comment_text(raw: &str) -> String {
    let mut out = String::new();
    for line in raw.lines() {
        let l = line.trim();
        let l = l.strip_prefix('*').unwrap_or(l).trim();
        if l.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(l);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard_of(h: &Header, name: &str) -> String {
        let d =
            h.pp.defines
                .iter()
                .find(|d| d.name == name)
                .expect("define");
        h.define_guard(d).to_string()
    }

    #[test]
    fn nesting_elif_else_and_include_guard() {
        let src = "#ifndef _H\n#define _H\n#ifdef A\n#define X 1\n#elif defined(B) && !defined(C)\n#define Y 2\n#else\n#define Z 3\n#endif\n#endif\n";
        let h = Header::read(src.as_bytes());
        assert_eq!(guard_of(&h, "X"), "A");
        assert_eq!(guard_of(&h, "Y"), "!A && B && !C");
        assert_eq!(guard_of(&h, "Z"), "!(A || B && !C)");
        assert!(h.pp.diags.is_empty(), "{:?}", h.pp.diags);
    }

    #[test]
    fn opaque_if_expression_is_kept_and_findable() {
        let h = Header::read(b"#if LINUX_VERSION_CODE > 5\n#define X 1\n#endif\n");
        let d = &h.pp.defines[0];
        let g = h.define_guard(d);
        assert_eq!(h.opaque_in(&g).len(), 1);
        assert!(Guard::parse(&g.to_string()).is_ok());
    }

    #[test]
    fn guard_words_as_symbols_stay_parseable() {
        // Found by cargo-fuzz: `#ifdef IS_ENABLED` made a guard that did not read back.
        for src in [
            "#ifdef IS_ENABLED\n#define X 1\n#endif\n",
            "#ifndef defined\n#define X 1\n#endif\n",
            "#if 0\n#elifdef IS_BUILTIN\n#define X 1\n#endif\n",
        ] {
            let h = Header::read(src.as_bytes());
            let d = h.pp.defines.iter().find(|d| d.name == "X").expect("X");
            let g = h.define_guard(d);
            assert_eq!(Guard::parse(&g.to_string()).as_ref(), Ok(&g), "{src}");
            assert_eq!(h.opaque_in(&g).len(), 1, "{src}");
        }
    }

    #[test]
    fn comment_text_joins_lines() {
        assert_eq!(comment_text(" a,\n\t\t * b. "), "a, b.");
    }
}
