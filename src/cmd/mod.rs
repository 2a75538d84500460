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
    long_version = include_str!(concat!(env!("OUT_DIR"), "/long_version.txt")),
    about = "Plan and check the flag words of kernel structures (task_struct PF_*, PFA_*, bitfields)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// When to use colour (`auto` honours NO_COLOR, CLICOLOR_FORCE and TERM=dumb).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
    /// Show more: `-v` notes one line each and every location, `-vv` notes with source snippets.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Refuse input files (and stdin) larger than this: bytes, or with k, M, G.
    #[arg(long, value_name = "SIZE", global = true, env = "FLAGPLAN_MAX_INPUT_SIZE",
          default_value = "64M", value_parser = crate::fsutil::parse_size)]
    pub max_input_size: u64,
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
    /// Print the flagplan(1) man page, or write every page with --dir.
    Man(man::ManArgs),
    /// Print the JSON Schema of layout and plan files, or of facts files (for taplo / Even
    /// Better TOML).
    Schema(schema::SchemaArgs),
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
    /// How many `-v`.
    pub verbosity: u8,
    /// Columns text output fits (`COLUMNS`, the terminal, else 100).
    pub width: usize,
    /// `FLAGPLAN_TIMING` is set: scans print their phase timings.
    pub timing: bool,
}

impl Term {
    fn probe(cli: &Cli) -> Self {
        let stdout = terminal(std::io::stdout().is_terminal());
        Term {
            color: stdout.color(forced(cli.color)),
            stderr_tty: std::io::stderr().is_terminal(),
            verbose: cli.verbose > 0,
            verbosity: cli.verbose,
            width: stdout.width(),
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

/// `COLUMNS`, `NO_COLOR`, `CLICOLOR_FORCE`, `TERM` and the width of a stream that is (or is not) a
/// terminal: the environment, read here and nowhere below.
fn terminal(is_tty: bool) -> crate::render::text::Terminal {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    crate::render::text::Terminal {
        is_tty,
        columns: var("COLUMNS").and_then(|v| v.to_str()?.trim().parse().ok()),
        tty_width: if is_tty {
            crossterm::terminal::size()
                .ok()
                .map(|(w, _)| usize::from(w))
        } else {
            None
        },
        no_color: var("NO_COLOR").is_some(),
        clicolor_force: var("CLICOLOR_FORCE").is_some_and(|v| v != "0"),
        dumb: var("TERM").is_some_and(|v| v == "dumb"),
    }
}

/// `Some` for `--color always|never`, `None` for `auto`.
fn forced(choice: ColorChoice) -> Option<bool> {
    match choice {
        ColorChoice::Always => Some(true),
        ColorChoice::Never => Some(false),
        ColorChoice::Auto => None,
    }
}

/// Colour under `choice`, for a stream that is (or is not) a terminal: `NO_COLOR` turns `auto` off,
/// `CLICOLOR_FORCE` on, `TERM=dumb` off.
pub fn use_color(choice: ColorChoice, is_terminal: bool) -> bool {
    terminal(is_terminal).color(forced(choice))
}

/// Colour for error messages on standard error.
pub fn stderr_color(cli: &Cli) -> bool {
    use_color(cli.color, std::io::stderr().is_terminal())
}

/// Run the parsed command line; input and I/O errors come back as `Err` (exit 2).
pub fn run(cli: &Cli) -> Result<Outcome> {
    crate::fsutil::set_max_input_size(cli.max_input_size);
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
        Command::Man(args) => man::run(args),
        Command::Schema(args) => schema::run(args),
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
