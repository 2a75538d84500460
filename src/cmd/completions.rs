//! `flagplan completions SHELL`: a completion script generated from the clap definitions.

use clap::{Args, CommandFactory};

use super::{Cli, Outcome, print};
use crate::error::Result;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Run `flagplan completions`.
pub fn run(args: &CompletionsArgs) -> Result<Outcome> {
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "flagplan", &mut buf);
    print(&String::from_utf8_lossy(&buf))?;
    Ok(Outcome::Success)
}
