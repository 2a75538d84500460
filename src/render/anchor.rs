//! Where a finding lands in the checked repository: its own file when that is a file under the
//! repository root, else the line of the plan that names its (built-in or outside) base.

use std::path::{Component, Path, PathBuf};

use crate::check::Finding;
use crate::model::{Loc, Sources};

/// A position in a file of the repository, by its repository-relative path (`/`-separated).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Anchor {
    pub uri: String,
    pub line: usize,
    pub col: usize,
}

/// `a/b/../c` → `a/c`, without touching the file system.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The repository-relative path of a source named `name`, when it is a file under `root`.
pub fn repo_path(name: &str, root: &Path) -> Option<String> {
    if name.starts_with("builtin:") || name.starts_with('<') {
        return None;
    }
    let root = normalize(root);
    let abs = normalize(&root.join(name));
    let rel = abs.strip_prefix(&root).ok()?;
    if rel.as_os_str().is_empty() || !abs.is_file() {
        return None;
    }
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Some(parts.join("/"))
}

/// Where `loc` lands in the repository, following `named_at` from a built-in base to its plan.
pub fn anchor_loc(loc: &Loc, sources: &Sources, root: &Path) -> Option<Anchor> {
    let mut loc = loc.clone();
    // A plan's base is a layout, never a plan: two steps at most.
    for _ in 0..2 {
        let file = sources.get(loc.file)?;
        if let Some(uri) = repo_path(&file.name, root) {
            let (line, col) = file.line_col(loc.span.start);
            return Some(Anchor { uri, line, col });
        }
        loc = file.named_at.clone()?;
    }
    None
}

/// Where a finding lands in the repository, if anywhere.
pub fn anchor(f: &Finding, sources: &Sources, root: &Path) -> Option<Anchor> {
    anchor_loc(f.loc.as_ref()?, sources, root)
}

/// The name of the file a finding is located in (`builtin:linux-6.1`), for findings that land nowhere.
pub fn source_name<'a>(f: &Finding, sources: &'a Sources) -> Option<&'a str> {
    Some(sources.get(f.loc.as_ref()?.file)?.name.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_paths_are_normalized_and_must_exist() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert_eq!(
            repo_path("examples/../layouts/linux-6.1-task_struct.toml", root).as_deref(),
            Some("layouts/linux-6.1-task_struct.toml")
        );
        assert_eq!(repo_path("builtin:linux-6.1", root), None);
        assert_eq!(repo_path("<stdin>", root), None);
        assert_eq!(repo_path("no/such/file.toml", root), None);
        assert_eq!(repo_path("../outside.toml", root), None);
        let abs = root.join("Cargo.toml");
        assert_eq!(
            repo_path(&abs.display().to_string(), root).as_deref(),
            Some("Cargo.toml")
        );
    }
}
