//! The command layer: clap definitions, one module per subcommand, terminal and environment probes.
//!
//! Each subcommand module owns its arguments and returns an [`Outcome`] (or an [`Error`]); only the
//! binary's `main` maps those to exit codes. Nothing below this layer knows clap, the terminal or
//! the environment: it gets plain values from here.

mod args;
pub mod census;
pub mod check;
mod completions;
mod explain;
pub mod import;
mod layouts;
mod man;
pub mod report;
pub mod scan;
mod schema;
pub mod suggest;

use std::io::{IsTerminal, Write};

use clap::{Parser, Subcommand, ValueEnum};

use crate::error::{Error, Result};

pub use args::{LayoutArg, OutputArg};

/// How a command that ran to completion ended; errors (exit 2) are [`Error`]s instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum Outcome {
    /// Exit 0: the layout passes, the request is met.
    Success,
    /// Exit 1: errors were found, or the request cannot be met (no legal destination, too few bits).
    Failure,
}

impl Outcome {
    /// [`Outcome::Failure`] when `failed`, else [`Outcome::Success`].
    pub fn failed_if(failed: bool) -> Self {
        if failed {
            Outcome::Failure
        } else {
            Outcome::Success
        }
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "flagplan",
    version = concat!(env!("CARGO_PKG_VERSION"), " (layout format 1)"),
    about = "Plan and check the flag words of kernel structures (task_struct PF_*, PFA_*, bitfields)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// When to use colour (NO_COLOR is honoured under `auto`).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
    /// Show everything: notes in full, every location (default: a summary).
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a layout or plan: occupancy per word and every violation (exit 1 on errors).
    Check(check::CheckArgs),
    /// Suggest moves: what can leave crowded words, where a flag may go, plans that free bits.
    Suggest(suggest::SuggestArgs),
    /// Write a layout from a C header (or BTF): flag words, values, guards, bitfield units.
    Import(import::ImportArgs),
    /// Scan a source tree for every access to every flag of a layout (evidence of who writes what).
    Scan(scan::ScanArgs),
    /// List the built-in layouts.
    Layouts,
    /// One table over every known flag word (task_struct, mm_struct, vm_area_struct, page,
    /// file): width on 64/32-bit, used, free, holes, guards, writers.
    Census(census::CensusArgs),
    /// Explain a rule id (or list every rule).
    Explain(explain::ExplainArgs),
    /// Render a plan's verdict as plain text for a patch cover letter (72 columns, no colour).
    Report(report::ReportArgs),
    /// Print a shell completion script (bash, zsh, fish, ...).
    Completions(completions::CompletionsArgs),
    /// Print the man page (roff) to standard output.
    Man,
    /// Print the JSON Schema of layout and plan files (for taplo / Even Better TOML).
    Schema,
}

/// What the command layer learnt about the terminal and the environment, passed down as values.
#[derive(Clone, Copy, Debug)]
pub struct Term {
    /// Colour on standard output.
    pub color: bool,
    /// Standard error is a terminal (progress bars go there).
    pub stderr_tty: bool,
    /// `-v`: show everything.
    pub verbose: bool,
    /// `FLAGPLAN_TIMING` is set: scans print their phase timings.
    pub timing: bool,
}

impl Term {
    fn probe(cli: &Cli) -> Self {
        Term {
            color: use_color(cli.color, std::io::stdout().is_terminal()),
            stderr_tty: std::io::stderr().is_terminal(),
            verbose: cli.verbose,
            timing: std::env::var_os("FLAGPLAN_TIMING").is_some(),
        }
    }

    /// How a scan run from this terminal reports on itself.
    pub fn scan_options(self) -> crate::scan::ScanOptions {
        crate::scan::ScanOptions {
            progress: self.stderr_tty,
            timing: self.timing,
        }
    }
}

/// Colour under `choice`, for a stream that is (or is not) a terminal; `NO_COLOR` turns `auto` off.
pub fn use_color(choice: ColorChoice, is_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && is_terminal
        }
    }
}

/// Colour for error messages on standard error.
pub fn stderr_color(cli: &Cli) -> bool {
    use_color(cli.color, std::io::stderr().is_terminal())
}

/// Run the parsed command line; input and I/O errors come back as `Err` (exit 2).
pub fn run(cli: &Cli) -> Result<Outcome> {
    let term = Term::probe(cli);
    match &cli.command {
        Command::Check(args) => check::run(args, term),
        Command::Suggest(args) => suggest::run(args),
        Command::Import(args) => import::run(args),
        Command::Scan(args) => scan::run(args, term),
        Command::Layouts => layouts::run(),
        Command::Census(args) => census::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Report(args) => report::run(args, term),
        Command::Completions(args) => completions::run(args),
        Command::Man => man::run(),
        Command::Schema => schema::run(),
    }
}

/// Write to standard output; a closed pipe (`| head`) ends the output quietly.
pub fn print(s: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        // A closed pipe (`| head`) is not an error worth a message.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::io("<stdout>", e)),
    }
}

/// Tell the user on standard error that `old` is deprecated in favour of `new` (it still works).
pub fn deprecated(old: &str, new: &str) {
    eprintln!("flagplan: warning: {old} is deprecated and will be removed; use {new}");
}

/// Lines for the user on standard error (what a command did, what a reader did not understand).
pub fn log(lines: &[String]) {
    let mut err = std::io::stderr().lock();
    for l in lines {
        let _ = writeln!(err, "{l}");
    }
}
