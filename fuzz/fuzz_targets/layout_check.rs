//! The layout loader, the checker, the renderers and the planner's analysis on arbitrary text:
//! never a panic, and nothing rejected except as an input error.
#![no_main]

use flagplan::render::text::TextOptions;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(loaded) = flagplan::layout::parse_str("fuzz.toml", text) else {
        return;
    };
    let report = flagplan::check::check(&loaded);
    let opts = TextOptions {
        color: false,
        verbose: true,
    };
    let _ = flagplan::render::text::render(&report, &loaded.sources, "fuzz.toml", opts);
    let _ = flagplan::render::json::render(&report, &loaded.sources, "fuzz.toml");
    let _ = flagplan::render::sarif::render(&report, &loaded.sources);
    let a = flagplan::suggest::Analysis::new(loaded.layout.clone());
    let _ = flagplan::suggest::overview(&a, 90);
});
