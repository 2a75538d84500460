//! Benchmark: `suggest` on large generated layouts (up to 1,000 words and 50,000 flags): the
//! overview (plain `suggest`), `--free` from a crowded word, and `--flag`, each timed apart from
//! parsing. Run: `cargo bench --bench suggest`.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use flagplan::layout;
use flagplan::suggest::{Analysis, free, overview, rank_flag};

/// `words` 64-bit words (mask, bitnum, bitfield in turn; rules current, atomic, lock(L) in a
/// different cycle so every kind meets every rule). Every fourth word is crowded (62 flags), the
/// others hold `per_word`; every fifth word groups its first three flags; one flag in seven is
/// under CONFIG_A; writers are current (holding L in lock words).
fn generate(words: usize, per_word: usize) -> (String, usize) {
    let mut s = String::from("format = 1\nstruct = \"generated\"\n");
    let rules = ["current", "atomic", "lock(L)", "current"];
    for w in 0..words {
        let kind = ["mask", "bitnum", "bitfield"][w % 3];
        let _ = write!(
            s,
            "[[word]]\nname = \"w{w}\"\nwidth = 64\nkind = \"{kind}\"\nrule = \"{}\"\n",
            rules[w % 4]
        );
    }
    let mut total = 0;
    for w in 0..words {
        let n = if w % 4 == 0 { 62 } else { per_word };
        total += n;
        for f in 0..n {
            let _ = write!(s, "[[flag]]\nname = \"F_{w}_{f}\"\nword = \"w{w}\"\n");
            if w % 3 != 2 {
                let _ = writeln!(s, "bit = {f}");
            }
            if f % 7 == 3 {
                s.push_str("guard = \"CONFIG_A\"\n");
            }
            let lock = if w % 4 == 2 || f % 5 == 0 {
                "lock = \"L\"\n"
            } else {
                ""
            };
            let _ = write!(
                s,
                "[[flag.writer]]\ncontext = \"current\"\n{lock}evidence = [\"kernel/x{w}.c:{f}\", \"kernel/y.c:{}\"]\n",
                f % 3
            );
        }
        if w % 5 == 0 {
            let _ = write!(
                s,
                "[[group]]\nname = \"g{w}\"\nflags = [\"F_{w}_0\", \"F_{w}_1\", \"F_{w}_2\"]\n"
            );
        }
    }
    (s, total)
}

fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let v = f();
    (v, t.elapsed())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    println!(
        "{:>6} {:>7} {:>9} {:>9} {:>9} {:>11} {:>11} {:>11} {:>8}",
        "words",
        "flags",
        "parse ms",
        "prep ms",
        "plain ms",
        "free8 ms",
        "free40 ms",
        "flag ms",
        "freed40"
    );
    for &(words, per_word) in &[(20, 46), (200, 46), (1_000, 46)] {
        let (text, total) = generate(words, per_word);
        let (loaded, parse) =
            time(|| layout::parse_str("gen.toml", &text).expect("generated layout parses"));
        let (a, prep) = time(|| Analysis::new(loaded.layout.clone()));
        let (o, plain) = time(|| overview(&a, 90));
        assert!(o.words.iter().filter(|w| w.crowded).count() >= words / 4);
        // A crowded mask word in the middle of the layout.
        let from = a
            .word_named(&format!("w{}", (words / 2) / 12 * 12))
            .expect("word exists");
        let (p8, free8) = time(|| free::solve(&a, from, 8).expect("solves"));
        assert_eq!(p8.freed, 8);
        assert!(p8.optimal, "search hit its node limit");
        let (p40, free40) = time(|| free::solve(&a, from, 40).expect("solves"));
        assert!(p40.optimal, "search hit its node limit");
        let (r, flag) = time(|| rank_flag(&a, "F_0_10").expect("flag exists"));
        assert!(!r.legal.is_empty());
        println!(
            "{words:>6} {total:>7} {:>9.1} {:>9.1} {:>9.1} {:>11.1} {:>11.1} {:>11.1} {:>8}",
            ms(parse),
            ms(prep),
            ms(plain),
            ms(free8),
            ms(free40),
            ms(flag),
            p40.freed
        );
    }
}
