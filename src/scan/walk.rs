//! The parallel tree walk: `*.c` and `*.h` files, `.gitignore` honoured, symlinks not followed,
//! one search per file for all names ([`Matcher`]); only files with a whole-word hit are kept.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use super::matcher::Matcher;
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

/// The chunk size of that search.
const CHUNK: usize = 1 << 20;

/// Files larger than this are searched in chunks first and read whole only on a hit.
const CHUNKED_OVER: u64 = 4 << 20;

/// Files up to this size are read without an `fstat()`: 53,000 of the 55,000 C files of 6.1.
const SMALL: u64 = 64 << 10;

/// Read the file `f` into `buf`, unless it is larger than [`CHUNKED_OVER`] and has no hit
/// (`every` unset): then its length, searched in chunks and never held whole. No `fstat()` for
/// a small file (`File::read_to_end()` makes one, for its size hint; 134,000 `statx()` calls in
/// a scan of 6.1): its first [`SMALL`] bytes go into the buffer the thread reuses, and only a
/// larger file is measured, so that the buffer grows once, to its size, not by doubling.
fn read_or_skip(
    f: &mut std::fs::File,
    buf: &mut Vec<u8>,
    ac: &Matcher,
    every: bool,
) -> std::io::Result<Option<u64>> {
    use std::io::{Read, Seek};
    buf.clear();
    buf.reserve(usize::try_from(SMALL).unwrap_or(0) + 1);
    (&mut *f).take(SMALL + 1).read_to_end(buf)?;
    if buf.len() as u64 <= SMALL {
        return Ok(None);
    }
    let len = f.metadata()?.len();
    if len > CHUNKED_OVER && !every {
        // The search goes on from the bytes read.
        if !ac.has_word_hit_chunked(f, buf, CHUNK)? {
            return Ok(Some(len));
        }
        f.rewind()?;
        buf.clear();
    }
    // Room for the rest at once: growing by doubling would hold up to three times the file's
    // size at the peak.
    let len = usize::try_from(len).unwrap_or(0);
    buf.reserve_exact(len.saturating_sub(buf.len()).saturating_add(1));
    (&mut *f).take(u64::MAX).read_to_end(buf)?;
    Ok(None)
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
            let read = std::fs::File::open(path)
                .and_then(|mut f| read_or_skip(&mut f, &mut buf, ac, every));
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

    /// `read_or_skip` on a file holding `text`.
    fn read(text: &[u8], every: bool) -> (Option<u64>, Vec<u8>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("big.h");
        std::fs::write(&path, text).expect("write");
        let m = Matcher::new(&["PF_MEMALLOC_NOIO".to_string()]).expect("matcher");
        let mut f = std::fs::File::open(&path).expect("open");
        let mut buf = b"left over from the last file".to_vec();
        let skipped = read_or_skip(&mut f, &mut buf, &m, every).expect("read");
        (skipped, buf)
    }

    #[test]
    fn a_large_file_is_read_whole_only_when_it_has_a_hit() {
        let big = usize::try_from(CHUNKED_OVER).expect("fits") + 3 * CHUNK / 2;
        let word = b"PF_MEMALLOC_NOIO";
        // The name at the end, across the first read's end, and nowhere.
        let mut at_end = vec![b' '; big];
        at_end.extend_from_slice(word);
        let mut across = vec![b' '; big];
        let at = usize::try_from(CHUNKED_OVER).expect("fits") - 5;
        across[at..at + word.len()].copy_from_slice(word);
        let mut longer = across.clone();
        longer[at + word.len()] = b'X';
        // Across the end of the first, unmeasured read.
        let mut across_small = vec![b' '; big];
        let at = usize::try_from(SMALL).expect("fits") - 5;
        across_small[at..at + word.len()].copy_from_slice(word);
        for (n, text) in [&at_end, &across, &across_small].into_iter().enumerate() {
            let (skipped, buf) = read(text, false);
            assert_eq!(skipped, None, "case {n}");
            assert!(buf == *text, "case {n}: the whole file");
        }
        let (skipped, _) = read(&longer, false);
        assert_eq!(skipped, Some(longer.len() as u64));
        // Every file is read whole when asked.
        let (skipped, buf) = read(&longer, true);
        assert_eq!(skipped, None);
        assert!(buf == longer);
        // A small file: whole, with nothing of the buffer's last content.
        let (skipped, buf) = read(b"int x;", false);
        assert_eq!((skipped, buf.as_slice()), (None, &b"int x;"[..]));
        // Between the two sizes: whole, hit or not.
        let mid = vec![b'x'; usize::try_from(SMALL).expect("fits") * 3];
        let (skipped, buf) = read(&mid, false);
        assert_eq!(skipped, None);
        assert!(buf == mid);
    }
}
