//! The worst-case sum of guarded widths (bitfield occupancy) equals brute-force enumeration over
//! every configuration of all the symbols, however the guards share symbols.

use std::collections::BTreeSet;

use flagplan::guard::{Guard, worst_case_sum};
use proptest::prelude::*;

const SYMS: [&str; 6] = ["A", "B", "C", "D", "E", "F"];

fn guard() -> impl Strategy<Value = Guard> {
    let leaf = prop_oneof![
        3 => (0..SYMS.len()).prop_map(|i| Guard::Sym(SYMS[i].to_string())),
        1 => Just(Guard::Always),
        1 => Just(Guard::Never),
    ];
    leaf.prop_recursive(3, 8, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(Guard::negate),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Guard::and(a, b)),
            (inner.clone(), inner).prop_map(|(a, b)| Guard::or_all([a, b])),
        ]
    })
}

fn brute(items: &[(Guard, u32)]) -> u32 {
    let mut set = BTreeSet::new();
    for (g, _) in items {
        g.symbols(&mut set);
    }
    let syms: Vec<&str> = set.iter().map(String::as_str).collect();
    (0..1u64 << syms.len())
        .map(|on| {
            items
                .iter()
                .filter(|(g, _)| g.eval(&syms, on))
                .map(|(_, w)| w)
                .sum::<u32>()
        })
        .max()
        .unwrap_or(0)
}

proptest! {
    #[test]
    fn worst_case_sum_is_the_brute_force_maximum(
        items in prop::collection::vec((guard(), 1u32..4), 0..12)
    ) {
        let fast = worst_case_sum(items.iter().map(|(g, w)| (g, *w)));
        prop_assert_eq!(fast, brute(&items));
    }
}
