//! `flagplan man`: the man page (roff) generated from the clap definitions.

use clap::CommandFactory;

use super::{Cli, Outcome, print};
use crate::error::{Error, Result};

/// Run `flagplan man`.
pub fn run() -> Result<Outcome> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut buf)
        .map_err(|e| Error::io("<stdout>", e))?;
    print(&String::from_utf8_lossy(&buf))?;
    Ok(Outcome::Success)
}
