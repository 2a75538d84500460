//! From tokens to units: function definitions and macro definitions, with their parameters and
//! the types of their locals, as far as one file shows.

use foldhash::{HashMap, HashMapExt};

use super::lexer::{TokKind, Token};
use super::names::Object;

/// What a parameter or local is known to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VarType {
    /// A pointer to the layout's structure (`struct task_struct *`, `struct mm_struct *`).
    Task,
    /// A pointer to (or value of) some other struct, or a scalar.
    Other,
    /// A macro parameter, or a declaration this reader cannot type.
    Untyped,
}

#[derive(Clone, Debug)]
pub struct Param {
    pub name: String,
    pub ty: VarType,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnitKind {
    Function,
    Macro,
}

#[derive(Clone, Debug)]
pub struct Unit {
    pub kind: UnitKind,
    pub name: String,
    /// Token index of the name.
    pub name_tok: usize,
    pub params: Vec<Param>,
    /// Body token range (exclusive of the braces for functions).
    pub body: std::ops::Range<usize>,
    pub is_static: bool,
    pub is_inline: bool,
    /// Declared `__noreturn` (or `noreturn`): it never returns to its caller.
    pub is_noreturn: bool,
    /// The macro that defines the function (`SYSCALL_DEFINE3`, `DEFINE_IDTENTRY_MCE`), if any.
    pub defined_by: Option<String>,
}

/// A local variable's facts inside one function.
#[derive(Clone, Debug)]
pub struct Local {
    pub ty: VarType,
    /// Every assignment seen stores `current` (an alias of the running task).
    pub only_current: bool,
    pub assigned: bool,
}

pub fn text<'a>(src: &'a [u8], t: &Token) -> &'a str {
    std::str::from_utf8(t.text(src)).unwrap_or("")
}

/// Index of the token matching the opener at `open` (`(`/`[`/`{`), or `None`.
pub fn matching(src: &[u8], toks: &[Token], open: usize, limit: usize) -> Option<usize> {
    let (o, c) = match toks.get(open)?.text(src) {
        b"(" => (b"(" as &[u8], b")" as &[u8]),
        b"[" => (b"[" as &[u8], b"]" as &[u8]),
        b"{" => (b"{" as &[u8], b"}" as &[u8]),
        _ => return None,
    };
    let mut depth = 0usize;
    for (i, t) in toks.iter().enumerate().take(limit).skip(open) {
        if t.kind != TokKind::Punct {
            continue;
        }
        let s = t.text(src);
        if s == o {
            depth += 1;
        } else if s == c {
            depth -= 1;
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

/// Index of the opener matching the closer at `close`, searching back to `floor`.
pub fn matching_back(src: &[u8], toks: &[Token], close: usize, floor: usize) -> Option<usize> {
    let (o, c) = match toks.get(close)?.text(src) {
        b")" => (b"(" as &[u8], b")" as &[u8]),
        b"]" => (b"[" as &[u8], b"]" as &[u8]),
        b"}" => (b"{" as &[u8], b"}" as &[u8]),
        _ => return None,
    };
    let mut depth = 0usize;
    let mut i = close;
    loop {
        let t = toks.get(i)?;
        if t.kind == TokKind::Punct {
            let s = t.text(src);
            if s == c {
                depth += 1;
            } else if s == o {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
        }
        if i == floor {
            return None;
        }
        i -= 1;
    }
}

const ATTRS: &[&str] = &[
    "__acquires",
    "__releases",
    "__must_hold",
    "__attribute__",
    "__cond_acquires",
    "__no_kcsan",
    "__printf",
    "__scanf",
    "__section",
    "__aligned",
];

/// Split the units of a file: every function definition and every macro definition.
pub fn units(src: &[u8], toks: &[Token], obj: &Object) -> Vec<Unit> {
    let mut out = Vec::new();
    let n = toks.len();
    let mut i = 0;
    let mut stmt_start = 0usize;
    while i < n {
        let t = &toks[i];
        match t.kind {
            TokKind::Define => {
                let end = (i + 1..n)
                    .find(|&j| toks[j].kind == TokKind::DefineEnd)
                    .unwrap_or(n);
                if let Some(u) = macro_unit(src, toks, i, end) {
                    out.push(u);
                }
                i = end + 1;
                continue;
            }
            TokKind::Punct if t.is(src, ";") || t.is(src, "}") => stmt_start = i + 1,
            TokKind::Punct if t.is(src, "{") => {
                let close = block_end(src, toks, i);
                if let Some(u) = function_unit(src, toks, stmt_start, i, close, obj) {
                    out.push(u);
                }
                i = close + 1;
                stmt_start = i;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// The `}` closing the block at `open` (skipping macro definitions), or the last token.
fn block_end(src: &[u8], toks: &[Token], open: usize) -> usize {
    let mut depth = 0usize;
    let mut in_def = false;
    for (j, t) in toks.iter().enumerate().skip(open) {
        match t.kind {
            TokKind::Define => in_def = true,
            TokKind::DefineEnd => in_def = false,
            TokKind::Punct if !in_def => {
                if t.is(src, "{") {
                    depth += 1;
                } else if t.is(src, "}") {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return j;
                    }
                }
            }
            _ => {}
        }
    }
    toks.len().saturating_sub(1)
}

fn function_unit(
    src: &[u8],
    toks: &[Token],
    start: usize,
    open: usize,
    close: usize,
    obj: &Object,
) -> Option<Unit> {
    let mut j = open.checked_sub(1)?;
    loop {
        if j < start || !toks[j].is(src, ")") {
            return None;
        }
        let po = matching_back(src, toks, j, start)?;
        let name_i = po.checked_sub(1)?;
        if name_i < start || toks[name_i].kind != TokKind::Ident {
            return None;
        }
        let name = text(src, &toks[name_i]);
        if ATTRS.contains(&name) {
            j = name_i.checked_sub(1)?;
            continue;
        }
        if matches!(
            name,
            "if" | "while" | "for" | "switch" | "return" | "sizeof"
        ) {
            return None;
        }
        let head: Vec<&str> = toks[start..name_i].iter().map(|t| text(src, t)).collect();
        let params = split_args(src, toks, po + 1, j)
            .into_iter()
            .filter_map(|r| c_param(src, &toks[r], obj))
            .collect::<Vec<_>>();
        let mut uname = name.to_string();
        let mut defined_by = None;
        if name.contains("SYSCALL_DEFINE")
            && let Some(first) = toks.get(po + 1)
        {
            uname = format!("sys_{}", text(src, first));
            defined_by = Some(name.to_string());
        } else if name.starts_with("DEFINE_IDTENTRY")
            && let Some(first) = toks.get(po + 1)
        {
            uname = text(src, first).to_string();
            defined_by = Some(name.to_string());
        }
        return Some(Unit {
            kind: UnitKind::Function,
            name: uname,
            name_tok: name_i,
            params,
            body: open + 1..close,
            is_static: head.contains(&"static"),
            is_inline: head
                .iter()
                .any(|h| *h == "inline" || *h == "__always_inline" || *h == "__inline__"),
            is_noreturn: head.iter().any(|h| *h == "__noreturn" || *h == "noreturn"),
            defined_by,
        });
    }
}

fn macro_unit(src: &[u8], toks: &[Token], def: usize, end: usize) -> Option<Unit> {
    let name_i = def + 1;
    let nt = toks.get(name_i).filter(|t| t.kind == TokKind::Ident)?;
    let mut body_start = name_i + 1;
    let mut params = Vec::new();
    if let Some(p) = toks.get(name_i + 1)
        && p.is(src, "(")
        && p.start == nt.end
        && name_i + 1 < end
    {
        let close = matching(src, toks, name_i + 1, end)?;
        for r in split_args(src, toks, name_i + 2, close) {
            if let Some(t) = toks[r].iter().find(|t| t.kind == TokKind::Ident) {
                params.push(Param {
                    name: text(src, t).to_string(),
                    ty: VarType::Untyped,
                });
            }
        }
        body_start = close + 1;
    }
    Some(Unit {
        kind: UnitKind::Macro,
        name: text(src, nt).to_string(),
        name_tok: name_i,
        params,
        body: body_start..end,
        is_static: true,
        is_inline: true,
        is_noreturn: false,
        defined_by: None,
    })
}

/// Split tokens `from..to` at top-level commas.
pub fn split_args(
    src: &[u8],
    toks: &[Token],
    from: usize,
    to: usize,
) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut s = from;
    for (i, t) in toks.iter().enumerate().take(to).skip(from) {
        if t.kind != TokKind::Punct {
            continue;
        }
        match t.text(src) {
            b"(" | b"[" | b"{" => depth += 1,
            b")" | b"]" | b"}" => depth -= 1,
            b"," if depth == 0 => {
                out.push(s..i);
                s = i + 1;
            }
            _ => {}
        }
    }
    if s < to {
        out.push(s..to);
    }
    out
}

fn c_param(src: &[u8], toks: &[Token], obj: &Object) -> Option<Param> {
    let words: Vec<&str> = toks.iter().map(|t| text(src, t)).collect();
    // Function-pointer parameters: `void (*fn)(...)` name the inner identifier.
    let name = if let Some(p) = words.iter().position(|w| *w == "(") {
        words[p..].iter().find(|w| is_ident(w))?
    } else {
        words.iter().rev().find(|w| is_ident(w))?
    };
    if matches!(*name, "void") && words.len() == 1 {
        return None;
    }
    let stars = words.iter().filter(|w| **w == "*").count();
    let ty = if words.iter().any(|w| obj.is_struct(w)) && stars == 1 && !words.contains(&"(") {
        VarType::Task
    } else {
        VarType::Other
    };
    Some(Param {
        name: name.to_string(),
        ty,
    })
}

fn is_ident(w: &str) -> bool {
    w.bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
}

const QUALIFIERS: &[&str] = &[
    "const", "volatile", "__rcu", "__percpu", "__user", "__iomem",
];

/// The locals of a function body: `struct task_struct *` (and aliases of `current`) and
/// pointers to other structs.
pub fn locals(
    src: &[u8],
    toks: &[Token],
    body: std::ops::Range<usize>,
    obj: &Object,
) -> HashMap<String, Local> {
    let mut out: HashMap<String, Local> = HashMap::new();
    let end = body.end;
    let mut i = body.start;
    while i < end {
        let t = &toks[i];
        if (t.is(src, "struct") || t.is(src, "union"))
            && let Some(tn) = toks.get(i + 1).filter(|t| t.kind == TokKind::Ident)
        {
            // A declaration only when a declarator follows (not a cast or sizeof).
            let is_task = obj.is_struct(text(src, tn));
            let prev_ok = i == body.start
                || matches!(
                    text(src, &toks[i - 1]),
                    ";" | "{" | "}" | "const" | "static"
                );
            if prev_ok {
                i = declarators(src, toks, i + 2, end, is_task, &mut out);
                continue;
            }
        }
        // `name = expr` outside a declaration.
        if t.kind == TokKind::Ident
            && toks.get(i + 1).is_some_and(|n| n.is(src, "="))
            && (i == 0 || !matches!(text(src, &toks[i - 1]), "->" | "." | "*"))
        {
            let name = text(src, t);
            if let Some(l) = out.get_mut(name) {
                let rhs_end = expr_end(src, toks, i + 2, end);
                let cur = is_current_expr(src, &toks[i + 2..rhs_end]);
                l.only_current &= cur;
                l.assigned = true;
            } else {
                let rhs_end = expr_end(src, toks, i + 2, end);
                if is_current_expr(src, &toks[i + 2..rhs_end]) {
                    out.insert(
                        name.to_string(),
                        Local {
                            ty: VarType::Untyped,
                            only_current: true,
                            assigned: true,
                        },
                    );
                }
            }
        }
        i += 1;
    }
    out
}

/// Read declarators after a type name; returns the index after the declaration.
fn declarators(
    src: &[u8],
    toks: &[Token],
    mut i: usize,
    end: usize,
    is_task: bool,
    out: &mut HashMap<String, Local>,
) -> usize {
    loop {
        let mut stars = 0;
        while i < end && (toks[i].is(src, "*") || QUALIFIERS.contains(&text(src, &toks[i]))) {
            if toks[i].is(src, "*") {
                stars += 1;
            }
            i += 1;
        }
        let Some(nt) = toks.get(i).filter(|t| t.kind == TokKind::Ident && i < end) else {
            return i;
        };
        let name = text(src, nt).to_string();
        i += 1;
        let next = toks.get(i).map_or("", |t| text(src, t));
        if !matches!(next, "=" | ";" | "," | "[") {
            return i;
        }
        let ty = if is_task && stars == 1 {
            VarType::Task
        } else {
            VarType::Other
        };
        let mut local = Local {
            ty,
            only_current: true,
            assigned: false,
        };
        if next == "[" {
            local.ty = VarType::Other;
            if let Some(c) = matching(src, toks, i, end) {
                i = c + 1;
            }
        }
        if toks.get(i).is_some_and(|t| t.is(src, "=")) {
            let e = expr_end(src, toks, i + 1, end);
            local.only_current = is_current_expr(src, &toks[i + 1..e]);
            local.assigned = true;
            i = e;
        }
        // A name shadowed in another scope with another type: the weaker fact wins.
        match out.get_mut(&name) {
            Some(old) if old.ty != local.ty => old.ty = VarType::Untyped,
            Some(old) => {
                old.only_current &= local.only_current;
                old.assigned |= local.assigned;
            }
            None => {
                out.insert(name, local);
            }
        }
        match toks.get(i).map(|t| text(src, t)) {
            Some(",") => i += 1,
            _ => return i + 1,
        }
    }
}

/// End of the expression starting at `from`: the next top-level `,` or `;`.
pub fn expr_end(src: &[u8], toks: &[Token], from: usize, end: usize) -> usize {
    let mut depth = 0i32;
    for (i, t) in toks.iter().enumerate().take(end).skip(from) {
        if t.kind != TokKind::Punct {
            continue;
        }
        match t.text(src) {
            b"(" | b"[" | b"{" => depth += 1,
            b")" | b"]" | b"}" => {
                depth -= 1;
                if depth < 0 {
                    return i;
                }
            }
            b"," | b";" if depth == 0 => return i,
            _ => {}
        }
    }
    end
}

/// `current`, `get_current()`, `(current)`.
pub fn is_current_expr(src: &[u8], toks: &[Token]) -> bool {
    let words: Vec<&str> = toks
        .iter()
        .map(|t| text(src, t))
        .filter(|w| *w != "(" && *w != ")")
        .collect();
    matches!(words.as_slice(), ["current"] | ["get_current"])
}

/// Every simple assignment `name = expr` (declarations included) in a body: name → (token index,
/// right-hand side as written without spaces).
pub type Assigns = HashMap<String, Vec<(usize, String)>>;

pub fn assignments(src: &[u8], toks: &[Token], body: std::ops::Range<usize>) -> Assigns {
    let mut out: Assigns = HashMap::new();
    let end = body.end;
    for i in body.clone() {
        if toks[i].kind != TokKind::Ident || !toks.get(i + 1).is_some_and(|t| t.is(src, "=")) {
            continue;
        }
        if i > body.start {
            let prev = text(src, &toks[i - 1]);
            if matches!(prev, "->" | ".") {
                continue;
            }
            // `*p = x` stores through a pointer; `struct rq *rq = x` declares one.
            if prev == "*" && !(i >= body.start + 3 && text(src, &toks[i - 3]) == "struct") {
                continue;
            }
        }
        let e = expr_end(src, toks, i + 2, end);
        let rhs: String = toks[i + 2..e].iter().map(|t| text(src, t)).collect();
        out.entry(text(src, &toks[i]).to_string())
            .or_default()
            .push((i, rhs));
    }
    out
}

/// Is `expr` (`rq->curr`) the current task of this CPU's runqueue, given the assignments made
/// before token `before`?
pub fn this_cpu_curr(expr: &str, assigns: &Assigns, before: usize) -> bool {
    let Some(rq) = expr.strip_suffix("->curr") else {
        return false;
    };
    let all = |name: &str, ok: &dyn Fn(&str) -> bool| {
        assigns.get(name).is_some_and(|v| {
            let v: Vec<&str> = v
                .iter()
                .filter(|(i, _)| *i < before)
                .map(|(_, r)| r.as_str())
                .collect();
            !v.is_empty() && v.iter().all(|r| ok(r))
        })
    };
    let this_cpu = |r: &str| matches!(r, "smp_processor_id()" | "raw_smp_processor_id()");
    let this_rq = |r: &str| {
        if matches!(r, "this_rq()" | "raw_rq()" | "cpu_rq(smp_processor_id())") {
            return true;
        }
        r.strip_prefix("cpu_rq(")
            .and_then(|x| x.strip_suffix(')'))
            .is_some_and(|c| all(c, &this_cpu))
    };
    if this_rq(rq) {
        return true;
    }
    all(rq, &this_rq)
}
