//! Work split over every core: reading candidate files, and dropping the calls that no scanned
//! file defines a callee for.

use std::sync::Arc;

use super::classify::FileScan;
use crate::error::Result;

/// `f` over `items` on every core, in order; the first error.
pub fn on_every_core<T: Sync, R: Send>(
    items: &[T],
    f: impl Fn(&T) -> Result<R> + Sync,
) -> Result<Vec<R>> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let per_thread = items.len().div_ceil(threads).max(1);
    let f = &f;
    let parts: Vec<Result<Vec<R>>> = std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(per_thread)
            .map(|part| s.spawn(move || part.iter().map(f).collect::<Result<Vec<R>>>()))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let mut out = Vec::new();
    for p in parts {
        out.extend(p?);
    }
    Ok(out)
}

/// The calls of `new` files into functions that `old` or `new` define (see
/// [`keep_followable_calls`]); the calls of `old` were kept already.
pub fn keep_calls_into(old: &[(String, FileScan)], new: &mut [(String, FileScan)]) {
    let defined: foldhash::HashSet<Arc<str>> = old
        .iter()
        .chain(new.iter())
        .flat_map(|(_, fs)| fs.functions.iter().map(|f| Arc::clone(&f.name)))
        .collect();
    for (_, fs) in new {
        fs.calls.retain(|c| defined.contains(&*c.callee));
        fs.calls.shrink_to_fit();
    }
}

/// Callers are followed only into functions the scanned files define: a call of anything else
/// (`kfree()`, `printk()`) is never looked up, so it is dropped before the call index is built.
pub fn keep_followable_calls(files: &mut [(String, FileScan)]) {
    let defined: foldhash::HashSet<Arc<str>> = files
        .iter()
        .flat_map(|(_, fs)| fs.functions.iter().map(|f| Arc::clone(&f.name)))
        .collect();
    // Dropping the other calls is most of the work (their arguments and locks are freed): on
    // every core.
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let per_thread = files.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        for part in files.chunks_mut(per_thread) {
            let defined = &defined;
            s.spawn(move || {
                for (_, fs) in part {
                    fs.calls.retain(|c| defined.contains(&*c.callee));
                    fs.calls.shrink_to_fit();
                }
            });
        }
    });
}
