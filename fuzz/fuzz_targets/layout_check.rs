//! The layout loader, the checker, the SVG renderer and the planner's analysis on arbitrary text:
//! never a panic, and nothing rejected except as an input error.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(loaded) = flagplan::layout::parse_str("fuzz.toml", text) else {
        return;
    };
    let report = flagplan::check::check(&loaded);
    let _ = flagplan::render::svg::render(&report, "fuzz.toml");
    let a = flagplan::suggest::Analysis::new(loaded.layout.clone());
    let _ = flagplan::suggest::overview(&a, 90);
});
