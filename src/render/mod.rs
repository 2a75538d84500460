//! Renderers: turn a check [`Report`](crate::check::Report) into text, JSON, SARIF, GitHub annotations, mail text or SVG.

pub(crate) mod anchor;
pub(crate) mod github;
pub(crate) mod json;
pub(crate) mod mail;
pub(crate) mod sarif;
pub(crate) mod short;
pub mod svg;
pub(crate) mod text;

use crate::check::Finding;
use crate::model::Sources;

/// Output format of `check` (and `suggest`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Occupancy tables and caret diagnostics for people.
    Text,
    /// Versioned JSON (see README, "JSON output").
    Json,
    /// SARIF 2.1.0 for code-scanning upload.
    Sarif,
    /// GitHub workflow annotations (`::error file=...`).
    Github,
    /// One line per finding, checkpatch style: `file:line: ERROR: rule-id: message`.
    Short,
    /// A picture: each word as a row of cells (used, reserved, free, moved in, moved out).
    Svg,
}

/// The JSON output's schema version; bumped on any incompatible change.
pub const JSON_VERSION: u32 = 1;

/// `file`, `line`, `column` of a finding, when it has a location.
pub fn position(f: &Finding, sources: &Sources) -> Option<(String, usize, usize)> {
    f.loc.as_ref().and_then(|l| sources.position(l))
}
