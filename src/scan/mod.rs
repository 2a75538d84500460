//! `flagplan scan`: who really writes each flag, from a kernel source tree.
//!
//! 1. [`names`]: the layout's flags, the `TASK_PFA_*` helpers instantiated in the tree's
//!    `include/linux/sched.h`, and the layout's declared accessors.
//! 2. A first walk over the headers under `include/` and `arch/*/include/` finds helpers from their
//!    bodies (macros and header inlines that write `current`'s or a parameter's flags) and notes
//!    the names each header calls (`idents`); later rounds re-read only the headers that call a
//!    helper the round before found (a helper calling a helper). Then small `.c` functions of
//!    `kernel/` and `mm/` that write a flag.
//! 3. [`walk`]: one parallel walk of every `*.c`/`*.h` file, one Aho-Corasick pass for all names;
//!    only files with a whole-word hit are tokenized ([`lexer`]), split into functions and macros
//!    ([`parse`]) and classified ([`classify`]). File texts are dropped as soon as they are read.
//! 4. [`evidence`]: receivers that are parameters are resolved through the recorded calls (one or
//!    two levels), quiescent functions from the layout make non-current writes `remote-stopped`.

pub mod balance;
pub mod calls;
pub mod classify;
pub mod contexts;
mod entry_files;
pub mod evidence;
pub(crate) mod guards;
pub(crate) mod headers;
pub(crate) mod idents;
pub(crate) mod judge;
pub mod lexer;
pub mod locks;
mod matcher;
pub mod names;
mod par;
pub(crate) mod parse;
pub mod report;
pub(crate) mod update;
pub(crate) mod walk;

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};
use crate::model::Layout;

pub use evidence::{Access, Evidence, ScanContext};
pub use judge::lock_names;

use classify::{FileRole, FileScan, scan_file};
use headers::Header;
use names::{HelperRecv, Names};

/// How a scan reports on itself while it runs (decided by the command layer).
#[derive(Clone, Copy, Debug, Default)]
pub struct ScanOptions {
    /// Show a progress bar on standard error.
    pub progress: bool,
    /// Print phase timings on standard error (`FLAGPLAN_TIMING`).
    pub timing: bool,
}

/// Build the name table for `root` (TASK_PFA helpers and helpers from header bodies).
pub fn names_for(layout: &Layout, root: &Path, opts: ScanOptions) -> Result<Names> {
    Ok(names_and_headers(layout, root, opts)?.0)
}

/// The name table, and every header under `include/` and `arch/*/include/` with the names it
/// may call.
fn names_and_headers(
    layout: &Layout,
    root: &Path,
    opts: ScanOptions,
) -> Result<(Names, Vec<Header>)> {
    let mut names = Names::from_layout(layout);
    let sched = root.join("include/linux/sched.h");
    if let Ok(text) = crate::fsutil::read_file(&sched) {
        names.add_task_pfa("include/linux/sched.h", &text);
    }
    let page_flags = root.join("include/linux/page-flags.h");
    if let Ok(text) = crate::fsutil::read_file(&page_flags) {
        names.add_page_flags("include/linux/page-flags.h", &text);
    }
    if let Ok(text) = crate::fsutil::read_file(&root.join("include/linux/mm.h")) {
        names.add_vm_flags("include/linux/mm.h", &text);
    }
    let mut dirs = Vec::new();
    let inc = root.join("include");
    if inc.is_dir() {
        dirs.push(inc);
    }
    if let Ok(rd) = std::fs::read_dir(root.join("arch")) {
        let mut archs: Vec<PathBuf> = rd
            .filter_map(|e| e.ok())
            .map(|e| e.path().join("include"))
            .filter(|p| p.is_dir())
            .collect();
        archs.sort();
        dirs.extend(archs);
    }
    if dirs.is_empty() {
        // Not a kernel tree layout: look for helpers in every header of the tree.
        dirs.push(root.to_path_buf());
    }
    let (headers, mut new) = first_helper_round(&mut names, root, &dirs, opts)?;
    for round in 1..HELPER_ROUNDS {
        if new.is_empty() {
            break;
        }
        new = later_helper_round(&mut names, root, &headers, &new, round, opts)?;
    }
    add_c_helpers(&mut names, root, opts)?;
    Ok((names, headers))
}

/// Rounds of helper discovery: a helper calling a helper calling a helper … four deep.
const HELPER_ROUNDS: usize = 4;

type FoundHelpers = Mutex<Vec<(String, classify::FoundHelper)>>;

/// Add found helpers in a stable order; the names that are new.
fn add_found(names: &mut Names, mut found: Vec<(String, classify::FoundHelper)>) -> Vec<String> {
    found.sort_by(|a, b| (&a.0, a.1.line, &a.1.name).cmp(&(&b.0, b.1.line, &b.1.name)));
    let mut new = Vec::new();
    for (file, h) in found {
        if names.add_helper(h.to_helper(&file)) {
            new.push(h.name);
        }
    }
    new
}

/// Round 0: every header under `dirs`; helpers from the ones that name a flag or a known
/// helper. Returns every header with the names it may call, for the later rounds, and the new
/// helpers' names.
fn first_helper_round(
    names: &mut Names,
    root: &Path,
    dirs: &[PathBuf],
    opts: ScanOptions,
) -> Result<(Vec<Header>, Vec<String>)> {
    let t_round = std::time::Instant::now();
    let ac = matcher::Matcher::new(&names.patterns())?;
    let stats = walk::WalkStats::default();
    let found: FoundHelpers = Mutex::new(Vec::new());
    let files: Mutex<Vec<Header>> = Mutex::new(Vec::new());
    let current = &*names;
    walk::walk_every(root, dirs, &ac, &stats, |hit, text| {
        if !hit.header {
            return;
        }
        if hit.matched {
            let fs = scan_file(text, current, FileRole::of(&hit.rel, true));
            if let Ok(mut g) = found.lock() {
                g.extend(fs.helpers.into_iter().map(|h| (hit.rel.clone(), h)));
            }
        }
        let calls = idents::CalledNames::of(text);
        if let Ok(mut g) = files.lock() {
            g.push(Header {
                rel: hit.rel,
                calls,
            });
        }
    })?;
    let mut files = files.into_inner().unwrap_or_default();
    files.sort_by(|a, b| a.rel.cmp(&b.rel));
    let searched = names.patterns().len();
    let new = add_found(names, found.into_inner().unwrap_or_default());
    if opts.timing {
        eprintln!(
            "helper round 0: {searched} names searched in {} headers, {} new helpers, {:?}",
            files.len(),
            new.len(),
            t_round.elapsed()
        );
    }
    Ok((files, new))
}

/// A later round: only the headers that may name one of `new`, the helpers the round before
/// added, are read again. Returns the names this round adds.
fn later_helper_round(
    names: &mut Names,
    root: &Path,
    headers: &[Header],
    new: &[String],
    round: usize,
    opts: ScanOptions,
) -> Result<Vec<String>> {
    let t_round = std::time::Instant::now();
    let ac = matcher::Matcher::new(new)?;
    let candidates: Vec<&Header> = headers
        .iter()
        .filter(|h| new.iter().any(|n| h.calls.may_call(n)))
        .collect();
    let current = &*names;
    let found = par::on_every_core(&candidates, |h| {
        // Read as the walk reads tree files: no input-size cap (that is for the user's inputs).
        let path = root.join(&h.rel);
        let text = std::fs::read(&path).map_err(|e| Error::io(path.display().to_string(), e))?;
        if !ac.has_word_hit(&text) {
            return Ok(Vec::new());
        }
        let fs = scan_file(&text, current, FileRole::of(&h.rel, true));
        Ok(fs
            .helpers
            .into_iter()
            .map(|fh| (h.rel.clone(), fh))
            .collect::<Vec<_>>())
    })?;
    let added = add_found(names, found.into_iter().flatten().collect());
    if opts.timing {
        eprintln!(
            "helper round {round}: {} names searched, {} headers read, {} new helpers, {:?}",
            new.len(),
            candidates.len(),
            added.len(),
            t_round.elapsed()
        );
    }
    Ok(added)
}

/// Where helpers defined in `.c` files are looked for: the core API that the rest of the tree
/// calls (`kernel/freezer.c`: `set_freezable()`, `kernel/kthread.c`: `kthread_bind()`).
const C_HELPER_DIRS: &[&str] = &["kernel", "mm"];

/// Add the small `.c` functions that write a flag ([`classify::c_file_helpers`]).
fn add_c_helpers(names: &mut Names, root: &Path, opts: ScanOptions) -> Result<()> {
    let dirs: Vec<PathBuf> = C_HELPER_DIRS
        .iter()
        .map(|d| root.join(d))
        .filter(|p| p.is_dir())
        .collect();
    if dirs.is_empty() {
        return Ok(());
    }
    let t_c = std::time::Instant::now();
    let ac = matcher::Matcher::new(&names.write_patterns())?;
    let stats = walk::WalkStats::default();
    let found: FoundHelpers = Mutex::new(Vec::new());
    let current = &*names;
    walk::walk(root, &dirs, &ac, &stats, None, |hit, text| {
        if hit.header {
            return;
        }
        let helpers = classify::c_file_helpers(text, current, &hit.rel);
        if let Ok(mut g) = found.lock() {
            g.extend(helpers.into_iter().map(|h| (hit.rel.clone(), h)));
        }
    })?;
    let added = add_found(names, found.into_inner().unwrap_or_default());
    if opts.timing {
        eprintln!("c helpers: {}, {:?}", added.len(), t_c.elapsed());
    }
    Ok(())
}

/// Scan the tree at `root` for every access to every flag of `layout`.
pub fn scan(
    layout: &Layout,
    layout_name: &str,
    root: &Path,
    opts: ScanOptions,
) -> Result<Evidence> {
    if !root.is_dir() {
        return Err(Error::Usage(format!(
            "{}: not a directory (give the root of a source tree)",
            root.display()
        )));
    }
    let t0 = std::time::Instant::now();
    let TreeRoot {
        root: tree,
        dir,
        warning: root_warning,
    } = tree_root(root);
    let (names, headers) = names_and_headers(layout, &tree, opts)?;
    let timing = opts.timing;
    if timing {
        eprintln!(
            "helpers: {:?} ({} names)",
            t0.elapsed(),
            names.patterns().len()
        );
    }
    // Registrations of interrupt entries are looked for in the files with no name too.
    let ac = matcher::Matcher::with_entries(
        &names.patterns(),
        entry_files::REGISTRAR_PARTS,
        &entry_files::registrar_names(),
    )?;
    let stats = walk::WalkStats::default();
    let bar = opts.progress.then(|| {
        let b = indicatif::ProgressBar::new_spinner();
        b.set_style(
            indicatif::ProgressStyle::with_template("{spinner} scanned {pos} files ({per_sec})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        b.enable_steady_tick(std::time::Duration::from_millis(120));
        b
    });
    let files: Mutex<Vec<(String, FileScan)>> = Mutex::new(Vec::new());
    let entry_hits: Mutex<Vec<entry_files::EntryHit>> = Mutex::new(Vec::new());
    let shared = SharedNames::default();
    walk::walk(&tree, &[dir], &ac, &stats, bar.as_ref(), |hit, text| {
        if !hit.matched {
            let survey = entry_files::EntryHit::survey(hit.rel, text, hit.entries);
            if let (Some(s), Ok(mut g)) = (survey, entry_hits.lock()) {
                g.push(s);
            }
            return;
        }
        let mut fs = scan_file(text, &names, FileRole::of(&hit.rel, hit.header));
        shared.share(&mut fs);
        if let Ok(mut g) = files.lock() {
            g.push((hit.rel, fs));
        }
    })?;
    // Names nobody calls any more (`kfree`, `printk`) are freed with the calls that held them.
    drop(shared);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if timing {
        eprintln!("walk: {:?}, {}", t0.elapsed(), peak_rss());
    }
    let mut files = files.into_inner().unwrap_or_default();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let files_with_hits = files.len();
    let pass = headers::add_calling_headers(&tree, &headers, &mut files, &names)?;
    drop(headers);
    if timing {
        eprintln!(
            "calling headers: {} read, {} kept, {:?}, {}",
            pass.read,
            pass.kept,
            t0.elapsed(),
            peak_rss()
        );
    }
    let calls_found: usize = files.iter().map(|f| f.1.calls.len()).sum();
    par::keep_followable_calls(&mut files);
    let mut entry_hits = entry_hits.into_inner().unwrap_or_default();
    entry_hits.sort_by(|a, b| a.rel.cmp(&b.rel));
    let before = files.len();
    let entries = entry_files::add_entry_files(&tree, &entry_hits, &mut files, &names)?;
    if entries.kept > 0 {
        let (old, new) = files.split_at_mut(before);
        par::keep_calls_into(old, new);
        files.sort_by(|a, b| a.0.cmp(&b.0));
    }
    if timing {
        eprintln!(
            "entry files: {} with a registered entry, {} read, {} kept, {:?}, {}",
            entry_hits.len(),
            entries.read,
            entries.kept,
            t0.elapsed(),
            peak_rss()
        );
    }
    drop(entry_hits);
    if timing {
        let kept: usize = files.iter().map(|f| f.1.calls.len()).sum();
        eprintln!(
            "calls: {kept} of {calls_found} kept ({} files), {:?}, {}",
            files.len(),
            t0.elapsed(),
            peak_rss()
        );
    }
    let col = evidence::Collected {
        files,
        files_with_hits,
    };
    let mut ev = evidence::resolve(
        layout,
        &names,
        &col,
        root.display().to_string(),
        layout_name.to_string(),
        stats.files.load(Ordering::Relaxed),
        stats.bytes.load(Ordering::Relaxed),
    );
    ev.root_warning = root_warning;
    if timing {
        eprintln!("resolve: {:?}, {}", t0.elapsed(), peak_rss());
    }
    Ok(ev)
}

/// The function names of every file of a scan (callees, callers, definitions), one allocation
/// per name for the whole tree: a file's own copies are freed as soon as it is scanned.
#[derive(Default)]
struct SharedNames(Mutex<foldhash::HashSet<Arc<str>>>);

impl SharedNames {
    fn share(&self, fs: &mut FileScan) {
        let Ok(mut set) = self.0.lock() else {
            return;
        };
        let mut one = |n: &mut Arc<str>| match set.get(&**n) {
            Some(s) => *n = Arc::clone(s),
            None => {
                set.insert(Arc::clone(n));
            }
        };
        for c in &mut fs.calls {
            one(&mut c.callee);
            one(&mut c.caller);
        }
        for c in &mut fs.indirect {
            one(&mut c.callee);
            one(&mut c.caller);
        }
        for f in &mut fs.functions {
            one(&mut f.name);
        }
    }
}

/// The peak RSS so far, for `FLAGPLAN_TIMING` (Linux's `VmHWM`; empty elsewhere).
fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .map(|l| format!("peak {}", l.trim_start_matches("VmHWM:").trim()))
        .unwrap_or_default()
}

/// Where a scan of a directory reads helpers from and what it walks.
pub struct TreeRoot {
    /// The tree root: the directory with `include/linux/`.
    pub root: PathBuf,
    /// The directory to walk (under `root`).
    pub dir: PathBuf,
    /// Set when no tree root was found: what the scan loses.
    pub warning: Option<String>,
}

/// The root of the source tree holding `dir`: the nearest directory at or above it with
/// `include/linux/`. Scanning `kernel/` alone would otherwise lose every helper defined in
/// `include/`. When there is none, `dir` itself and a warning saying what is lost.
pub fn tree_root(dir: &Path) -> TreeRoot {
    if dir.join("include/linux").is_dir() {
        return TreeRoot {
            root: dir.to_path_buf(),
            dir: dir.to_path_buf(),
            warning: None,
        };
    }
    let abs = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    if let Some(top) = abs
        .ancestors()
        .skip(1)
        .find(|a| a.join("include/linux").is_dir())
    {
        return TreeRoot {
            root: top.to_path_buf(),
            dir: abs.clone(),
            warning: None,
        };
    }
    TreeRoot {
        root: dir.to_path_buf(),
        dir: dir.to_path_buf(),
        warning: Some(format!(
            "{} has no include/linux/ at or above it: helpers defined in the tree's headers (memalloc_*_save(), TASK_PFA_* accessors) are not seen, so writes through them are missed",
            dir.display()
        )),
    }
}

/// Helpers a layout declares, for tests: the receiver as a [`HelperRecv`].
pub fn helper_recv(receiver: &str) -> Option<HelperRecv> {
    if receiver == "current" {
        return Some(HelperRecv::Current);
    }
    let n: usize = receiver.strip_prefix("arg")?.parse().ok()?;
    n.checked_sub(1).map(HelperRecv::Param)
}
