//! `suggest -o FILE`: the suggestion as a plan file that `flagplan check FILE` accepts and passes.
//!
//! The plan names its base by a path relative to the plan file (or `builtin:NAME`), holds one
//! `[[proposal]]` per flag in the order the planner applied them, with the bit it chose, and is
//! checked in memory before it is written (atomically; an existing file is kept unless `--force`).

use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};
use crate::layout::Input;
use crate::model::{Context, Loc, Proposal, ProposalOp};
use crate::rules::Severity;

/// One proposal to write.
#[derive(Clone, Debug)]
pub enum Step {
    Move {
        flag: String,
        to: String,
        bit: u32,
    },
    Add {
        flag: Box<crate::model::Flag>,
        to: String,
        bit: u32,
        guard_text: Option<String>,
    },
}

/// The `base = ...` value for a plan written at `plan` about `input`.
pub fn base_for(input: &Input, plan: &Path) -> Result<String> {
    match input {
        Input::Builtin(n) => Ok(format!("builtin:{n}")),
        Input::Stdin => Err(Error::Usage(
            "--output needs the layout as a file or --builtin, not standard input (a plan names its base)"
                .into(),
        )),
        Input::Path(p) => {
            let layout = std::fs::canonicalize(p).map_err(|e| Error::io(p.display().to_string(), e))?;
            let dir = match plan.parent() {
                Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                _ => PathBuf::from("."),
            };
            let dir = std::fs::canonicalize(&dir)
                .map_err(|e| Error::io(dir.display().to_string(), e))?;
            let rel = relative(&dir, &layout);
            rel.to_str()
                .map(|s| s.replace('\\', "/"))
                .ok_or_else(|| Error::Usage(format!("{}: path is not UTF-8", layout.display())))
        }
    }
}

/// `to` relative to directory `from` (both absolute).
fn relative(from: &Path, to: &Path) -> PathBuf {
    let f: Vec<Component> = from.components().collect();
    let t: Vec<Component> = to.components().collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..f.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c.as_os_str());
    }
    out
}

fn q(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The plan file's text.
pub fn plan_text(base: &str, header: &[String], steps: &[Step]) -> String {
    let mut s = String::new();
    for h in header {
        for line in h.lines() {
            s.push_str("# ");
            s.push_str(line);
            s.push('\n');
        }
    }
    s.push_str("format = 1\n");
    s.push_str(&format!("base = {}\n", q(base)));
    for st in steps {
        s.push('\n');
        s.push_str("[[proposal]]\n");
        match st {
            Step::Move { flag, to, bit } => {
                s.push_str(&format!(
                    "move = {}\nto = {}\nbit = {bit}\n",
                    q(flag),
                    q(to)
                ));
            }
            Step::Add {
                flag,
                to,
                bit,
                guard_text,
            } => {
                s.push_str(&format!(
                    "add = {}\nto = {}\nbit = {bit}\n",
                    q(&flag.name),
                    q(to)
                ));
                if let Some(g) = guard_text {
                    s.push_str(&format!("guard = {}\n", q(g)));
                }
                for w in &flag.writers {
                    s.push_str("[[proposal.writer]]\n");
                    s.push_str(&format!("context = {}\n", q(w.context.as_str())));
                    if w.context == Context::CurrentIrq {
                        s.push_str(&format!("balanced = {}\n", w.balanced));
                        if w.from_user_mode {
                            s.push_str("from_user_mode = true\n");
                        }
                    }
                    if !w.locks.is_empty() {
                        let ls: Vec<String> = w.locks.iter().map(|l| q(l)).collect();
                        s.push_str(&format!("locks = [{}]\n", ls.join(", ")));
                    }
                }
            }
        }
    }
    s
}

/// Check the steps on `base` in memory, as `flagplan check` will: the plan may not add an error
/// (an error the base layout already has, by rule and flag, is the base's, not the plan's).
pub fn verify(base: &crate::model::Layout, steps: &[Step]) -> Result<()> {
    let errors = |layout: crate::model::Layout| -> Vec<(String, String, String)> {
        let loaded = crate::layout::Loaded {
            layout,
            sources: crate::model::Sources::default(),
        };
        crate::check::check(&loaded)
            .findings
            .into_iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| {
                (
                    f.rule.id().to_string(),
                    f.flag.clone().unwrap_or_default(),
                    f.message,
                )
            })
            .collect()
    };
    let before: std::collections::HashSet<(String, String)> = errors(base.clone())
        .into_iter()
        .map(|(r, f, _)| (r, f))
        .collect();
    let mut layout = base.clone();
    layout.proposals = proposals(steps);
    if let Some((rule, _, message)) = errors(layout)
        .into_iter()
        .find(|(r, f, _)| !before.contains(&(r.clone(), f.clone())))
    {
        return Err(Error::Usage(format!(
            "internal error: the suggested plan does not pass check: {rule}: {message}"
        )));
    }
    Ok(())
}

/// The steps as model proposals.
pub fn proposals(steps: &[Step]) -> Vec<Proposal> {
    steps
        .iter()
        .map(|st| match st {
            Step::Move { flag, to, bit } => Proposal {
                op: ProposalOp::Move { flag: flag.clone() },
                to: to.clone(),
                bit: Some(*bit),
                member: None,
                loc: Loc::default(),
                to_loc: Loc::default(),
            },
            Step::Add { flag, to, bit, .. } => Proposal {
                op: ProposalOp::Add { flag: flag.clone() },
                to: to.clone(),
                bit: Some(*bit),
                member: None,
                loc: Loc::default(),
                to_loc: Loc::default(),
            },
        })
        .collect()
}

/// Verify and write the plan.
pub fn write(
    input: &Input,
    base_layout: &crate::model::Layout,
    path: &Path,
    force: bool,
    header: &[String],
    steps: &[Step],
) -> Result<()> {
    if !base_layout.proposals.is_empty() {
        return Err(Error::Usage(
            "--output works on a layout without proposals; run suggest on the plan's base layout"
                .into(),
        ));
    }
    if !force && path.exists() {
        return Err(Error::WouldClobber {
            path: path.display().to_string(),
        });
    }
    let base = base_for(input, path)?;
    verify(base_layout, steps)?;
    let text = plan_text(&base, header, steps);
    crate::fsutil::write_atomic(path, text.as_bytes(), force)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_walk_up_and_down() {
        assert_eq!(
            relative(Path::new("/a/b/c"), Path::new("/a/x/y.toml")),
            PathBuf::from("../../x/y.toml")
        );
        assert_eq!(
            relative(Path::new("/a"), Path::new("/a/y.toml")),
            PathBuf::from("y.toml")
        );
    }
}
