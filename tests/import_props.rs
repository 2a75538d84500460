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
        // The importer's output is TOML the layout reader accepts or rejects cleanly; guards
        // always read back.
        let _ = flagplan::layout::parse_str("p.toml", &text);
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
