//! Reading a header for `import` and drift, and turning an import plus hand facts into layout text.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml::Table;

use super::{Family, ImportError, Imported, Options, emit, facts};
use crate::error::{Error, Result};

/// What `check --header/--btf` holds the layout against.
#[derive(Debug, Default)]
pub struct DriftTargets {
    /// Report every difference between the layout and this header.
    pub header: Option<PathBuf>,
    /// Report bitfield placement differences against this kernel's BTF.
    pub btf: Option<PathBuf>,
    /// Define families for `header` (default for task_struct: PF_=flags PFA_=atomic_flags).
    pub families: Vec<String>,
}

/// A generated layout before hand facts: its table, the comment notes at its head and the
/// words whose `rule` is a guess (name → why).
#[derive(Debug)]
pub struct Draft {
    pub doc: Table,
    pub notes: Vec<String>,
    pub guesses: BTreeMap<String, String>,
}

/// Hand-kept facts to overlay on a [`Draft`]: the facts table, its text and where it came from.
#[derive(Debug, Clone, Copy)]
pub struct Hand<'a> {
    pub table: &'a Table,
    pub text: &'a str,
    pub from: &'a str,
}

/// `include/linux/sched.h` out of `/some/tree/include/linux/sched.h`.
pub fn default_source_name(p: &Path) -> String {
    let s = p.display().to_string().replace('\\', "/");
    if let Some(i) = s.rfind("/include/") {
        return s[i + 1..].to_string();
    }
    if s.starts_with("include/") {
        return s;
    }
    p.file_name()
        .map_or(s.clone(), |f| f.to_string_lossy().into_owned())
}

pub fn families(given: &[String], struct_name: &str) -> Result<Vec<Family>> {
    if given.is_empty() {
        return Ok(Family::defaults_for(struct_name));
    }
    given
        .iter()
        .map(|s| Family::parse(s).map_err(|e| Error::Usage(format!("--family {e}"))))
        .collect()
}

/// Read a header file's bytes (a directory or an unreadable file is an error).
fn read_header(path: &Path) -> Result<Vec<u8>> {
    let bytes = crate::fsutil::read_file(path)?;
    crate::fsutil::refuse_binary(&path.display().to_string(), &bytes)?;
    Ok(bytes)
}

/// `#include <X>` targets of a header's text, in order.
fn includes(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim_start().strip_prefix('#')?.trim_start();
            let rest = l.strip_prefix("include")?.trim_start();
            let inner = rest.strip_prefix('<')?;
            Some(inner[..inner.find('>')?].to_string())
        })
        .collect()
}

/// Where `#include <X>` lives in a tree (x86 for `asm/`), from the tree's top.
fn resolve_include(tree: &Path, target: &str) -> Option<String> {
    [
        "include/",
        "include/uapi/",
        "arch/x86/include/",
        "arch/x86/include/uapi/",
    ]
    .iter()
    .map(|dir| format!("{dir}{target}"))
    .find(|p| tree.join(p).is_file())
}

/// The headers of an import from a tree, as paths from the tree's top.
pub struct TreeHeaders {
    /// The struct's header.
    pub main: String,
    /// Whether the struct's header holds the families' defines too.
    pub main_defines: bool,
    /// The known headers of the struct's words (defines: true), then what those `#include`
    /// (one level; for values and typedefs only).
    pub extra: Vec<(String, bool)>,
}

/// Find the headers of `struct_name`'s known words in `tree`.
pub fn tree_headers(tree: &Path, struct_name: &str) -> Result<TreeHeaders> {
    let main = super::known::word_of(struct_name)
        .map(|k| k.struct_header.to_string())
        .ok_or_else(|| {
            Error::Usage(format!(
                "--tree: struct {struct_name} is not a known flag word ({}); give its HEADER instead",
                super::known::structs().join(", ")
            ))
        })?;
    let mut files = vec![(main.clone(), true)];
    files.extend(super::known::extra_headers(tree, struct_name));
    let mut context = Vec::new();
    for (f, _) in files.iter().filter(|(_, d)| *d) {
        let text = String::from_utf8_lossy(&read_header(&tree.join(f))?).into_owned();
        for inc in includes(&text) {
            if let Some(p) = resolve_include(tree, &inc)
                && !files.iter().any(|(x, _)| *x == p)
                && !context.iter().any(|(x, _)| *x == p)
            {
                context.push((p, false));
            }
        }
    }
    files.extend(context);
    let main = files.remove(0).0;
    let main_defines = super::known::words_of(struct_name)
        .any(|k| k.define_headers.is_empty() || k.define_headers.contains(&k.struct_header));
    Ok(TreeHeaders {
        main,
        main_defines,
        extra: files,
    })
}

/// Import from several files: `main` holds the struct; each of `more` is (path, shown name,
/// defines?).
pub fn import_files(
    main: &Path,
    source_name: String,
    more: &[(PathBuf, String, bool)],
    struct_name: &str,
    fams: Vec<Family>,
    main_defines: bool,
) -> Result<Imported> {
    let bytes = read_header(main)?;
    let mut extra = Vec::new();
    for (p, name, defines) in more {
        extra.push(super::HeaderFile {
            name: name.clone(),
            header: crate::cread::Header::read(&read_header(p)?),
            defines: *defines,
        });
    }
    let opts = Options {
        struct_name: struct_name.to_string(),
        families: fams,
        source_name,
    };
    let shown = main.display().to_string();
    super::from_headers(&bytes, opts, extra, main_defines).map_err(|e| match e {
        ImportError::At { offset, message } => {
            let text = String::from_utf8_lossy(&bytes);
            Error::input(&shown, &text, offset..offset + 1, message, None)
        }
        ImportError::Whole(m) => Error::Usage(format!("{shown}: {m}")),
    })
}

/// Read and import a header file.
pub fn import_file(
    path: &Path,
    struct_name: &str,
    fams: Vec<Family>,
    source_name: Option<String>,
) -> Result<Imported> {
    let shown = path.display().to_string();
    let bytes = crate::fsutil::read_file(path)?;
    let source_name = source_name.unwrap_or_else(|| default_source_name(path));
    import_bytes(&bytes, &shown, struct_name, fams, source_name)
}

/// Import header text read from `shown` (a path, or `<stdin>`).
pub fn import_bytes(
    bytes: &[u8],
    shown: &str,
    struct_name: &str,
    fams: Vec<Family>,
    source_name: String,
) -> Result<Imported> {
    crate::fsutil::refuse_binary(shown, bytes)?;
    let opts = Options {
        struct_name: struct_name.to_string(),
        families: fams,
        source_name,
    };
    super::from_header(bytes, opts).map_err(|e| match e {
        ImportError::At { offset, message } => {
            let text = String::from_utf8_lossy(bytes);
            Error::input(shown, &text, offset..offset + 1, message, None)
        }
        ImportError::Whole(m) => Error::Usage(format!("{shown}: {m}")),
    })
}

/// Read a TOML file as a table (hand facts, a previous layout).
pub fn read_table(p: &Path) -> Result<(Table, String)> {
    let name = p.display().to_string();
    let text = crate::layout::read_text_file(p)?;
    let t: Table = toml::from_str(&text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        Error::input(&name, &text, span, e.message().to_string(), None)
    })?;
    Ok((t, text))
}

/// The existing output of `import -o OUT --force` is read to carry its hand facts over; when it
/// does not read, say so and how to replace it without merging.
pub fn merge_error(e: Error) -> Error {
    const WHY: &str = "the existing output file is read to merge its hand facts into the new layout; pass --no-merge to replace it without merging";
    match e {
        Error::Input(mut ie) => {
            ie.message = format!("{} (read to merge its hand facts)", ie.message);
            ie.help = Some(WHY.to_string());
            Error::Input(ie)
        }
        other => Error::Usage(format!("{other}\n{WHY}")),
    }
}

/// Build the layout text for an import plus hand facts; messages for the user go to `log`.
pub fn layout_text(imp: &Imported, hand: Option<Hand<'_>>, log: &mut Vec<String>) -> String {
    let facts_note = match hand {
        Some(h) if !h.from.is_empty() => format!(" plus the hand facts in {}", h.from),
        _ => String::new(),
    };
    let mut notes = vec![format!(
        "Generated by `flagplan import` from {} (struct {}){facts_note}.\nNames, words, values, guards and source lines come from the header and are re-read on every\nimport; edit hand facts (writers, evidence, abi pins, waivers, groups, rules) in the facts file.",
        imp.options.source_name, imp.options.struct_name
    )];
    // What the reader did not understand stays visible in the file, not only on stderr.
    let warned = imp.warning_lines(&imp.options.source_name);
    if !warned.is_empty() {
        notes.push(format!(
            "{} import warnings:\n{}",
            warned.len(),
            warned.join("\n")
        ));
    }
    notes.extend(not_flags_note(imp));
    let guesses = imp
        .words
        .iter()
        .map(|w| (w.name.clone(), w.guess.why.clone()))
        .collect();
    let draft = Draft {
        doc: emit::to_table(imp),
        notes,
        guesses,
    };
    with_facts(draft, hand, log)
}

/// Overlay hand facts (if any) on a draft and render it; messages for the user go to `log`.
pub fn with_facts(draft: Draft, hand: Option<Hand<'_>>, log: &mut Vec<String>) -> String {
    let Draft {
        mut doc,
        notes,
        guesses,
    } = draft;
    let mut confirmed = std::collections::BTreeSet::new();
    let mut renamed = BTreeMap::new();
    if let Some(h) = hand {
        let previous = facts::guessed_words(h.text);
        let rep = facts::overlay(&mut doc, h.table, &previous);
        for (a, b) in &rep.renamed {
            log.push(format!("{}: bitfield unit `{a}` is named `{b}`", h.from));
        }
        for l in rep.lost.iter().chain(rep.overridden.iter()) {
            log.push(format!("{}: {l}", h.from));
        }
        confirmed = rep.confirmed_rules;
        renamed = rep.renamed;
    }
    let guesses: BTreeMap<String, String> = guesses
        .into_iter()
        .map(|(name, why)| (renamed.get(&name).unwrap_or(&name).clone(), why))
        .filter(|(name, _)| !confirmed.contains(name))
        .collect();
    emit::render(&doc, &notes, &guesses)
}

/// The family names that are not flags (aliases, composites, helpers), listed in the file.
fn not_flags_note(imp: &Imported) -> Option<String> {
    let under = |g: &crate::guard::Guard| {
        if g.is_always() {
            String::new()
        } else {
            format!(" under {g}")
        }
    };
    let mut lines = Vec::new();
    for a in &imp.aliases {
        lines.push(format!(
            "alias {} = {}{} [{}]",
            a.name,
            a.target,
            under(&a.guard),
            imp.source_in(a.file, a.at)
        ));
    }
    for c in &imp.composites {
        lines.push(format!(
            "{} {} = {} ({}){} [{}]",
            if c.field { "field" } else { "composite" },
            c.name,
            c.value
                .map_or_else(|| "not a constant".to_string(), |v| format!("{v:#x}")),
            if c.members.is_empty() {
                "no flag of the family".to_string()
            } else {
                c.members.join(" | ")
            },
            under(&c.guard),
            imp.source_in(c.file, c.at)
        ));
    }
    for k in &imp.skipped {
        lines.push(format!(
            "skipped {}: {} [{}]",
            k.name,
            k.reason,
            imp.source_in(k.file, k.at)
        ));
    }
    (!lines.is_empty()).then(|| {
        format!(
            "Names of the families that are not flags ({}):\n{}",
            lines.len(),
            lines.join("\n")
        )
    })
}
