//! `flagplan completions SHELL`: a completion script generated from the clap definitions, so
//! subcommands, options, option values, built-in layout names and rule ids all complete.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, Outcome, print};
use crate::error::Result;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    #[arg(value_enum)]
    pub shell: Shell,
}

/// The completion script for `shell`.
pub fn script(shell: Shell) -> String {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "flagplan", &mut buf);
    let mut s = String::from_utf8_lossy(&buf).into_owned();
    if shell == Shell::Fish {
        s.push_str(&fish_positionals(&cmd));
    }
    s
}

/// clap_complete's fish script completes option values but not positional ones
/// (`flagplan explain RULE`): one `complete` line per subcommand positional with values.
fn fish_positionals(cmd: &clap::Command) -> String {
    let mut s = String::new();
    for sc in cmd.get_subcommands() {
        for arg in sc.get_positionals().filter(|a| !a.is_hide_set()) {
            let values: Vec<String> = arg
                .get_possible_values()
                .iter()
                .filter(|v| !v.is_hide_set())
                .map(|v| v.get_name().to_string())
                .collect();
            if !values.is_empty() {
                s.push_str(&format!(
                    "complete -c flagplan -n \"__fish_flagplan_using_subcommand {}\" -f -a \"{}\"\n",
                    sc.get_name(),
                    values.join(" ")
                ));
            }
        }
    }
    s
}

/// Run `flagplan completions`.
pub fn run(args: &CompletionsArgs) -> Result<Outcome> {
    print(&script(args.shell))?;
    Ok(Outcome::Success)
}
