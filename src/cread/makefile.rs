//! The kernel version of a source tree, read from its top-level `Makefile` (`VERSION`, `PATCHLEVEL`).

use std::fmt;
use std::path::Path;

use crate::error::{Error, Result};

/// A kernel release as developers name it in mail: `v6.1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KernelVersion {
    pub version: u32,
    pub patchlevel: u32,
}

impl fmt::Display for KernelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}.{}", self.version, self.patchlevel)
    }
}

impl KernelVersion {
    /// `VERSION = 6` and `PATCHLEVEL = 1` lines of a kernel Makefile.
    pub fn from_makefile(text: &str) -> Option<Self> {
        let value = |key: &str| {
            text.lines().find_map(|l| {
                let (k, v) = l.split_once('=')?;
                (k.trim() == key).then(|| v.trim().parse().ok())?
            })
        };
        Some(KernelVersion {
            version: value("VERSION")?,
            patchlevel: value("PATCHLEVEL")?,
        })
    }

    /// The Makefile fields a layout's `origin` quotes: `... Makefile VERSION 6 PATCHLEVEL 1 ...`.
    pub fn from_origin(origin: &str) -> Option<Self> {
        let words: Vec<&str> = origin
            .split(|c: char| c.is_whitespace() || c == ',' || c == ';' || c == '(' || c == ')')
            .filter(|w| !w.is_empty())
            .collect();
        let value = |key: &str| {
            words
                .windows(2)
                .find(|w| w[0] == key)
                .and_then(|w| w[1].parse().ok())
        };
        Some(KernelVersion {
            version: value("VERSION")?,
            patchlevel: value("PATCHLEVEL")?,
        })
    }

    /// The version of the tree at `dir`; `None` when it has no top-level kernel Makefile.
    pub fn of_tree(dir: &Path) -> Result<Option<Self>> {
        let path = dir.join("Makefile");
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Self::from_makefile(&text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(path.display().to_string(), e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_makefile_header() {
        let mk = "# SPDX-License-Identifier: GPL-2.0\nVERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 192\nEXTRAVERSION =\n";
        let v = KernelVersion::from_makefile(mk).expect("version");
        assert_eq!(v.to_string(), "v6.1");
        assert_eq!(KernelVersion::from_makefile("all:\n\techo\n"), None);
    }

    #[test]
    fn reads_the_fields_an_origin_quotes() {
        let o = "Debian linux-source-6.1 (6.1.192, Makefile VERSION 6 PATCHLEVEL 1 SUBLEVEL 192; package 6.1.192-2)";
        assert_eq!(
            KernelVersion::from_origin(o).map(|v| v.to_string()),
            Some("v6.1".into())
        );
        assert_eq!(KernelVersion::from_origin("Debian linux-source-6.1"), None);
    }
}
