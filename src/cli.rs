//! The command line: clap definitions and the code that runs each subcommand.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::check;
use crate::error::{Error, Result};
use crate::layout::{self, Input, Loaded};
use crate::render::{self, Format};
use crate::rules::{RuleId, Severity};

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
    Check(CheckArgs),
    /// Suggest moves: what can leave crowded words, where a flag may go, plans that free bits.
    Suggest(crate::suggest::SuggestArgs),
    /// Write a layout from a C header (or BTF): flag words, values, guards, bitfield units.
    Import(crate::import::cmd::ImportArgs),
    /// Scan a source tree for every access to every flag of a layout (evidence of who writes what).
    Scan(crate::scan::cli::ScanArgs),
    /// List the built-in layouts.
    Layouts,
    /// Explain a rule id (or list every rule).
    Explain {
        /// A rule id such as `remote-writer`; omit to list all.
        #[arg(value_parser = rule_ids())]
        rule: Option<String>,
    },
    /// Render a plan's verdict as plain text for a patch cover letter (72 columns, no colour).
    Report {
        #[command(flatten)]
        layout: LayoutArg,
        #[command(flatten)]
        drift: crate::import::cmd::DriftArgs,
        /// Also judge the plan on evidence scanned from this source tree (as `check --src`).
        #[arg(long, value_name = "SRC_DIR")]
        src: Option<PathBuf>,
    },
    /// Print a shell completion script (bash, zsh, fish, ...).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to standard output.
    Man,
    /// Print the JSON Schema of layout and plan files (for taplo / Even Better TOML).
    Schema,
}

/// Rule ids as a clap value parser, so completions offer them.
fn rule_ids() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(
        RuleId::ALL
            .iter()
            .map(|r| clap::builder::PossibleValue::new(r.id())),
    )
}

/// Which layout to read: a path, `-` for standard input, or a built-in.
#[derive(Debug, Args)]
pub struct LayoutArg {
    /// Layout or plan file (`-` for stdin). Default: ./layout.toml, else the newest built-in.
    pub layout: Option<PathBuf>,
    /// Use a built-in layout (see `flagplan layouts`).
    #[arg(long, value_name = "NAME", conflicts_with = "layout")]
    pub builtin: Option<String>,
}

impl LayoutArg {
    pub fn input(&self) -> Result<Input> {
        if let Some(p) = &self.layout {
            return Ok(if p.as_os_str() == "-" {
                Input::Stdin
            } else {
                Input::Path(p.clone())
            });
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

/// `--deny` values: `warnings` or a rule id, so completions offer them.
fn deny_values() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(
        std::iter::once(clap::builder::PossibleValue::new("warnings").help("every warning")).chain(
            RuleId::ALL
                .iter()
                .map(|r| clap::builder::PossibleValue::new(r.id())),
        ),
    )
}

/// Which findings to show and which fail the run (defaults from `.flagplan.toml`).
#[derive(Debug, Args)]
pub struct FilterArgs {
    /// Report only these rules (comma-separated or repeated).
    #[arg(long, value_name = "RULE", value_delimiter = ',', value_parser = rule_ids())]
    pub select: Option<Vec<String>>,
    /// Never report these rules.
    #[arg(long, value_name = "RULE", value_delimiter = ',', value_parser = rule_ids())]
    pub ignore: Option<Vec<String>>,
    /// Fail (exit 1) on these rules too, or on every warning with `warnings`.
    #[arg(long, value_name = "RULE", value_delimiter = ',', value_parser = deny_values())]
    pub deny: Option<Vec<String>>,
}

impl FilterArgs {
    fn to_filter(&self) -> crate::config::CliFilter {
        let rules = |v: &Option<Vec<String>>| {
            v.as_ref()
                .map(|v| v.iter().filter_map(|s| RuleId::parse(s)).collect())
        };
        crate::config::CliFilter {
            select: rules(&self.select),
            ignore: rules(&self.ignore),
            deny: self.deny.as_ref().map(|v| {
                v.iter()
                    .filter_map(|s| crate::config::Deny::parse(s))
                    .collect()
            }),
        }
    }
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub layout: LayoutArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Show notes (`-v`: one line each; `-vv`: with source snippets).
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Print nothing; the exit code says it all.
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
    #[command(flatten)]
    pub drift: crate::import::cmd::DriftArgs,
    /// Also judge the layout (and its moves) on evidence scanned from this source tree.
    #[arg(long, value_name = "SRC_DIR")]
    pub src: Option<PathBuf>,
}

/// What the environment and standard output say about the terminal.
pub fn terminal() -> render::text::Terminal {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    let is_tty = std::io::stdout().is_terminal();
    render::text::Terminal {
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

/// The project filter (`.flagplan.toml` from the current directory upward) under the command line's.
fn filter(cwd: &std::path::Path, args: &FilterArgs) -> Result<crate::config::Filter> {
    let file = match crate::config::find(cwd) {
        Some(p) => crate::config::load(&p)?,
        None => crate::config::Filter::default(),
    };
    Ok(file.overridden_by(&args.to_filter()))
}

/// Should output to stdout be coloured?
pub fn use_color(choice: ColorChoice) -> bool {
    terminal().color(match choice {
        ColorChoice::Always => Some(true),
        ColorChoice::Never => Some(false),
        ColorChoice::Auto => None,
    })
}

/// Run the parsed command line; input and I/O errors come back as `Err` (exit 2).
pub fn run(cli: &Cli) -> Result<ExitCode> {
    let color = use_color(cli.color);
    match &cli.command {
        Command::Check(args) => run_check(args, color),
        Command::Suggest(args) => crate::suggest::run(args),
        Command::Import(args) => crate::import::cmd::run_import(args),
        Command::Scan(args) => crate::scan::cli::run(args),
        Command::Layouts => {
            let mut out = String::new();
            let default = crate::builtin::default_name();
            for name in crate::builtin::names() {
                let loaded = layout::load(&Input::Builtin(name.to_string()))?;
                let l = &loaded.layout;
                out.push_str(&format!(
                    "{name}{}\tstruct {}, {} words, {} flags{}\n",
                    if Some(name) == default {
                        " (default)"
                    } else {
                        ""
                    },
                    l.struct_name,
                    l.words.len(),
                    l.flags.len(),
                    l.origin
                        .as_ref()
                        .map_or(String::new(), |o| format!(", from {o}"))
                ));
            }
            print(&out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain { rule } => {
            print(&explain(rule.as_deref())?)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(
                *shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "flagplan",
                &mut buf,
            );
            print(&String::from_utf8_lossy(&buf))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Report {
            layout: arg,
            drift,
            src,
        } => {
            let (loaded, report, name) = judged(arg, drift, src.as_deref())?;
            let kernel = match src {
                Some(dir) => crate::cread::makefile::KernelVersion::of_tree(dir)?,
                None => None,
            };
            let ctx = render::mail::MailContext { kernel };
            print(&render::mail::render(&report, &loaded.sources, &name, ctx))?;
            let failing = report.count(Severity::Error) > 0;
            Ok(if failing {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Schema => {
            print(&layout::json_schema())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command())
                .render(&mut buf)
                .map_err(|e| Error::io("<stdout>", e))?;
            print(&String::from_utf8_lossy(&buf))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Load a layout and check it, with drift (`--header`/`--btf`) and evidence (`--src`) findings:
/// what `check` and `report` both judge. Returns the layout, the report and its display name.
fn judged(
    arg: &LayoutArg,
    drift: &crate::import::cmd::DriftArgs,
    src: Option<&std::path::Path>,
) -> Result<(Loaded, check::Report, String)> {
    let input = arg.input()?;
    let mut loaded: Loaded = layout::load(&input)?;
    let mut report = check::check(&loaded);
    crate::import::drift::add_to_report(drift, &mut loaded, &mut report)?;
    let name = input.display();
    if let Some(src) = src {
        crate::scan::judge::add_findings(&loaded, &mut report, &name, src)?;
    }
    Ok((loaded, report, name))
}

fn run_check(args: &CheckArgs, color: bool) -> Result<ExitCode> {
    let root = std::env::current_dir().map_err(|e| Error::io(".", e))?;
    let judged = filter(&root, &args.filter).and_then(|flt| {
        let (loaded, mut report, name) = judged(&args.layout, &args.drift, args.src.as_deref())?;
        flt.apply(&mut report);
        Ok((loaded, report, name))
    });
    let (loaded, report, name) = match judged {
        Ok(j) => j,
        Err(e) => {
            // CI uploads what is on stdout: give it a document that says what went wrong.
            match args.format {
                Format::Json => print(&render::json::error_document(&e))?,
                Format::Sarif => print(&render::sarif::error_document(&e, &root))?,
                _ => {}
            }
            return Err(e);
        }
    };
    let out = match args.format {
        Format::Text => render::text::render(
            &report,
            &loaded.sources,
            &name,
            render::text::TextOptions {
                color,
                verbosity: args.verbose,
                width: terminal().width(),
            },
        ),
        Format::Json => render::json::render(&report, &loaded.sources, &name),
        Format::Sarif => render::sarif::render(&report, &loaded.sources, &root),
        Format::Github => render::github::render(&report, &loaded.sources, &root),
        Format::Short => render::short::render(&report, &loaded.sources, args.verbose > 0),
        Format::Svg => render::svg::render(&report, &name),
    };
    if !args.quiet {
        print(&out)?;
    }
    Ok(if report.count(Severity::Error) > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `flagplan explain [RULE]`.
pub fn explain(rule: Option<&str>) -> Result<String> {
    let Some(id) = rule else {
        let mut s = String::new();
        for r in RuleId::ALL {
            let i = r.info();
            s.push_str(&format!(
                "{:<24} {:<8} {}\n",
                i.id,
                i.severity.as_str(),
                i.summary
            ));
        }
        return Ok(s);
    };
    let r = RuleId::parse(id).ok_or_else(|| {
        let help = layout::best_match(id, RuleId::ALL.iter().map(|r| r.id())).map_or_else(
            || " (`flagplan explain` lists them)".to_string(),
            |m| format!(" (did you mean `{m}`?)"),
        );
        Error::Usage(format!("no rule `{id}`{help}"))
    })?;
    let i = r.info();
    let indent = |t: &str| t.lines().map(|l| format!("    {l}\n")).collect::<String>();
    Ok(format!(
        "{} ({})\n\n{}\n\n{}\n\nExample:\n{}\nFix:\n    {}\n\nWaive (for one flag, with a written reason):\n    [[waiver]]\n    flag = \"FLAG\"\n    rule = \"{}\"\n    reason = \"why this cannot corrupt the word\"\n",
        i.id,
        i.severity,
        i.summary,
        i.explain,
        indent(i.example),
        i.fix,
        i.id
    ))
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
