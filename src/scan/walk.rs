//! The parallel tree walk: `*.c` and `*.h` files, `.gitignore` honoured, symlinks not followed,
//! one Aho-Corasick pass per file for all names; only files with a whole-word hit are kept.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use aho_corasick::{AhoCorasick, MatchKind};

use crate::error::{Error, Result};

/// A file with at least one whole-word hit, and its text.
pub struct Hit {
    pub rel: String,
    pub header: bool,
}

#[derive(Default)]
pub struct WalkStats {
    pub files: AtomicU64,
    pub bytes: AtomicU64,
}

/// One pass for all names: Teddy (SIMD, as ripgrep uses for `-F -f`) when the set allows it,
/// else an Aho-Corasick DFA.
pub enum Matcher {
    Packed(aho_corasick::packed::Searcher),
    Ac(AhoCorasick),
}

impl Matcher {
    pub fn new(patterns: &[String]) -> Result<Matcher> {
        if let Some(s) = aho_corasick::packed::Config::new()
            .match_kind(aho_corasick::packed::MatchKind::LeftmostLongest)
            .builder()
            .extend(patterns)
            .build()
        {
            return Ok(Matcher::Packed(s));
        }
        matcher(patterns).map(Matcher::Ac)
    }

    /// Does `text` hold one of the patterns as a whole word?
    pub fn has_word_hit(&self, text: &[u8]) -> bool {
        match self {
            Matcher::Packed(s) => s.find_iter(text).any(|m| bounded(text, m.start(), m.end())),
            Matcher::Ac(ac) => has_word_hit(ac, text),
        }
    }
}

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

/// Does `text` hold one of the patterns as a whole word?
pub fn has_word_hit(ac: &AhoCorasick, text: &[u8]) -> bool {
    for m in ac.find_iter(text) {
        let before = m.start().checked_sub(1).map(|i| text[i]);
        let after = text.get(m.end()).copied();
        if !before.is_some_and(is_word) && !after.is_some_and(is_word) {
            return true;
        }
    }
    false
}

/// Walk `dirs` (each under `root`) in parallel; call `on_hit(rel, header, bytes)` for every C file
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
            match std::fs::File::open(path).and_then(|mut f| {
                use std::io::Read;
                // Room for the whole file at once: growing by doubling would hold up to three
                // times a 24 MB register header (amdgpu's asic_reg) per thread at the peak.
                let len = f.metadata().map_or(0, |m| m.len());
                buf.reserve_exact(usize::try_from(len).unwrap_or(0).saturating_add(1));
                f.read_to_end(&mut buf)
            }) {
                Ok(_) => {}
                Err(e) => {
                    if let Ok(mut g) = first_err.lock()
                        && g.is_none()
                    {
                        *g = Some(Error::io(path.display().to_string(), e));
                    }
                    return WalkState::Continue;
                }
            }
            stats.files.fetch_add(1, Ordering::Relaxed);
            stats.bytes.fetch_add(buf.len() as u64, Ordering::Relaxed);
            if let Some(p) = progress {
                p.inc(1);
            }
            if ac.has_word_hit(&buf) {
                let rel = path
                    .strip_prefix(root)
                    .unwrap_or(path)
                    .to_string_lossy()
                    .into_owned();
                on_hit(Hit { rel, header }, &buf);
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
