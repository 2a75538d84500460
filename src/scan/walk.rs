//! The parallel tree walk: `*.c` and `*.h` files, `.gitignore` honoured, symlinks not followed,
//! one Aho-Corasick pass per file for all names; only files with a whole-word hit are kept.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use aho_corasick::{AhoCorasick, MatchKind};

use crate::error::{Error, Result};

/// A file the walk hands on, and whether it has a whole-word hit.
pub struct Hit {
    pub rel: String,
    pub header: bool,
    /// At least one name occurs as a whole word (for [`walk`], unless `entries` is not empty).
    pub matched: bool,
    /// Where the matcher's entry names ([`Matcher::with_entries`]) occur as whole words, when
    /// no other name does.
    pub entries: Vec<usize>,
}

#[derive(Default)]
pub struct WalkStats {
    pub files: AtomicU64,
    pub bytes: AtomicU64,
}

/// One pass for all names: Teddy (SIMD, as ripgrep uses for `-F -f`) when the set allows it,
/// else an Aho-Corasick DFA.
pub struct Matcher {
    search: Search,
    /// The longest pattern, in bytes: how far chunks of a large file overlap.
    longest: usize,
    /// Parts of words searched for along with the names ([`Matcher::with_entries`]), whose hits
    /// alone do not make a file a hit.
    entries: foldhash::HashSet<Box<[u8]>>,
    /// The words those parts stand for: the walk hands a file with one on, with their places
    /// ([`Hit::entries`]).
    entry_words: foldhash::HashSet<Box<[u8]>>,
}

enum Search {
    Packed(aho_corasick::packed::Searcher),
    /// More names than one SIMD searcher takes: several, each over part of the names.
    Groups(Vec<aho_corasick::packed::Searcher>),
    Ac(AhoCorasick),
}

/// Names per SIMD (Teddy) searcher.
const GROUP: usize = 32;

fn packed(patterns: &[String]) -> Option<aho_corasick::packed::Searcher> {
    aho_corasick::packed::Config::new()
        .match_kind(aho_corasick::packed::MatchKind::LeftmostLongest)
        .builder()
        .extend(patterns)
        .build()
}

impl Matcher {
    pub fn new(patterns: &[String]) -> Result<Matcher> {
        let longest = patterns.iter().map(String::len).max().unwrap_or(0);
        if let Some(s) = packed(patterns) {
            return Ok(Matcher {
                search: Search::Packed(s),
                longest,
                entries: Default::default(),
                entry_words: Default::default(),
            });
        }
        // Teddy takes a few dozen names; past that the DFA reads every byte (39 % of the scan's
        // CPU in `perf`). Several SIMD searchers over sorted groups of names are faster.
        let mut sorted = patterns.to_vec();
        sorted.sort();
        let groups: Option<Vec<_>> = sorted.chunks(GROUP).map(packed).collect();
        if let Some(groups) = groups {
            return Ok(Matcher {
                search: Search::Groups(groups),
                longest,
                entries: Default::default(),
                entry_words: Default::default(),
            });
        }
        matcher(patterns).map(|ac| Matcher {
            search: Search::Ac(ac),
            longest,
            entries: Default::default(),
            entry_words: Default::default(),
        })
    }

    /// A matcher for `patterns` that also finds the words `words` through `parts`: each word
    /// contains a part, and a part stands for the whole word it is in when that word is one of
    /// `words`. A part that starts with bytes rarer than the word's start costs the search less
    /// (`uest_irq` for `request_irq` and `devm_request_irq`).
    pub fn with_entries(patterns: &[String], parts: &[&str], words: &[&str]) -> Result<Matcher> {
        let mut all = patterns.to_vec();
        all.extend(parts.iter().map(|e| e.to_string()));
        let mut m = Matcher::new(&all)?;
        m.entries = parts
            .iter()
            .filter(|e| !patterns.iter().any(|p| p == *e))
            .map(|e| e.as_bytes().into())
            .collect();
        m.entry_words = words.iter().map(|w| w.as_bytes().into()).collect();
        Ok(m)
    }

    /// The start of the word around `s..e` if it is one of the entry words.
    fn entry_word(&self, text: &[u8], s: usize, e: usize) -> Option<usize> {
        let ws = s - text[..s].iter().rev().take_while(|&&b| is_word(b)).count();
        let we = e + text[e..].iter().take_while(|&&b| is_word(b)).count();
        self.entry_words.contains(&text[ws..we]).then_some(ws)
    }

    /// Is the match `s..e` of `text` a whole word of a name that is not an entry name?
    fn is_name_hit(&self, text: &[u8], s: usize, e: usize) -> bool {
        bounded(text, s, e) && (self.entries.is_empty() || !self.entries.contains(&text[s..e]))
    }

    /// Every match in `text`: (start, end).
    fn matches<'t>(&'t self, text: &'t [u8]) -> impl Iterator<Item = (usize, usize)> + 't {
        let all: Box<dyn Iterator<Item = (usize, usize)> + 't> = match &self.search {
            Search::Packed(p) => Box::new(p.find_iter(text).map(|m| (m.start(), m.end()))),
            Search::Groups(g) => Box::new(
                g.iter()
                    .flat_map(move |p| p.find_iter(text).map(|m| (m.start(), m.end()))),
            ),
            Search::Ac(ac) => Box::new(ac.find_iter(text).map(|m| (m.start(), m.end()))),
        };
        all
    }

    /// Whether `text` has a name as a whole word; if not, where the entry names occur.
    pub fn hits(&self, text: &[u8]) -> (bool, Vec<usize>) {
        if self.entries.is_empty() {
            return (self.has_word_hit(text), Vec::new());
        }
        let mut entries = Vec::new();
        for (s, e) in self.matches(text) {
            if self.entries.contains(&text[s..e]) {
                entries.extend(self.entry_word(text, s, e));
            } else if bounded(text, s, e) {
                return (true, Vec::new());
            }
        }
        entries.sort_unstable();
        entries.dedup();
        (false, entries)
    }

    /// Does `text` hold one of the patterns as a whole word?
    pub fn has_word_hit(&self, text: &[u8]) -> bool {
        self.has_word_hit_in(text, text)
    }

    /// [`Matcher::has_word_hit`] over a file read in chunks of `chunk` bytes into `buf`, so a
    /// large file without a hit (amdgpu's 24 MB register headers) is never held whole. Chunks
    /// overlap by the longest pattern and one byte each side, so a word across a boundary is
    /// seen whole, with the bytes that bound it.
    fn has_word_hit_chunked(
        &self,
        f: &mut impl std::io::Read,
        buf: &mut Vec<u8>,
        chunk: usize,
    ) -> std::io::Result<bool> {
        let keep = self.longest + 1;
        buf.clear();
        loop {
            let start = buf.len();
            buf.resize(start + chunk, 0);
            let n = read_full(f, &mut buf[start..])?;
            buf.truncate(start + n);
            let at_end = n < chunk;
            // A match ending at the last byte of a chunk waits for the next byte unless the file ends.
            let window = if at_end {
                &buf[..]
            } else {
                &buf[..buf.len().saturating_sub(1)]
            };
            if self.has_word_hit_in(window, &buf[..]) {
                return Ok(true);
            }
            if at_end {
                return Ok(false);
            }
            let tail = buf.len().saturating_sub(keep);
            buf.drain(..tail);
        }
    }

    /// A whole-word hit inside `window`, judging its bounds on `text` (which extends it). A
    /// match at the very start of a later chunk lacks the byte before it and may pass here; it
    /// was judged whole in the previous chunk, and a hit here only means the file is read whole
    /// and searched again.
    fn has_word_hit_in(&self, window: &[u8], text: &[u8]) -> bool {
        match &self.search {
            Search::Packed(p) => p
                .find_iter(window)
                .any(|m| self.is_name_hit(text, m.start(), m.end())),
            Search::Groups(g) => g.iter().any(|p| {
                p.find_iter(window)
                    .any(|m| self.is_name_hit(text, m.start(), m.end()))
            }),
            Search::Ac(ac) => ac
                .find_iter(window)
                .any(|m| self.is_name_hit(text, m.start(), m.end())),
        }
    }
}

/// Fill `buf` from `f` unless the file ends first; the bytes read.
fn read_full(f: &mut impl std::io::Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The chunk size of that search.
const CHUNK: usize = 1 << 20;

/// Files larger than this are searched in chunks first and read whole only on a hit.
const CHUNKED_OVER: u64 = 4 << 20;

fn bounded(text: &[u8], s: usize, e: usize) -> bool {
    let before = s.checked_sub(1).map(|i| text[i]);
    let after = text.get(e).copied();
    !before.is_some_and(is_word) && !after.is_some_and(is_word)
}

pub fn matcher(patterns: &[String]) -> Result<AhoCorasick> {
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .build(patterns)
        .map_err(|e| Error::Usage(format!("cannot build the name matcher: {e}")))
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Walk `dirs` (each under `root`) in parallel; call `on_hit(hit, bytes)` for every C file
/// with a hit. `on_hit` runs on the walker threads; file texts are dropped after it returns.
pub fn walk<F>(
    root: &Path,
    dirs: &[PathBuf],
    ac: &Matcher,
    stats: &WalkStats,
    progress: Option<&indicatif::ProgressBar>,
    on_hit: F,
) -> Result<()>
where
    F: Fn(Hit, &[u8]) + Sync,
{
    walk_files(root, dirs, ac, stats, progress, false, on_hit)
}

/// [`walk`] calling `on_file` for every C file, with [`Hit::matched`] telling the hits apart.
/// Every file is read whole.
pub fn walk_every<F>(
    root: &Path,
    dirs: &[PathBuf],
    ac: &Matcher,
    stats: &WalkStats,
    on_file: F,
) -> Result<()>
where
    F: Fn(Hit, &[u8]) + Sync,
{
    walk_files(root, dirs, ac, stats, None, true, on_file)
}

fn walk_files<F>(
    root: &Path,
    dirs: &[PathBuf],
    ac: &Matcher,
    stats: &WalkStats,
    progress: Option<&indicatif::ProgressBar>,
    every: bool,
    on_hit: F,
) -> Result<()>
where
    F: Fn(Hit, &[u8]) + Sync,
{
    let Some(first) = dirs.first() else {
        return Ok(());
    };
    let mut b = ignore::WalkBuilder::new(first);
    for d in &dirs[1..] {
        b.add(d);
    }
    // The same filters as ripgrep: `.gitignore` only inside a git checkout (Debian's source
    // package has a `/*` ignore-everything rule for its packaging repository), `.ignore` files,
    // hidden entries skipped, symlinks never followed (so nothing outside the tree is read).
    b.follow_links(false)
        .hidden(true)
        .git_ignore(true)
        .git_global(false)
        .git_exclude(true)
        .ignore(true)
        .require_git(true)
        .parents(true)
        .threads(std::thread::available_parallelism().map_or(2, |n| n.get()));
    let first_err: Mutex<Option<Error>> = Mutex::new(None);
    b.build_parallel().run(|| {
        let mut buf: Vec<u8> = Vec::new();
        let first_err = &first_err;
        let on_hit = &on_hit;
        Box::new(move |entry| {
            use ignore::WalkState;
            let Ok(entry) = entry else {
                return WalkState::Continue;
            };
            let Some(ft) = entry.file_type() else {
                return WalkState::Continue;
            };
            if !ft.is_file() {
                return WalkState::Continue;
            }
            let path = entry.path();
            let header = match path.extension().and_then(|e| e.to_str()) {
                Some("c") => false,
                Some("h") => true,
                _ => return WalkState::Continue,
            };
            buf.clear();
            let read = std::fs::File::open(path).and_then(|mut f| {
                use std::io::{Read, Seek};
                let len = f.metadata().map_or(0, |m| m.len());
                if len > CHUNKED_OVER && !every {
                    if !ac.has_word_hit_chunked(&mut f, &mut buf, CHUNK)? {
                        return Ok(Some(len));
                    }
                    f.rewind()?;
                    buf.clear();
                }
                // Room for the whole file at once: growing by doubling would hold up to three
                // times its size at the peak.
                buf.reserve_exact(usize::try_from(len).unwrap_or(0).saturating_add(1));
                f.read_to_end(&mut buf)?;
                Ok(None)
            });
            let skipped = match read {
                Ok(skipped) => skipped,
                Err(e) => {
                    if let Ok(mut g) = first_err.lock()
                        && g.is_none()
                    {
                        *g = Some(Error::io(path.display().to_string(), e));
                    }
                    return WalkState::Continue;
                }
            };
            stats.files.fetch_add(1, Ordering::Relaxed);
            stats
                .bytes
                .fetch_add(skipped.unwrap_or(buf.len() as u64), Ordering::Relaxed);
            if let Some(p) = progress {
                p.inc(1);
            }
            let (matched, entries) = if skipped.is_none() {
                ac.hits(&buf)
            } else {
                (false, Vec::new())
            };
            if matched || every || !entries.is_empty() {
                let rel = path
                    .strip_prefix(root)
                    .unwrap_or(path)
                    .to_string_lossy()
                    .into_owned();
                on_hit(
                    Hit {
                        rel,
                        header,
                        matched,
                        entries,
                    },
                    &buf,
                );
            }
            // Do not keep a huge buffer alive for the next small file.
            if buf.capacity() > 4 << 20 {
                buf = Vec::new();
            }
            WalkState::Continue
        })
    });
    // Unreadable files are reported, not silently skipped.
    match first_err.into_inner() {
        Ok(Some(e)) => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunked(patterns: &[&str], text: &str, chunk: usize) -> bool {
        let pats: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
        let m = Matcher::new(&pats).expect("matcher");
        let mut buf = Vec::new();
        m.has_word_hit_chunked(&mut std::io::Cursor::new(text.as_bytes()), &mut buf, chunk)
            .expect("reads")
    }

    #[test]
    fn chunked_search_agrees_with_the_whole_text_at_every_boundary() {
        let many: Vec<String> = (0..100).map(|i| format!("HELPER_{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).chain(["PF_A"]).collect();
        for patterns in [&["PF_A", "frozen"][..], &many[..]] {
            let pats: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
            let whole = Matcher::new(&pats).expect("matcher");
            for text in [
                "int x; p->flags |= PF_A; y",
                "int PF_AB; xPF_A; frozen_x",
                "abc frozen",
                "PF_A",
                "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzPF_A",
                "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz PF_A_B",
                "",
            ] {
                let want = whole.has_word_hit(text.as_bytes());
                for chunk in 1..=text.len().max(1) + 2 {
                    // A chunked hit may be a false alarm (then the file is read whole), never a miss.
                    let got = chunked(patterns, text, chunk);
                    assert!(!want || got, "missed in {text:?} with chunks of {chunk}");
                    if !text.contains("PF_A") && !text.contains("frozen") {
                        assert!(!got, "{text:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn chunked_search_does_not_take_a_longer_word_across_a_boundary() {
        // `PF_AB` split as `PF_A|B`: the byte after the candidate is in the next chunk.
        for chunk in 1..12 {
            assert!(!chunked(&["PF_A"], "x = PF_AB;", chunk), "chunk {chunk}");
            assert!(chunked(&["PF_A"], "x = PF_A;", chunk), "chunk {chunk}");
        }
    }
}
