//! Robustness of the C reader and the BTF reader without cargo-fuzz: random bytes and mutated
//! real snippets, time-bounded (the fuzz/ targets run the same code under libFuzzer).

use std::time::{Duration, Instant};

use flagplan::import::{self, Family, Options};
use proptest::prelude::*;

const SNIPPETS: &[&str] = &[
    include_str!("../examples/rules/drift.h"),
    "struct task_struct {\n#ifdef A\n unsigned a:1, b:2;\n#elif defined(B) && !defined(C)\n union { int x; } u;\n#else\n unsigned :0;\n#endif\n unsigned int flags; /* x */\n} __randomize_layout;\n#define PF_A /* c */ 0x1 /* d\n e */\n#define PF_B \\\n (1UL << 2)\n#if X > 3\n#define PFA_Z 2\n#endif\n",
];

fn run_import(bytes: &[u8]) {
    let h = flagplan::cread::Header::read(bytes);
    let _ = h.find_struct("task_struct");
    if let Ok(imp) = import::from_header(
        bytes,
        Options {
            struct_name: "task_struct".into(),
            families: Family::defaults_for("task_struct"),
            source_name: "p.h".into(),
        },
    ) {
        let doc = import::emit::to_table(&imp);
        let text = import::emit::render(&doc, &[], &Default::default());
        // The importer's output is a layout the reader accepts (issue 10: never one `check`
        // refuses); guards always read back.
        if let Err(e) = flagplan::layout::parse_str("p.toml", &text) {
            panic!("import wrote what check refuses: {e}\n{text}");
        }
        for f in &imp.flags {
            let g = f.guard.to_string();
            assert!(
                flagplan::guard::Guard::parse(&g).is_ok(),
                "guard `{g}` does not parse"
            );
        }
        let _ = imp.warning_lines("p.h");
    }
}

fn mutate(base: &[u8], edits: &[(usize, u8, u8)]) -> Vec<u8> {
    let mut v = base.to_vec();
    for &(pos, op, byte) in edits {
        if v.is_empty() {
            v.push(byte);
            continue;
        }
        let p = pos % v.len();
        match op % 4 {
            0 => v[p] = byte,
            1 => v.insert(p, byte),
            2 => {
                v.remove(p);
            }
            _ => {
                // Insert a C-significant token.
                const TOKS: &[&[u8]] = &[
                    b"/*",
                    b"*/",
                    b"\\\n",
                    b"\r\n",
                    b"#if ",
                    b"#endif\n",
                    b"{",
                    b"}",
                    b";",
                    b":0",
                    b"#else\n",
                    b"\xff",
                    b"\"",
                    b"'",
                    b"(",
                    b")",
                ];
                let t = TOKS[usize::from(byte) % TOKS.len()];
                for (k, b) in t.iter().enumerate() {
                    v.insert(p + k, *b);
                }
            }
        }
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, max_shrink_iters: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        run_import(&bytes);
        let _ = flagplan::import::btf::Btf::parse(&bytes);
    }

    #[test]
    fn mutated_headers_never_panic(which in 0..SNIPPETS.len(),
                                   edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..12)) {
        run_import(&mutate(SNIPPETS[which].as_bytes(), &edits));
    }

    #[test]
    fn mutated_btf_never_panics(edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..8)) {
        let base = flagplan::import::btf::build_test_btf("task_struct", &[("flags", 0, 0), ("a", 32, 1), ("b", 33, 3)]);
        let m = mutate(&base, &edits);
        if let Ok(b) = flagplan::import::btf::Btf::parse(&m)
            && let Some(members) = b.struct_members("task_struct")
        {
            let _ = flagplan::import::btf::describe("task_struct", &flagplan::import::btf::units(&members));
        }
    }
}

/// A time-bounded soak: as many mutations of the snippets as fit in a few seconds.
#[test]
fn soak_mutations_for_a_few_seconds() {
    let budget = Duration::from_secs(
        std::env::var("FLAGPLAN_SOAK_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(3),
    );
    let start = Instant::now();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut n = 0u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    while start.elapsed() < budget {
        let base = SNIPPETS[(next() % SNIPPETS.len() as u64) as usize].as_bytes();
        let edits: Vec<(usize, u8, u8)> = (0..1 + next() % 16)
            .map(|_| (next() as usize, next() as u8, next() as u8))
            .collect();
        run_import(&mutate(base, &edits));
        n += 1;
    }
    eprintln!("soak: {n} mutated headers in {budget:?}");
    assert!(n > 100, "only {n} runs");
}

// ---- issue 10: whatever `import` writes, `check` reads -------------------------------------

/// The 6.1 tree's sched.h, when the tree is there (scripts/test runs the ignored tests).
fn sched_h() -> Vec<u8> {
    let tree = std::env::var_os("FLAGPLAN_LINUX_6_1")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/flagplan/linux-source-6.1")
        });
    std::fs::read(tree.join("include/linux/sched.h")).expect("the 6.1 tree's sched.h")
}

fn opts() -> Options {
    Options {
        struct_name: "task_struct".into(),
        families: Family::defaults_for("task_struct"),
        source_name: "include/linux/sched.h".into(),
    }
}

/// `import` then `check` in-process: `Ok(layout text)` when import succeeds; panics when check
/// would exit 2 on what import wrote (an input error) or anything panics.
fn import_then_check(bytes: &[u8]) -> Option<String> {
    let imp = import::from_header(bytes, opts()).ok()?;
    let text = import::cmd::layout_text(&imp, None, &mut Vec::new());
    match flagplan::layout::parse_str("out.toml", &text) {
        Ok(loaded) => {
            let _ = flagplan::check::check(&loaded);
        }
        Err(e) => panic!("import exit 0, but check exits 2 on its output: {e}\n{text}"),
    }
    Some(text)
}

/// Line-level edits of a real header: delete, duplicate, swap with the next, or splice in a
/// C-significant token.
fn mutate_lines(base: &[u8], edits: &[(usize, u8, u8)]) -> Vec<u8> {
    let mut lines: Vec<Vec<u8>> = base.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    for &(pos, op, byte) in edits {
        if lines.is_empty() {
            break;
        }
        let p = pos % lines.len();
        match op % 5 {
            0 => {
                lines.remove(p);
            }
            1 => {
                let l = lines[p].clone();
                lines.insert(p, l);
            }
            2 if p + 1 < lines.len() => lines.swap(p, p + 1),
            _ => {
                let m = mutate(&lines[p], &[(usize::from(byte), 3, byte)]);
                lines[p] = m;
            }
        }
    }
    lines.join(&b'\n')
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 60, max_shrink_iters: 200, ..ProptestConfig::default() })]

    #[test]
    #[ignore = "needs the Linux 6.1 tree (FLAGPLAN_LINUX_6_1); scripts/test runs it"]
    fn mutated_sched_h_imports_only_what_check_reads(
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..6)
    ) {
        let base = sched_h();
        import_then_check(&mutate_lines(&base, &edits));
        import_then_check(&mutate(&base, &edits));
    }
}

/// Deleting any one `#endif` from sched.h is refused (it used to change the layout silently:
/// the include guard swallowed the imbalance).
#[test]
#[ignore = "needs the Linux 6.1 tree (FLAGPLAN_LINUX_6_1); scripts/test runs it"]
fn every_single_endif_deletion_is_an_error_naming_a_line() {
    let base = sched_h();
    let text = String::from_utf8_lossy(&base).into_owned();
    let lines: Vec<&str> = text.split('\n').collect();
    assert!(
        import_then_check(&base).is_some(),
        "the unmutated header imports"
    );
    let endifs: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].trim_start().starts_with("#endif"))
        .collect();
    assert!(endifs.len() > 50, "only {} #endif lines", endifs.len());
    for &i in &endifs {
        let mut l = lines.clone();
        l.remove(i);
        match import::from_header(l.join("\n").as_bytes(), opts()) {
            Ok(_) => panic!(
                "deleting the #endif at line {} imports without an error",
                i + 1
            ),
            Err(import::ImportError::At { message, .. }) => {
                assert!(
                    message.contains("#if without #endif"),
                    "line {}: {message}",
                    i + 1
                );
            }
            Err(e) => panic!("line {}: {e}", i + 1),
        }
    }
}
