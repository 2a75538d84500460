//! Hand-kept facts over a header import: a facts file (`layouts/facts/linux-6.1.toml`) or the
//! previous layout on re-import. The header owns names, words, values, widths, guards and
//! source lines; people own writers, evidence, abi pins, remote reads, notes, docs, word
//! rules, groups, waivers and proposals.

use std::collections::{BTreeMap, BTreeSet};

use toml::{Table, Value};

/// Flag keys that come from the header and are never taken from hand facts.
pub const HEADER_FLAG_KEYS: &[&str] = &[
    "name", "word", "mask", "bit", "width", "guard", "source", "reserved", "hole",
];
/// Word keys that come from the header.
pub const HEADER_WORD_KEYS: &[&str] = &["name", "type", "width", "kind", "source"];
/// Top-level keys that come from the header.
const HEADER_TOP_KEYS: &[&str] = &["format", "struct", "word", "flag"];

/// What a merge kept, dropped and overrode, for the user.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct MergeReport {
    /// Words whose rule a person gave (no `GUESS` marker).
    pub confirmed_rules: BTreeSet<String>,
    /// One line per fact that could not be kept (its flag or word is gone).
    pub lost: Vec<String>,
    /// One line per hand value the header overrode.
    pub overridden: Vec<String>,
    /// Bitfield units renamed to the hand name: derived → hand.
    pub renamed: BTreeMap<String, String>,
}

fn str_of<'a>(t: &'a Table, k: &str) -> Option<&'a str> {
    t.get(k).and_then(Value::as_str)
}

fn tables(doc: &Table, key: &str) -> Vec<Table> {
    match doc.get(key) {
        Some(Value::Array(a)) => a.iter().filter_map(|v| v.as_table().cloned()).collect(),
        _ => Vec::new(),
    }
}

fn tables_mut<'a>(doc: &'a mut Table, key: &str) -> Vec<&'a mut Table> {
    match doc.get_mut(key) {
        Some(Value::Array(a)) => a.iter_mut().filter_map(Value::as_table_mut).collect(),
        _ => Vec::new(),
    }
}

/// Words of the previous layout whose `rule` line carries the `# GUESS` marker.
pub fn guessed_words(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut in_word = false;
    let mut name: Option<String> = None;
    for line in text.lines() {
        let l = line.trim();
        if l.starts_with("[[") {
            in_word = l == "[[word]]";
            name = None;
            continue;
        }
        if !in_word {
            continue;
        }
        if let Some(v) = l.strip_prefix("name") {
            let v = v.trim_start().trim_start_matches('=').trim();
            name = Some(v.trim_matches('"').to_string());
        }
        if l.starts_with("rule")
            && l.contains("# GUESS")
            && let Some(n) = &name
        {
            out.insert(n.clone());
        }
    }
    out
}

/// Rename derived bitfield units to the hand names: a hand `[[word]]` with `member = "X"` names
/// the unit holding X; otherwise the hand flags' `word` keys vote by overlap.
fn renames(doc: &Table, hand: &Table) -> BTreeMap<String, String> {
    let words = tables(doc, "word");
    let flags = tables(doc, "flag");
    let derived: BTreeSet<String> = words
        .iter()
        .filter_map(|w| str_of(w, "name").map(String::from))
        .collect();
    let bitfield: BTreeSet<String> = words
        .iter()
        .filter(|w| str_of(w, "kind") == Some("bitfield"))
        .filter_map(|w| str_of(w, "name").map(String::from))
        .collect();
    let word_of: BTreeMap<String, String> = flags
        .iter()
        .filter_map(|f| {
            Some((
                str_of(f, "name")?.to_string(),
                str_of(f, "word")?.to_string(),
            ))
        })
        .collect();
    let mut out = BTreeMap::new();
    for hw in tables(hand, "word") {
        let (Some(hname), Some(member)) = (str_of(&hw, "name"), str_of(&hw, "member")) else {
            continue;
        };
        if let Some(w) = word_of.get(member)
            && bitfield.contains(w)
            && w != hname
        {
            out.insert(w.clone(), hname.to_string());
        }
    }
    // Overlap vote from hand flags that name their word (a previous layout).
    let mut votes: BTreeMap<(String, String), usize> = BTreeMap::new();
    for hf in tables(hand, "flag") {
        let (Some(n), Some(hw)) = (str_of(&hf, "name"), str_of(&hf, "word")) else {
            continue;
        };
        if let Some(w) = word_of.get(n)
            && bitfield.contains(w)
            && w != hw
            && !derived.contains(hw)
        {
            *votes.entry((w.clone(), hw.to_string())).or_default() += 1;
        }
    }
    let mut best: BTreeMap<String, (usize, String)> = BTreeMap::new();
    for ((w, hw), n) in votes {
        let e = best.entry(w).or_insert((0, String::new()));
        if n > e.0 {
            *e = (n, hw);
        }
    }
    for (w, (_, hw)) in best {
        out.entry(w).or_insert(hw);
    }
    out
}

/// Overlay `hand` onto the header document `doc`. `previous_guesses`: words whose rule in
/// `hand` is still an unconfirmed guess (from [`guessed_words`]).
pub fn overlay(doc: &mut Table, hand: &Table, previous_guesses: &BTreeSet<String>) -> MergeReport {
    let mut rep = MergeReport {
        renamed: renames(doc, hand),
        ..Default::default()
    };
    for w in tables_mut(doc, "word") {
        if let Some(Value::String(n)) = w.get_mut("name")
            && let Some(new) = rep.renamed.get(n.as_str())
        {
            *n = new.clone();
        }
    }
    for f in tables_mut(doc, "flag") {
        if let Some(Value::String(n)) = f.get_mut("word")
            && let Some(new) = rep.renamed.get(n.as_str())
        {
            *n = new.clone();
        }
    }
    // Top level.
    for (k, v) in hand {
        if HEADER_TOP_KEYS.contains(&k.as_str()) {
            continue;
        }
        doc.insert(k.clone(), v.clone());
    }
    // Words.
    let hand_words = tables(hand, "word");
    {
        let mut words = tables_mut(doc, "word");
        for hw in &hand_words {
            let Some(hname) = str_of(hw, "name") else {
                continue;
            };
            let Some(w) = words.iter_mut().find(|w| str_of(w, "name") == Some(hname)) else {
                rep.lost.push(format!(
                    "word `{hname}`: not in the header any more; its hand facts ({}) are dropped",
                    keys_of(hw, HEADER_WORD_KEYS).join(", ")
                ));
                continue;
            };
            for (k, v) in hw {
                if k == "member" {
                    continue;
                }
                if HEADER_WORD_KEYS.contains(&k.as_str()) {
                    if w.get(k).is_some_and(|x| x != v) && k != "name" {
                        rep.overridden.push(format!(
                            "word `{hname}`: `{k}` is {} in the header, {} in the hand facts; the header wins",
                            w.get(k).map_or(String::new(), |x| super::emit::quote(&x.to_string())),
                            super::emit::quote(&v.to_string())
                        ));
                    }
                    continue;
                }
                if k == "rule" && !previous_guesses.contains(hname) {
                    rep.confirmed_rules.insert(hname.to_string());
                }
                w.insert(k.clone(), v.clone());
            }
        }
    }
    // Flags.
    let hand_flags = tables(hand, "flag");
    let mut flags = tables_mut(doc, "flag");
    for hf in &hand_flags {
        let Some(hname) = str_of(hf, "name") else {
            continue;
        };
        let Some(f) = flags.iter_mut().find(|f| str_of(f, "name") == Some(hname)) else {
            // `doc` is usually the header's own comment: not listed as a hand fact.
            let kept: Vec<String> = keys_of(hf, HEADER_FLAG_KEYS)
                .into_iter()
                .filter(|k| k != "doc")
                .collect();
            rep.lost.push(if kept.is_empty() {
                format!("flag `{hname}`: not in the header any more; dropped")
            } else {
                format!(
                    "flag `{hname}`: not in the header any more; its hand facts ({}) are dropped",
                    kept.join(", ")
                )
            });
            continue;
        };
        for (k, v) in hf {
            if HEADER_FLAG_KEYS.contains(&k.as_str()) {
                let renamed_word = k == "word"
                    && v.as_str()
                        .is_some_and(|hw| rep.renamed.values().any(|x| x == hw));
                if k != "name" && !renamed_word && f.get(k).is_some_and(|x| x != v) {
                    rep.overridden.push(format!(
                        "flag `{hname}`: `{k}` is {} in the header, {} in the hand facts; the header wins",
                        f.get(k).map_or(String::new(), ToString::to_string),
                        v
                    ));
                }
                continue;
            }
            f.insert(k.clone(), v.clone());
        }
    }
    drop(flags);
    // Groups, waivers, proposals: kept; names that are gone are reported.
    let names: BTreeSet<String> = tables(doc, "flag")
        .iter()
        .filter_map(|f| str_of(f, "name").map(String::from))
        .collect();
    for g in tables(hand, "group") {
        if let Some(Value::Array(members)) = g.get("flags") {
            for m in members.iter().filter_map(Value::as_str) {
                if !names.contains(m) {
                    rep.lost.push(format!(
                        "group `{}` names `{m}`, which the header no longer defines (kept; `check` reports it)",
                        str_of(&g, "name").unwrap_or("?")
                    ));
                }
            }
        }
    }
    for w in tables(hand, "waiver") {
        if let Some(f) = str_of(&w, "flag")
            && !names.contains(f)
        {
            rep.lost.push(format!(
                "waiver of `{}` for `{f}`: the header no longer defines `{f}` (kept; `check` reports it stale)",
                str_of(&w, "rule").unwrap_or("?")
            ));
        }
    }
    rep
}

fn keys_of(t: &Table, skip: &[&str]) -> Vec<String> {
    t.keys()
        .filter(|k| !skip.contains(&k.as_str()))
        .cloned()
        .collect()
}

/// The facts in `layout` that the header import `doc` does not give: the inverse of
/// [`overlay`], used to turn a hand-written layout into a facts file.
pub fn extract(doc: &Table, layout: &Table) -> (Table, Vec<String>) {
    let mut out = Table::new();
    let mut notes = Vec::new();
    for (k, v) in layout {
        if HEADER_TOP_KEYS.contains(&k.as_str()) || doc.get(k) == Some(v) {
            continue;
        }
        out.insert(k.clone(), v.clone());
    }
    let map = renames(doc, layout);
    let doc_words = tables(doc, "word");
    let doc_flags = tables(doc, "flag");
    let mut words = Vec::new();
    for lw in tables(layout, "word") {
        let Some(name) = str_of(&lw, "name") else {
            continue;
        };
        let derived = map
            .iter()
            .find(|(_, v)| v.as_str() == name)
            .map_or(name, |(k, _)| k.as_str());
        let Some(dw) = doc_words
            .iter()
            .find(|w| str_of(w, "name") == Some(derived))
        else {
            notes.push(format!("word `{name}` is not in the header"));
            continue;
        };
        let mut t = Table::new();
        t.insert("name".into(), Value::String(name.to_string()));
        if derived != name {
            // Name the unit by its first member.
            if let Some(first) = doc_flags
                .iter()
                .find(|f| str_of(f, "word") == Some(derived))
                .and_then(|f| str_of(f, "name"))
            {
                t.insert("member".into(), Value::String(first.to_string()));
            }
        }
        for (k, v) in &lw {
            if HEADER_WORD_KEYS.contains(&k.as_str()) {
                if k != "name" && dw.get(k).is_some_and(|x| x != v) {
                    notes.push(format!(
                        "word `{name}`: `{k}` = {v} in the layout, {} in the header",
                        dw.get(k).map_or(String::new(), ToString::to_string)
                    ));
                }
                continue;
            }
            if k == "rule" || dw.get(k) != Some(v) {
                t.insert(k.clone(), v.clone());
            }
        }
        words.push(Value::Table(t));
    }
    let mut flags = Vec::new();
    for lf in tables(layout, "flag") {
        let Some(name) = str_of(&lf, "name") else {
            continue;
        };
        let Some(df) = doc_flags.iter().find(|f| str_of(f, "name") == Some(name)) else {
            notes.push(format!("flag `{name}` is not in the header"));
            continue;
        };
        let mut t = Table::new();
        for (k, v) in &lf {
            if HEADER_FLAG_KEYS.contains(&k.as_str()) {
                let renamed =
                    k == "word" && v.as_str().is_some_and(|w| map.values().any(|x| x == w));
                let same = df.get(k) == Some(v)
                    || (k == "reserved" && v == &Value::Boolean(false) && df.get(k).is_none());
                if k != "name" && !renamed && !same {
                    notes.push(format!(
                        "flag `{name}`: `{k}` = {v} in the layout, {} in the header",
                        df.get(k).map_or("absent".to_string(), ToString::to_string)
                    ));
                }
                continue;
            }
            if df.get(k) != Some(v) {
                t.insert(k.clone(), v.clone());
            }
        }
        if !t.is_empty() {
            let mut named = Table::new();
            named.insert("name".into(), Value::String(name.to_string()));
            named.extend(t);
            flags.push(Value::Table(named));
        }
    }
    if !words.is_empty() {
        out.insert("word".into(), Value::Array(words));
    }
    if !flags.is_empty() {
        out.insert("flag".into(), Value::Array(flags));
    }
    (out, notes)
}
