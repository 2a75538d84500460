//! Drift (placeholder).
use crate::check::Report;
use crate::error::Result;
use crate::layout::Loaded;

pub fn add_to_report(_a: &super::cmd::DriftArgs, _l: &mut Loaded, _r: &mut Report) -> Result<()> {
    Ok(())
}
