//! Preprocessor directives: `#if`/`#ifdef`/`#ifndef`/`#elif`/`#else`/`#endif` nesting kept as
//! [`Guard`]s, `#define`s collected with their comments; everything else is passed on as code.

use std::rc::Rc;

use crate::guard::Guard;

use super::lex::{Tok, Token};
use super::{Diag, Severity};

/// The deepest `#if` nesting read (include guard not counted), and the most branches of one
/// `#if`/`#elif` chain; more is a [`Severity::Error`] (a guard under the k-th `#elif` holds k
/// terms, so longer chains would cost quadratic time).
pub const MAX_IF_DEPTH: usize = 256;

/// One branch of an `#if` chain.
#[derive(Clone, Debug)]
struct Frame {
    /// Conditions of the earlier branches in this chain (OR-ed, negated for later branches).
    earlier: Vec<Guard>,
    /// The effective condition of the branch being read (shared by every state snapshot taken
    /// inside it, so a long guard is not copied per directive).
    current: Rc<Guard>,
    /// `#ifndef X` + `#define X` wrapping the file: not a real condition.
    include_guard: bool,
    /// Offset of the directive that opened the chain.
    start: usize,
}

/// A snapshot of the conditional stack: one effective guard per open frame.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CondState {
    pub frames: Vec<Rc<Guard>>,
}

impl CondState {
    /// The conjunction of frames from `depth` on (frames below belong to an enclosing scope).
    pub fn guard_from(&self, depth: usize) -> Guard {
        Guard::and_all(self.frames.iter().skip(depth).map(|g| Guard::clone(g)))
    }
}

#[derive(Clone, Debug)]
pub struct Define {
    pub name: String,
    /// Offset of the name.
    pub name_at: usize,
    /// Offset of the `#`.
    pub start: usize,
    /// `Some(params)` for a function-like macro.
    pub params: Option<Vec<String>>,
    /// Body tokens without comments.
    pub body: Vec<Tok>,
    /// Offset of the first body token (or the name when the body is empty).
    pub body_at: usize,
    /// Comments written on the directive's line(s), in order.
    pub comments: Vec<String>,
    /// Index into [`Preprocessed::conds`].
    pub cond: usize,
}

/// A code token (not part of a directive) and the conditional state it is read under.
#[derive(Clone, Debug)]
pub struct CodeTok {
    pub tok: Token,
    pub cond: usize,
}

#[derive(Debug, Default)]
pub struct Preprocessed {
    pub defines: Vec<Define>,
    pub code: Vec<CodeTok>,
    pub conds: Vec<CondState>,
    pub diags: Vec<Diag>,
    /// `#if` expressions not understood, by the symbol that stands for them.
    pub opaque: Vec<(String, usize, String)>,
}

fn is_directive_start(toks: &[Token], i: usize) -> bool {
    // `#` as the first non-comment token of a logical line.
    if !matches!(&toks[i].tok, Tok::Punct(p) if p == "#") {
        return false;
    }
    toks[..i]
        .iter()
        .rev()
        .find(|t| !matches!(t.tok, Tok::Comment { .. }))
        .is_none_or(|t| t.tok == Tok::Newline)
}

/// Turn an `#if` expression into a guard, or an opaque symbol (reported) when it is not one.
fn if_expr(pp: &mut Preprocessed, toks: &[&Token], at: usize, line: usize) -> Guard {
    let mut text = String::new();
    let mut raw = String::new();
    let mut plain = true;
    let mut open = 0usize;
    for t in toks {
        match &t.tok {
            Tok::Punct(p) if p == "(" => open += 1,
            Tok::Punct(p) if p == ")" => open = open.saturating_sub(1),
            _ => {}
        }
        if open > crate::guard::MAX_DEPTH {
            pp.diags.push(Diag::new(
                Severity::Error,
                at,
                format!(
                    "#if expression nesting deeper than {}",
                    crate::guard::MAX_DEPTH
                ),
            ));
            return Guard::Never;
        }
        let piece = match &t.tok {
            Tok::Ident(s) => s.clone(),
            Tok::Number(n) => match super::expr::parse_int(n) {
                Some(0) => "0".into(),
                Some(_) => "1".into(),
                None => {
                    plain = false;
                    n.clone()
                }
            },
            Tok::Punct(p) if ["!", "&&", "||", "(", ")"].contains(&p.as_str()) => p.clone(),
            Tok::Punct(p) | Tok::Literal(p) => {
                plain = false;
                p.clone()
            }
            Tok::Comment { .. } | Tok::Newline => continue,
        };
        if !text.is_empty() {
            text.push(' ');
            raw.push(' ');
        }
        text.push_str(&piece);
        raw.push_str(&match &t.tok {
            Tok::Number(n) => n.clone(),
            _ => piece.clone(),
        });
    }
    if plain
        && let Ok(g) = Guard::parse(&text)
        && Guard::parse(&g.to_string()).as_ref() == Ok(&g)
    {
        return g;
    }
    let sym = format!("__UNPARSED_IF_LINE_{line}");
    // Kept for messages: a long expression is shortened.
    if raw.chars().count() > 120 {
        raw = raw.chars().take(117).collect::<String>() + "...";
    }
    pp.opaque.push((sym.clone(), at, raw));
    Guard::Sym(sym)
}

/// `#ifdef SYM`: a guard symbol, or an opaque one when SYM is a word of the guard syntax
/// (`defined`, `IS_ENABLED`) that would not read back.
fn symbol(pp: &mut Preprocessed, sym: &str, at: usize, line: usize) -> Guard {
    let g = Guard::Sym(sym.to_string());
    if Guard::parse(&g.to_string()).as_ref() == Ok(&g) {
        return g;
    }
    let opaque = format!("__UNPARSED_IF_LINE_{line}");
    pp.opaque
        .push((opaque.clone(), at, format!("defined {sym}")));
    Guard::Sym(opaque)
}

fn branch(earlier: &[Guard], cond: Guard) -> Guard {
    if earlier.is_empty() {
        return cond;
    }
    let none_before = Guard::negate(Guard::or_all(earlier.iter().cloned()));
    match (&none_before, &cond) {
        (Guard::Never, _) => Guard::Never,
        _ => Guard::and(none_before, cond),
    }
}

/// Run the directive pass. `line_of` maps an offset to its 1-based line.
pub fn run(toks: &[Token], line_of: &dyn Fn(usize) -> usize) -> Preprocessed {
    let mut pp = Preprocessed {
        conds: vec![CondState::default()],
        ..Default::default()
    };
    let mut stack: Vec<Frame> = Vec::new();
    let mut seen_code = false;
    let mut cond_idx = 0usize;
    // The frame the latest `#endif` closed: when the file ends with a frame still open, an
    // `#endif` is missing after the start of this one (or the open one).
    let mut last_closed: Option<Frame> = None;
    // Where the include guard was closed, when that was not at the end of the file.
    let mut guard_closed: Option<(usize, usize)> = None;
    let mut i = 0;
    let push_state = |pp: &mut Preprocessed, stack: &[Frame]| -> usize {
        let st = CondState {
            frames: stack
                .iter()
                .filter(|f| !f.include_guard)
                .map(|f| f.current.clone())
                .collect(),
        };
        pp.conds.push(st);
        pp.conds.len() - 1
    };
    while i < toks.len() {
        if !is_directive_start(toks, i) {
            if !matches!(toks[i].tok, Tok::Comment { .. } | Tok::Newline) {
                seen_code = true;
            }
            pp.code.push(CodeTok {
                tok: toks[i].clone(),
                cond: cond_idx,
            });
            i += 1;
            continue;
        }
        let hash_at = toks[i].start;
        let line = line_of(hash_at);
        let mut j = i + 1;
        while j < toks.len() && toks[j].tok != Tok::Newline {
            j += 1;
        }
        let line_toks: Vec<&Token> = toks[i + 1..j].iter().collect();
        let comments: Vec<String> = line_toks
            .iter()
            .filter_map(|t| match &t.tok {
                Tok::Comment { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect();
        let words: Vec<&Token> = line_toks
            .iter()
            .copied()
            .filter(|t| !matches!(t.tok, Tok::Comment { .. }))
            .collect();
        let directive = match words.first().map(|t| &t.tok) {
            Some(Tok::Ident(d)) => d.clone(),
            None => String::new(), // a null directive `#`
            Some(_) => "?".into(),
        };
        let rest = words.get(1..).unwrap_or(&[]);
        match directive.as_str() {
            "if" | "ifdef" | "ifndef" => {
                let cond = match (directive.as_str(), rest.first().map(|t| &t.tok)) {
                    ("if", _) => if_expr(&mut pp, rest, hash_at, line),
                    (_, Some(Tok::Ident(sym))) => {
                        let g = symbol(&mut pp, sym, hash_at, line);
                        if directive == "ifndef" {
                            Guard::negate(g)
                        } else {
                            g
                        }
                    }
                    _ => {
                        pp.diags.push(Diag::new(
                            Severity::Warning,
                            hash_at,
                            format!("#{directive} without a symbol; read as always false"),
                        ));
                        Guard::Never
                    }
                };
                // Include guard: `#ifndef X` then `#define X` before any code, at the top level.
                let include_guard = directive == "ifndef"
                    && stack.is_empty()
                    && !seen_code
                    && pp.defines.is_empty()
                    && next_is_define_of(toks, j, rest.first().map(|t| &t.tok));
                if stack.iter().filter(|f| !f.include_guard).count() >= MAX_IF_DEPTH {
                    pp.diags.push(Diag::new(
                        Severity::Error,
                        hash_at,
                        format!(
                            "#if nesting deeper than {MAX_IF_DEPTH}; the header is not read further"
                        ),
                    ));
                    return pp;
                }
                stack.push(Frame {
                    earlier: Vec::new(),
                    current: Rc::new(cond.clone()),
                    include_guard,
                    start: hash_at,
                });
                if let Some(f) = stack.last_mut() {
                    f.earlier.push(cond);
                }
                cond_idx = push_state(&mut pp, &stack);
            }
            "elif" | "elifdef" | "elifndef" | "else" => {
                let new_cond = match directive.as_str() {
                    "else" => Guard::Always,
                    "elif" => if_expr(&mut pp, rest, hash_at, line),
                    _ => match rest.first().map(|t| &t.tok) {
                        Some(Tok::Ident(sym)) if directive == "elifdef" => {
                            symbol(&mut pp, sym, hash_at, line)
                        }
                        Some(Tok::Ident(sym)) => Guard::negate(symbol(&mut pp, sym, hash_at, line)),
                        _ => Guard::Never,
                    },
                };
                match stack.last_mut() {
                    Some(f) => {
                        if f.earlier.len() >= MAX_IF_DEPTH {
                            pp.diags.push(Diag::new(
                                Severity::Error,
                                hash_at,
                                format!("more than {MAX_IF_DEPTH} branches in one #if chain; the header is not read further"),
                            ));
                            return pp;
                        }
                        f.current = Rc::new(branch(&f.earlier, new_cond.clone()));
                        f.earlier.push(new_cond);
                        f.include_guard = false;
                        cond_idx = push_state(&mut pp, &stack);
                    }
                    None => pp.diags.push(Diag::new(
                        Severity::Warning,
                        hash_at,
                        format!("#{directive} without #if; ignored"),
                    )),
                }
            }
            "endif" => {
                match stack.pop() {
                    Some(f) => {
                        if f.include_guard {
                            guard_closed = Some((hash_at, f.start));
                        }
                        last_closed = Some(f);
                    }
                    None => pp.diags.push(match guard_closed {
                        Some((at, guard)) => Diag::new(
                            Severity::Error,
                            at,
                            format!(
                                "#endif without #if: this #endif closes the include guard `{}` (line {}) before the end of the file, so the #endif at line {line} has no #if; an #endif is one too many, or an #if is missing, before this line",
                                directive_text(toks, guard),
                                line_of(guard)
                            ),
                        ),
                        None => Diag::new(
                            Severity::Error,
                            hash_at,
                            "#endif without #if: an #if is missing before this line, or this #endif is one too many".into(),
                        ),
                    }),
                }
                cond_idx = push_state(&mut pp, &stack);
            }
            "define" => match rest.first() {
                Some(Token {
                    tok: Tok::Ident(name),
                    start: name_at,
                    ..
                }) => {
                    let after = rest.get(1..).unwrap_or(&[]);
                    let function_like = after.first().is_some_and(|t| {
                        matches!(&t.tok, Tok::Punct(p) if p == "(") && !t.space_before
                    });
                    let (params, body_toks) = if function_like {
                        let close = after
                            .iter()
                            .position(|t| matches!(&t.tok, Tok::Punct(p) if p == ")"))
                            .unwrap_or(after.len().saturating_sub(1));
                        let params = after[1..close.max(1).min(after.len())]
                            .iter()
                            .filter_map(|t| match &t.tok {
                                Tok::Ident(s) => Some(s.clone()),
                                Tok::Punct(p) if p == "..." => Some(p.clone()),
                                _ => None,
                            })
                            .collect();
                        (Some(params), after.get(close + 1..).unwrap_or(&[]))
                    } else {
                        (None, after)
                    };
                    pp.defines.push(Define {
                        name: name.clone(),
                        name_at: *name_at,
                        start: hash_at,
                        params,
                        body: body_toks.iter().map(|t| t.tok.clone()).collect(),
                        body_at: body_toks.first().map_or(*name_at, |t| t.start),
                        comments,
                        cond: cond_idx,
                    });
                }
                _ => pp.diags.push(Diag::new(
                    Severity::Warning,
                    hash_at,
                    "#define without a name; ignored".into(),
                )),
            },
            // Directives that do not change what the importer reads.
            "undef" | "include" | "include_next" | "error" | "warning" | "pragma" | "line"
            | "ident" | "sccs" | "assert" | "unassert" | "" => {}
            other => pp.diags.push(Diag::new(
                Severity::Note,
                hash_at,
                format!("unknown directive #{other}; ignored"),
            )),
        }
        i = j;
    }
    if let Some(open) = stack.first() {
        pp.diags
            .push(unclosed(open, last_closed.as_ref(), toks, line_of));
    }
    pp
}

/// The error for a file that ends inside `open` (the outermost frame still open). The include
/// guard counts: a missing `#endif` inside it lets the guard's own `#endif` close the inner
/// `#if`, and the guard is what is left open. The `#endif` is missing after the start of the
/// frame the file's last `#endif` closed, when that came after `open`.
fn unclosed(
    open: &Frame,
    last_closed: Option<&Frame>,
    toks: &[Token],
    line_of: &dyn Fn(usize) -> usize,
) -> Diag {
    let what = |f: &Frame| directive_text(toks, f.start);
    match last_closed.filter(|c| c.start > open.start) {
        Some(c) => Diag::new(
            Severity::Error,
            c.start,
            format!(
                "#if without #endif: an #endif is missing after this line (the file's last #endif closes `{}`, which leaves `{}` at line {} open)",
                what(c),
                what(open),
                line_of(open.start)
            ),
        ),
        None => Diag::new(
            Severity::Error,
            open.start,
            format!(
                "#if without #endif: `{}` is still open at the end of the file",
                what(open)
            ),
        ),
    }
}

/// The directive starting at `#` offset `at`, as written (`#ifdef CONFIG_X`), up to 60 chars.
fn directive_text(toks: &[Token], at: usize) -> String {
    let mut out = String::from("#");
    for t in toks
        .iter()
        .skip_while(|t| t.start <= at)
        .take_while(|t| t.tok != Tok::Newline)
    {
        let piece = match &t.tok {
            Tok::Ident(s) | Tok::Number(s) | Tok::Punct(s) | Tok::Literal(s) => s.as_str(),
            _ => continue,
        };
        if out.len() > 1 && t.space_before {
            out.push(' ');
        }
        out.push_str(piece);
        if out.chars().count() > 60 {
            out = out.chars().take(57).collect();
            out.push_str("...");
            break;
        }
    }
    out
}

/// Is the directive after position `j` (a newline) `#define SYM`?
fn next_is_define_of(toks: &[Token], j: usize, sym: Option<&Tok>) -> bool {
    let Some(Tok::Ident(sym)) = sym else {
        return false;
    };
    let mut it = toks[j..]
        .iter()
        .filter(|t| !matches!(t.tok, Tok::Comment { .. } | Tok::Newline));
    matches!(it.next().map(|t| &t.tok), Some(Tok::Punct(p)) if p == "#")
        && matches!(it.next().map(|t| &t.tok), Some(Tok::Ident(d)) if d == "define")
        && matches!(it.next().map(|t| &t.tok), Some(Tok::Ident(s)) if s == sym)
}
