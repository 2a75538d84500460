//! `flagplan explain [RULE]`: one rule in full, or every rule in one line each.

use clap::Args;

use super::args::rule_ids;
use super::{Outcome, print};
use crate::error::{Error, Result};
use crate::layout;
use crate::rules::RuleId;

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A rule id such as `remote-writer`; omit to list all.
    #[arg(value_parser = rule_ids())]
    pub rule: Option<String>,
}

/// Run `flagplan explain`.
pub fn run(args: &ExplainArgs) -> Result<Outcome> {
    print(&explain(args.rule.as_deref())?)?;
    Ok(Outcome::Success)
}

/// The text of `flagplan explain [RULE]`.
pub fn explain(rule: Option<&str>) -> Result<String> {
    let Some(id) = rule else {
        let mut s = String::new();
        for r in RuleId::ALL {
            let i = r.info();
            s.push_str(&format!(
                "{:<24} {:<8} {}\n",
                i.id,
                i.severity.as_str(),
                i.summary
            ));
        }
        return Ok(s);
    };
    let r = RuleId::parse(id).ok_or_else(|| {
        let help = layout::best_match(id, RuleId::ALL.iter().map(|r| r.id())).map_or_else(
            || " (`flagplan explain` lists them)".to_string(),
            |m| format!(" (did you mean `{m}`?)"),
        );
        Error::Usage(format!("no rule `{id}`{help}"))
    })?;
    let i = r.info();
    let indent = |t: &str| t.lines().map(|l| format!("    {l}\n")).collect::<String>();
    Ok(format!(
        "{} ({})\n\n{}\n\n{}\n\nExample:\n{}\nFix:\n    {}\n\nWaive (for one flag, with a written reason):\n    [[waiver]]\n    flag = \"FLAG\"\n    rule = \"{}\"\n    reason = \"why this cannot corrupt the word\"\n",
        i.id,
        i.severity,
        i.summary,
        i.explain,
        indent(i.example),
        i.fix,
        i.id
    ))
}
