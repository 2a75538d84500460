//! Writing output files: atomically (temp file in the same directory, then rename) and never over an
//! existing file unless the caller says `--force`.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// Write `contents` to `path` so that readers see either the old file or the whole new one.
///
/// Without `force`, an existing `path` is left alone and [`Error::WouldClobber`] is returned; the check
/// and the rename are one step (`persist_noclobber`), so a file created meanwhile is not clobbered either.
pub fn write_atomic(path: &Path, contents: &[u8], force: bool) -> Result<()> {
    let shown = path.display().to_string();
    if !force && path.exists() {
        return Err(Error::WouldClobber { path: shown });
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".flagplan-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir.display().to_string(), e))?;
    tmp.write_all(contents)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| Error::io(shown.clone(), e))?;
    if force {
        tmp.persist(path).map_err(|e| Error::io(shown, e.error))?;
    } else {
        tmp.persist_noclobber(path).map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                Error::WouldClobber { path: shown }
            } else {
                Error::io(shown, e.error)
            }
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_to_clobber_without_force_and_replaces_with_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("out.toml");
        write_atomic(&p, b"one", false).expect("first write");
        let err = write_atomic(&p, b"two", false).expect_err("must refuse");
        assert!(matches!(err, Error::WouldClobber { .. }));
        assert_eq!(std::fs::read(&p).expect("read"), b"one");
        write_atomic(&p, b"three", true).expect("forced write");
        assert_eq!(std::fs::read(&p).expect("read"), b"three");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .expect("ls")
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "temp files left behind");
    }
}
