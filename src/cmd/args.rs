//! Argument groups every subcommand spells the same way: the layout, the source tree, the output
//! file and the output formats.

use std::path::{Path, PathBuf};

use clap::builder::PossibleValue;
use clap::{Args, ValueEnum};

use crate::error::{Error, Result};
use crate::layout::Input;
use crate::render::Format;

/// Which layout to read: a path, `-` for standard input, or a built-in.
#[derive(Debug, Args, Default)]
pub struct LayoutArg {
    /// Layout or plan file (`-` for stdin). Default: ./layout.toml, else the newest built-in.
    pub layout: Option<PathBuf>,
    /// Use a built-in layout (see `flagplan layouts`).
    #[arg(long, value_name = "NAME", conflicts_with = "layout", value_parser = BuiltinName)]
    pub builtin: Option<String>,
}

impl LayoutArg {
    /// The layout named by the arguments, else `./layout.toml`, else the newest built-in.
    pub fn input(&self) -> Result<Input> {
        if let Some(p) = &self.layout {
            return Ok(path_input(p));
        }
        if let Some(b) = &self.builtin {
            crate::builtin::get(b)?;
            return Ok(Input::Builtin(b.clone()));
        }
        let local = PathBuf::from("layout.toml");
        if local.exists() {
            return Ok(Input::Path(local));
        }
        crate::builtin::default_name()
            .map(|n| Input::Builtin(n.to_string()))
            .ok_or_else(|| {
                Error::Usage("no layout given and no built-in layout in this build".into())
            })
    }
}

/// A path argument where `-` means standard input.
pub fn path_input(p: &Path) -> Input {
    if p.as_os_str() == "-" {
        Input::Stdin
    } else {
        Input::Path(p.to_path_buf())
    }
}

/// Where a written file goes: `-o/--output FILE`, never over an existing file without `--force`.
#[derive(Debug, Args, Default)]
pub struct OutputArg {
    /// Write the output to FILE (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace an existing --output file.
    #[arg(long)]
    pub force: bool,
}

impl OutputArg {
    /// `--force` means nothing without a file to write; an existing file is refused before any
    /// work is done, not after.
    pub fn check(&self) -> Result<()> {
        self.check_also(None)
    }

    /// [`OutputArg::check`] when the command writes `also` too (`check --sarif FILE`), which
    /// `--force` also covers.
    pub fn check_also(&self, also: Option<&Path>) -> Result<()> {
        if self.force && self.output.is_none() && also.is_none() {
            return Err(Error::Usage("--force needs -o/--output FILE".into()));
        }
        for path in self.output.as_deref().into_iter().chain(also) {
            if !self.force && std::fs::symlink_metadata(path).is_ok() {
                return Err(Error::WouldClobber {
                    path: path.display().to_string(),
                });
            }
        }
        Ok(())
    }

    /// Write `text` to the output file, or to standard output when none is given.
    pub fn write(&self, text: &str) -> Result<()> {
        match &self.output {
            Some(path) => crate::fsutil::write_atomic(path, text.as_bytes(), self.force),
            None => super::print(text),
        }
    }
}

impl ValueEnum for Format {
    fn value_variants<'a>() -> &'a [Self] {
        &[
            Format::Text,
            Format::Json,
            Format::Sarif,
            Format::Github,
            Format::Short,
            Format::Svg,
        ]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        let (name, help) = match self {
            Format::Text => ("text", "Occupancy tables and caret diagnostics for people"),
            Format::Json => ("json", "Versioned JSON (see docs/format.md)"),
            Format::Sarif => ("sarif", "SARIF 2.1.0 for code-scanning upload"),
            Format::Github => ("github", "GitHub workflow annotations"),
            Format::Short => ("short", "One line per finding, checkpatch style"),
            Format::Svg => ("svg", "A picture: each word as a row of cells"),
        };
        Some(PossibleValue::new(name).help(help))
    }
}

/// A built-in layout name, full or a unique prefix (`linux-6.1`); completions offer the full names.
#[derive(Clone, Copy, Debug)]
pub(super) struct BuiltinName;

impl clap::builder::TypedValueParser for BuiltinName {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> std::result::Result<String, clap::Error> {
        let name = value.to_string_lossy();
        crate::builtin::get(&name).map_err(|e| {
            clap::Error::raw(clap::error::ErrorKind::InvalidValue, format!("{e}\n")).with_cmd(cmd)
        })?;
        Ok(name.into_owned())
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(crate::builtin::names().map(PossibleValue::new)))
    }
}

/// Rule ids as a clap value parser, so completions offer them.
pub(super) fn rule_ids() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(
        crate::rules::RuleId::ALL
            .iter()
            .map(|r| PossibleValue::new(r.id())),
    )
}

/// `--format` of the commands whose output is for people or for programs only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TextOrJson {
    /// Plain text for people.
    Text,
    /// Versioned JSON.
    Json,
}
