//! The layout loader, the checker and the plan path on mutated real layouts and random plans,
//! without cargo-fuzz (fuzz/fuzz_targets/layout_check.rs and plan.rs run the same calls under
//! libFuzzer): never a panic; `suggest --free` never ends in an internal error on a plan that
//! loads. Bounded: a few seconds in all.

use proptest::prelude::*;

const LAYOUT: &str = include_str!("../layouts/linux-6.1-task_struct.toml");

/// What `fuzz_targets/layout_check.rs` does with one input.
fn layout_check(text: &str) {
    let Ok(loaded) = flagplan::layout::parse_str("fuzz.toml", text) else {
        return;
    };
    let report = flagplan::check::check(&loaded);
    let _ = flagplan::render::svg::render(&report, "fuzz.toml");
    let a = flagplan::suggest::Analysis::new(loaded.layout.clone());
    let _ = flagplan::suggest::overview(&a, 90);
}

/// What `fuzz_targets/plan.rs` does with one input.
fn plan(body: &str) {
    let text = format!("format = 1\nbase = \"builtin:linux-6.1\"\n{body}");
    let Ok(loaded) = flagplan::layout::parse_str("plan.toml", &text) else {
        return;
    };
    let _ = flagplan::check::check(&loaded);
    let a = flagplan::suggest::Analysis::new(loaded.layout.clone());
    for w in 0..loaded.layout.words.len() {
        if let Err(e) = flagplan::suggest::free::solve(&a, w, 2) {
            assert!(!e.to_string().contains("internal error"), "{e}\n{body}");
        }
    }
}

/// Line edits of the shipped layout: delete, duplicate, or change a value to another that
/// occurs in the file (so most mutants still parse and reach the checker).
fn mutate(edits: &[(usize, u8, usize)]) -> String {
    let mut lines: Vec<String> = LAYOUT.lines().map(str::to_string).collect();
    let values: Vec<String> = LAYOUT
        .lines()
        .filter_map(|l| l.split_once(" = ").map(|(_, v)| v.to_string()))
        .collect();
    for &(pos, op, pick) in edits {
        let p = pos % lines.len();
        match op % 3 {
            0 => {
                lines.remove(p);
            }
            1 => {
                let l = lines[p].clone();
                lines.insert(p, l);
            }
            _ => {
                if let Some((k, _)) = lines[p].clone().split_once(" = ") {
                    lines[p] = format!("{k} = {}", values[pick % values.len()]);
                }
            }
        }
    }
    lines.join("\n")
}

const FLAGS: &[&str] = &[
    "PF_MEMALLOC_NOIO",
    "PF_MEMALLOC_NOFS",
    "PF_IDLE",
    "PFA_SPREAD_PAGE",
    "sched_migrated",
    "in_memstall",
    "NEW_FLAG",
];
const WORDS: &[&str] = &[
    "flags",
    "atomic_flags",
    "current_bits",
    "sched_bits",
    "mce_bits",
    "nowhere",
];

fn proposal() -> impl Strategy<Value = String> {
    (
        0usize..FLAGS.len(),
        0usize..WORDS.len(),
        any::<bool>(),
        proptest::option::of(0i64..70),
    )
        .prop_map(|(f, w, add, bit)| {
            let op = if add { "add" } else { "move" };
            let bit = bit.map_or(String::new(), |b| format!("bit = {b}\n"));
            let ctx = if add {
                "[[proposal.writer]]\ncontext = \"current\"\n"
            } else {
                ""
            };
            format!(
                "[[proposal]]\n{op} = \"{}\"\nto = \"{}\"\n{bit}{ctx}",
                FLAGS[f], WORDS[w]
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, max_shrink_iters: 200, ..ProptestConfig::default() })]

    #[test]
    fn mutated_layouts_never_panic(edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<usize>()), 1..6)) {
        layout_check(&mutate(&edits));
    }

    #[test]
    fn random_plans_never_panic(props in proptest::collection::vec(proposal(), 0..5)) {
        plan(&props.concat());
    }
}

#[test]
fn the_shipped_layout_and_the_2020_plan_pass_through() {
    layout_check(LAYOUT);
    let memalloc = include_str!("../examples/memalloc-2020.toml");
    let body: String = memalloc
        .lines()
        .filter(|l| !l.starts_with("format") && !l.starts_with("base"))
        .map(|l| format!("{l}\n"))
        .collect();
    plan(&body);
}
