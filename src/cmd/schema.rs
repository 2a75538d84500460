//! `flagplan schema`: the JSON Schema of layout and plan files.

use super::{Outcome, print};
use crate::error::Result;

/// Run `flagplan schema`.
pub fn run() -> Result<Outcome> {
    print(&crate::layout::json_schema())?;
    Ok(Outcome::Success)
}
