//! Property tests over generated layouts: check never panics, occupancy adds up,
//! and moving a flag away and back is the identity.

use flagplan::check::{self, plan::Planner};
use flagplan::layout;
use flagplan::model::{Kind, Layout};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct GenWord {
    kind: u8,
    rule: u8,
    width: u8,
}

#[derive(Debug, Clone)]
struct GenFlag {
    word: usize,
    bit: u8,
    guard: u8,
    reserved: bool,
    hole: bool,
    abi: bool,
    writers: Vec<u8>,
}

const GUARDS: [&str; 5] = [
    "",
    "CONFIG_A",
    "!CONFIG_A",
    "CONFIG_B",
    "CONFIG_A && CONFIG_B",
];
const CONTEXTS: [&str; 5] = [
    "current",
    "current-irq",
    "remote",
    "remote-stopped",
    "current",
];

fn word_strategy() -> impl Strategy<Value = GenWord> {
    (0u8..3, 0u8..3, 0u8..4).prop_map(|(kind, rule, width)| GenWord { kind, rule, width })
}

fn flag_strategy(words: usize) -> impl Strategy<Value = GenFlag> {
    (
        0..words + 1,
        0u8..64,
        0u8..5,
        0u8..10,
        prop::bool::weighted(0.1),
        prop::collection::vec(0u8..10, 0..3),
    )
        .prop_map(|(word, bit, guard, special, abi, writers)| GenFlag {
            word,
            bit,
            guard,
            reserved: special == 0,
            hole: special == 1,
            abi,
            writers,
        })
}

fn layout_text(words: &[GenWord], flags: &[GenFlag]) -> String {
    let mut s = String::from("format = 1\nstruct = \"gen\"\n");
    for (i, w) in words.iter().enumerate() {
        let kind = ["mask", "bitnum", "bitfield"][w.kind as usize];
        let rule = ["atomic", "current", "lock(L)"][w.rule as usize];
        let width = [8, 16, 32, 64][w.width as usize];
        s.push_str(&format!(
            "[[word]]\nname = \"w{i}\"\nwidth = {width}\nkind = \"{kind}\"\nrule = \"{rule}\"\n"
        ));
    }
    for (i, f) in flags.iter().enumerate() {
        // Index `words.len()` names a word that does not exist.
        s.push_str(&format!(
            "[[flag]]\nname = \"F{i}\"\nword = \"w{}\"\n",
            f.word
        ));
        let kind = words.get(f.word).map(|w| w.kind);
        if kind != Some(2) {
            s.push_str(&format!("bit = {}\n", f.bit));
        }
        let g = GUARDS[f.guard as usize];
        if !g.is_empty() {
            s.push_str(&format!("guard = \"{g}\"\n"));
        }
        if f.reserved {
            s.push_str("reserved = true\n");
        } else if f.hole {
            s.push_str("hole = true\n");
        }
        if f.abi {
            s.push_str("abi = true\n");
        }
        for &w in &f.writers {
            let ctx = CONTEXTS[(w % 5) as usize];
            s.push_str(&format!("[[flag.writer]]\ncontext = \"{ctx}\"\n"));
            if ctx == "current-irq" && w > 5 {
                s.push_str("balanced = true\n");
            }
            if w >= 8 {
                s.push_str("lock = \"L\"\n");
            }
        }
    }
    s
}

fn gen_layout() -> impl Strategy<Value = String> {
    prop::collection::vec(word_strategy(), 1..5).prop_flat_map(|words| {
        let n = words.len();
        prop::collection::vec(flag_strategy(n), 0..40)
            .prop_map(move |flags| layout_text(&words, &flags))
    })
}

/// Each flag's (name, word, bit), bitfield members in packing order.
fn placement(l: &Layout) -> Vec<(String, String, Option<u32>)> {
    let mut v: Vec<_> = l
        .flags
        .iter()
        .map(|f| (f.current_name().to_string(), f.word.clone(), f.bit))
        .collect();
    v.sort();
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn check_never_panics_and_occupancy_adds_up(text in gen_layout()) {
        let loaded = layout::parse_str("gen.toml", &text).expect("generated layouts are well-formed");
        let report = check::check(&loaded);
        for o in &report.before {
            prop_assert_eq!(o.used + o.reserved + o.free, o.width, "word {}", o.word);
            prop_assert!(o.holes <= o.free, "holes are free bits: word {}", o.word);
            prop_assert_eq!(o.cells.len() as u32, o.width);
            if o.kind != "bitfield" {
                use check::occupancy::Cell;
                let marked = o.cells.iter().filter(|c| !matches!(c, Cell::Free | Cell::Hole)).count() as u32;
                prop_assert_eq!(marked, o.used + o.reserved);
                let holes = o.cells.iter().filter(|c| **c == Cell::Hole).count() as u32;
                prop_assert_eq!(holes, o.holes);
            }
        }
        // Deterministic: the same input gives the same findings.
        let again = check::check(&loaded);
        prop_assert_eq!(&report.findings, &again.findings);
    }

    #[test]
    fn moving_a_flag_and_back_is_the_identity(text in gen_layout(), pick in any::<prop::sample::Index>(), dest in any::<prop::sample::Index>()) {
        let loaded = layout::parse_str("gen.toml", &text).expect("well-formed");
        let base = loaded.layout.clone();
        if base.flags.is_empty() { return Ok(()); }
        let idx = pick.index(base.flags.len());
        let f = base.flags[idx].clone();
        let Some(home) = base.word(&f.word).cloned() else { return Ok(()) };
        let Some(bit) = f.bit else { return Ok(()) };
        if f.reserved || f.hole || f.abi { return Ok(()); }
        // Only flags that sit legally where they are (in range, no collision) can come back.
        if Planner::new(base.clone()).place(&home, &f.guard, f.width, Some(bit), Some(idx)).is_err() {
            return Ok(());
        }
        let there = base.words[dest.index(base.words.len())].clone();
        if there.name == home.name { return Ok(()); }
        let mut p = Planner::new(base.clone());
        let Ok(out) = p.place(&there, &f.guard, f.width, None, Some(idx)) else { return Ok(()) };
        p.move_flag(idx, &there.name, &out, None);
        let back = p.place(&home, &f.guard, f.width, Some(bit), Some(idx));
        // The bit it left is free again (for bitfields: the boundary it left is there again).
        let back = back.map_err(|r| TestCaseError::fail(format!("cannot move back: {}", r.message)))?;
        p.move_flag(idx, &home.name, &back, None);
        prop_assert_eq!(placement(&p.layout), placement(&base));
        if home.kind == Kind::Bitfield {
            let order = |l: &Layout| l.flags.iter().filter(|g| g.word == home.name).map(|g| (g.order, g.name.clone())).collect::<std::collections::BTreeSet<_>>().into_iter().map(|(_, n)| n).collect::<Vec<_>>();
            prop_assert_eq!(order(&p.layout), order(&base));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Arbitrary bytes and mangled layouts never panic the reader or the check.
    #[test]
    fn the_reader_never_panics(text in gen_layout(), cut in any::<prop::sample::Index>(), junk in "[\\[\\]=\"a-z0-9 \\n#.{}-]{0,40}") {
        let at = cut.index(text.len() + 1);
        let at = (0..=at).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        let mangled = format!("{}{junk}{}", &text[..at], &text[at..]);
        if let Ok(loaded) = layout::parse_str("m.toml", &mangled) {
            let _ = check::check(&loaded);
        }
    }

    #[test]
    fn random_text_is_an_error_not_a_panic(s in "\\PC{0,200}") {
        let _ = layout::parse_str("r.toml", &s);
    }
}
