//! Layout TOML out of an import: the header-derived document as a [`toml::Table`], and a
//! deterministic writer for it (fixed key order, masks in hex, guessed rules marked).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use toml::{Table, Value};

use super::Imported;
use crate::model::Kind;

/// The header-derived layout document (no hand facts).
pub fn to_table(imp: &Imported) -> Table {
    let mut top = Table::new();
    top.insert(
        "format".into(),
        Value::Integer(crate::layout::FORMAT_VERSION),
    );
    top.insert(
        "struct".into(),
        Value::String(imp.options.struct_name.clone()),
    );
    top.insert(
        "source".into(),
        Value::String(imp.options.source_name.clone()),
    );
    let mut words = Vec::new();
    for w in &imp.words {
        let mut t = Table::new();
        t.insert("name".into(), Value::String(w.name.clone()));
        // The layout reader knows the kernel's type names; other spellings (`__u64`) go as width.
        if crate::model::c_type_width(&w.ctype).is_some() {
            t.insert("type".into(), Value::String(w.ctype.clone()));
        } else {
            t.insert("width".into(), Value::Integer(i64::from(w.width)));
        }
        t.insert("kind".into(), Value::String(w.kind.as_str().into()));
        t.insert("rule".into(), Value::String(w.guess.rule.to_string()));
        if w.enum_positions {
            t.insert("enum_positions".into(), Value::Boolean(true));
        }
        if let Some(d) = &w.doc {
            t.insert("doc".into(), Value::String(d.clone()));
        }
        t.insert("source".into(), Value::String(imp.source_of(w.at)));
        words.push(Value::Table(t));
    }
    let kind_of: BTreeMap<&str, Kind> = imp
        .words
        .iter()
        .map(|w| (w.name.as_str(), w.kind))
        .collect();
    let mut flags = Vec::new();
    for f in &imp.flags {
        let mut t = Table::new();
        t.insert("name".into(), Value::String(f.name.clone()));
        t.insert("word".into(), Value::String(f.word.clone()));
        let kind = kind_of.get(f.word.as_str()).copied().unwrap_or(Kind::Mask);
        match kind {
            // A multi-bit field of a mask word is placed by its lowest bit and its width.
            Kind::Mask if f.width == 1 => {
                if let Some(m) = f.mask.and_then(|m| i64::try_from(m).ok()) {
                    t.insert("mask".into(), Value::Integer(m));
                }
            }
            Kind::Mask => {
                if let Some(b) = f.bit {
                    t.insert("bit".into(), Value::Integer(i64::from(b)));
                }
            }
            Kind::Bitnum | Kind::Bitfield => {
                if let Some(b) = f.bit {
                    t.insert("bit".into(), Value::Integer(i64::from(b)));
                }
            }
        }
        if f.width != 1 {
            t.insert("width".into(), Value::Integer(i64::from(f.width)));
        }
        if !f.guard.is_always() {
            t.insert("guard".into(), Value::String(f.guard.to_string()));
        }
        if let Some(d) = &f.doc {
            t.insert("doc".into(), Value::String(d.clone()));
        }
        t.insert("source".into(), Value::String(imp.source_in(f.file, f.at)));
        if f.reserved {
            t.insert("reserved".into(), Value::Boolean(true));
        }
        if f.hole {
            t.insert("hole".into(), Value::Boolean(true));
        }
        flags.push(Value::Table(t));
    }
    top.insert("word".into(), Value::Array(words));
    top.insert("flag".into(), Value::Array(flags));
    top
}

const TOP_ORDER: &[&str] = &["format", "struct", "base", "source", "origin", "doc"];
const WORD_ORDER: &[&str] = &[
    "name",
    "type",
    "width",
    "kind",
    "rule",
    "enum_positions",
    "user_visible",
    "doc",
    "source",
];
const FLAG_ORDER: &[&str] = &[
    "name",
    "word",
    "mask",
    "bit",
    "width",
    "guard",
    "doc",
    "source",
    "abi",
    "abi_reason",
    "reserved",
    "hole",
    "read_remote",
    "read_evidence",
    "unsure",
];
const WRITER_ORDER: &[&str] = &[
    "context",
    "balanced",
    "from_user_mode",
    "locks",
    "lock",
    "evidence",
    "note",
];
const LOCK_ORDER: &[&str] = &["name", "aliases"];
const GROUP_ORDER: &[&str] = &["name", "flags", "reason", "evidence"];
const WAIVER_ORDER: &[&str] = &["flag", "rule", "reason"];
const PROPOSAL_ORDER: &[&str] = &["move", "add", "to", "bit", "member"];
const QUIESCENT_ORDER: &[&str] = &["function", "file", "reason", "evidence"];
const ACCESSOR_ORDER: &[&str] = &["name", "flags", "receiver", "write"];
const ARRAYS: &[(&str, &[&str])] = &[
    ("word", WORD_ORDER),
    ("flag", FLAG_ORDER),
    ("group", GROUP_ORDER),
    ("waiver", WAIVER_ORDER),
    ("proposal", PROPOSAL_ORDER),
    ("quiescent", QUIESCENT_ORDER),
    ("accessor", ACCESSOR_ORDER),
    ("lock", LOCK_ORDER),
];

/// A TOML basic string.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text for a TOML comment: control characters (which TOML forbids there, and which would
/// reach a terminal) written as `\u{..}` escapes. One line: `\n` is escaped too.
pub fn comment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c != '\t' && c.is_ascii_control() {
            let _ = write!(out, "\\u{{{:02x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

fn value(key: &str, v: &Value) -> String {
    match v {
        Value::String(s) => quote(s),
        Value::Integer(i) if key == "mask" && *i >= 0 => {
            if *i > 0xffff_ffff {
                format!("0x{i:016x}")
            } else {
                format!("0x{i:08x}")
            }
        }
        Value::Integer(i) => i.to_string(),
        Value::Boolean(b) => b.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Datetime(d) => d.to_string(),
        Value::Array(a) => {
            let items: Vec<String> = a.iter().map(|x| value("", x)).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Table(t) => {
            let items: Vec<String> = t
                .iter()
                .map(|(k, x)| format!("{k} = {}", value(k, x)))
                .collect();
            format!("{{ {} }}", items.join(", "))
        }
    }
}

fn is_table_array(v: &Value) -> bool {
    matches!(v, Value::Array(a) if !a.is_empty() && a.iter().all(|x| matches!(x, Value::Table(_))))
}

fn ordered<'a>(t: &'a Table, order: &[&str]) -> Vec<(&'a String, &'a Value)> {
    let mut out: Vec<(&String, &Value)> = Vec::new();
    for k in order {
        if let Some((key, v)) = t.get_key_value(*k) {
            out.push((key, v));
        }
    }
    let mut rest: Vec<(&String, &Value)> = t
        .iter()
        .filter(|(k, _)| !order.contains(&k.as_str()))
        .collect();
    rest.sort_by(|a, b| a.0.cmp(b.0));
    out.extend(rest);
    out
}

/// Write `t` (keys, then sub-arrays of tables) under the header `path` (empty at top level).
fn write_table(
    out: &mut String,
    t: &Table,
    order: &[&str],
    comments: &BTreeMap<String, String>,
    path: &str,
) {
    let keys = ordered(t, order);
    for (k, v) in keys.iter().filter(|(_, v)| !is_table_array(v)) {
        if path.is_empty() && ARRAYS.iter().any(|(a, _)| a == k) {
            continue; // an empty [[word]] array etc.
        }
        let _ = write!(out, "{k} = {}", value(k, v));
        let ck = format!("{path}.{k}");
        if let Some(c) = comments.get(&ck) {
            let _ = write!(out, "  # {}", comment(c));
        }
        out.push('\n');
    }
    for (k, v) in keys.iter().filter(|(_, v)| is_table_array(v)) {
        if path.is_empty() && ARRAYS.iter().any(|(a, _)| a == k) {
            continue;
        }
        let Value::Array(items) = v else { continue };
        let sub = if path.is_empty() {
            (*k).clone()
        } else {
            format!("{path}.{k}")
        };
        let sub_order: &[&str] = if k.as_str() == "writer" {
            WRITER_ORDER
        } else {
            &[]
        };
        for item in items {
            if let Value::Table(it) = item {
                let _ = writeln!(out, "[[{sub}]]");
                write_table(out, it, sub_order, &BTreeMap::new(), &sub);
            }
        }
    }
}

/// Render a layout document. `notes` go at the top as comments; `rule_guesses` maps a word name
/// to the reason its rule is a guess (written as a `# GUESS` comment on the `rule` line).
pub fn render(doc: &Table, notes: &[String], rule_guesses: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    for n in notes {
        for l in n.lines() {
            let _ = writeln!(out, "# {}", comment(l));
        }
    }
    write_table(&mut out, doc, TOP_ORDER, &BTreeMap::new(), "");
    for (key, order) in ARRAYS {
        let Some(Value::Array(items)) = doc.get(*key) else {
            continue;
        };
        for item in items {
            let Value::Table(t) = item else { continue };
            out.push('\n');
            let _ = writeln!(out, "[[{key}]]");
            let mut comments = BTreeMap::new();
            if *key == "word"
                && let Some(Value::String(name)) = t.get("name")
                && let Some(why) = rule_guesses.get(name)
            {
                comments.insert(
                    format!("{key}.rule"),
                    format!("GUESS ({why}): confirm, then record it in the facts file"),
                );
            }
            write_table(&mut out, t, order, &comments, key);
        }
    }
    out
}
