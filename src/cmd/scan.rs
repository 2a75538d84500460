//! `flagplan scan [LAYOUT] --src DIR [--format text|json] [--update] [-o FILE]`.

use std::path::{Path, PathBuf};

use clap::Args;

use super::args::{LayoutArg, OutputArg, TextOrJson};
use super::{Outcome, Term, deprecated};
use crate::error::{Error, Result};
use crate::layout::{self, Input};
use crate::scan;

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Layout or plan file (`-` for stdin). Default: ./layout.toml, else the newest built-in.
    pub layout: Option<PathBuf>,
    /// Use a built-in layout (see `flagplan layouts`).
    #[arg(long, value_name = "NAME", value_parser = super::args::BuiltinName)]
    pub builtin: Option<String>,
    /// Root of the source tree to scan (e.g. a kernel checkout).
    #[arg(long, value_name = "DIR")]
    pub src: Option<PathBuf>,
    /// Deprecated spelling of the LAYOUT argument.
    #[arg(
        long = "layout",
        id = "layout_flag",
        value_name = "LAYOUT",
        hide = true,
        conflicts_with = "builtin"
    )]
    pub layout_flag: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
    /// Write the evidence back into the layout file (atomically; hand-written facts are kept).
    #[arg(long)]
    pub update: bool,
    #[command(flatten)]
    pub output: OutputArg,
    /// Never show a progress bar (it is shown only when stderr is a terminal).
    #[arg(long)]
    pub no_progress: bool,
}

/// The layout and the tree a scan reads, once the deprecated spellings are resolved.
struct Target {
    input: Input,
    src: PathBuf,
}

impl ScanArgs {
    /// `scan [LAYOUT] --src DIR`, or the deprecated `scan DIR [--layout LAYOUT]`.
    fn target(&self) -> Result<Target> {
        let positional = self.layout.as_deref();
        let old_form = self.src.is_none()
            && positional.is_some_and(|p| self.layout_flag.is_some() || p.is_dir());
        let (layout_path, src) = if old_form {
            deprecated("`flagplan scan DIR`", "`flagplan scan [LAYOUT] --src DIR`");
            (None, positional.map(Path::to_path_buf))
        } else {
            (positional.map(Path::to_path_buf), self.src.clone())
        };
        let layout_path = match (&self.layout_flag, layout_path) {
            (Some(_), Some(_)) => {
                return Err(Error::Usage(
                    "the layout is given twice (LAYOUT and --layout)".into(),
                ));
            }
            (Some(p), None) => {
                deprecated("`scan --layout LAYOUT`", "`scan LAYOUT`");
                Some(p.clone())
            }
            (None, p) => p,
        };
        let Some(src) = src else {
            return Err(Error::Usage(
                "--src DIR is needed: the root of the source tree to scan".into(),
            ));
        };
        let input = LayoutArg {
            layout: layout_path,
            builtin: self.builtin.clone(),
        };
        if input.layout.is_some() && input.builtin.is_some() {
            return Err(Error::Usage(
                "give the layout as LAYOUT or as --builtin NAME, not both".into(),
            ));
        }
        let input = input.input()?;
        Ok(Target { input, src })
    }
}

/// Run `flagplan scan`.
pub fn run(args: &ScanArgs, term: Term) -> Result<Outcome> {
    args.output.check()?;
    let Target { input, src } = args.target()?;
    if args.update && !matches!(input, Input::Path(_)) {
        return Err(Error::Usage(
            "--update needs a layout file (scan LAYOUT --src DIR --update)".into(),
        ));
    }
    let loaded = layout::load(&input)?;
    let opts = scan::ScanOptions {
        progress: term.stderr_tty && !args.no_progress,
        timing: term.timing,
    };
    let ev = scan::scan(&loaded.layout, &input.display(), &src, opts)?;
    if let Input::Path(path) = &input
        && args.update
    {
        update_layout(path, &ev)?;
    }
    let out = match args.format {
        TextOrJson::Text => scan::report::text(&ev, &loaded.layout, term.verbose),
        TextOrJson::Json => scan::report::json(&ev),
    };
    args.output.write(&out)?;
    Ok(Outcome::Success)
}

/// Write the evidence into the layout file at `path`, refusing a result that no longer reads.
fn update_layout(path: &Path, ev: &scan::Evidence) -> Result<()> {
    let text = layout::read_text_file(path)?;
    let new = scan::update::update(&text, ev)
        .map_err(|m| Error::Usage(format!("{}: {m}", path.display())))?;
    layout::parse_str(&path.display().to_string(), &new)?;
    crate::fsutil::write_atomic(path, new.as_bytes(), true)
}
