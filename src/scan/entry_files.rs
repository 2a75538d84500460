//! Files with no flag or helper name that register an interrupt entry (`request_irq()`, a timer,
//! a tasklet, NAPI, an RCU callback): the registrations and the entry functions they name, read
//! for the call graph only, so that a write reached from a driver's irq handler through an
//! exported function (`vfio_msihandler()` → `eventfd_signal()`) is seen as interrupt context.

use std::path::Path;

use foldhash::{HashSet, HashSetExt};

use super::calls::MAX_IRQ_DEPTH;
use super::classify::{FileRole, FileScan, scan_file};
use super::contexts;
use super::idents::{self, CalledNames};
use super::lexer::{TokKind, Token, tokenize};
use super::names::Names;
use super::parse;
use crate::error::{Error, Result};

/// A file the walk found a registrar name in, and no other name: the entry functions it
/// registers and defines, by the names their bodies may call.
pub struct EntryHit {
    pub rel: String,
    /// Where the registrar names are.
    at: Vec<usize>,
    calls: Vec<CalledNames>,
}

impl EntryHit {
    /// Survey `text` (read by the walk) at the registrar names at `at`; `None` when no
    /// registration names a function the file defines.
    pub fn survey(rel: String, text: &[u8], at: Vec<usize>) -> Option<EntryHit> {
        let found = entries(text, &at);
        let calls: Vec<CalledNames> = found
            .defs
            .iter()
            .map(|d| CalledNames::of(&text[d.start..d.end]))
            .collect();
        (!calls.is_empty()).then_some(EntryHit { rel, at, calls })
    }
}

/// What [`add_entry_files`] did.
#[derive(Debug, Default)]
pub struct EntryPass {
    /// Files that may call a function within reach of an access, read again.
    pub read: usize,
    /// Files with a registered entry function, added.
    pub kept: usize,
}

/// Add to `files` the entry files of `hits` that may call a function from which an access is
/// within [`MAX_IRQ_DEPTH`] calls: only their registrations and entry functions are read.
pub fn add_entry_files(
    root: &Path,
    hits: &[EntryHit],
    files: &mut Vec<(String, FileScan)>,
    names: &Names,
) -> Result<EntryPass> {
    let reach: foldhash::HashSet<u32> = within_reach(files)
        .iter()
        .map(|n| idents::hash(n.as_bytes()))
        .collect();
    let candidates: Vec<&EntryHit> = hits
        .iter()
        .filter(|h| h.calls.iter().any(|c| c.may_call_one_of(&reach)))
        .collect();
    let found = super::on_every_core(&candidates, |h| {
        let path = root.join(&h.rel);
        let text = std::fs::read(&path).map_err(|e| Error::io(path.display().to_string(), e))?;
        Ok(scan(&text, &h.at, names, &h.rel, &reach).map(|fs| (h.rel.clone(), fs)))
    })?;
    let before = files.len();
    files.extend(found.into_iter().flatten());
    Ok(EntryPass {
        read: candidates.len(),
        kept: files.len() - before,
    })
}

/// The functions with a write on current, and their callers up to `MAX_IRQ_DEPTH - 1` levels above.
fn within_reach(files: &[(String, FileScan)]) -> HashSet<String> {
    let mut reach: HashSet<String> = files
        .iter()
        .flat_map(|(_, fs)| fs.accesses.iter().filter(|a| a.write && a.on_current()))
        .map(|a| a.function.clone())
        .collect();
    let mut frontier = reach.clone();
    for _ in 1..MAX_IRQ_DEPTH {
        let mut next = HashSet::new();
        for (_, fs) in files {
            for c in fs.calls.iter().filter(|c| frontier.contains(&*c.callee)) {
                if !reach.contains(&*c.caller) {
                    next.insert(c.caller.to_string());
                }
            }
        }
        if next.is_empty() {
            break;
        }
        reach.extend(next.iter().cloned());
        frontier = next;
    }
    reach
}

/// The registrar names the walk looks for in files with no other name.
pub fn registrar_names() -> Vec<&'static str> {
    contexts::registrars().map(|(name, _)| name).collect()
}

/// A byte range of the file to keep in the snippet.
struct Keep {
    start: usize,
    end: usize,
    /// A registration call: only the call, not the statement around it (a `;` is added).
    call: bool,
}

/// How far to look for the end of a registration call.
const CALL_WINDOW: usize = 1024;

/// The registration calls and the entry functions they name that the file defines.
struct Entries {
    calls: Vec<Keep>,
    defs: Vec<Keep>,
}

/// The registrations at `at` (byte offsets of registrar names in `text`) and the definitions
/// of the functions they name.
fn entries(text: &[u8], at: &[usize]) -> Entries {
    let mut calls = Vec::new();
    let mut handlers: Vec<&[u8]> = Vec::new();
    for &p in at {
        let Some((end, handler)) = registration(text, p) else {
            continue;
        };
        calls.push(Keep {
            start: p,
            end,
            call: true,
        });
        if !handlers.contains(&handler) {
            handlers.push(handler);
        }
    }
    let defs = handlers
        .iter()
        .filter_map(|h| definition(text, h))
        .collect();
    Entries { calls, defs }
}

/// The scan of the registrations in `text` and of the entry functions they name whose bodies may
/// call a function of `reach` (hashes of names), as if the file held only them, with the lines
/// of the file; `None` when there are none.
fn scan(
    text: &[u8],
    at: &[usize],
    names: &Names,
    rel: &str,
    reach: &HashSet<u32>,
) -> Option<FileScan> {
    let Entries { mut calls, defs } = entries(text, at);
    let defs: Vec<Keep> = defs
        .into_iter()
        .filter(|d| CalledNames::of(&text[d.start..d.end]).may_call_one_of(reach))
        .collect();
    if defs.is_empty() {
        return None;
    }
    calls.extend(defs);
    calls.sort_by_key(|k| k.start);
    let snippet = snippet(text, &calls);
    let fs = scan_file(&snippet, names, FileRole::of(rel, false));
    (!fs.irq_roots.is_empty()).then_some(fs)
}

/// The registration call at `p`: its end (after the `)`) and the handler it names.
fn registration(text: &[u8], p: usize) -> Option<(usize, &[u8])> {
    let window = &text[p..text.len().min(p + CALL_WINDOW)];
    let toks = tokenize(window);
    let close = parse::matching(window, &toks, 1, toks.len())?;
    let name = toks.first()?.text(window);
    let arg = contexts::registrars()
        .find(|(n, _)| n.as_bytes() == name)
        .map(|(_, a)| a)?;
    let args = parse::split_args(window, &toks, 2, close);
    let r = args.get(arg)?;
    let named: Vec<&Token> = toks[r.clone()]
        .iter()
        .filter(|t| !t.is(window, "&"))
        .collect();
    let [t] = named.as_slice() else {
        return None;
    };
    (t.kind == TokKind::Ident).then(|| {
        let s = p + t.start as usize;
        (p + toks[close].end as usize, &text[s..p + t.end as usize])
    })
}

/// The definition of function `name` in `text`: from the start of the line with its type to
/// its closing `}`.
fn definition(text: &[u8], name: &[u8]) -> Option<Keep> {
    memchr::memmem::find_iter(text, name)
        .filter(|&s| word_at(text, s, name.len()))
        .find_map(|s| definition_at(text, s))
}

fn word_at(text: &[u8], s: usize, len: usize) -> bool {
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    !s.checked_sub(1).is_some_and(|i| is_word(text[i]))
        && !text.get(s + len).is_some_and(|&b| is_word(b))
}

/// `name(params) {` at `s`: the whole definition, read in growing windows.
fn definition_at(text: &[u8], s: usize) -> Option<Keep> {
    let mut window = 2048;
    loop {
        let end = text.len().min(s + window);
        let part = &text[s..end];
        let toks = tokenize(part);
        if toks.get(1).is_none_or(|t| !t.is(part, "(")) {
            return None;
        }
        let params = parse::matching(part, &toks, 1, toks.len());
        let body = params.and_then(|c| toks.get(c + 1).map(|t| (c + 1, t)));
        match body {
            Some((b, t)) if t.is(part, "{") => {
                if let Some(close) = parse::matching(part, &toks, b, toks.len()) {
                    return Some(Keep {
                        start: type_line_start(text, s),
                        end: s + toks[close].end as usize,
                        call: false,
                    });
                }
            }
            Some(_) => return None, // a declaration or a call
            None => {}
        }
        if end == text.len() {
            return None;
        }
        window *= 4;
    }
}

/// The start of the line of `s`, or of the line before when `s` starts its line and the line
/// before holds only the type (`static irqreturn_t`).
fn type_line_start(text: &[u8], s: usize) -> usize {
    let line = memchr::memrchr(b'\n', &text[..s]).map_or(0, |i| i + 1);
    if text[line..s].iter().any(|b| !b.is_ascii_whitespace()) || line == 0 {
        return line;
    }
    let prev = memchr::memrchr(b'\n', &text[..line - 1]).map_or(0, |i| i + 1);
    let type_only = !text[prev..line - 1]
        .iter()
        .any(|b| matches!(b, b';' | b'{' | b'}' | b'#' | b'/' | b'*'));
    if type_only { prev } else { line }
}

/// The kept ranges of `text`, each at its own line and column (newlines and spaces stand for the
/// rest), so that lines in the scan are the file's.
fn snippet(text: &[u8], keep: &[Keep]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut at = 0; // bytes of `text` accounted for
    for k in keep {
        if k.start < at {
            continue; // inside a range already kept
        }
        let gap = &text[at..k.start];
        out.extend(gap.iter().map(|&b| if b == b'\n' { b'\n' } else { b' ' }));
        out.extend_from_slice(&text[k.start..k.end]);
        if k.call {
            // One byte more on this line: columns after it do not matter, lines do.
            out.push(b';');
        }
        at = k.end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snippet_keeps_lines_and_columns() {
        let text = b"int a;\nstatic int\nh(int x)\n{\n\treturn f(x);\n}\nvoid g(void)\n{\n\tif (request_irq(1, h, 0, \"x\", 0))\n\t\treturn;\n}\n";
        let p = memchr::memmem::find(text, b"request_irq").expect("call");
        let (end, h) = registration(text, p).expect("registration");
        assert_eq!(h, b"h");
        assert_eq!(&text[end - 1..end], b")");
        let def = definition(text, b"h").expect("definition");
        assert_eq!(def.start, 7, "from the type's line");
        let keep = [
            def,
            Keep {
                start: p,
                end,
                call: true,
            },
        ];
        let s = snippet(text, &keep);
        let lines: Vec<&[u8]> = s.split(|&b| b == b'\n').collect();
        assert_eq!(lines[1], b"static int");
        assert_eq!(lines[4], b"\treturn f(x);");
        assert_eq!(lines[8], b"     request_irq(1, h, 0, \"x\", 0);".as_slice());
        assert!(lines[6].iter().all(|&b| b == b' '));
    }

    #[test]
    fn a_prototype_or_a_call_is_not_a_definition() {
        assert!(definition(b"int h(int);\nx = h(1);\n", b"h").is_none());
        assert!(definition(b"void hh(void) { }\n", b"h").is_none());
        let long = format!("void h(void)\n{{\n{}}}\n", "\tf();\n".repeat(5000));
        let d = definition(long.as_bytes(), b"h").expect("a long body");
        assert_eq!(d.end, long.len() - 1);
    }
}
