//! Project defaults (`.flagplan.toml`, found from a directory upward like `.checkpatch.conf`) and
//! the `select` / `ignore` / `deny` filter they and the command line apply to a check's findings.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::check::Report;
use crate::error::{Error, Result};
use crate::rules::{RuleId, Severity};

/// The project file's name.
pub const FILE_NAME: &str = ".flagplan.toml";

/// What `--deny` (or `deny = [...]`) makes fail the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deny {
    /// Every unwaived warning counts as an error.
    Warnings,
    /// Unwaived findings of this rule count as errors, whatever its severity.
    Rule(RuleId),
}

impl Deny {
    pub fn parse(s: &str) -> Option<Deny> {
        if s == "warnings" {
            Some(Deny::Warnings)
        } else {
            RuleId::parse(s).map(Deny::Rule)
        }
    }
}

/// Which findings a run reports and which fail it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// When not empty, only these rules are reported.
    pub select: Vec<RuleId>,
    /// These rules are never reported.
    pub ignore: Vec<RuleId>,
    pub deny: Vec<Deny>,
}

impl Filter {
    /// Command-line lists replace the project file's list of the same key; absent ones keep it.
    pub fn overridden_by(self, cli: &CliFilter) -> Filter {
        Filter {
            select: cli.select.clone().unwrap_or(self.select),
            ignore: cli.ignore.clone().unwrap_or(self.ignore),
            deny: cli.deny.clone().unwrap_or(self.deny),
        }
    }

    fn denied(&self, rule: RuleId, s: Severity) -> bool {
        self.deny.iter().any(|d| match d {
            Deny::Warnings => s == Severity::Warning,
            Deny::Rule(r) => *r == rule,
        })
    }

    /// Drop unselected and ignored findings; raise denied ones (unwaived) to errors.
    pub fn apply(&self, report: &mut Report) {
        report.findings.retain(|f| {
            (self.select.is_empty() || self.select.contains(&f.rule))
                && !self.ignore.contains(&f.rule)
        });
        for f in &mut report.findings {
            if f.waived.is_none()
                && f.severity != Severity::Error
                && self.denied(f.rule, f.severity)
            {
                f.severity = Severity::Error;
            }
        }
    }
}

/// The lists given on the command line (`None`: not given, the project file's list holds).
#[derive(Clone, Debug, Default)]
pub struct CliFilter {
    pub select: Option<Vec<RuleId>>,
    pub ignore: Option<Vec<RuleId>>,
    pub deny: Option<Vec<Deny>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProject {
    #[serde(default)]
    select: Vec<Spanned<String>>,
    #[serde(default)]
    ignore: Vec<Spanned<String>>,
    #[serde(default)]
    deny: Vec<Spanned<String>>,
}

/// The nearest `.flagplan.toml` in `start` or one of its parents.
pub fn find(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|d| d.join(FILE_NAME))
        .find(|p| p.is_file())
}

/// Read a project file; bad keys and unknown rule ids are errors at their `file:line:col`.
pub fn load(path: &Path) -> Result<Filter> {
    let name = path.display().to_string();
    let text = crate::layout::read_text_file(path)?;
    parse(&name, &text)
}

/// Parse the text of a project file named `name`.
pub fn parse(name: &str, text: &str) -> Result<Filter> {
    let raw: RawProject = toml::from_str(text).map_err(|e| {
        Error::input(
            name,
            text,
            e.span().unwrap_or(0..0),
            e.message().to_string(),
            Some(
                "keys: select, ignore, deny (lists of rule ids; deny also takes \"warnings\")"
                    .into(),
            ),
        )
    })?;
    let rule = |s: &Spanned<String>| {
        RuleId::parse(s.get_ref()).ok_or_else(|| unknown(name, text, s, false))
    };
    Ok(Filter {
        select: raw.select.iter().map(rule).collect::<Result<_>>()?,
        ignore: raw.ignore.iter().map(rule).collect::<Result<_>>()?,
        deny: raw
            .deny
            .iter()
            .map(|s| Deny::parse(s.get_ref()).ok_or_else(|| unknown(name, text, s, true)))
            .collect::<Result<_>>()?,
    })
}

fn unknown(name: &str, text: &str, s: &Spanned<String>, deny: bool) -> Error {
    let candidates = RuleId::ALL
        .iter()
        .map(|r| r.id())
        .chain(deny.then_some("warnings"));
    let help = crate::layout::best_match(s.get_ref(), candidates).map_or_else(
        || "`flagplan explain` lists the rule ids".to_string(),
        |m| format!("did you mean `{m}`?"),
    );
    Error::input(
        name,
        text,
        s.span(),
        format!("no rule `{}`", s.get_ref()),
        Some(help),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rule_lists_and_points_at_unknown_ids() {
        let f = parse(
            "p.toml",
            "select = [\"remote-writer\"]\ndeny = [\"warnings\", \"shared-word\"]\n",
        )
        .expect("parses");
        assert_eq!(f.select, [RuleId::RemoteWriter]);
        assert_eq!(f.deny, [Deny::Warnings, Deny::Rule(RuleId::SharedWord)]);
        let e = parse("p.toml", "ignore = [\"remote-writr\"]\n").expect_err("unknown id");
        assert_eq!(e.position(), Some(("p.toml", 1, 11)));
        let e = parse("p.toml", "\nverbose = true\n").expect_err("unknown key");
        assert_eq!(e.position().map(|p| p.1), Some(2));
    }

    #[test]
    fn command_line_lists_replace_the_file_lists() {
        let file = Filter {
            select: vec![RuleId::RemoteWriter],
            ignore: vec![RuleId::SharedWord],
            deny: vec![],
        };
        let cli = CliFilter {
            ignore: Some(vec![]),
            ..CliFilter::default()
        };
        let f = file.overridden_by(&cli);
        assert_eq!(f.select, [RuleId::RemoteWriter]);
        assert!(f.ignore.is_empty());
    }
}
