//! Robustness of the scanner's C reader: any bytes, enormous lines, unterminated comments and
//! strings — no panic, and time linear in the input.

use std::time::Instant;

use flagplan::layout;
use flagplan::scan::classify::{FileRole, scan_file};
use flagplan::scan::lexer::tokenize;
use flagplan::scan::names::Names;
use proptest::prelude::*;

fn names() -> Names {
    let l = layout::parse_str(
        "t.toml",
        "format = 1\nstruct = \"task_struct\"\n[[word]]\nname = \"flags\"\ntype = \"unsigned int\"\nkind = \"mask\"\nrule = \"current\"\n[[flag]]\nname = \"PF_A\"\nword = \"flags\"\nmask = 1\n",
    )
    .expect("layout");
    Names::from_layout(&l.layout)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn any_bytes_scan_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let n = names();
        let _ = tokenize(&bytes);
        let _ = scan_file(&bytes, &n, FileRole::of("a.c", false));
        let _ = scan_file(&bytes, &n, FileRole::of("a.h", true));
    }

    #[test]
    fn c_like_fragments_scan_without_panic(parts in proptest::collection::vec(
        prop::sample::select(vec![
            "{", "}", "(", ")", ";", ",", "->", "flags", "|=", "&=", "~", "PF_A", "current", "p",
            "struct", "task_struct", "*", "static", "inline", "#define X(a) ", "\\\n", "\n", "#if 0\n",
            "#endif\n", "/*", "*/", "//", "\"", "'", "switch", "case", "=", "set_bit", "&",
        ]), 0..300)) {
        let text: String = parts.concat();
        let n = names();
        let _ = scan_file(text.as_bytes(), &n, FileRole::of("a.h", true));
    }
}

fn time_of(src: &[u8]) -> f64 {
    let n = names();
    let t = Instant::now();
    let _ = scan_file(src, &n, FileRole::of("a.h", true));
    t.elapsed().as_secs_f64()
}

#[test]
fn pathological_inputs_take_linear_time() {
    type Make = Box<dyn Fn(usize) -> Vec<u8>>;
    let cases: Vec<(&str, Make)> = vec![
        (
            "unterminated comment",
            Box::new(|n| {
                let mut v = b"/*".to_vec();
                v.extend(std::iter::repeat_n(b'x', n));
                v
            }),
        ),
        (
            "unterminated string",
            Box::new(|n| {
                let mut v = b"\"".to_vec();
                v.extend(std::iter::repeat_n(b'a', n));
                v
            }),
        ),
        (
            "one enormous line of flags",
            Box::new(|n| {
                let mut v = b"void f(void) { current->flags |= 0".to_vec();
                for _ in 0..n / 8 {
                    v.extend_from_slice(b" | PF_A");
                }
                v.extend_from_slice(b"; }");
                v
            }),
        ),
        (
            "deep parentheses",
            Box::new(|n| {
                let mut v = b"void f(void) { x = ".to_vec();
                v.extend(std::iter::repeat_n(b'(', n / 2));
                v.extend(std::iter::repeat_n(b')', n / 2));
                v.extend_from_slice(b"; }");
                v
            }),
        ),
        (
            "odd bytes",
            Box::new(|n| (0..n).map(|i| (i * 7919 % 256) as u8).collect()),
        ),
        (
            "many tiny statements",
            Box::new(|n| {
                let mut v = b"void f(struct task_struct *p) {".to_vec();
                for _ in 0..n / 20 {
                    v.extend_from_slice(b" p->flags |= PF_A;");
                }
                v.push(b'}');
                v
            }),
        ),
    ];
    for (name, make) in cases {
        let small = make(20_000);
        let big = make(200_000);
        let (ts, tb) = (time_of(&small).max(1e-4), time_of(&big));
        // 10x the input may take at most ~30x the time (linear with generous noise), and a
        // quadratic reader would take ~100x.
        assert!(
            tb < ts * 30.0 + 0.05,
            "{name}: {ts:.4}s for 20k, {tb:.4}s for 200k"
        );
    }
}

/// A macro whose body is a `{` and a line continuation at the end of the file, after stray
/// braces (found by `c_like_fragments_scan_without_panic`): its body range ends before it starts.
#[test]
fn a_macro_ending_in_an_open_brace_and_a_continuation_scans() {
    let src = b"}}}}#define X(a) {\\\n";
    let n = names();
    for role in [FileRole::of("a.c", false), FileRole::of("a.h", true)] {
        let fs = scan_file(src, &n, role);
        assert!(fs.accesses.is_empty());
    }
}
