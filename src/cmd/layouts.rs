//! `flagplan layouts`: the built-in layouts, one line each.

use super::{Outcome, print};
use crate::error::Result;
use crate::layout::{self, Input};

/// Run `flagplan layouts`.
pub fn run() -> Result<Outcome> {
    let mut out = String::new();
    let default = crate::builtin::default_name();
    for name in crate::builtin::names() {
        let loaded = layout::load(&Input::Builtin(name.to_string()))?;
        let l = &loaded.layout;
        out.push_str(&format!(
            "{name}{}\tstruct {}, {} words, {} flags{}\n",
            if Some(name) == default {
                " (default)"
            } else {
                ""
            },
            l.struct_name,
            l.words.len(),
            l.flags.len(),
            l.origin
                .as_ref()
                .map_or(String::new(), |o| format!(", from {o}"))
        ));
    }
    print(&out)?;
    Ok(Outcome::Success)
}
