//! `flagplan scan SRC_DIR [--layout LAYOUT | --builtin NAME] [--format text|json] [--update]`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use crate::error::{Error, Result};
use crate::layout::{self, Input};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Root of the source tree (e.g. a kernel checkout).
    pub src: PathBuf,
    /// Layout whose flags to look for (default: ./layout.toml, else the newest built-in).
    #[arg(long, value_name = "LAYOUT")]
    pub layout: Option<PathBuf>,
    /// Use a built-in layout (see `flagplan layouts`).
    #[arg(long, value_name = "NAME", conflicts_with = "layout")]
    pub builtin: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ScanFormat::Text)]
    pub format: ScanFormat,
    /// Write the evidence back into the layout file (atomically; hand-written facts are kept).
    #[arg(long, requires = "layout")]
    pub update: bool,
    /// Show every location, not the first few per flag and context.
    #[arg(short, long)]
    pub verbose: bool,
    /// Never show a progress bar (it is shown only when stderr is a terminal).
    #[arg(long)]
    pub no_progress: bool,
}

pub fn run(args: &ScanArgs) -> Result<ExitCode> {
    let input = crate::cli::LayoutArg {
        layout: args.layout.clone(),
        builtin: args.builtin.clone(),
    }
    .input()?;
    let loaded = layout::load(&input)?;
    let progress = !args.no_progress && std::io::stderr().is_terminal();
    let ev = super::scan(&loaded.layout, &input.display(), &args.src, progress)?;
    if args.update {
        let Input::Path(path) = &input else {
            return Err(Error::Usage(
                "--update needs a layout file given with --layout".into(),
            ));
        };
        let text = layout::read_text_file(path)?;
        let new = super::update::update(&text, &ev)
            .map_err(|m| Error::Usage(format!("{}: {m}", path.display())))?;
        // Refuse to write a layout that no longer reads.
        layout::parse_str(&path.display().to_string(), &new)?;
        crate::fsutil::write_atomic(path, new.as_bytes(), true)?;
    }
    let out = match args.format {
        ScanFormat::Text => super::report::text(&ev, &loaded.layout, args.verbose),
        ScanFormat::Json => super::report::json(&ev),
    };
    crate::cli::print(&out)?;
    Ok(ExitCode::SUCCESS)
}
