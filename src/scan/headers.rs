//! Headers the walk did not read (no flag or helper name in them) whose inline functions call a
//! function on a writer's chain of callers: read for the call graph only, so that an
//! interrupt entry reached through `gro_normal_list()` (`include/net/gro.h`) or `sk_backlog_rcv()`
//! (`include/net/sock.h`) is seen.

use std::path::Path;

use std::sync::Arc;

use foldhash::{HashSet, HashSetExt};

use super::classify::{FileRole, FileScan, scan_file};
use super::idents::{self, CalledNames};
use super::matcher::Matcher;
use super::names::Names;
use crate::error::{Error, Result};

/// A header read by the first helper round: its path under the root, the names it may call.
pub struct Header {
    pub rel: String,
    pub calls: CalledNames,
}

/// Levels of callers whose headers are read: a header inline deeper than this above a write
/// is not looked for (each level costs a read of the headers calling the level before). On 6.1
/// a fourth level read 284 more headers and changed no access; a sixth, none either.
const HEADER_LEVELS: usize = 3;

/// What [`add_calling_headers`] did.
#[derive(Debug, Default)]
pub struct HeaderPass {
    /// Headers read, and headers kept (that call a function on a chain).
    pub read: usize,
    pub kept: usize,
}

/// What reading one candidate header gave.
enum Read<'h> {
    /// It calls a name of the frontier: added to the files.
    Kept(&'h Header, FileScan),
    /// Tokenized, but it calls none: the names it calls, for the later levels.
    Calls(&'h Header, Box<[Arc<str>]>),
    /// No name of the frontier in it as a word: it stays a candidate for the later levels.
    NoWord,
}

/// Read `headers` on every core.
fn read_calling<'h>(
    root: &Path,
    headers: &[&'h Header],
    names: &Names,
    frontier: &HashSet<String>,
    ac: &Matcher,
) -> Result<Vec<Read<'h>>> {
    super::par::on_every_core(headers, |&h| {
        let path = root.join(&h.rel);
        let text = std::fs::read(&path).map_err(|e| Error::io(path.display().to_string(), e))?;
        // A candidate by a hash, or one that may call anything: tokenized only when a name of
        // the frontier is in it as a word.
        if !ac.has_word_hit(&text) {
            return Ok(Read::NoWord);
        }
        let fs = scan_file(&text, names, FileRole::of(&h.rel, true));
        if fs.calls.iter().any(|c| frontier.contains(&*c.callee)) {
            Ok(Read::Kept(h, fs))
        } else {
            let calls = fs.calls.iter().map(|c| Arc::clone(&c.callee)).collect();
            Ok(Read::Calls(h, calls))
        }
    })
}

/// The functions with a write, then their callers, level by level, up to [`HEADER_LEVELS`]
/// levels: at each level, the unread headers that may call one of them are read, and those that
/// do are added to `files`.
pub fn add_calling_headers(
    root: &Path,
    headers: &[Header],
    files: &mut Vec<(String, FileScan)>,
    names: &Names,
) -> Result<HeaderPass> {
    let mut pass = HeaderPass::default();
    let mut done: HashSet<String> = files.iter().map(|(rel, _)| rel.clone()).collect();
    let mut frontier: HashSet<String> = files
        .iter()
        .flat_map(|(_, fs)| fs.accesses.iter().filter(|a| a.write))
        .map(|a| a.function.clone())
        .collect();
    let mut seen: HashSet<String> = frontier.clone();
    // Headers tokenized that called nothing on the chain yet, with the names they call.
    let mut tokenized: Vec<(&Header, Box<[Arc<str>]>)> = Vec::new();
    for _ in 0..HEADER_LEVELS {
        if frontier.is_empty() {
            break;
        }
        let hashes: HashSet<u32> = frontier
            .iter()
            .map(|n| idents::hash(n.as_bytes()))
            .collect();
        // Headers tokenized before whose calls now meet the frontier, and new candidates.
        let mut candidates: Vec<&Header> = Vec::new();
        tokenized.retain(|(h, calls)| {
            let meets = calls.iter().any(|n| frontier.contains(&**n));
            if meets {
                candidates.push(h);
            }
            !meets
        });
        candidates.extend(
            headers
                .iter()
                .filter(|h| !done.contains(&h.rel) && h.calls.may_call_one_of(&hashes)),
        );
        pass.read += candidates.len();
        let words: Vec<String> = frontier.iter().cloned().collect();
        let ac = Matcher::new(&words)?;
        for read in read_calling(root, &candidates, names, &frontier, &ac)? {
            match read {
                Read::Kept(h, fs) => {
                    pass.kept += 1;
                    done.insert(h.rel.clone());
                    files.push((h.rel.clone(), fs));
                }
                Read::Calls(h, calls) => {
                    done.insert(h.rel.clone());
                    tokenized.push((h, calls));
                }
                Read::NoWord => {}
            }
        }
        // The callers of the frontier, from every file (no index: it would cost more memory
        // than this pass may take).
        let mut next = HashSet::new();
        for (_, fs) in files.iter() {
            for c in fs.calls.iter().filter(|c| frontier.contains(&*c.callee)) {
                if !seen.contains(&*c.caller) {
                    seen.insert(c.caller.to_string());
                    next.insert(c.caller.to_string());
                }
            }
        }
        frontier = next;
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(pass)
}
