//! The four crowded flag words of Linux 6.1 (`mm_struct::flags`, `vm_area_struct::vm_flags`,
//! `page::flags`, `file::f_mode`) imported with `--tree` and compared, name by name, with the
//! hand-checked table tests/data/linux-6.1-flagwords.tsv (written by reading the headers, not
//! with flagplan). Needs the 6.1 tree (FLAGPLAN_LINUX_6_1); `scripts/test` runs it.

use std::collections::{BTreeMap, BTreeSet};
mod common;

use std::path::{Path, PathBuf};

use flagplan::guard::Guard;
use flagplan::import::{self, Imported, cmd};

/// The 6.1 tree; a missing one fails the test (see tests/common).
fn tree_6_1() -> PathBuf {
    common::linux_6_1()
}

/// One row of the table.
#[derive(Debug)]
struct Row {
    strukt: String,
    name: String,
    kind: String,
    bit: Option<u32>,
    width: Option<u32>,
    guard: Guard,
    source: String,
}

fn table(file: &str) -> Vec<Row> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(file);
    let text = std::fs::read_to_string(p).expect("table");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("struct\t") && !l.is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            let num = |s: &str| s.parse().ok();
            Row {
                strukt: c[0].into(),
                name: c[2].into(),
                kind: c[3].into(),
                bit: num(c[4]),
                width: num(c[5]),
                guard: if c[6] == "-" {
                    Guard::Always
                } else {
                    // Arithmetic guards of page->flags fields (out of scope below) stay opaque.
                    Guard::parse(c[6]).unwrap_or_else(|_| Guard::Sym("__ARITHMETIC".into()))
                },
                source: c[7].into(),
            }
        })
        .collect()
}

fn import_tree(tree: &Path, s: &str) -> Imported {
    let th = cmd::tree_headers(tree, s).expect("headers");
    let more: Vec<(PathBuf, String, bool)> = th
        .extra
        .iter()
        .map(|(p, d)| (tree.join(p), p.clone(), *d))
        .collect();
    cmd::import_files(
        &tree.join(&th.main),
        th.main.clone(),
        &more,
        s,
        import::Family::defaults_for(s),
        th.main_defines,
    )
    .expect("imports")
}

/// Build-internal guards the table leaves out (its header says which).
const BUILD_INTERNAL: &[&str] = &["__GENERATING_BOUNDS_H", "BUILD_VDSO32_64"];

/// Do `a` and `b` hold under the same configs (build-internal symbols off)?
fn equivalent(a: &Guard, b: &Guard) -> bool {
    let mut set = BTreeSet::new();
    a.symbols(&mut set);
    b.symbols(&mut set);
    let syms: Vec<&str> = set.iter().map(String::as_str).collect();
    let fixed: u64 = syms
        .iter()
        .enumerate()
        .filter(|(_, s)| BUILD_INTERNAL.contains(s))
        .fold(0, |m, (i, _)| m | 1 << i);
    (0..1u64 << syms.len())
        .filter(|on| on & fixed == 0)
        .all(|on| a.eval(&syms, on) == b.eval(&syms, on))
}

fn or(gs: &[&Guard]) -> Guard {
    let text: Vec<String> = gs
        .iter()
        .map(|g| {
            format!(
                "({})",
                if g.is_always() {
                    "1".into()
                } else {
                    g.to_string()
                }
            )
        })
        .collect();
    Guard::parse(&text.join(" || ")).expect("or")
}

/// Everything the import says about one name: (kind, bit with every guard on, width, guard of
/// existence, source lines).
#[derive(Debug, Default)]
struct Mine {
    kinds: BTreeSet<String>,
    bit: Option<u32>,
    width: Option<u32>,
    guards: Vec<Guard>,
    sources: BTreeSet<String>,
}

fn mine(imp: &Imported) -> BTreeMap<String, Mine> {
    let mut m: BTreeMap<String, Mine> = BTreeMap::new();
    for f in &imp.flags {
        let e = m.entry(f.name.clone()).or_default();
        e.kinds
            .insert(if f.width > 1 { "field" } else { "flag" }.into());
        e.bit = f.bit;
        e.width = Some(f.width);
        e.guards.push(f.guard.clone());
        e.sources.insert(imp.source_in(f.file, f.at));
    }
    for a in &imp.aliases {
        let e = m.entry(a.name.clone()).or_default();
        e.kinds.insert("alias".into());
        e.bit = e.bit.or(a.bit);
        e.guards.push(a.guard.clone());
        e.sources.insert(imp.source_in(a.file, a.at));
    }
    for c in &imp.composites {
        let e = m.entry(c.name.clone()).or_default();
        e.kinds
            .insert(if c.field { "field" } else { "composite" }.into());
        if let (true, Some(v)) = (c.field, c.value) {
            e.bit = Some(v.trailing_zeros());
            e.width = Some(v.count_ones());
        }
        e.guards.push(c.guard.clone());
        e.sources.insert(imp.source_in(c.file, c.at));
    }
    for s in imp.skipped.iter().filter(|s| !s.other_word) {
        let e = m.entry(s.name.clone()).or_default();
        e.kinds.insert("composite".into());
        e.guards.push(s.guard.clone());
        e.sources.insert(imp.source_in(s.file, s.at));
    }
    m
}

/// Rows of the table that an import from headers cannot give, with the reason: the positions of
/// page->flags fields are computed from Kconfig integers, and the table also lists composites
/// outside the `PG_` family (`__PG_HWPOISON`, `PAGEFLAGS_MASK`, `LRU_GEN_MASK`, ...).
fn out_of_scope(r: &Row) -> bool {
    r.strukt == "page" && (r.kind == "field" || !r.name.starts_with("PG_"))
}

#[test]
#[ignore = "needs the Linux 6.1 tree (FLAGPLAN_LINUX_6_1); run by scripts/test"]
fn imports_of_the_four_words_match_the_hand_checked_table() {
    let bad = compare(&tree_6_1(), "linux-6.1-flagwords.tsv");
    assert!(
        bad.is_empty(),
        "{} names differ:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
#[ignore = "needs the Linux 6.12 tree (FLAGPLAN_LINUX_6_12); run by scripts/test"]
fn imports_of_the_four_words_match_the_hand_checked_6_12_table() {
    let tree = std::env::var_os("FLAGPLAN_LINUX_6_12").map_or_else(
        || tree_6_1().with_file_name("linux-source-6.12"),
        PathBuf::from,
    );
    let bad = compare(&tree, "linux-6.12-flagwords.tsv");
    assert!(
        bad.is_empty(),
        "{} names differ:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

/// Every name of `table_file` against the imports from `tree`: the differences, one per line.
fn compare(tree: &Path, table_file: &str) -> Vec<String> {
    assert!(
        tree.join("include/linux/mm.h").is_file(),
        "no tree at {}",
        tree.display()
    );
    let rows = table(table_file);
    let mut checked = 0usize;
    let mut bad: Vec<String> = Vec::new();
    for s in ["mm_struct", "vm_area_struct", "page", "file"] {
        let imp = import_tree(tree, s);
        let got = mine(&imp);
        let mut by_name: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
        for r in rows.iter().filter(|r| r.strukt == s && !out_of_scope(r)) {
            by_name.entry(&r.name).or_default().push(r);
        }
        for (name, rs) in &by_name {
            checked += 1;
            let Some(g) = got.get(*name) else {
                bad.push(format!("{s}: {name}: in the table, not in the import"));
                continue;
            };
            let kinds: BTreeSet<String> = rs.iter().map(|r| r.kind.clone()).collect();
            if kinds != g.kinds {
                bad.push(format!(
                    "{s}: {name}: kinds {kinds:?} in the table, {:?} imported",
                    g.kinds
                ));
                continue;
            }
            // Bit and width: the row that holds with every symbol on (the worst case).
            let bitted: Vec<&&Row> = rs.iter().filter(|r| r.bit.is_some()).collect();
            let all_on = bitted.iter().find(|r| {
                let mut set = BTreeSet::new();
                r.guard.symbols(&mut set);
                let syms: Vec<&str> = set.iter().map(String::as_str).collect();
                r.guard.eval(&syms, u64::MAX >> (64 - syms.len().max(1)))
            });
            if let Some(r) = all_on.or(bitted.first())
                && (r.bit != g.bit || (r.kind == "field" && r.width != g.width))
            {
                bad.push(format!(
                    "{s}: {name}: bit {:?} width {:?} in the table, bit {:?} width {:?} imported",
                    r.bit, r.width, g.bit, g.width
                ));
            }
            // Guards: the name exists under the same configs (rows split by enum position
            // are one name with one #ifdef).
            // An arithmetic `#if` (`CONFIG_ARCH_PKEY_BITS > 3`, 6.12) is an opaque symbol on both
            // sides (the import warns about it): those guards are not compared.
            let arithmetic = rs
                .iter()
                .any(|r| r.guard == Guard::Sym("__ARITHMETIC".into()));
            let theirs = or(&rs.iter().map(|r| &r.guard).collect::<Vec<_>>());
            let ours = or(&g.guards.iter().collect::<Vec<_>>());
            if !arithmetic && !g.guards.is_empty() && !equivalent(&theirs, &ours) {
                bad.push(format!(
                    "{s}: {name}: guard `{theirs}` in the table, `{ours}` imported"
                ));
            }
            let srcs: BTreeSet<String> = rs.iter().map(|r| r.source.clone()).collect();
            if !srcs.is_subset(&g.sources) {
                bad.push(format!(
                    "{s}: {name}: source {srcs:?} in the table, {:?} imported",
                    g.sources
                ));
            }
        }
        for name in got.keys() {
            if !by_name.contains_key(name.as_str())
                && !rows.iter().any(|r| r.strukt == s && &r.name == name)
            {
                bad.push(format!("{s}: {name}: imported, not in the table"));
            }
        }
    }
    assert!(checked > 150, "only {checked} names compared");
    bad
}

const WORDS: [&str; 4] = ["mm_struct", "vm_area_struct", "page", "file"];

#[test]
#[ignore = "needs the Linux 6.1 tree (FLAGPLAN_LINUX_6_1); run by scripts/test"]
fn shipped_layouts_are_the_tree_plus_their_facts_files() {
    let tree = tree_6_1();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for s in WORDS {
        let out = assert_cmd::Command::cargo_bin("flagplan")
            .expect("binary")
            .current_dir(root)
            .args([
                "import",
                "--struct",
                s,
                "--schema-ref",
                "../schema/layout.schema.json",
            ])
            .arg("--tree")
            .arg(&tree)
            .arg("--facts")
            .arg(format!("facts/linux-6.1-{s}.toml"))
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let shipped = std::fs::read_to_string(root.join(format!("layouts/linux-6.1-{s}.toml")))
            .expect("shipped");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            shipped,
            "layouts/linux-6.1-{s}.toml is stale: regenerate it (command in facts/linux-6.1-{s}.toml)"
        );
    }
}

#[test]
fn shipped_layouts_of_the_four_words_are_listed_and_check_clean() {
    let list = assert_cmd::Command::cargo_bin("flagplan")
        .expect("binary")
        .arg("layouts")
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&list.stdout);
    for s in WORDS {
        let name = format!("linux-6.1-{s}");
        assert!(text.contains(&format!("{name}\tstruct {s},")), "{text}");
        assert_cmd::Command::cargo_bin("flagplan")
            .expect("binary")
            .args(["check", "--builtin", &name])
            .assert()
            .success();
    }
    // `linux-6.1` still names the task_struct layout.
    let t = assert_cmd::Command::cargo_bin("flagplan")
        .expect("binary")
        .args(["check", "--builtin", "linux-6.1"])
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&t.stdout).contains("(task_struct)"));
}
