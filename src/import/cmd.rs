//! The `import` subcommand and the `check --header/--btf` options.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use toml::Table;

use super::{Family, Imported, Options, emit, facts};
use crate::error::{Error, Result};

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The C header to read (e.g. include/linux/sched.h). Not needed with --btf or --tree.
    #[arg(required_unless_present_any = ["btf", "tree"])]
    pub header: Option<PathBuf>,
    /// More headers: their defines may be flags of the families, and they give values and
    /// typedefs (e.g. include/linux/sched/coredump.h for `MMF_*`).
    #[arg(value_name = "MORE_HEADERS")]
    pub more: Vec<PathBuf>,
    /// A kernel tree: read the struct's header and the headers of its known flag words there,
    /// and the headers they `#include` for values and typedefs (`--tree LINUX --struct mm_struct`).
    #[arg(long, value_name = "DIR")]
    pub tree: Option<PathBuf>,
    /// The struct whose flag words to import.
    #[arg(long = "struct", value_name = "NAME", default_value = "task_struct")]
    pub struct_name: String,
    /// A #define family and its word: PREFIX=WORD[:mask|bitnum]. Repeatable.
    /// Default for task_struct: PF_=flags PFA_=atomic_flags.
    #[arg(long = "family", value_name = "PREFIX=WORD")]
    pub families: Vec<String>,
    /// Write the layout here (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace an existing output file (its hand facts are merged in unless --no-merge).
    #[arg(long)]
    pub force: bool,
    /// With --force: do not carry hand facts over from the existing output file.
    #[arg(long, requires = "force")]
    pub no_merge: bool,
    /// Hand-kept facts to overlay (writers, evidence, waivers, abi pins, groups, word rules).
    #[arg(long, value_name = "FACTS.toml")]
    pub facts: Option<PathBuf>,
    /// Instead of a layout, write the facts of this hand-written layout that the header does
    /// not give (a starting facts file).
    #[arg(long, value_name = "LAYOUT", conflicts_with = "facts")]
    pub extract_facts: Option<PathBuf>,
    /// The header's name in `source` fields (default: the path from `include/` on).
    #[arg(long, value_name = "NAME")]
    pub source_name: Option<String>,
    /// Start the file with `#:schema REL` (the path of schema/layout.schema.json relative to
    /// the output), for editors and the shipped-layout tests.
    #[arg(long, value_name = "REL")]
    pub schema_ref: Option<String>,
    /// Read the compiled layout from BTF (/sys/kernel/btf/vmlinux) instead of a header:
    /// bitfield units, offsets, widths and holes, like `pahole -C STRUCT`.
    #[arg(long, value_name = "FILE")]
    pub btf: Option<PathBuf>,
}

/// Options of `check` that hold the layout against a header or a compiled kernel.
#[derive(Debug, Args, Default)]
pub struct DriftArgs {
    /// Drift check: report every difference between the layout and this header.
    #[arg(long, value_name = "HEADER")]
    pub header: Option<PathBuf>,
    /// Drift check against a kernel's BTF (/sys/kernel/btf/vmlinux).
    #[arg(long, value_name = "FILE")]
    pub btf: Option<PathBuf>,
    /// Define families for --header (default for task_struct: PF_=flags PFA_=atomic_flags).
    #[arg(long = "family", value_name = "PREFIX=WORD")]
    pub families: Vec<String>,
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
    let shown = path.display().to_string();
    if path.is_dir() {
        return Err(Error::IsDirectory { path: shown });
    }
    std::fs::read(path).map_err(|e| Error::io(shown, e))
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
    super::from_headers(&bytes, opts, extra, main_defines)
        .map_err(|m| Error::Usage(format!("{}: {m}", main.display())))
}

/// Read and import a header file.
pub fn import_file(
    path: &Path,
    struct_name: &str,
    fams: Vec<Family>,
    source_name: Option<String>,
) -> Result<Imported> {
    let shown = path.display().to_string();
    if path.is_dir() {
        return Err(Error::IsDirectory { path: shown });
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(shown.clone(), e))?;
    let opts = Options {
        struct_name: struct_name.to_string(),
        families: fams,
        source_name: source_name.unwrap_or_else(|| default_source_name(path)),
    };
    super::from_header(&bytes, opts).map_err(|m| Error::Usage(format!("{shown}: {m}")))
}

fn read_table(p: &Path) -> Result<(Table, String)> {
    let name = p.display().to_string();
    let text = crate::layout::read_text_file(p)?;
    let t: Table = toml::from_str(&text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        Error::input(&name, &text, span, e.message().to_string(), None)
    })?;
    Ok((t, text))
}

/// Build the layout text for an import plus hand facts; messages for the user go to `log`.
pub fn layout_text(
    imp: &Imported,
    hand: Option<(&Table, &str, &str)>,
    log: &mut Vec<String>,
) -> String {
    let mut doc = emit::to_table(imp);
    let mut confirmed = std::collections::BTreeSet::new();
    let mut renamed = BTreeMap::new();
    if let Some((hand, text, from)) = hand {
        let guesses = facts::guessed_words(text);
        let rep = facts::overlay(&mut doc, hand, &guesses);
        for (a, b) in &rep.renamed {
            log.push(format!("{from}: bitfield unit `{a}` is named `{b}`"));
        }
        for l in rep.lost.iter().chain(rep.overridden.iter()) {
            log.push(format!("{from}: {l}"));
        }
        confirmed = rep.confirmed_rules;
        renamed = rep.renamed;
    }
    let mut guesses = BTreeMap::new();
    for w in &imp.words {
        let name = renamed.get(&w.name).unwrap_or(&w.name).clone();
        if !confirmed.contains(&name) {
            guesses.insert(name, w.guess.why.clone());
        }
    }
    let facts_note = match hand {
        Some((_, _, from)) if !from.is_empty() => format!(" plus the hand facts in {from}"),
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

pub fn run_import(args: &ImportArgs) -> Result<ExitCode> {
    if let Some(btf) = &args.btf {
        return super::btf::run_import(btf, &args.struct_name, args.output.as_deref(), args.force);
    }
    let fams = families(&args.families, &args.struct_name)?;
    let mut more: Vec<(PathBuf, String, bool)> = args
        .more
        .iter()
        .map(|p| (p.clone(), default_source_name(p), true))
        .collect();
    let mut main_defines = true;
    let (header, source_name) = match (&args.tree, &args.header) {
        (Some(tree), None) => {
            let TreeHeaders {
                main,
                main_defines: defines,
                extra,
            } = tree_headers(tree, &args.struct_name)?;
            main_defines = defines;
            more.extend(
                extra
                    .into_iter()
                    .map(|(p, defines)| (tree.join(&p), p, defines)),
            );
            (tree.join(&main), args.source_name.clone().unwrap_or(main))
        }
        (_, Some(h)) => (
            h.clone(),
            args.source_name
                .clone()
                .unwrap_or_else(|| default_source_name(h)),
        ),
        (None, None) => {
            return Err(Error::Usage(
                "a HEADER, --tree DIR or --btf FILE is needed".into(),
            ));
        }
    };
    let imp = import_files(
        &header,
        source_name,
        &more,
        &args.struct_name,
        fams,
        main_defines,
    )?;
    let shown = header.display().to_string();
    let mut log = imp.warning_lines(&shown);
    let schema_line = args
        .schema_ref
        .as_ref()
        .map_or(String::new(), |r| format!("#:schema {r}\n"));

    let text = if let Some(old) = &args.extract_facts {
        let (layout, _) = read_table(old)?;
        let doc = emit::to_table(&imp);
        let (hand, notes) = facts::extract(&doc, &layout);
        for n in notes {
            log.push(format!("{}: {n}", old.display()));
        }
        emit::render(
            &hand,
            &[format!(
                "Hand-kept facts for {}: overlay with `flagplan import HEADER --facts THIS`.",
                imp.options.source_name
            )],
            &BTreeMap::new(),
        )
    } else {
        // Hand facts: the facts file, else the existing output file (re-import).
        let existing = match (&args.output, args.force && !args.no_merge) {
            (Some(o), true) if o.is_file() => Some(read_table(o)?),
            _ => None,
        };
        if let (Some(o), false) = (&args.output, args.force)
            && o.exists()
        {
            return Err(Error::WouldClobber {
                path: o.display().to_string(),
            });
        }
        let given = match &args.facts {
            Some(f) => Some(read_table(f)?),
            None => None,
        };
        let from = match (&args.facts, &args.output) {
            (Some(f), _) => f.display().to_string(),
            (None, Some(o)) => o.display().to_string(),
            _ => String::new(),
        };
        let hand = given.as_ref().or(existing.as_ref());
        layout_text(
            &imp,
            hand.map(|(t, txt)| (t, txt.as_str(), from.as_str())),
            &mut log,
        )
    };
    let text = format!("{schema_line}{text}");
    let mut err = std::io::stderr().lock();
    for l in &log {
        let _ = writeln!(err, "{l}");
    }
    match &args.output {
        Some(o) => {
            crate::fsutil::write_atomic(o, text.as_bytes(), args.force)?;
            let _ = writeln!(
                err,
                "wrote {} ({} words, {} flags, {} warnings)",
                o.display(),
                imp.words.len(),
                imp.flags.len(),
                imp.warnings.len()
            );
        }
        None => {
            crate::cli::print(&text)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
