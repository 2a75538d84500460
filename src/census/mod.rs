//! `census`: one table over every known flag word — width on 64-bit and 32-bit kernels, bits used,
//! free and in holes under the worst case of CONFIG guards (or a named config), the guards that
//! decide it, and who writes the word. "Which flag words of this kernel are about to run out?"

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;

use crate::check::occupancy::{self, Cell};
use crate::guard::Guard;
use crate::model::{Layout, Word};

/// Named config values: `CONFIG_64BIT` → on/off. Symbols not named take the worst case.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    pub fixed: BTreeMap<String, bool>,
}

impl Config {
    /// Parse `64BIT=y`, `CONFIG_MMU=n` (the `CONFIG_` prefix is optional).
    pub fn parse(items: &[String]) -> Result<Config, String> {
        let mut fixed = BTreeMap::new();
        for it in items {
            let (sym, val) = it
                .split_once('=')
                .ok_or_else(|| format!("`{it}`: expected SYMBOL=y or SYMBOL=n"))?;
            let on = match val.trim() {
                "y" | "Y" | "1" => true,
                "n" | "N" | "0" => false,
                v => return Err(format!("`{it}`: value `{v}` is not y or n")),
            };
            let sym = sym.trim();
            if sym.is_empty() || !sym.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err(format!("`{it}`: `{sym}` is not a config symbol"));
            }
            let full = if sym.starts_with("CONFIG_") {
                sym.to_string()
            } else {
                format!("CONFIG_{sym}")
            };
            fixed.insert(full, on);
        }
        Ok(Config { fixed })
    }

    /// `Some(false)` on a named 32-bit config, `Some(true)` on 64-bit, `None` when not named.
    pub fn is_64bit(&self) -> Option<bool> {
        self.fixed.get("CONFIG_64BIT").copied()
    }

    /// Can `g` hold with the named symbols fixed and every other symbol free?
    pub fn admits(&self, g: &Guard) -> bool {
        let mut set = BTreeSet::new();
        g.symbols(&mut set);
        let syms: Vec<&str> = set.iter().map(String::as_str).collect();
        let free: Vec<usize> = (0..syms.len())
            .filter(|&i| !self.fixed.contains_key(syms[i]))
            .collect();
        let base = syms
            .iter()
            .enumerate()
            .filter(|(_, s)| self.fixed.get(**s) == Some(&true))
            .fold(0u64, |m, (i, _)| m | 1 << i);
        if syms.len() > 20 {
            return true; // too many to enumerate: the worst case keeps the flag
        }
        (0..1u64 << free.len()).any(|k| {
            let on = free
                .iter()
                .enumerate()
                .filter(|(j, _)| k & (1 << j) != 0)
                .fold(base, |m, (_, &i)| m | 1 << i);
            g.eval(&syms, on)
        })
    }
}

/// One flag word of the census.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Row {
    /// Where the word was read from (a built-in layout or a tree import).
    pub from: String,
    #[serde(rename = "struct")]
    pub struct_name: String,
    pub word: String,
    pub kind: &'static str,
    pub rule: String,
    /// Width on 64-bit kernels.
    pub width: u32,
    /// Width on 32-bit kernels (`unsigned long` words: 32).
    pub width_32: u32,
    /// Bits used or reserved (worst case of guards, or under the named config).
    pub used: u32,
    pub free: u32,
    /// Free bits below the highest used bit.
    pub holes: u32,
    /// Bits used below bit 32: what a 32-bit kernel must hold.
    pub used_32: u32,
    /// Flags at bit 32 or above: they exist only on 64-bit kernels.
    pub only_64bit: Vec<String>,
    /// Flags whose presence depends on a guard, and the guard symbols.
    pub guarded: u32,
    pub guard_symbols: Vec<String>,
    /// Writers recorded in the layout, by context.
    pub writers: BTreeMap<String, u32>,
    /// The occupancy map, msb first (`#` used, `r` reserved, `.` free).
    pub map: String,
    /// What the counts leave out (page->flags fields), from [`crate::import::known`].
    pub note: Option<String>,
}

impl Row {
    /// Free bits on this row's narrowest config: 32-bit when the word is narrower there.
    pub fn free_32(&self) -> u32 {
        self.width_32.saturating_sub(self.used_32)
    }
}

/// The census of a set of layouts.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Census {
    /// `worst case` or the named config (`CONFIG_64BIT=n`).
    pub config: String,
    pub rows: Vec<Row>,
}

/// Width of `word` on a 32-bit kernel.
pub fn width_32(word: &Word) -> u32 {
    word.ctype
        .as_deref()
        .and_then(crate::import::width_32)
        .unwrap_or(word.width)
        .min(word.width)
}

/// In a word of enum positions, every enumerator the config leaves out moves the later ones
/// down a bit (`enum pageflags` without `CONFIG_MMU` has no `PG_mlocked`: `PG_uncached` and the
/// rest take one bit less). Unnamed symbols keep the worst case: nothing moves for them.
fn shift_enum_positions(l: &mut Layout, word: &Word, config: &Config) {
    let dropped: Vec<u32> = l
        .flags
        .iter()
        .filter(|f| f.word == word.name && !config.admits(&f.guard))
        .filter_map(|f| f.bit)
        .collect();
    for f in l.flags.iter_mut().filter(|f| f.word == word.name) {
        if let Some(b) = f.bit {
            let below = dropped.iter().filter(|&&d| d < b).count() as u32;
            f.bit = Some(b - below);
        }
    }
}

fn row(from: &str, layout: &Layout, word: &Word, config: &Config) -> Row {
    let mut l = layout.clone();
    if word.enum_positions {
        shift_enum_positions(&mut l, word, config);
    }
    l.flags
        .retain(|f| f.word != word.name || config.admits(&f.guard));
    let members: Vec<usize> = (0..l.flags.len())
        .filter(|&i| l.flags[i].word == word.name)
        .collect();
    let w32 = width_32(word);
    let mut w = word.clone();
    if config.is_64bit() == Some(false) {
        w.width = w32;
    }
    let occ = occupancy::of_word(&l, &w, &members);
    // A named hole (`PF__HOLE__*`) is a free bit, like an unnamed one.
    let is_free = |c: &Cell| matches!(c, Cell::Free | Cell::Hole);
    let top = occ.cells.iter().rposition(|c| !is_free(c));
    let holes = top.map_or(0, |t| {
        occ.cells[..t].iter().filter(|c| is_free(c)).count() as u32
    });
    let used_32 = occ
        .cells
        .iter()
        .take(w32 as usize)
        .filter(|c| !is_free(c))
        .count() as u32;
    let flags: Vec<&crate::model::Flag> = members.iter().map(|&i| &l.flags[i]).collect();
    let only_64bit = flags
        .iter()
        .filter(|f| f.bit.is_some_and(|b| b >= 32))
        .map(|f| f.name.clone())
        .collect();
    let mut syms = BTreeSet::new();
    for f in &flags {
        f.guard.symbols(&mut syms);
    }
    let mut writers = BTreeMap::new();
    for wr in flags.iter().flat_map(|f| f.writers.iter()) {
        *writers.entry(wr.context.to_string()).or_insert(0) += 1;
    }
    Row {
        from: from.to_string(),
        struct_name: layout.struct_name.clone(),
        word: word.name.clone(),
        kind: word.kind.as_str(),
        rule: word.rule.to_string(),
        width: w.width,
        width_32: w32,
        used: occ.used + occ.reserved,
        free: occ.free,
        holes,
        used_32,
        only_64bit,
        guarded: flags.iter().filter(|f| !f.guard.is_always()).count() as u32,
        guard_symbols: syms.into_iter().collect(),
        writers,
        map: occ.map(),
        note: crate::import::known::words_of(&layout.struct_name)
            .find(|k| k.member == word.name)
            .and_then(|k| k.note)
            .map(str::to_string),
    }
}

/// The census of `layouts` (name, layout): every word of each, in order.
pub fn of_layouts(layouts: &[(String, Layout)], config: &Config) -> Census {
    let rows = layouts
        .iter()
        .flat_map(|(name, l)| l.words.iter().map(move |w| row(name, l, w, config)))
        .collect();
    let config = if config.fixed.is_empty() {
        "worst case of every CONFIG guard".to_string()
    } else {
        config
            .fixed
            .iter()
            .map(|(k, v)| format!("{k}={}", if *v { "y" } else { "n" }))
            .collect::<Vec<_>>()
            .join(" ")
    };
    Census { config, rows }
}

/// The census as a text table, fullest words first.
pub fn text(c: &Census) -> String {
    let mut rows: Vec<&Row> = c.rows.iter().collect();
    rows.sort_by_key(|r| (r.free.min(r.free_32()), r.free));
    let mut out = String::new();
    let _ = writeln!(out, "census of flag words ({}), fullest first", c.config);
    let _ = writeln!(
        out,
        "| struct         | word         | kind     | rule                   | width 64/32 | used | free 64/32  | holes | guarded | writers"
    );
    let _ = writeln!(
        out,
        "|----------------|--------------|----------|------------------------|-------------|------|-------------|-------|---------|--------"
    );
    for r in rows {
        let writers = if r.writers.is_empty() {
            "-".to_string()
        } else {
            r.writers
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(
            out,
            "| {:<14} | {:<12} | {:<8} | {:<22} | {:>5}/{:<5} | {:>4} | {:>4}/{:<5}{} | {:>5} | {:>7} | {}",
            r.struct_name,
            r.word,
            r.kind,
            r.rule,
            r.width,
            r.width_32,
            r.used,
            r.free,
            r.free_32(),
            if r.note.is_some() { "*" } else { " " },
            r.holes,
            r.guarded,
            writers
        );
    }
    let mut notes: Vec<String> = c
        .rows
        .iter()
        .filter_map(|r| {
            r.note
                .as_ref()
                .map(|n| format!("* {}::{}: {n}", r.struct_name, r.word))
        })
        .collect();
    notes.extend(c.rows.iter().filter(|r| !r.only_64bit.is_empty()).map(|r| {
        format!(
            "{}::{}: {} only on 64-bit kernels (bit >= 32): {}",
            r.struct_name,
            r.word,
            r.only_64bit.len(),
            r.only_64bit.join(", ")
        )
    }));
    if !notes.is_empty() {
        out.push('\n');
        for n in notes {
            let _ = writeln!(out, "{n}");
        }
    }
    let _ = writeln!(
        out,
        "\nfree 64/32: free bits on 64-bit and on 32-bit kernels (a 32-bit kernel keeps only bits 0-31);\nholes: free bits below the highest used bit; guarded: flags that exist only under a CONFIG guard."
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_parses_and_admits() {
        let c = Config::parse(&["64BIT=n".into(), "CONFIG_MMU=y".into()]).expect("config");
        assert_eq!(c.is_64bit(), Some(false));
        assert!(c.admits(&Guard::parse("CONFIG_MMU").expect("g")));
        assert!(!c.admits(&Guard::parse("CONFIG_64BIT").expect("g")));
        assert!(c.admits(&Guard::parse("CONFIG_X || CONFIG_64BIT").expect("g")));
        assert!(!c.admits(&Guard::parse("!CONFIG_MMU").expect("g")));
        assert!(Config::parse(&["64BIT".into()]).is_err());
        assert!(Config::parse(&["64BIT=maybe".into()]).is_err());
        assert!(Config::parse(&["6 4=y".into()]).is_err());
    }
}

/// The layouts a census reads.
pub mod source {
    use std::path::Path;

    use crate::error::Result;
    use crate::import::{self, cmd as read};
    use crate::layout::{self, Input};
    use crate::model::Layout;

    /// Layouts by the name they were read from.
    pub type Named = Vec<(String, Layout)>;

    /// The built-in layouts whose names start with `prefix` (`linux-6.1`).
    pub fn builtins(prefix: &str) -> Result<Named> {
        let mut out = Vec::new();
        for name in crate::builtin::names().filter(|n| n.starts_with(prefix)) {
            let loaded = layout::load(&Input::Builtin(name.to_string()))?;
            out.push((format!("builtin:{name}"), loaded.layout));
        }
        Ok(out)
    }

    /// Import every known flag word from the kernel tree `tree` (headers only: no writers).
    /// Returns the layouts and the import warnings as `file:line: warning: ...` lines.
    pub fn tree(tree: &Path) -> Result<(Named, Vec<String>)> {
        let mut out = Vec::new();
        let mut warnings = Vec::new();
        for s in import::known::structs() {
            let th = read::tree_headers(tree, s)?;
            let more: Vec<(std::path::PathBuf, String, bool)> = th
                .extra
                .into_iter()
                .map(|(p, defines)| (tree.join(&p), p, defines))
                .collect();
            let imp = read::import_files(
                &tree.join(&th.main),
                th.main.clone(),
                &more,
                s,
                import::Family::defaults_for(s),
                th.main_defines,
            )?;
            warnings.extend(imp.warning_lines(&th.main));
            let text = read::layout_text(&imp, None, &mut Vec::new());
            let name = format!("{}:{s}", tree.display());
            out.push((name.clone(), layout::parse_str(&name, &text)?.layout));
        }
        Ok((out, warnings))
    }
}
