//! The flag words flagplan knows in a Linux tree: which struct member holds which define family,
//! and which headers hold the struct and the defines. `import --tree` and `census` read these.

use std::path::Path;

use super::Family;
use crate::model::Kind;

/// One known flag word of the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KnownWord {
    pub struct_name: &'static str,
    /// The struct member that holds the flags.
    pub member: &'static str,
    /// The prefix of the defines (or enumerators) that name its flags.
    pub prefix: &'static str,
    /// `None`: decided from how the values are written.
    pub kind: Option<Kind>,
    /// The header that defines the struct, from the tree's top.
    pub struct_header: &'static str,
    /// Headers that hold the family's defines, from the tree's top (missing ones are skipped:
    /// the list covers 6.1 and newer trees).
    pub define_headers: &'static [&'static str],
    /// Headers read only for values and typedefs.
    pub context_headers: &'static [&'static str],
    /// What an import of this word leaves out.
    pub note: Option<&'static str>,
}

impl KnownWord {
    /// `PREFIX=WORD[:kind]`, as `--family` takes it.
    pub fn family(&self) -> String {
        match self.kind {
            Some(k) => format!("{}={}:{}", self.prefix, self.member, k.as_str()),
            None => format!("{}={}", self.prefix, self.member),
        }
    }

    pub fn to_family(&self) -> Family {
        Family {
            prefix: self.prefix.to_string(),
            word: self.member.to_string(),
            kind: self.kind,
            optional: true,
        }
    }
}

const TYPES: &[&str] = &["include/linux/types.h"];

/// Every known flag word, by struct.
pub const WORDS: &[KnownWord] = &[
    KnownWord {
        struct_name: "task_struct",
        member: "flags",
        prefix: "PF_",
        kind: None,
        struct_header: "include/linux/sched.h",
        define_headers: &[],
        context_headers: TYPES,
        note: None,
    },
    KnownWord {
        struct_name: "task_struct",
        member: "atomic_flags",
        prefix: "PFA_",
        kind: None,
        struct_header: "include/linux/sched.h",
        define_headers: &[],
        context_headers: TYPES,
        note: None,
    },
    KnownWord {
        struct_name: "mm_struct",
        member: "flags",
        prefix: "MMF_",
        kind: Some(Kind::Bitnum),
        struct_header: "include/linux/mm_types.h",
        define_headers: &["include/linux/sched/coredump.h"],
        context_headers: TYPES,
        note: None,
    },
    KnownWord {
        struct_name: "vm_area_struct",
        member: "vm_flags",
        prefix: "VM_",
        kind: Some(Kind::Mask),
        struct_header: "include/linux/mm_types.h",
        define_headers: &["include/linux/mm.h"],
        context_headers: TYPES,
        note: None,
    },
    KnownWord {
        struct_name: "page",
        member: "flags",
        prefix: "PG_",
        kind: Some(Kind::Bitnum),
        struct_header: "include/linux/mm_types.h",
        define_headers: &["include/linux/page-flags.h"],
        context_headers: TYPES,
        note: Some(
            "free bits are an upper bound: the section, node, zone, last_cpupid, KASAN tag and LRU generation fields are packed down from the top bit (include/linux/page-flags-layout.h, include/linux/mmzone.h) with widths from Kconfig integers; on x86_64 with NODES_SHIFT=10 and NR_CPUS=8192 they take every bit the flags leave (docs/words.md)",
        ),
    },
    KnownWord {
        struct_name: "file",
        member: "f_mode",
        prefix: "FMODE_",
        kind: Some(Kind::Mask),
        struct_header: "include/linux/fs.h",
        define_headers: &[],
        context_headers: TYPES,
        note: None,
    },
];

/// The known words of a struct.
pub fn words_of(struct_name: &str) -> impl Iterator<Item = &'static KnownWord> + '_ {
    WORDS.iter().filter(move |w| w.struct_name == struct_name)
}

/// The first known word of a struct.
pub fn word_of(struct_name: &str) -> Option<&'static KnownWord> {
    words_of(struct_name).next()
}

/// The structs with known words, in table order, each once.
pub fn structs() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for w in WORDS {
        if !out.contains(&w.struct_name) {
            out.push(w.struct_name);
        }
    }
    out
}

/// Extra headers of `struct_name` that exist under `tree`: (path from the top, defines?).
pub fn extra_headers(tree: &Path, struct_name: &str) -> Vec<(String, bool)> {
    let mut out: Vec<(String, bool)> = Vec::new();
    for w in words_of(struct_name) {
        let with_defines = w.define_headers.iter().map(|h| (*h, true));
        let context = w.context_headers.iter().map(|h| (*h, false));
        for (h, defines) in with_defines.chain(context) {
            if h != w.struct_header && tree.join(h).is_file() && !out.iter().any(|(x, _)| x == h) {
                out.push((h.to_string(), defines));
            }
        }
    }
    out
}
