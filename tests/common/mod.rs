//! Shared by the tests that need a real kernel tree. Those tests are `#[ignore]`d with a reason,
//! so `cargo test` reports them as skipped; `./scripts/test` runs them (`--include-ignored`) with
//! the tree, and here a missing tree fails the test: it is never a silent pass.

use std::path::PathBuf;

/// The reason every 6.1-tree test is ignored by default.
#[allow(dead_code)]
pub const NEEDS_6_1: &str = "needs a Linux tree: set FLAGPLAN_LINUX_6_1";

/// The Linux 6.1 tree named by FLAGPLAN_LINUX_6_1; panics when it is not there.
#[allow(dead_code)]
pub fn linux_6_1() -> PathBuf {
    let p = std::env::var_os("FLAGPLAN_LINUX_6_1").map(PathBuf::from);
    match p {
        Some(p) if p.join("include/linux/sched.h").is_file() => p,
        Some(p) => panic!(
            "FLAGPLAN_LINUX_6_1={} is not a Linux tree (no include/linux/sched.h); run scripts/get-linux.sh",
            p.display()
        ),
        None => panic!(
            "this test {NEEDS_6_1}; `./scripts/test` fetches the tree and sets it (scripts/get-linux.sh)"
        ),
    }
}
