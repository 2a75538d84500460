//! Files in and out: inputs are regular files (or stdin) read under a size cap; outputs are
//! written atomically (a `.flagplan-PID-*.tmp` temp in the destination's directory, then rename),
//! keep the destination's mode, write through symlinks, never clobber without `--force`, and
//! leave no temp behind on error or on SIGINT/SIGTERM/SIGHUP.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result, line_col};

/// The input size cap when none is given: 64 MiB.
pub const DEFAULT_MAX_INPUT: u64 = 64 << 20;

static MAX_INPUT: AtomicU64 = AtomicU64::new(DEFAULT_MAX_INPUT);

/// Set the input size cap for this process (the command layer passes the option in).
pub fn set_max_input_size(bytes: u64) {
    MAX_INPUT.store(bytes, Ordering::Relaxed);
}

/// The input size cap in bytes.
pub fn max_input_size() -> u64 {
    MAX_INPUT.load(Ordering::Relaxed)
}

/// Parse a size: `65536`, `64k`, `64M`, `1G` (binary units, `B`/`iB` suffixes allowed).
pub fn parse_size(s: &str) -> std::result::Result<u64, String> {
    let t = s.trim();
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(t);
    let (num, shift) = match t.char_indices().last() {
        Some((i, 'k' | 'K')) => (&t[..i], 10),
        Some((i, 'm' | 'M')) => (&t[..i], 20),
        Some((i, 'g' | 'G')) => (&t[..i], 30),
        _ => (t, 0),
    };
    num.trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1u64 << shift))
        .ok_or_else(|| format!("`{s}` is not a size (bytes, or with k, M or G: 64M)"))
}

/// A size for messages: `64 MiB`, `1 KiB`, `10 B`.
pub fn human_size(bytes: u64) -> String {
    for (shift, unit) in [(30, "GiB"), (20, "MiB"), (10, "KiB")] {
        if bytes >= 1 << shift && bytes.is_multiple_of(1 << shift) {
            return format!("{} {unit}", bytes >> shift);
        }
    }
    format!("{bytes} B")
}

fn too_large(path: &str) -> Error {
    Error::TooLarge {
        path: path.to_string(),
        limit: human_size(max_input_size()),
    }
}

/// What a non-regular file is, for the message.
fn file_kind(ft: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO";
        }
        if ft.is_char_device() {
            return "a character device";
        }
        if ft.is_block_device() {
            return "a block device";
        }
        if ft.is_socket() {
            return "a socket";
        }
    }
    let _ = ft;
    "not a file"
}

/// Is `path` a stream this process already holds (`/dev/stdin`, `/dev/fd/N` from a shell's
/// `<(cmd)`)? Those are read like stdin, under the cap; a named FIFO is not (opening it waits
/// for a writer that may never come).
fn inherited_stream(path: &Path) -> bool {
    let s = path.as_os_str().to_string_lossy();
    s == "/dev/stdin" || s.starts_with("/dev/fd/") || s.starts_with("/proc/self/fd/")
}

/// Read a regular file of at most [`max_input_size`] bytes. A directory, FIFO, device or socket
/// is refused before it is opened (opening a FIFO would wait for a writer); `/dev/stdin` and
/// `/dev/fd/N` are read as streams, under the cap.
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    let shown = path.display().to_string();
    if inherited_stream(path) && !path.is_dir() {
        let f = std::fs::File::open(path).map_err(|e| Error::io(shown.clone(), e))?;
        return read_capped(f, &shown);
    }
    let meta = std::fs::metadata(path).map_err(|e| Error::io(shown.clone(), e))?;
    if meta.is_dir() {
        return Err(Error::IsDirectory { path: shown });
    }
    if !meta.is_file() {
        return Err(Error::NotRegular {
            path: shown,
            kind: file_kind(meta.file_type()),
        });
    }
    if meta.len() > max_input_size() {
        return Err(too_large(&shown));
    }
    let f = std::fs::File::open(path).map_err(|e| Error::io(shown.clone(), e))?;
    read_capped(f, &shown)
}

/// Read standard input up to [`max_input_size`] bytes; more is refused, not buffered.
pub fn read_stdin() -> Result<Vec<u8>> {
    read_capped(std::io::stdin().lock(), "<stdin>")
}

fn read_capped(r: impl Read, shown: &str) -> Result<Vec<u8>> {
    let cap = max_input_size();
    let mut buf = Vec::new();
    r.take(cap.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| Error::io(shown, e))?;
    if buf.len() as u64 > cap {
        return Err(too_large(shown));
    }
    Ok(buf)
}

/// Refuse bytes with a NUL: no layout or header has one, and a binary file read as text only
/// produces confusing messages.
pub fn refuse_binary(name: &str, bytes: &[u8]) -> Result<()> {
    let Some(offset) = memchr::memchr(0, bytes) else {
        return Ok(());
    };
    let prefix = String::from_utf8_lossy(&bytes[..offset]);
    let (line, col) = line_col(&prefix, prefix.len());
    Err(Error::Binary {
        path: name.to_string(),
        line,
        col,
        offset,
    })
}

/// Temp files being written, removed by the signal handler.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn pending() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    PENDING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// On SIGINT, SIGTERM or SIGHUP: remove the temps being written, then die of the signal as
/// if it had not been caught. Installed once, on the first write.
fn install_signal_cleanup() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return;
        };
        std::thread::spawn(move || {
            if let Some(sig) = signals.forever().next() {
                for p in pending().drain(..) {
                    let _ = std::fs::remove_file(p);
                }
                let _ = signal_hook::low_level::emulate_default_handler(sig);
                std::process::exit(128 + sig);
            }
        });
    });
}

/// The prefix of every temp file: `.flagplan-PID-`.
fn temp_prefix() -> String {
    format!(".flagplan-{}-", std::process::id())
}

/// Remove `.flagplan-PID-*.tmp` files in `dir` whose process is gone (a killed run), and
/// pid-less `.flagplan-*.tmp` files of older versions not touched for ten minutes.
fn clean_stale_temps(dir: &Path) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let have_proc = Path::new("/proc/self").exists();
    for e in rd.filter_map(std::result::Result::ok) {
        let name = e.file_name();
        let Some(rest) = name
            .to_str()
            .and_then(|n| n.strip_prefix(".flagplan-"))
            .and_then(|n| n.strip_suffix(".tmp"))
        else {
            continue;
        };
        let stale = match rest.split_once('-') {
            Some((pid, _)) if pid.bytes().all(|b| b.is_ascii_digit()) => {
                have_proc && !Path::new("/proc").join(pid).exists()
            }
            Some(_) => false,
            None => e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age.as_secs() > 600),
        };
        if stale && e.file_type().is_ok_and(|t| t.is_file()) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Follow `path` through symlinks to the file a write should replace (which may not exist
/// yet). A loop of links is an error.
fn resolve_links(path: &Path) -> Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let target =
                    std::fs::read_link(&p).map_err(|e| Error::io(path.display().to_string(), e))?;
                p = match p.parent() {
                    Some(d) if target.is_relative() => d.join(target),
                    _ => target,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(Error::io(
        path.display().to_string(),
        std::io::Error::other("too many levels of symbolic links"),
    ))
}

/// An output being written: a temp file in the destination's directory that becomes the
/// destination on [`Pending::commit`] and is removed when dropped, on error or on a signal.
pub struct Pending {
    tmp: tempfile::NamedTempFile,
    dest: PathBuf,
    shown: String,
    force: bool,
    _registered: Registered,
}

/// A temp path known to the signal handler until dropped (on commit or error; NamedTempFile
/// removes the file itself on error).
struct Registered(PathBuf);

impl Drop for Registered {
    fn drop(&mut self) {
        pending().retain(|q| *q != self.0);
    }
}

impl Pending {
    /// Start writing `path` (through a symlink, to its target). Without `force`, an existing
    /// file is [`Error::WouldClobber`].
    pub fn begin(path: &Path, force: bool) -> Result<Pending> {
        let shown = path.display().to_string();
        // `symlink_metadata`: a dangling symlink is there too.
        if !force && std::fs::symlink_metadata(path).is_ok() {
            return Err(Error::WouldClobber { path: shown });
        }
        let dest = resolve_links(path)?;
        let dir = match dest.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !dir.is_dir() {
            return Err(Error::NoSuchDirectory {
                path: shown,
                dir: dir.display().to_string(),
            });
        }
        install_signal_cleanup();
        clean_stale_temps(&dir);
        let prefix = temp_prefix();
        let mut b = tempfile::Builder::new();
        b.prefix(&prefix).suffix(".tmp");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // Passed to open(2), so the umask applies: 0644 less the umask, like any new file.
            b.permissions(std::fs::Permissions::from_mode(0o644));
        }
        let mut list = pending();
        let tmp = b
            .tempfile_in(&dir)
            // The temp's name is no concern of the user's: report the destination.
            .map_err(|e| Error::io(shown.clone(), std::io::Error::from(e.kind())))?;
        list.push(tmp.path().to_path_buf());
        drop(list);
        let registered = Registered(tmp.path().to_path_buf());
        // An existing destination keeps its mode.
        if let Ok(m) = std::fs::metadata(&dest) {
            let _ = std::fs::set_permissions(tmp.path(), m.permissions());
        }
        Ok(Pending {
            tmp,
            dest,
            shown,
            force,
            _registered: registered,
        })
    }

    pub fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.tmp
            .write_all(bytes)
            .map_err(|e| Error::io(self.shown.clone(), e))
    }

    /// Flush to disk and rename over the destination.
    pub fn commit(self) -> Result<()> {
        let Pending {
            tmp,
            dest,
            shown,
            force,
            _registered,
        } = self;
        tmp.as_file()
            .sync_all()
            .map_err(|e| Error::io(shown.clone(), e))?;
        // Held across the rename, so the signal handler removes the temp before or not at all.
        let list = pending();
        let res = if force {
            tmp.persist(&dest)
                .map(|_| ())
                .map_err(|e| Error::io(shown, e.error))
        } else {
            tmp.persist_noclobber(&dest).map(|_| ()).map_err(|e| {
                if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                    Error::WouldClobber { path: shown }
                } else {
                    Error::io(shown, e.error)
                }
            })
        };
        drop(list);
        drop(_registered);
        res
    }
}

/// Write `contents` to `path` so that readers see either the old file or the whole new one.
///
/// Without `force`, an existing `path` is left alone and [`Error::WouldClobber`] is returned; the check
/// and the rename are one step (`persist_noclobber`), so a file created meanwhile is not clobbered either.
pub fn write_atomic(path: &Path, contents: &[u8], force: bool) -> Result<()> {
    let mut p = Pending::begin(path, force)?;
    p.write(contents)?;
    p.commit()
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

    #[test]
    fn sizes_parse_and_print() {
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size("1k"), Ok(1024));
        assert_eq!(parse_size("10"), Ok(10));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("99999999999G").is_err());
        assert_eq!(human_size(64 << 20), "64 MiB");
        assert_eq!(human_size(10), "10 B");
    }

    const CHILD: &str = "FLAGPLAN_FSUTIL_SIGNAL_CHILD";

    /// The child half of `temp_removed_on_sigterm`: start a write, say so, wait to be killed.
    fn signal_child(dir: &Path) {
        let mut p = Pending::begin(&dir.join("out.toml"), false).expect("begin");
        p.write(b"partial").expect("write");
        println!("ready");
        std::io::stdout().flush().expect("flush");
        std::thread::sleep(std::time::Duration::from_secs(60));
        panic!("not killed");
    }

    #[cfg(unix)]
    #[test]
    fn temp_removed_on_sigterm() {
        use std::io::BufRead;
        use std::os::unix::process::ExitStatusExt;
        if let Some(dir) = std::env::var_os(CHILD) {
            signal_child(Path::new(&dir));
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let exe = std::env::current_exe().expect("test binary");
        let mut child = std::process::Command::new(exe)
            .args([
                "--exact",
                "fsutil::tests::temp_removed_on_sigterm",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, dir.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        let out = child.stdout.take().expect("stdout");
        let ready = std::io::BufReader::new(out)
            .lines()
            .map_while(std::result::Result::ok)
            .any(|l| l.contains("ready"));
        assert!(ready, "child never started writing");
        let temps = |d: &Path| {
            std::fs::read_dir(d)
                .expect("ls")
                .filter_map(std::result::Result::ok)
                .filter(|e| e.file_name().to_string_lossy().starts_with(".flagplan-"))
                .count()
        };
        assert_eq!(temps(dir.path()), 1, "the write is in progress");
        let st = std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(st.success());
        let status = child.wait().expect("wait");
        assert_eq!(status.signal(), Some(15), "{status:?}");
        assert_eq!(temps(dir.path()), 0, "temp left after SIGTERM");
        assert!(!dir.path().join("out.toml").exists());
    }
}
