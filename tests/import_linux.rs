//! `flagplan import` on real kernel headers: the 6.1 tree (env FLAGPLAN_LINUX_6_1, see
//! tests/linux_layouts.rs) and, when FLAGPLAN_LINUX_5_8_SCHED_H points at it, v5.8's sched.h.
//! The shipped layouts must be reproducible from the header plus facts/*.toml.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use flagplan::import::{self, Family, Options};
use flagplan::layout;
use flagplan::model::Layout;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Everything a layout says, keyed by item, positions (spans, declaration order) left out.
fn semantic(l: &Layout) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    m.insert(
        "top".into(),
        format!("{:?}", (&l.struct_name, &l.source, &l.origin, &l.doc)),
    );
    for w in &l.words {
        m.insert(
            format!("word {}", w.name),
            format!(
                "{:?}",
                (w.width, &w.kind, w.rule.to_string(), &w.doc, &w.source)
            ),
        );
    }
    for (i, f) in l.flags.iter().enumerate() {
        let writers: Vec<String> = f
            .writers
            .iter()
            .map(|w| {
                format!(
                    "{:?}",
                    (w.context, w.balanced, &w.locks, &w.evidence, &w.note)
                )
            })
            .collect();
        let order_in_word = l.flags[..i].iter().filter(|g| g.word == f.word).count();
        m.insert(
            format!("flag {}", f.name),
            format!(
                "{:?}",
                (
                    &f.word,
                    f.bit,
                    f.mask,
                    f.width,
                    f.guard.to_string(),
                    &f.doc,
                    &f.source,
                    (f.abi, &f.abi_reason, f.reserved, f.read_remote),
                    (&f.read_evidence, &f.unsure, writers, order_in_word)
                )
            ),
        );
    }
    for g in &l.groups {
        let flags: Vec<&str> = g.flags.iter().map(|(n, _)| n.as_str()).collect();
        m.insert(
            format!("group {}", g.name),
            format!("{:?}", (flags, &g.reason, &g.evidence)),
        );
    }
    for (i, w) in l.waivers.iter().enumerate() {
        m.insert(
            format!("waiver {i}"),
            format!("{:?}", (&w.flag, &w.rule, &w.reason)),
        );
    }
    for q in &l.quiescent {
        m.insert(format!("quiescent {}", q.function), format!("{q:?}"));
    }
    for a in &l.accessors {
        m.insert(format!("accessor {}", a.name), format!("{a:?}"));
    }
    m
}

fn diff(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in a {
        match b.get(k) {
            None => out.push(format!("only in generated: {k}")),
            Some(w) if w != v => out.push(format!("{k}:\n  generated {v}\n  shipped   {w}")),
            _ => {}
        }
    }
    for k in b.keys().filter(|k| !a.contains_key(*k)) {
        out.push(format!("only in shipped: {k}"));
    }
    out
}

fn import_with_facts(header: &Path, facts: &Path) -> String {
    let out = Command::cargo_bin("flagplan")
        .expect("binary")
        .arg("import")
        .arg(header)
        .args(["--source-name", "include/linux/sched.h", "--facts"])
        .arg(facts)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
#[ignore = "needs a Linux tree: set FLAGPLAN_LINUX_6_1"]
fn shipped_6_1_layout_is_the_header_plus_the_facts_file() {
    let tree = common::linux_6_1();
    let text = import_with_facts(
        &tree.join("include/linux/sched.h"),
        &root().join("facts/linux-6.1.toml"),
    );
    let generated = layout::parse_str("generated", &text).expect("generated layout loads");
    let shipped = layout::load(&layout::Input::Path(
        root().join("layouts/linux-6.1-task_struct.toml"),
    ))
    .expect("shipped layout loads");
    let d = diff(&semantic(&generated.layout), &semantic(&shipped.layout));
    assert!(d.is_empty(), "{} differences:\n{}", d.len(), d.join("\n"));
}

fn import_6_1(tree: &Path) -> import::Imported {
    let bytes = std::fs::read(tree.join("include/linux/sched.h")).expect("read sched.h");
    import::from_header(
        &bytes,
        Options {
            struct_name: "task_struct".into(),
            families: Family::defaults_for("task_struct"),
            source_name: "include/linux/sched.h".into(),
        },
    )
    .expect("imports")
}

/// Every PF_, PFA_ and bitfield member, read here with a plain line scan independent of the
/// importer, must be imported with the same name, value and guard.
#[test]
#[ignore = "needs a Linux tree: set FLAGPLAN_LINUX_6_1"]
fn every_pf_pfa_and_bitfield_member_of_6_1_is_exact() {
    let tree = common::linux_6_1();
    let text = std::fs::read_to_string(tree.join("include/linux/sched.h")).expect("utf-8");
    let imp = import_6_1(&tree);
    let mut checked = 0;
    for (n, line) in text.lines().enumerate() {
        let mut w = line.split_whitespace();
        if w.next() == Some("#define")
            && let (Some(name), Some(val)) = (w.next(), w.next())
            && (name.starts_with("PF_") || name.starts_with("PFA_"))
        {
            let f = imp
                .flag(name)
                .unwrap_or_else(|| panic!("{name} not imported"));
            let v = if let Some(h) = val.strip_prefix("0x") {
                u64::from_str_radix(h, 16).expect("hex")
            } else {
                val.parse().expect("dec")
            };
            if name.starts_with("PFA_") {
                assert_eq!(
                    (f.word.as_str(), f.bit),
                    ("atomic_flags", Some(v as u32)),
                    "{name}"
                );
            } else {
                assert_eq!((f.word.as_str(), f.mask), ("flags", Some(v)), "{name}");
            }
            assert!(f.guard.is_always(), "{name}: {}", f.guard);
            assert_eq!(imp.line(f.at), n + 1, "{name}");
            checked += 1;
        }
    }
    assert_eq!(checked, 32 + 8);
    // Bitfield members between `unsigned sched_reset_on_fork:1;` and `atomic_flags`, with the
    // #ifdef/#ifndef around each, scanned by hand.
    let start = text
        .find("unsigned\t\t\tsched_reset_on_fork:1;")
        .expect("first member");
    let end = text
        .find("unsigned long\t\t\tatomic_flags;")
        .expect("atomic_flags");
    let mut guard: Option<String> = None;
    let mut seen = Vec::new();
    for line in text[start..end].lines() {
        let l = line.trim();
        if let Some(s) = l.strip_prefix("#ifdef") {
            guard = Some(s.trim().to_string());
        } else if let Some(s) = l.strip_prefix("#ifndef") {
            guard = Some(format!("!{}", s.trim()));
        } else if l.starts_with("#endif") {
            guard = None;
        } else if let Some(decl) = l.strip_prefix("unsigned")
            && let Some((name, width)) = decl.trim().trim_end_matches(';').split_once(':')
            && !name.trim().is_empty()
        {
            let name = name.trim();
            let f = imp
                .flag(name)
                .unwrap_or_else(|| panic!("{name} not imported"));
            assert_eq!(f.width.to_string(), width.trim(), "{name}");
            assert_eq!(
                f.guard.to_string(),
                guard.clone().unwrap_or_default(),
                "{name}"
            );
            seen.push((name.to_string(), f.word.clone()));
        }
    }
    assert_eq!(seen.len(), 4 + 17);
    assert!(seen[..4].iter().all(|(_, w)| w == "sched_bits"), "{seen:?}");
    assert!(
        seen[4..].iter().all(|(_, w)| w == "current_bits"),
        "{seen:?}"
    );
    assert_eq!(
        imp.word("sched_bits").map(|w| w.guess.rule.to_string()),
        Some("lock(rq->lock)".into())
    );
    assert_eq!(
        imp.word("current_bits").map(|w| w.guess.rule.to_string()),
        Some("current".into())
    );
}

/// v5.8's sched.h is not shipped: set FLAGPLAN_LINUX_5_8_SCHED_H to it (docs/import.md says
/// where it came from) to hold the shipped 5.8 layout to header + facts/linux-5.8.toml.
#[test]
#[ignore = "needs v5.8's include/linux/sched.h: set FLAGPLAN_LINUX_5_8_SCHED_H"]
fn shipped_5_8_layout_is_the_header_plus_the_facts_file() {
    let h = std::env::var_os("FLAGPLAN_LINUX_5_8_SCHED_H")
        .map(PathBuf::from)
        .expect("this test needs v5.8's sched.h: set FLAGPLAN_LINUX_5_8_SCHED_H");
    let text = import_with_facts(&h, &root().join("facts/linux-5.8.toml"));
    let generated = layout::parse_str("generated", &text).expect("generated layout loads");
    let shipped = layout::load(&layout::Input::Path(
        root().join("layouts/linux-5.8-task_struct.toml"),
    ))
    .expect("shipped layout loads");
    let d = diff(&semantic(&generated.layout), &semantic(&shipped.layout));
    assert!(d.is_empty(), "{} differences:\n{}", d.len(), d.join("\n"));
}
