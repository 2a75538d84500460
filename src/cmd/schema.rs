//! `flagplan schema`: the JSON Schema of layout and plan files, or of facts files.

use super::{Outcome, print};
use crate::error::Result;
use crate::layout::SchemaOf;

/// Arguments of `flagplan schema`.
#[derive(clap::Args, Debug)]
pub struct SchemaArgs {
    /// The schema of facts files (`import --facts`) instead of layouts and plans.
    #[arg(long)]
    pub facts: bool,
}

/// Run `flagplan schema`.
pub fn run(args: &SchemaArgs) -> Result<Outcome> {
    let of = if args.facts {
        SchemaOf::Facts
    } else {
        SchemaOf::Layout
    };
    print(&crate::layout::json_schema(of))?;
    Ok(Outcome::Success)
}
