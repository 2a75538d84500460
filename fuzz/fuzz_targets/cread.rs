//! The C header reader and the importer on arbitrary bytes: never a panic.
#![no_main]

use flagplan::import::{self, Family, Options};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let h = flagplan::cread::Header::read(data);
    let _ = h.find_struct("task_struct");
    if let Ok(imp) = import::from_header(
        data,
        Options {
            struct_name: "task_struct".into(),
            families: Family::defaults_for("task_struct"),
            source_name: "fuzz.h".into(),
        },
    ) {
        let doc = import::emit::to_table(&imp);
        let text = import::emit::render(&doc, &[], &Default::default());
        let _ = imp.warning_lines("fuzz.h");
        // Every guard the importer writes reads back with the layout's guard parser.
        for f in &imp.flags {
            let g = f.guard.to_string();
            assert!(flagplan::guard::Guard::parse(&g).is_ok(), "guard `{g}`");
        }
        // What the importer writes, the layout reader reads (or rejects with an error).
        let _ = flagplan::layout::parse_str("fuzz.toml", &text);
    }
});
