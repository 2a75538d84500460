//! The plan path on arbitrary proposals against the shipped 6.1 layout: the plan loader, the
//! checker's move rules, and `suggest --free` on the result. Never a panic; `suggest` never
//! ends in an internal error.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else {
        return;
    };
    let text = format!("format = 1\nbase = \"builtin:linux-6.1\"\n{body}");
    let Ok(loaded) = flagplan::layout::parse_str("plan.toml", &text) else {
        return;
    };
    let _ = flagplan::check::check(&loaded);
    let a = flagplan::suggest::Analysis::new(loaded.layout.clone());
    for w in 0..loaded.layout.words.len() {
        if let Err(e) = flagplan::suggest::free::solve(&a, w, 2) {
            assert!(!e.to_string().contains("internal error"), "{e}");
        }
    }
});
