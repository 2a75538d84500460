//! `flagplan scan` on the Debian linux-source-6.1 tree against the hand-built reference table of
//! remote writes (tests/data/linux-6.1-remote-writes.tsv): recall ≥ 95 %, precision ≥ 90 %.
//!
//! A reference row matches a scanned write of the same flag, reported as `remote` or
//! `remote-stopped`, whose site or whose helper definition (`via`) is the row's `file:line`.
//! Precision counts every scanned non-current write; one that matches no row is a false positive.

use std::path::{Path, PathBuf};

use flagplan::layout::{self, Input};
use flagplan::scan::{self, ScanContext};

fn linux_tree() -> Option<PathBuf> {
    let p = std::env::var_os("FLAGPLAN_LINUX_6_1").map(PathBuf::from);
    let p = p.filter(|p| p.join("include/linux/sched.h").is_file());
    if p.is_none() && std::env::var_os("FLAGPLAN_REQUIRE_LINUX").is_some_and(|v| v == "1") {
        panic!("FLAGPLAN_REQUIRE_LINUX=1 but FLAGPLAN_LINUX_6_1 is not a Linux tree");
    }
    if p.is_none() {
        eprintln!("skipping: set FLAGPLAN_LINUX_6_1 to a linux-source-6.1 tree");
    }
    p
}

struct Row {
    flag: String,
    site: String,
    context: String,
}

fn reference() -> Vec<Row> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/linux-6.1-remote-writes.tsv");
    let text = std::fs::read_to_string(p).expect("reference table");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("flag\t") && !l.trim().is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            assert!(c.len() >= 4, "bad row {l}");
            Row {
                flag: c[0].to_string(),
                site: c[1].to_string(),
                context: c[2].to_string(),
            }
        })
        .collect()
}

#[test]
fn remote_writes_of_linux_6_1_recall_and_precision() {
    let Some(tree) = linux_tree() else { return };
    let loaded = layout::load(&Input::Builtin("linux-6.1".into())).expect("builtin");
    let ev = scan::scan(
        &loaded.layout,
        "builtin:linux-6.1",
        &tree,
        scan::ScanOptions::default(),
    )
    .expect("scan");
    let rows = reference();
    assert!(rows.len() >= 41, "reference table shrank: {}", rows.len());
    let non_current: Vec<&scan::Access> = ev
        .accesses
        .iter()
        .filter(|a| {
            a.is_write() && matches!(a.context, ScanContext::Remote | ScanContext::RemoteStopped)
        })
        .collect();
    let matches = |a: &scan::Access, r: &Row| {
        a.flag == r.flag && (a.site() == r.site || a.via.contains(&r.site))
    };
    let mut found = 0;
    let mut same_context = 0;
    let mut missed = Vec::new();
    for r in &rows {
        let hits: Vec<&&scan::Access> = non_current.iter().filter(|a| matches(a, r)).collect();
        if hits.is_empty() {
            missed.push(format!("{} {} {}", r.flag, r.site, r.context));
        } else {
            found += 1;
            if hits.iter().any(|a| a.context.as_str() == r.context) {
                same_context += 1;
            }
        }
    }
    let false_pos: Vec<String> = non_current
        .iter()
        .filter(|a| !rows.iter().any(|r| matches(a, r)))
        .map(|a| {
            format!(
                "{} {}:{} {}() {}",
                a.flag,
                a.file,
                a.line,
                a.function,
                a.context.as_str()
            )
        })
        .collect();
    let recall = found as f64 / rows.len() as f64;
    let precision = (non_current.len() - false_pos.len()) as f64 / non_current.len().max(1) as f64;
    let unknown = ev
        .accesses
        .iter()
        .filter(|a| a.is_write() && a.context == ScanContext::Unknown)
        .count();
    println!(
        "linux 6.1 remote writes: recall {found}/{} = {:.1}%, precision {}/{} = {:.1}%, context right {same_context}/{found}; {unknown} writes with unknown receiver; {} unclassified occurrences; {} files scanned",
        rows.len(),
        recall * 100.0,
        non_current.len() - false_pos.len(),
        non_current.len(),
        precision * 100.0,
        ev.unclassified.len(),
        ev.files_scanned
    );
    for m in &missed {
        println!("  missed: {m}");
    }
    for f in &false_pos {
        println!("  false positive: {f}");
    }
    assert!(
        ev.files_scanned > 40_000,
        "the walk saw {} files",
        ev.files_scanned
    );
    assert!(
        recall >= 0.95,
        "recall {recall:.3} < 0.95; missed {missed:?}"
    );
    assert!(
        precision >= 0.90,
        "precision {precision:.3} < 0.90; false positives {false_pos:?}"
    );
}

#[test]
fn task_pfa_helpers_are_read_from_the_tree() {
    let Some(tree) = linux_tree() else { return };
    let loaded = layout::load(&Input::Builtin("linux-6.1".into())).expect("builtin");
    let names =
        scan::names_for(&loaded.layout, &tree, scan::ScanOptions::default()).expect("names");
    let pfa: Vec<&str> = names
        .helpers
        .iter()
        .filter(|h| h.how == "TASK_PFA")
        .map(|h| h.name.as_str())
        .collect();
    // Every TASK_PFA_* instantiation of 6.1's sched.h (21 of them).
    let sched = std::fs::read_to_string(tree.join("include/linux/sched.h")).expect("sched.h");
    let expected = sched
        .lines()
        .filter(|l| {
            l.starts_with("TASK_PFA_TEST(")
                || l.starts_with("TASK_PFA_SET(")
                || l.starts_with("TASK_PFA_CLEAR(")
        })
        .count();
    assert_eq!(pfa.len(), expected, "{pfa:?}");
    assert!(pfa.contains(&"task_set_spread_page"));
    // Helpers found from bodies.
    for h in [
        "set_stopped_child_used_math",
        "memalloc_noio_save",
        "clear_tsk_restore_sigmask",
    ] {
        assert!(names.helpers.iter().any(|x| x.name == h), "{h} not found");
    }
}
