//! The `import` subcommand and the `check --header/--btf` options.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use toml::Table;

use super::{Family, ImportError, Imported, Options, emit, facts};
use crate::error::{Error, Result};

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The C header to read (e.g. include/linux/sched.h). Not needed with --btf.
    #[arg(required_unless_present = "btf")]
    pub header: Option<PathBuf>,
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

/// Read and import a header file.
pub fn import_file(
    path: &Path,
    struct_name: &str,
    fams: Vec<Family>,
    source_name: Option<String>,
) -> Result<Imported> {
    let shown = path.display().to_string();
    let bytes = crate::fsutil::read_file(path)?;
    crate::fsutil::refuse_binary(&shown, &bytes)?;
    let opts = Options {
        struct_name: struct_name.to_string(),
        families: fams,
        source_name: source_name.unwrap_or_else(|| default_source_name(path)),
    };
    super::from_header(&bytes, opts).map_err(|e| match e {
        ImportError::At { offset, message } => {
            let text = String::from_utf8_lossy(&bytes);
            Error::input(&shown, &text, offset..offset + 1, message, None)
        }
        ImportError::Whole(m) => Error::Usage(format!("{shown}: {m}")),
    })
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

/// The existing output of `import -o OUT --force` is read to carry its hand facts over; when it
/// does not read, say so and how to replace it without merging.
fn merge_error(e: Error) -> Error {
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
    emit::render(&doc, &notes, &guesses)
}

pub fn run_import(args: &ImportArgs) -> Result<ExitCode> {
    if let Some(btf) = &args.btf {
        return super::btf::run_import(btf, &args.struct_name, args.output.as_deref(), args.force);
    }
    let Some(header) = &args.header else {
        return Err(Error::Usage("a HEADER or --btf FILE is needed".into()));
    };
    let fams = families(&args.families, &args.struct_name)?;
    let imp = import_file(header, &args.struct_name, fams, args.source_name.clone())?;
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
            (Some(o), true) if o.is_file() => Some(read_table(o).map_err(merge_error)?),
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
