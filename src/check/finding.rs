//! A finding: one rule broken (or one fact noted) at one place, with its evidence.

use crate::model::Loc;
use crate::rules::{RuleId, Severity};

#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub rule: RuleId,
    pub severity: Severity,
    pub flag: Option<String>,
    pub word: Option<String>,
    pub message: String,
    pub loc: Option<Loc>,
    pub evidence: Vec<String>,
    /// More about the finding (e.g. the writer's own note), shown under it.
    pub detail: Option<String>,
    /// Set when a waiver excuses the finding: its reason.
    pub waived: Option<String>,
}

impl Finding {
    pub fn new(rule: RuleId, message: impl Into<String>) -> Self {
        Finding {
            rule,
            severity: rule.severity(),
            flag: None,
            word: None,
            message: message.into(),
            loc: None,
            evidence: Vec::new(),
            detail: None,
            waived: None,
        }
    }
    pub fn flag(mut self, f: impl Into<String>) -> Self {
        self.flag = Some(f.into());
        self
    }
    pub fn word(mut self, w: impl Into<String>) -> Self {
        self.word = Some(w.into());
        self
    }
    pub fn at(mut self, loc: &Loc) -> Self {
        self.loc = Some(loc.clone());
        self
    }
    pub fn detail(mut self, d: Option<String>) -> Self {
        self.detail = d;
        self
    }
    pub fn evidence(mut self, ev: impl IntoIterator<Item = String>) -> Self {
        self.evidence.extend(ev);
        self
    }
}
