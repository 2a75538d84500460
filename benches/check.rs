//! Benchmark: `check` on large generated layouts (thousands of words, tens of thousands of
//! flags and moves), against the cost of just parsing the same TOML. Run: `cargo bench --bench check`.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use flagplan::{check, layout};

/// `words` 64-bit words (mask, bitnum, bitfield in turn), `per_word` flags each, and `moves`
/// proposals that move the first flags of each word to the next word.
fn generate(words: usize, per_word: usize, moves: usize) -> String {
    let mut s = String::from("format = 1\nstruct = \"generated\"\n");
    let rules = ["current", "atomic", "lock(L)"];
    for w in 0..words {
        let kind = ["mask", "bitnum", "bitfield"][w % 3];
        let _ = write!(
            s,
            "[[word]]\nname = \"w{w}\"\nwidth = 64\nkind = \"{kind}\"\nrule = \"{}\"\n",
            rules[w % 3]
        );
    }
    for w in 0..words {
        for f in 0..per_word {
            let _ = write!(s, "[[flag]]\nname = \"F_{w}_{f}\"\nword = \"w{w}\"\n");
            if w % 3 != 2 {
                let _ = writeln!(s, "bit = {f}");
            }
            if f % 7 == 3 {
                s.push_str("guard = \"CONFIG_A\"\n");
            }
            let lock = if w % 3 == 2 { "lock = \"L\"\n" } else { "" };
            let _ = write!(
                s,
                "[[flag.writer]]\ncontext = \"current\"\n{lock}evidence = [\"kernel/x.c:{f}\"]\n"
            );
        }
        if w % 5 == 0 {
            let _ = write!(
                s,
                "[[group]]\nname = \"g{w}\"\nflags = [\"F_{w}_0\", \"F_{w}_1\"]\n"
            );
        }
    }
    for m in 0..moves {
        let w = m % words;
        let f = 2 + m / words;
        let _ = write!(
            s,
            "[[proposal]]\nmove = \"F_{w}_{f}\"\nto = \"w{}\"\n",
            (w + 3) % words
        );
    }
    s
}

fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let v = f();
    (v, t.elapsed())
}

fn main() {
    println!(
        "{:>6} {:>7} {:>6} {:>9} {:>10} {:>10} {:>8}",
        "words", "flags", "moves", "toml KiB", "parse ms", "check ms", "findings"
    );
    for &(words, per_word, moves) in &[(100, 20, 1_000), (1_000, 20, 10_000), (2_000, 25, 20_000)] {
        let text = generate(words, per_word, moves);
        // Baseline: parse only (TOML to the model). The check proper is the difference.
        let (loaded, parse) =
            time(|| layout::parse_str("gen.toml", &text).expect("generated layout parses"));
        let (report, chk) = time(|| check::check(&loaded));
        println!(
            "{words:>6} {:>7} {moves:>6} {:>9} {:>10.1} {:>10.1} {:>8}",
            words * per_word,
            text.len() / 1024,
            parse.as_secs_f64() * 1e3,
            chk.as_secs_f64() * 1e3,
            report.findings.len()
        );
    }
}
