//! The BTF reader on arbitrary bytes: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(btf) = flagplan::import::btf::Btf::parse(data)
        && let Some(m) = btf.struct_members("task_struct")
    {
        let u = flagplan::import::btf::units(&m);
        let _ = flagplan::import::btf::describe("task_struct", &u);
    }
});
