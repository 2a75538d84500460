//! BTF (placeholder).
use std::path::Path;
use std::process::ExitCode;

use crate::error::{Error, Result};

pub fn run_import(_p: &Path, _s: &str, _o: Option<&Path>, _f: bool) -> Result<ExitCode> {
    Err(Error::Usage("BTF not yet".into()))
}

pub fn drift(_p: &Path, _l: &crate::layout::Loaded) -> Result<Vec<crate::check::Finding>> {
    Ok(Vec::new())
}
