//! Files with no flag or helper name that register an interrupt entry (`request_irq()`, a timer,
//! a tasklet, NAPI, an RCU callback): the registrations and the entry functions they name, read
//! for the call graph only, so that a write reached from a driver's irq handler through an
//! exported function (`vfio_msihandler()` → `eventfd_signal()`) is seen as interrupt context.

use std::path::Path;

use foldhash::{HashMap, HashMapExt, HashSet};

use super::calls::MAX_IRQ_DEPTH;
use super::classify::{FileRole, FileScan, scan_file};
use super::contexts;
use super::idents::{self, CalledNames};
use super::names::Names;
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
    /// Files whose entry functions may call a function within reach of a write on current, read
    /// again.
    pub read: usize,
    /// Files with a registered entry function, added.
    pub kept: usize,
}

/// Add to `files` the entry files of `hits` whose entry functions may call a function from which
/// a write on current is within [`MAX_IRQ_DEPTH`] calls: only their registrations and entry
/// functions are read.
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
    let found = super::par::on_every_core(&candidates, |h| {
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

/// The functions with a write on current, and their callers up to `MAX_IRQ_DEPTH - 1` levels
/// above.
fn within_reach(files: &[(String, FileScan)]) -> HashSet<&str> {
    let mut callers: HashMap<&str, Vec<&str>> = HashMap::new();
    for (_, fs) in files {
        for c in &fs.calls {
            callers.entry(&*c.callee).or_default().push(&*c.caller);
        }
    }
    let mut reach: HashSet<&str> = files
        .iter()
        .flat_map(|(_, fs)| fs.accesses.iter().filter(|a| a.write && a.on_current()))
        .map(|a| a.function.as_str())
        .collect();
    let mut frontier: Vec<&str> = reach.iter().copied().collect();
    for _ in 1..MAX_IRQ_DEPTH {
        let mut next = Vec::new();
        for f in frontier {
            for &c in callers.get(f).into_iter().flatten() {
                if reach.insert(c) {
                    next.push(c);
                }
            }
        }
        if next.is_empty() {
            break;
        }
        frontier = next;
    }
    reach
}

/// The registrar names the walk looks for in files with no other name.
pub fn registrar_names() -> Vec<&'static str> {
    contexts::registrars().map(|(name, _)| name).collect()
}

/// Parts of the registrar names for the walk to search: every registrar name contains one, and
/// they start with bytes rarer in C than `request`, `devm_`, `timer`, `call` or `DEFINE`, which
/// the search would otherwise stop at all over the tree (measured on 6.1: half the cost).
pub const REGISTRAR_PARTS: &[&str] = &[
    "uest_",
    "en_softirq",
    "sklet_",
    "CLARE_TASKLET",
    "mer_setup",
    "FINE_TIMER",
    "napi_add",
    "ister_nmi_handler",
    "ll_rcu",
];

/// A byte range of the file to keep in the snippet.
struct Keep {
    start: usize,
    end: usize,
    /// A registration call: only the call, not the statement around it (a `;` is added).
    call: bool,
}

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
    let defs = handlers.iter().flat_map(|h| definitions(text, h)).collect();
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
    let name_end = p + text[p..].iter().take_while(|&&b| is_word(b)).count();
    let arg = contexts::registrars()
        .find(|(n, _)| n.as_bytes() == &text[p..name_end])
        .map(|(_, a)| a)?;
    let open = skip_blank(text, name_end);
    if text.get(open) != Some(&b'(') {
        return None;
    }
    let (close, args) = args_of(text, open)?;
    let (s, e) = *args.get(arg)?;
    let mut r = &text[s..e];
    r = r.trim_ascii();
    r = r.strip_prefix(b"&").unwrap_or(r).trim_ascii();
    (!r.is_empty() && r.iter().all(|&b| is_word(b)) && !r[0].is_ascii_digit())
        .then_some((close + 1, r))
}

/// The definitions of function `name` in `text` (one per `#ifdef` branch): from the start of
/// the line with its type to the closing `}`.
fn definitions(text: &[u8], name: &[u8]) -> Vec<Keep> {
    memchr::memmem::find_iter(text, name)
        .filter(|&s| word_at(text, s, name.len()))
        .filter_map(|s| definition_at(text, s, name.len()))
        .collect()
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn word_at(text: &[u8], s: usize, len: usize) -> bool {
    !s.checked_sub(1).is_some_and(|i| is_word(text[i]))
        && !text.get(s + len).is_some_and(|&b| is_word(b))
}

/// `name(params) {` at `s`: the whole definition.
fn definition_at(text: &[u8], s: usize, len: usize) -> Option<Keep> {
    let open = skip_blank(text, s + len);
    if text.get(open) != Some(&b'(') {
        return None;
    }
    let (close, _) = args_of(text, open)?;
    let mut brace = skip_blank(text, close + 1);
    // Annotations between the parameters and the body: `__must_hold(&lock)`, `__acquires(x)`.
    while text[brace..].starts_with(b"__") {
        let end = brace + text[brace..].iter().take_while(|&&b| is_word(b)).count();
        let after = skip_blank(text, end);
        brace = if text.get(after) == Some(&b'(') {
            skip_blank(text, args_of(text, after)?.0 + 1)
        } else {
            after
        };
    }
    if text.get(brace) != Some(&b'{') {
        return None; // a declaration, a call, or an attribute this reader does not follow
    }
    let end = block_end(text, brace)?;
    Some(Keep {
        start: type_line_start(text, s),
        end: end + 1,
        call: false,
    })
}

/// The first byte at or after `i` that is not a blank or in a comment.
fn skip_blank(text: &[u8], mut i: usize) -> usize {
    loop {
        match text.get(i..) {
            Some([b, ..]) if b.is_ascii_whitespace() || *b == b'\\' => i += 1,
            Some([b'/', b'*', ..]) => {
                i = memchr::memmem::find(&text[i + 2..], b"*/").map_or(text.len(), |k| i + k + 4)
            }
            Some([b'/', b'/', ..]) => {
                i = memchr::memchr(b'\n', &text[i..]).map_or(text.len(), |k| i + k)
            }
            _ => return i,
        }
    }
}

/// The byte after the string or character literal opened by the quote at `i`.
fn literal_end(text: &[u8], i: usize) -> usize {
    let q = text[i];
    let mut k = i + 1;
    while let Some(&b) = text.get(k) {
        match b {
            b'\\' => k += 2,
            b'\n' => return k, // an unterminated literal ends with its line
            _ if b == q => return k + 1,
            _ => k += 1,
        }
    }
    text.len()
}

/// The next byte to look at from `i`, skipping a comment or a literal that starts there.
fn step(text: &[u8], i: usize) -> usize {
    match &text[i..] {
        [b'/', b'*', ..] => {
            memchr::memmem::find(&text[i + 2..], b"*/").map_or(text.len(), |k| i + k + 4)
        }
        [b'/', b'/', ..] => memchr::memchr(b'\n', &text[i..]).map_or(text.len(), |k| i + k),
        [b'"' | b'\'', ..] => literal_end(text, i),
        _ => i + 1,
    }
}

/// The `)` matching the `(` at `open`, and the byte ranges of the arguments between them
/// (split at commas outside brackets).
fn args_of(text: &[u8], open: usize) -> Option<(usize, Vec<(usize, usize)>)> {
    let mut depth = 0usize;
    let mut args = Vec::new();
    let mut start = open + 1;
    let mut i = open + 1;
    while i < text.len() {
        match text[i] {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' if depth > 0 => depth -= 1,
            b')' => {
                args.push((start, i));
                return Some((i, args));
            }
            b',' if depth == 0 => {
                args.push((start, i));
                start = i + 1;
            }
            b']' | b'}' => return None, // unbalanced
            _ => {}
        }
        i = step(text, i);
    }
    None
}

/// The `}` matching the `{` at `open`.
fn block_end(text: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = open;
    while i < text.len() {
        match text[i] {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i = step(text, i);
    }
    None
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

/// The kept ranges of `text`, each at its own line (the line breaks of the rest stand for it),
/// so that lines in the scan are the file's.
fn snippet(text: &[u8], keep: &[Keep]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut at = 0; // bytes of `text` accounted for
    for k in keep {
        if k.start < at {
            continue; // inside a range already kept
        }
        let gap = &text[at..k.start];
        // Only the line breaks: the file has no flag name, so no column is ever reported.
        out.extend(gap.iter().filter(|&&b| b == b'\n'));
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
    fn a_snippet_keeps_lines() {
        let text = b"int a;\nstatic int\nh(int x)\n{\n\treturn f(x);\n}\nvoid g(void)\n{\n\tif (request_irq(1, h, 0, \"x\", 0))\n\t\treturn;\n}\n";
        let p = memchr::memmem::find(text, b"request_irq").expect("call");
        let (end, h) = registration(text, p).expect("registration");
        assert_eq!(h, b"h");
        assert_eq!(&text[end - 1..end], b")");
        let def = definitions(text, b"h").pop().expect("definition");
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
        assert_eq!(lines[8], b"request_irq(1, h, 0, \"x\", 0);".as_slice());
        assert!(lines[6].is_empty());
    }

    #[test]
    fn every_registrar_name_contains_a_part() {
        for name in registrar_names() {
            assert!(
                REGISTRAR_PARTS.iter().any(|p| name.contains(p)),
                "{name} has no part the walk searches for"
            );
        }
    }

    #[test]
    fn arguments_skip_literals_comments_and_brackets() {
        let text = b"request_irq(f(a, b) /* x, ) */, &h, 0, \"n, )\", ')');";
        let (end, h) = registration(text, 0).expect("registration");
        assert_eq!(h, b"h");
        assert_eq!(&text[end..], b";");
        assert!(registration(b"request_irq(irq, d->h, 0)", 0).is_none());
        assert!(registration(b"request_irq(irq, h", 0).is_none());
        let def = b"static int h(int x /* ) */)\n{\n\tputs(\"}\");\n}\n";
        let d = definitions(def, b"h").pop().expect("definition");
        assert_eq!(&def[d.start..d.end], &def[..def.len() - 1]);
    }

    #[test]
    fn a_prototype_or_a_call_is_not_a_definition() {
        assert!(definitions(b"int h(int);\nx = h(1);\n", b"h").is_empty());
        assert!(definitions(b"void hh(void) { }\n", b"h").is_empty());
        let long = format!("void h(void)\n{{\n{}}}\n", "\tf();\n".repeat(5000));
        let d = definitions(long.as_bytes(), b"h")
            .pop()
            .expect("a long body");
        assert_eq!(d.end, long.len() - 1);
    }
}
