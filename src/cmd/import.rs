//! `flagplan import HEADER|- [--from-btf FILE] [--facts FACTS] [-o LAYOUT [--force]]`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Args;
use toml::Table;

use super::args::OutputArg;
use super::{Outcome, deprecated, log};
use crate::error::{Error, Result};
use crate::import::cmd::{self as read, Hand};
use crate::import::{Imported, btf, emit, facts};

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The C header to read (e.g. include/linux/sched.h; `-` for stdin). Not needed with --from-btf.
    #[arg(required_unless_present_any = ["from_btf", "btf", "tree"])]
    pub header: Option<PathBuf>,
    /// More headers: their defines may be flags of the families, and they give values and
    /// typedefs (e.g. include/linux/sched/coredump.h for `MMF_*`).
    #[arg(value_name = "MORE_HEADERS")]
    pub more: Vec<PathBuf>,
    /// A kernel tree: read the struct's header and the headers of its known flag words there,
    /// and the headers they `#include` for values and typedefs (`--tree LINUX --struct mm_struct`).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["header", "from_btf", "btf"])]
    pub tree: Option<PathBuf>,
    /// The struct whose flag words to import.
    #[arg(long = "struct", value_name = "NAME", default_value = "task_struct")]
    pub struct_name: String,
    /// A #define family and its word: PREFIX=WORD[:mask|bitnum]. Repeatable.
    /// Default for task_struct: PF_=flags PFA_=atomic_flags.
    #[arg(long = "family", value_name = "PREFIX=WORD")]
    pub families: Vec<String>,
    /// Where the layout goes (--force replaces an existing file and merges its hand facts in
    /// unless --no-merge).
    #[command(flatten)]
    pub output: OutputArg,
    /// With --force: do not carry hand facts over from the existing output file.
    #[arg(long, requires = "force")]
    pub no_merge: bool,
    /// Hand-kept facts to overlay (writers, evidence, waivers, abi pins, groups, word rules).
    #[arg(long, value_name = "FACTS.toml")]
    pub facts: Option<PathBuf>,
    /// Instead of a layout, write the facts of this hand-written layout that the header does
    /// not give (a starting facts file).
    #[arg(long, value_name = "LAYOUT", conflicts_with_all = ["facts", "from_btf", "btf"])]
    pub extract_facts: Option<PathBuf>,
    /// The header's name in `source` fields (default: the path from `include/` on; `<stdin>`).
    #[arg(long, value_name = "NAME")]
    pub source_name: Option<String>,
    /// Start the file with `#:schema REL` (the path of schema/layout.schema.json relative to
    /// the output), for editors and the shipped-layout tests.
    #[arg(long, value_name = "REL")]
    pub schema_ref: Option<String>,
    /// Read the compiled layout from BTF (/sys/kernel/btf/vmlinux) instead of a header:
    /// bitfield units, offsets, widths and holes, like `pahole -C STRUCT`.
    #[arg(long, value_name = "FILE", conflicts_with = "header")]
    pub from_btf: Option<PathBuf>,
    /// Deprecated spelling of --from-btf.
    #[arg(long, value_name = "FILE", hide = true, conflicts_with_all = ["header", "from_btf"])]
    pub btf: Option<PathBuf>,
}

/// A layout (or facts file) ready to write, with what the user should be told about it.
struct Written {
    text: String,
    log: Vec<String>,
    summary: String,
}

/// Run `flagplan import`.
pub fn run(args: &ImportArgs) -> Result<Outcome> {
    if args.btf.is_some() {
        deprecated("`import --btf FILE`", "`import --from-btf FILE`");
    }
    let out = match args.from_btf.as_ref().or(args.btf.as_ref()) {
        Some(btf) => from_btf(args, btf)?,
        None => from_header(args)?,
    };
    let schema_line = args
        .schema_ref
        .as_ref()
        .map_or(String::new(), |r| format!("#:schema {r}\n"));
    log(&out.log);
    args.output.write(&format!("{schema_line}{}", out.text))?;
    if let Some(o) = &args.output.output {
        log(&[format!("wrote {} ({})", o.display(), out.summary)]);
    }
    Ok(Outcome::Success)
}

fn from_btf(args: &ImportArgs, btf: &Path) -> Result<Written> {
    let hand = hand_facts(args)?;
    let (draft, listing) = btf::draft(
        btf,
        &args.struct_name,
        hand.as_ref().map(|h| h.from.as_str()),
    )?;
    let summary = format!(
        "{} bitfield units",
        draft
            .doc
            .get("word")
            .and_then(toml::Value::as_array)
            .map_or(0, Vec::len)
    );
    let mut log = vec![listing.trim_end().to_string()];
    let text = read::with_facts(draft, hand.as_ref().map(HandFile::hand), &mut log);
    Ok(Written { text, log, summary })
}

fn from_header(args: &ImportArgs) -> Result<Written> {
    let (imp, shown) = match (&args.tree, &args.header) {
        (Some(tree), _) => {
            let imp = read_tree(args, tree)?;
            let shown = tree.join(&imp.options.source_name).display().to_string();
            (imp, shown)
        }
        (None, Some(header)) => (read_header(args, header)?, header.display().to_string()),
        (None, None) => {
            return Err(Error::Usage(
                "a HEADER, --tree DIR or --from-btf FILE is needed".into(),
            ));
        }
    };
    let mut log = imp.warning_lines(&shown);
    let text = match &args.extract_facts {
        Some(old) => extract_facts(&imp, old, &mut log)?,
        None => {
            let hand = hand_facts(args)?;
            read::layout_text(&imp, hand.as_ref().map(HandFile::hand), &mut log)
        }
    };
    let summary = format!(
        "{} words, {} flags, {} warnings",
        imp.words.len(),
        imp.flags.len(),
        imp.warnings.len()
    );
    Ok(Written { text, log, summary })
}

/// Import the struct's known flag words from a kernel tree (`--tree`).
fn read_tree(args: &ImportArgs, tree: &Path) -> Result<Imported> {
    let fams = read::families(&args.families, &args.struct_name)?;
    let th = read::tree_headers(tree, &args.struct_name)?;
    let more: Vec<(PathBuf, String, bool)> = th
        .extra
        .into_iter()
        .map(|(p, defines)| (tree.join(&p), p, defines))
        .collect();
    read::import_files(
        &tree.join(&th.main),
        args.source_name.clone().unwrap_or(th.main),
        &more,
        &args.struct_name,
        fams,
        th.main_defines,
    )
}

/// Read and import the header at `header` (plus MORE_HEADERS), or from standard input when it
/// is `-`.
fn read_header(args: &ImportArgs, header: &Path) -> Result<Imported> {
    let fams = read::families(&args.families, &args.struct_name)?;
    if header.as_os_str() != "-" {
        let more: Vec<(PathBuf, String, bool)> = args
            .more
            .iter()
            .map(|p| (p.clone(), read::default_source_name(p), true))
            .collect();
        let source_name = args
            .source_name
            .clone()
            .unwrap_or_else(|| read::default_source_name(header));
        return read::import_files(header, source_name, &more, &args.struct_name, fams, true);
    }
    let bytes = crate::fsutil::read_stdin()?;
    let source_name = args.source_name.clone().unwrap_or_else(|| "<stdin>".into());
    read::import_bytes(&bytes, "<stdin>", &args.struct_name, fams, source_name)
}

/// The facts of hand-written layout `old` that the header does not give.
fn extract_facts(imp: &Imported, old: &Path, log: &mut Vec<String>) -> Result<String> {
    let (layout, _) = read::read_table(old)?;
    let doc = emit::to_table(imp);
    let (hand, notes) = facts::extract(&doc, &layout);
    for n in notes {
        log.push(format!("{}: {n}", old.display()));
    }
    Ok(emit::render(
        &hand,
        &[format!(
            "Hand-kept facts for {}: overlay with `flagplan import HEADER --facts THIS`.",
            imp.options.source_name
        )],
        &BTreeMap::new(),
    ))
}

/// Hand facts to overlay: the --facts file, else the existing output file when re-importing
/// with --force (unless --no-merge). Refuses early to clobber an output file without --force.
fn hand_facts(args: &ImportArgs) -> Result<Option<HandFile>> {
    let out = &args.output;
    if let (Some(o), false) = (&out.output, out.force)
        && o.exists()
    {
        return Err(Error::WouldClobber {
            path: o.display().to_string(),
        });
    }
    if let Some(f) = &args.facts {
        return HandFile::read(f).map(Some);
    }
    match (&out.output, out.force && !args.no_merge) {
        (Some(o), true) if o.is_file() => HandFile::read(o).map(Some).map_err(read::merge_error),
        _ => Ok(None),
    }
}

/// A hand facts file read from disk.
struct HandFile {
    table: Table,
    text: String,
    from: String,
}

impl HandFile {
    fn read(path: &Path) -> Result<Self> {
        let (table, text) = read::read_table(path)?;
        Ok(HandFile {
            table,
            text,
            from: path.display().to_string(),
        })
    }

    fn hand(&self) -> Hand<'_> {
        Hand {
            table: &self.table,
            text: &self.text,
            from: &self.from,
        }
    }
}
