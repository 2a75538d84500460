//! The TOML shapes of layout and plan files, with spans, exactly as written.

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFile {
    pub format: Option<Spanned<i64>>,
    #[serde(rename = "struct")]
    pub struct_name: Option<Spanned<String>>,
    pub base: Option<Spanned<String>>,
    pub source: Option<String>,
    pub origin: Option<String>,
    pub doc: Option<String>,
    #[serde(default)]
    pub word: Vec<Spanned<RawWord>>,
    #[serde(default)]
    pub flag: Vec<Spanned<RawFlag>>,
    #[serde(default)]
    pub group: Vec<Spanned<RawGroup>>,
    #[serde(default)]
    pub waiver: Vec<Spanned<RawWaiver>>,
    #[serde(default)]
    pub proposal: Vec<Spanned<RawProposal>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWord {
    pub name: Spanned<String>,
    #[serde(rename = "type")]
    pub ctype: Option<Spanned<String>>,
    pub width: Option<Spanned<i64>>,
    pub kind: Spanned<String>,
    pub rule: Spanned<String>,
    pub doc: Option<String>,
    pub source: Option<String>,
}

/// Facts about a flag, shared by `[[flag]]` and `add` proposals.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFlag {
    pub name: Spanned<String>,
    pub word: Spanned<String>,
    pub mask: Option<Spanned<i64>>,
    pub bit: Option<Spanned<i64>>,
    pub width: Option<Spanned<i64>>,
    pub guard: Option<Spanned<String>>,
    pub doc: Option<String>,
    pub source: Option<String>,
    #[serde(default)]
    pub abi: bool,
    pub abi_reason: Option<String>,
    #[serde(default)]
    pub reserved: bool,
    #[serde(default)]
    pub read_remote: bool,
    #[serde(default)]
    pub read_evidence: Vec<String>,
    pub unsure: Option<String>,
    #[serde(default, alias = "writers")]
    pub writer: Vec<Spanned<RawWriter>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWriter {
    pub context: Spanned<String>,
    pub balanced: Option<Spanned<bool>>,
    pub lock: Option<String>,
    #[serde(default)]
    pub evidence: Vec<String>,
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGroup {
    pub name: Spanned<String>,
    pub flags: Vec<Spanned<String>>,
    pub reason: Option<String>,
    #[serde(default)]
    pub evidence: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWaiver {
    pub flag: Spanned<String>,
    pub rule: Spanned<String>,
    pub reason: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProposal {
    #[serde(rename = "move")]
    pub move_: Option<Spanned<String>>,
    pub add: Option<Spanned<String>>,
    pub to: Spanned<String>,
    pub bit: Option<Spanned<i64>>,
    pub member: Option<Spanned<String>>,
    // Facts for `add`:
    pub width: Option<Spanned<i64>>,
    pub guard: Option<Spanned<String>>,
    pub doc: Option<String>,
    #[serde(default)]
    pub abi: bool,
    #[serde(default)]
    pub read_remote: bool,
    #[serde(default)]
    pub read_evidence: Vec<String>,
    #[serde(default, alias = "writers")]
    pub writer: Vec<Spanned<RawWriter>>,
}
