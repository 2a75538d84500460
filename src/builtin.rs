//! Built-in layouts embedded in the binary (every `layouts/*.toml` at build time).

use crate::error::{Error, Result};

include!(concat!(env!("OUT_DIR"), "/builtins.rs"));

/// Names of the built-in layouts.
pub fn names() -> impl Iterator<Item = &'static str> {
    BUILTINS.iter().map(|(n, _)| *n)
}

/// The text of a built-in layout, by full name, by `NAME-task_struct` (`linux-6.1`), or by a
/// unique prefix.
pub fn get(name: &str) -> Result<&'static str> {
    if let Some((_, t)) = BUILTINS.iter().find(|(n, _)| *n == name) {
        return Ok(t);
    }
    // `linux-6.1` names the task_struct layout of 6.1 when other structs share the prefix.
    let task = format!("{name}-task_struct");
    if let Some((_, t)) = BUILTINS.iter().find(|(n, _)| *n == task) {
        return Ok(t);
    }
    let mut hits = BUILTINS.iter().filter(|(n, _)| n.starts_with(name));
    match (hits.next(), hits.next()) {
        (Some((_, t)), None) => Ok(t),
        _ => Err(Error::UnknownBuiltin {
            name: name.to_string(),
            known: names().collect::<Vec<_>>().join(", "),
        }),
    }
}

/// The default built-in: the newest Linux `task_struct` layout.
pub fn default_name() -> Option<&'static str> {
    names().max_by_key(|n| version_key(n))
}

fn version_key(name: &str) -> (bool, Vec<u64>) {
    let nums = name
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect();
    (name.contains("task_struct"), nums)
}
