//! `flagplan census`: its figures for the four flag words of 6.1 are checked against the
//! hand-checked table tests/data/linux-6.1-flagwords.tsv (read from the headers by hand).

use std::collections::{BTreeMap, BTreeSet};
mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn bin() -> Command {
    Command::cargo_bin("flagplan").expect("binary")
}

/// (struct, word) → bits the table's flags and fields hold with every guard on.
fn table_bits() -> BTreeMap<(String, String), BTreeSet<u32>> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/linux-6.1-flagwords.tsv");
    let text = std::fs::read_to_string(p).expect("table");
    let mut m: BTreeMap<(String, String), BTreeSet<u32>> = BTreeMap::new();
    for l in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("struct\t"))
    {
        let c: Vec<&str> = l.split('\t').collect();
        if c.len() < 8 || !["flag", "field"].contains(&c[3]) {
            continue;
        }
        // page->flags fields are computed per named config; the census leaves them out (noted).
        if c[0] == "page" && c[3] == "field" {
            continue;
        }
        let (Ok(bit), Ok(width)) = (c[4].parse::<u32>(), c[5].parse::<u32>()) else {
            continue;
        };
        m.entry((c[0].into(), c[1].into()))
            .or_default()
            .extend(bit..bit + width);
    }
    m
}

fn census_json(args: &[&str]) -> Value {
    let out = bin()
        .arg("census")
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

fn rows(v: &Value) -> BTreeMap<(String, String), Value> {
    v["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            let k = (
                r["struct"].as_str().unwrap_or_default().to_string(),
                r["word"].as_str().unwrap_or_default().to_string(),
            );
            (k, r.clone())
        })
        .collect()
}

fn check_against_table(v: &Value) {
    let got = rows(v);
    let want = table_bits();
    assert_eq!(want.len(), 4, "four words in the table");
    for (k, bits) in &want {
        let r = got
            .get(k)
            .unwrap_or_else(|| panic!("{k:?} not in the census"));
        let used = bits.len() as u64;
        let used_32 = bits.iter().filter(|b| **b < 32).count() as u64;
        assert_eq!(r["used"].as_u64(), Some(used), "{k:?} used");
        assert_eq!(r["used_32"].as_u64(), Some(used_32), "{k:?} used on 32-bit");
        let top = bits.iter().max().copied().unwrap_or(0);
        let holes = (0..top).filter(|b| !bits.contains(b)).count() as u64;
        assert_eq!(r["holes"].as_u64(), Some(holes), "{k:?} holes");
    }
    // Widths: unsigned long words are 32 bits on 32-bit kernels; fmode_t is unsigned int.
    let w = |s: &str, word: &str| {
        let r = &got[&(s.to_string(), word.to_string())];
        (r["width"].as_u64(), r["width_32"].as_u64())
    };
    assert_eq!(w("vm_area_struct", "vm_flags"), (Some(64), Some(32)));
    assert_eq!(w("mm_struct", "flags"), (Some(64), Some(32)));
    assert_eq!(w("page", "flags"), (Some(64), Some(32)));
    assert_eq!(w("file", "f_mode"), (Some(32), Some(32)));
}

#[test]
fn census_of_the_shipped_6_1_layouts_matches_the_headers() {
    let v = census_json(&[]);
    check_against_table(&v);
    let r = rows(&v);
    let page = &r[&("page".to_string(), "flags".to_string())];
    assert!(
        page["note"]
            .as_str()
            .is_some_and(|n| n.contains("upper bound"))
    );
    let vm = &r[&("vm_area_struct".to_string(), "vm_flags".to_string())];
    assert_eq!(vm["only_64bit"].as_array().map(Vec::len), Some(6));
    assert_eq!(vm["rule"], "lock(mmap_lock, write)");
}

#[test]
fn a_32_bit_config_drops_the_high_bits_and_narrows_long_words() {
    let v = census_json(&["--config", "64BIT=n"]);
    let r = rows(&v);
    let vm = &r[&("vm_area_struct".to_string(), "vm_flags".to_string())];
    assert_eq!(vm["width"].as_u64(), Some(32));
    assert_eq!(vm["free"].as_u64(), Some(1), "bit 11 is the one free bit");
    let text = bin().args(["census", "--config", "64BIT"]).assert().code(2);
    let err = String::from_utf8_lossy(&text.get_output().stderr).into_owned();
    assert!(err.contains("SYMBOL=y"), "{err}");
}

/// The 6.1 tree; a missing one fails the test (see tests/common).
fn tree_6_1() -> PathBuf {
    common::linux_6_1()
}

#[test]
#[ignore = "needs the Linux 6.1 tree (FLAGPLAN_LINUX_6_1); run by scripts/test"]
fn census_of_the_6_1_tree_matches_the_headers() {
    let tree = tree_6_1();
    let v = census_json(&[tree.to_str().expect("utf-8 path")]);
    check_against_table(&v);
    assert_eq!(
        v["rows"].as_array().map(Vec::len),
        Some(9),
        "5 task_struct words + 4"
    );
}

#[test]
fn the_named_holes_of_task_struct_flags_are_free_on_every_kernel() {
    // 6.1's PF__HOLE__* defines mark six unused bits of the 32-bit `flags`: free on 64-bit and
    // 32-bit kernels alike, and all below the highest used bit.
    let v = census_json(&[]);
    let r = rows(&v);
    let flags = &r[&("task_struct".to_string(), "flags".to_string())];
    assert_eq!(flags["used"].as_u64(), Some(26), "{flags}");
    assert_eq!(flags["free"].as_u64(), Some(6), "{flags}");
    assert_eq!(flags["used_32"].as_u64(), Some(26), "{flags}");
    assert_eq!(flags["holes"].as_u64(), Some(6), "{flags}");
}

#[test]
fn a_config_without_an_enumerator_moves_the_later_page_flags_down() {
    // enum pageflags: PG_mlocked (bit 21) exists only with CONFIG_MMU. Without it PG_uncached
    // is enumerator 21, not 22, and no hole is left behind (page-flags.h:100-141).
    let worst = rows(&census_json(&[]));
    let nommu = rows(&census_json(&["--config", "MMU=n"]));
    let key = ("page".to_string(), "flags".to_string());
    let (w, n) = (&worst[&key], &nommu[&key]);
    assert_eq!(n["used"].as_u64(), w["used"].as_u64().map(|u| u - 1));
    assert_eq!(n["holes"], 0, "{n}");
    let map = n["map"].as_str().expect("map").replace(' ', "");
    let used_top = map.len() - map.find('#').expect("a used bit");
    assert_eq!(used_top as u64, n["used"].as_u64().expect("used"), "{map}");
    // A word of defines keeps its bits: mm_struct::flags has no enum positions.
    let mm = ("mm_struct".to_string(), "flags".to_string());
    assert_eq!(
        rows(&census_json(&["--config", "COREDUMP=n"]))[&mm]["map"],
        worst[&mm]["map"]
    );
}
