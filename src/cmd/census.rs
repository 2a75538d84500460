//! `flagplan census [TREE] [--config SYM=y|n]... [--format text|json|svg]`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{Outcome, log, print};
use crate::census::{self, Config, source};
use crate::error::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CensusFormat {
    Text,
    Json,
    /// A picture: one row of cells per flag word.
    Svg,
}

#[derive(Debug, Args)]
pub struct CensusArgs {
    /// A kernel tree: import every known flag word from its headers (no writers). Without it,
    /// the built-in layouts named by --builtin.
    pub tree: Option<PathBuf>,
    /// The built-in layouts to read without TREE (a name prefix).
    #[arg(
        long,
        value_name = "PREFIX",
        default_value = "linux-6.1",
        conflicts_with = "tree"
    )]
    pub builtin: String,
    /// A named config: SYMBOL=y|n (CONFIG_ prefix optional), e.g. 64BIT=n. Repeatable.
    /// Unnamed symbols take the worst case.
    #[arg(long = "config", value_name = "SYM=y|n")]
    pub config: Vec<String>,
    #[arg(long, value_enum, default_value_t = CensusFormat::Text)]
    pub format: CensusFormat,
}

/// Run `flagplan census`.
pub fn run(args: &CensusArgs) -> Result<Outcome> {
    let config = Config::parse(&args.config).map_err(|e| Error::Usage(format!("--config {e}")))?;
    let layouts = match &args.tree {
        Some(t) => {
            let (layouts, warnings) = source::tree(t)?;
            log(&warnings);
            layouts
        }
        None => source::builtins(&args.builtin)?,
    };
    if layouts.is_empty() {
        return Err(Error::Usage(format!(
            "no built-in layout starts with `{}` (see `flagplan layouts`)",
            args.builtin
        )));
    }
    let c = census::of_layouts(&layouts, &config);
    match args.format {
        CensusFormat::Text => print(&census::text(&c))?,
        CensusFormat::Svg => print(&crate::render::svg::census(&c))?,
        CensusFormat::Json => print(&format!(
            "{}\n",
            serde_json::to_string_pretty(&c).map_err(|e| Error::Usage(e.to_string()))?
        ))?,
    }
    Ok(Outcome::Success)
}
