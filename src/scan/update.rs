//! `flagplan scan --update`: write the evidence back into a layout with `toml_edit`, so that
//! comments, order and every hand-written fact stay as they were.
//!
//! For each `[[flag]]` with scanned writes: a writer whose context the scan found gets the new
//! `file:line` sites added to its `evidence` (existing entries kept, duplicates dropped); a context
//! found but not declared gets a new `[[flag.writer]]` with `note = "found by flagplan scan"`.
//! Remote reads set `read_remote = true` and extend `read_evidence`. Nothing is removed.

use std::collections::BTreeMap;

use toml_edit::{Array, ArrayOfTables, DocumentMut, Item, Table, Value};

use super::evidence::{Evidence, ScanContext};

/// At most this many new sites per writer context (remote ones are always all kept).
pub const MAX_NEW_CURRENT: usize = 8;

fn push_unique(arr: &mut Array, items: &[String]) {
    for s in items {
        if !arr.iter().any(|v| v.as_str() == Some(s.as_str())) {
            arr.push(s.as_str());
        }
    }
}

pub fn update(text: &str, ev: &Evidence) -> Result<String, String> {
    let mut doc: DocumentMut = text.parse().map_err(|e| format!("{e}"))?;
    // flag -> context -> sites, and flag -> remote read sites
    let mut writes: BTreeMap<&str, BTreeMap<ScanContext, Vec<String>>> = BTreeMap::new();
    let mut reads: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for a in &ev.accesses {
        if a.is_write() {
            if a.context == ScanContext::Unknown {
                continue;
            }
            let v = writes
                .entry(a.flag.as_str())
                .or_default()
                .entry(a.context)
                .or_default();
            let s = a.site();
            if !v.contains(&s) {
                v.push(s);
            }
        } else if matches!(a.context, ScanContext::Remote | ScanContext::RemoteStopped) {
            let v = reads.entry(a.flag.as_str()).or_default();
            let s = a.site();
            if !v.contains(&s) {
                v.push(s);
            }
        }
    }
    let Some(flags) = doc.get_mut("flag").and_then(Item::as_array_of_tables_mut) else {
        return Ok(doc.to_string());
    };
    for t in flags.iter_mut() {
        let Some(name) = t.get("name").and_then(Item::as_str).map(str::to_string) else {
            continue;
        };
        if let Some(by_ctx) = writes.get(name.as_str()) {
            update_writers(t, by_ctx);
        }
        if let Some(sites) = reads.get(name.as_str()) {
            t["read_remote"] = toml_edit::value(true);
            let arr = t
                .entry("read_evidence")
                .or_insert(toml_edit::value(Array::new()));
            if let Some(a) = arr.as_array_mut() {
                push_unique(a, sites);
            }
        }
    }
    Ok(doc.to_string())
}

fn update_writers(t: &mut Table, by_ctx: &BTreeMap<ScanContext, Vec<String>>) {
    if !t.contains_key("writer") {
        t.insert("writer", Item::ArrayOfTables(ArrayOfTables::new()));
    }
    let Some(ws) = t.get_mut("writer").and_then(Item::as_array_of_tables_mut) else {
        return;
    };
    for (ctx, sites) in by_ctx {
        let mut sites = sites.clone();
        if *ctx == ScanContext::Current {
            sites.truncate(MAX_NEW_CURRENT);
        }
        let existing = ws
            .iter_mut()
            .find(|w| w.get("context").and_then(Item::as_str) == Some(ctx.as_str()));
        match existing {
            Some(w) => {
                if *ctx == ScanContext::Current
                    && w.get("evidence")
                        .and_then(Item::as_array)
                        .is_some_and(|a| !a.is_empty())
                {
                    // Current evidence is representative; keep the hand-picked lines.
                    continue;
                }
                let arr = w
                    .entry("evidence")
                    .or_insert(toml_edit::value(Array::new()));
                if let Some(a) = arr.as_array_mut() {
                    push_unique(a, &sites);
                }
            }
            None => {
                let mut w = Table::new();
                w.insert("context", toml_edit::value(ctx.as_str()));
                let mut a = Array::new();
                push_unique(&mut a, &sites);
                w.insert("evidence", Item::Value(Value::Array(a)));
                w.insert("note", toml_edit::value("found by flagplan scan"));
                ws.push(w);
            }
        }
    }
}
