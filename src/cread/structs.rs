//! The members of `struct NAME { ... }`: declarations split at `;`, bitfields recognised,
//! nested structs and unions skipped as one member (bitfields inside them reported), attribute
//! macros dropped, and every member's guard, comments and position kept.

use crate::guard::Guard;

use super::lex::{Tok, Token};
use super::pp::CodeTok;
use super::{Diag, Header, Severity, comment_text};

#[derive(Clone, Debug, PartialEq)]
pub enum MemberKind {
    /// `TYPE name:WIDTH;` or `TYPE :WIDTH;` (`name` is then `None`). `ctype` is the declared
    /// type with qualifiers and attributes removed.
    Bitfield { ctype: String, width: Option<u64> },
    /// Any other declaration.
    Plain { ctype: String },
    /// `struct { ... } name;` or an anonymous `union { ... };`.
    Aggregate,
    /// A macro on a line of its own (`randomized_struct_fields_start`).
    Macro,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    pub name: Option<String>,
    pub kind: MemberKind,
    /// Offset of the member's first token.
    pub start: usize,
    /// Offset of the member's name (or of its first token when unnamed).
    pub name_at: usize,
    /// Guard relative to the struct (conditions around the whole struct left out).
    pub guard: Guard,
    /// Comments between the previous member and this one, each cleaned, in order.
    pub before: Vec<(usize, String)>,
    /// A comment on the same line after the `;`.
    pub trailing: Option<String>,
    /// Offset of the width expression's first token, for bitfields.
    pub width_at: usize,
}

#[derive(Clone, Debug)]
pub struct Struct {
    pub name: String,
    pub start: usize,
    pub members: Vec<Member>,
    pub diags: Vec<Diag>,
}

/// The deepest nesting of struct/union bodies read; deeper is a [`Severity::Error`].
pub const MAX_NESTING: usize = 64;

const KEYWORDS: &[&str] = &[
    "struct", "union", "enum", "unsigned", "signed", "int", "long", "short", "char", "void",
    "const", "volatile", "bool", "_Bool", "float", "double", "typedef", "static", "inline",
];

/// Type words a bitfield's type may contain.
const TYPE_WORDS: &[&str] = &[
    "unsigned", "signed", "int", "long", "short", "char", "bool", "_Bool", "u8", "u16", "u32",
    "u64", "s8", "s16", "s32", "s64", "__u8", "__u16", "__u32", "__u64", "__s8", "__s16", "__s32",
    "__s64", "uint8_t", "uint16_t", "uint32_t", "uint64_t", "int8_t", "int16_t", "int32_t",
    "int64_t",
];

/// Annotations that may stand last in a declaration (`} __randomize_layout;`, `int x __rcu;`).
const ANNOTATIONS: &[&str] = &[
    "__rcu",
    "__user",
    "__iomem",
    "__percpu",
    "__randomize_layout",
    "__packed",
    "__private",
    "__force",
    "__aligned_largest",
    "____cacheline_aligned",
    "____cacheline_aligned_in_smp",
    "__cacheline_aligned",
    "__cacheline_aligned_in_smp",
    "__no_randomize_layout",
    "__attribute_const__",
    "__must_check",
    "__read_mostly",
];

const QUALIFIERS: &[&str] = &["const", "volatile", "__volatile__", "register", "restrict"];

fn is_punct(t: &Tok, p: &str) -> bool {
    matches!(t, Tok::Punct(x) if x == p)
}

pub fn find(h: &Header, name: &str) -> Option<Struct> {
    let code = &h.pp.code;
    let sig: Vec<usize> = (0..code.len())
        .filter(|&i| !matches!(code[i].tok.tok, Tok::Comment { .. } | Tok::Newline))
        .collect();
    for w in sig.windows(3) {
        let (a, b, c) = (
            &code[w[0]].tok.tok,
            &code[w[1]].tok.tok,
            &code[w[2]].tok.tok,
        );
        if matches!(a, Tok::Ident(s) if s == "struct")
            && matches!(b, Tok::Ident(s) if s == name)
            && is_punct(c, "{")
        {
            let depth =
                h.pp.conds
                    .get(code[w[0]].cond)
                    .map_or(0, |c| c.frames.len());
            let mut st = Struct {
                name: name.to_string(),
                start: code[w[0]].tok.start,
                members: Vec::new(),
                diags: Vec::new(),
            };
            parse_body(h, code, w[2] + 1, depth, &mut st, 0);
            return Some(st);
        }
    }
    None
}

/// Read members from `i` (just after `{`) to the matching `}`. Returns the index after `}`.
fn parse_body(
    h: &Header,
    code: &[CodeTok],
    mut i: usize,
    depth: usize,
    st: &mut Struct,
    nesting: usize,
) -> usize {
    let top = nesting == 0;
    let mut before: Vec<(usize, String)> = Vec::new();
    loop {
        // Skip newlines, collect comments.
        while i < code.len() {
            match &code[i].tok.tok {
                Tok::Newline => i += 1,
                Tok::Comment { text, .. } => {
                    let c = comment_text(text);
                    if !c.is_empty() {
                        before.push((code[i].tok.start, c));
                    }
                    i += 1;
                }
                _ => break,
            }
        }
        if i >= code.len() {
            st.diags.push(Diag::new(
                Severity::Error,
                st.start,
                format!(
                    "struct {} is not closed before the end of the file (the header is truncated, or a `}}` is missing)",
                    st.name
                ),
            ));
            return i;
        }
        if is_punct(&code[i].tok.tok, "}") {
            return i + 1;
        }
        let start_i = i;
        let first = &code[i];
        // A macro alone on its line: `randomized_struct_fields_start`.
        if let Tok::Ident(word) = &first.tok.tok {
            let next = code[i + 1..]
                .iter()
                .find(|t| !matches!(t.tok.tok, Tok::Comment { .. }));
            let alone = next.is_none_or(|t| t.tok.tok == Tok::Newline);
            if alone && !KEYWORDS.contains(&word.as_str()) && !TYPE_WORDS.contains(&word.as_str()) {
                if top {
                    st.members.push(Member {
                        name: Some(word.clone()),
                        kind: MemberKind::Macro,
                        start: first.tok.start,
                        name_at: first.tok.start,
                        guard: guard_at(h, first, depth),
                        before: std::mem::take(&mut before),
                        trailing: None,
                        width_at: first.tok.start,
                    });
                }
                before.clear();
                i += 1;
                continue;
            }
        }
        // Collect the declaration up to `;` at brace depth 0.
        let mut toks: Vec<&Token> = Vec::new();
        let mut aggregate = false;
        // Plain members of nested aggregates: members of this struct when the aggregate is
        // anonymous (`struct { ... } __randomize_layout;`, `union { ... };`).
        let mut hoisted: Vec<Member> = Vec::new();
        let mut j = i;
        let mut ended = false;
        while j < code.len() {
            let t = &code[j].tok;
            if is_punct(&t.tok, "{") {
                aggregate = true;
                if nesting >= MAX_NESTING {
                    st.diags.push(Diag::new(
                        Severity::Error,
                        t.start,
                        format!(
                            "struct/union nesting deeper than {MAX_NESTING} in struct {}",
                            st.name
                        ),
                    ));
                    return code.len();
                }
                // Nested struct/union: read it (for diagnostics) and continue after it.
                let mut inner = Struct {
                    name: if top {
                        format!("{} (nested)", st.name)
                    } else {
                        st.name.clone()
                    },
                    start: t.start,
                    members: Vec::new(),
                    diags: Vec::new(),
                };
                j = parse_body(h, code, j + 1, depth, &mut inner, nesting + 1);
                hoisted.extend(
                    inner
                        .members
                        .iter()
                        .filter(|m| matches!(m.kind, MemberKind::Plain { .. }))
                        .cloned(),
                );
                for m in inner
                    .members
                    .iter()
                    .filter(|m| matches!(m.kind, MemberKind::Bitfield { .. }))
                {
                    st.diags.push(Diag::new(
                        Severity::Warning,
                        m.name_at,
                        format!(
                            "bitfield `{}` inside a nested struct/union of {}: not imported (its storage unit belongs to the nested aggregate)",
                            m.name.as_deref().unwrap_or(":0"),
                            st.name
                        ),
                    ));
                }
                st.diags.extend(inner.diags);
                continue;
            }
            if is_punct(&t.tok, "}") {
                // A `}` without `;`: the enclosing body ends here.
                break;
            }
            if is_punct(&t.tok, ";") {
                ended = true;
                j += 1;
                break;
            }
            if !matches!(t.tok, Tok::Comment { .. } | Tok::Newline) {
                toks.push(t);
            }
            j += 1;
        }
        // A trailing comment on the same line as the `;`.
        let mut trailing = None;
        if ended {
            if let Some(Tok::Comment { text, .. }) = code.get(j).map(|t| &t.tok.tok) {
                trailing = Some(comment_text(text));
                j += 1;
            }
        } else {
            st.diags.push(Diag::new(
                Severity::Warning,
                first.tok.start,
                format!("declaration in struct {} without a closing `;`", st.name),
            ));
        }
        let guard = guard_at(h, &code[start_i], depth);
        let docs = std::mem::take(&mut before);
        i = j.max(start_i + 1);
        if toks.is_empty() {
            continue; // a stray `;`
        }
        if aggregate {
            let name = toks.iter().rev().find_map(|t| match &t.tok {
                Tok::Ident(s) if !s.starts_with("__") => Some(s.clone()),
                _ => None,
            });
            let name = name.filter(|n| !["struct", "union"].contains(&n.as_str()));
            let anonymous = name.is_none();
            st.members.push(Member {
                name,
                kind: MemberKind::Aggregate,
                start: first.tok.start,
                name_at: first.tok.start,
                guard,
                before: docs,
                trailing,
                width_at: first.tok.start,
            });
            if anonymous {
                st.members.extend(hoisted);
            }
            continue;
        }
        for decl in declarators(h, &toks, st) {
            let mut m = decl;
            m.guard = guard.clone();
            m.before = docs.clone();
            m.trailing = trailing.clone();
            st.members.push(m);
        }
    }
}

fn guard_at(h: &Header, t: &CodeTok, depth: usize) -> Guard {
    h.pp.conds
        .get(t.cond)
        .map_or(Guard::Always, |c| c.guard_from(depth))
}

/// Strip `__attribute__((...))`, `__aligned(N)`-style calls and bare `__xxx` annotations.
fn strip_attributes<'a>(toks: &[&'a Token]) -> Vec<&'a Token> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let next_ends_declarator = toks.get(i + 1).is_none_or(
            |t| matches!(&t.tok, Tok::Punct(p) if p == ":" || p == "," || p == "[" || p == "="),
        );
        if let Tok::Ident(w) = &toks[i].tok
            && w.starts_with("__")
            && !TYPE_WORDS.contains(&w.as_str())
            && (ANNOTATIONS.contains(&w.as_str()) || !next_ends_declarator)
        {
            i += 1;
            if toks.get(i).is_some_and(|t| is_punct(&t.tok, "(")) {
                let mut d = 0i32;
                while i < toks.len() {
                    if is_punct(&toks[i].tok, "(") {
                        d += 1;
                    } else if is_punct(&toks[i].tok, ")") {
                        d -= 1;
                        if d == 0 {
                            i += 1;
                            break;
                        }
                    }
                    i += 1;
                }
            }
            continue;
        }
        if let Tok::Ident(w) = &toks[i].tok
            && QUALIFIERS.contains(&w.as_str())
        {
            i += 1;
            continue;
        }
        out.push(toks[i]);
        i += 1;
    }
    out
}

/// Split `TYPE a:1, b:2` into members (type from the first declarator).
fn declarators(h: &Header, all: &[&Token], st: &mut Struct) -> Vec<Member> {
    let toks = strip_attributes(all);
    let Some(first) = toks.first() else {
        return Vec::new();
    };
    let mut pieces: Vec<Vec<&Token>> = vec![Vec::new()];
    let mut d = 0i32;
    for t in &toks {
        match &t.tok {
            Tok::Punct(p) if p == "(" || p == "[" => d += 1,
            Tok::Punct(p) if p == ")" || p == "]" => d -= 1,
            Tok::Punct(p) if p == "," && d == 0 => {
                pieces.push(Vec::new());
                continue;
            }
            _ => {}
        }
        if let Some(last) = pieces.last_mut() {
            last.push(t);
        }
    }
    let mut out = Vec::new();
    let mut ctype = String::new();
    for (n, piece) in pieces.iter().enumerate() {
        let colon = piece.iter().position(|t| is_punct(&t.tok, ":"));
        let head = &piece[..colon.unwrap_or(piece.len())];
        let (name_tok, type_toks): (Option<&Token>, &[&Token]) = if n == 0 {
            split_name(head, colon.is_some())
        } else {
            // Later declarators: `*p`, `b`, `c[4]`: name only.
            (
                head.iter()
                    .copied()
                    .find(|t| matches!(t.tok, Tok::Ident(_))),
                &[],
            )
        };
        if n == 0 {
            ctype = type_toks
                .iter()
                .map(|t| tok_text(&t.tok))
                .collect::<Vec<_>>()
                .join(" ");
        }
        let name = name_tok.and_then(|t| match &t.tok {
            Tok::Ident(s) => Some(s.clone()),
            _ => None,
        });
        let start = piece.first().map_or(first.start, |t| t.start);
        let name_at = name_tok.map_or(start, |t| t.start);
        let kind = match colon {
            Some(c) => {
                let wt: Vec<Tok> = piece[c + 1..].iter().map(|t| t.tok.clone()).collect();
                let width = h.eval(&wt);
                if width.is_none() {
                    st.diags.push(Diag::new(
                        Severity::Warning,
                        piece.get(c + 1).map_or(start, |t| t.start),
                        format!(
                            "bitfield `{}`: width expression not understood",
                            name.as_deref().unwrap_or("(unnamed)")
                        ),
                    ));
                }
                MemberKind::Bitfield {
                    ctype: ctype.clone(),
                    width,
                }
            }
            None => {
                if name.is_none() {
                    st.diags.push(Diag::new(
                        Severity::Warning,
                        start,
                        format!(
                            "member of struct {} not understood (no name found)",
                            st.name
                        ),
                    ));
                }
                MemberKind::Plain {
                    ctype: ctype.clone(),
                }
            }
        };
        let width_at = colon
            .and_then(|c| piece.get(c + 1))
            .map_or(start, |t| t.start);
        out.push(Member {
            name,
            kind,
            start,
            name_at,
            guard: Guard::Always,
            before: Vec::new(),
            trailing: None,
            width_at,
        });
    }
    out
}

fn tok_text(t: &Tok) -> String {
    match t {
        Tok::Ident(s) | Tok::Number(s) | Tok::Literal(s) | Tok::Punct(s) => s.clone(),
        Tok::Comment { .. } | Tok::Newline => String::new(),
    }
}

/// The declarator name and the type tokens before it.
fn split_name<'a, 'b>(
    head: &'b [&'a Token],
    bitfield: bool,
) -> (Option<&'a Token>, &'b [&'a Token]) {
    if bitfield {
        // `unsigned int :0` has no name: the last word is then a type word.
        return match head.last() {
            Some(t) if matches!(&t.tok, Tok::Ident(s) if !TYPE_WORDS.contains(&s.as_str())) => {
                (Some(*t), &head[..head.len() - 1])
            }
            _ => (None, head),
        };
    }
    // Function pointer `ret (*name)(args)`.
    if let Some(p) = head.windows(3).position(|w| {
        is_punct(&w[0].tok, "(") && is_punct(&w[1].tok, "*") && matches!(w[2].tok, Tok::Ident(_))
    }) {
        return (Some(head[p + 2]), &head[..p]);
    }
    // Arrays: the name is the last identifier before the first `[`.
    let end = head
        .iter()
        .position(|t| is_punct(&t.tok, "["))
        .unwrap_or(head.len());
    match head[..end]
        .iter()
        .rposition(|t| matches!(t.tok, Tok::Ident(_)))
    {
        Some(p) if p > 0 || end < head.len() => (Some(head[p]), &head[..p]),
        _ => (None, head),
    }
}
