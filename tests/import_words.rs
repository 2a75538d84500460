//! Flag words beyond `task_struct`: `mm_struct::flags`, `vm_area_struct::vm_flags`, page flags
//! and `file::f_mode`, read from small headers written for these tests.

use assert_cmd::Command;
use flagplan::import::{self, Family, Imported, Options};

fn imp_struct(src: &str, struct_name: &str, families: &[&str]) -> Imported {
    import::from_header(
        src.as_bytes(),
        Options {
            struct_name: struct_name.into(),
            families: families
                .iter()
                .map(|f| Family::parse(f).expect("family"))
                .collect(),
            source_name: "t.h".into(),
        },
    )
    .expect("imports")
}

fn bin() -> Command {
    Command::cargo_bin("flagplan").expect("binary")
}

#[test]
fn a_struct_with_no_flag_word_is_an_error_not_an_empty_layout() {
    let dir = tempfile::tempdir().expect("tmp");
    let h = dir.path().join("mm.h");
    std::fs::write(
        &h,
        "struct mm_struct {\n\tunsigned long flags;\n\tint x;\n};\n",
    )
    .expect("write");
    let out = dir.path().join("l.toml");
    let a = bin()
        .args(["import", "--struct", "mm_struct"])
        .arg(&h)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(err.contains("no flag"), "{err}");
    assert!(!out.exists(), "nothing written");
}

#[test]
fn members_inside_anonymous_structs_and_unions_are_members() {
    let src = "struct mm_struct {\n\tstruct {\n\t\tint a;\n\t\tunion {\n\t\t\tunsigned long flags; /* Must use atomic bitops */\n\t\t};\n\t} __randomize_layout;\n\tunsigned long cpu_bitmap[];\n};\n#define MMF_A 3\n#define MMF_B 5\n";
    let i = imp_struct(src, "mm_struct", &["MMF_=flags:bitnum"]);
    assert_eq!(i.words.len(), 1);
    assert_eq!(i.words[0].name, "flags");
    assert_eq!(i.words[0].guess.rule.to_string(), "atomic");
    assert_eq!(i.flag("MMF_B").and_then(|f| f.bit), Some(5));
    assert_eq!(i.line(i.words[0].at), 5);
}

#[test]
fn force_casts_and_typedef_widths_are_understood() {
    let src = "typedef unsigned int __bitwise fmode_t;\nstruct file {\n\tfmode_t f_mode;\n};\n#define FMODE_READ\t\t((__force fmode_t)0x1)\n#define FMODE_EXEC\t\t((__force fmode_t)(1 << 5))\n#define FMODE_NOWAIT\t((__force fmode_t)BIT(27))\n";
    let i = imp_struct(src, "file", &["FMODE_=f_mode:mask"]);
    assert_eq!(i.words[0].width, 32);
    let w = i.warning_lines("t.h");
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(i.flag("FMODE_EXEC").and_then(|f| f.mask), Some(0x20));
    assert_eq!(i.flag("FMODE_NOWAIT").and_then(|f| f.bit), Some(27));
}

const MM_H: &str = r#"
#define VM_NONE		0x00000000
#define VM_READ		0x00000001	/* currently active flags */
#define VM_WRITE	0x00000002
#define VM_ARCH_1	0x01000000	/* Architecture-specific flag */
#ifdef CONFIG_MEM_SOFT_DIRTY
# define VM_SOFTDIRTY	0x08000000
#else
# define VM_SOFTDIRTY	0
#endif
#define VM_MERGEABLE	BIT(31)
#ifdef CONFIG_ARCH_USES_HIGH_VMA_FLAGS
#define VM_HIGH_ARCH_BIT_0	32	/* bit only usable on 64-bit architectures */
#define VM_HIGH_ARCH_0	BIT(VM_HIGH_ARCH_BIT_0)
#endif
#if defined(CONFIG_X86)
# define VM_PAT		VM_ARCH_1	/* PAT reserves whole VMA at once (x86) */
#endif
#define VM_ACCESS_FLAGS (VM_READ | VM_WRITE)
#define VM_ODD (VM_READ | 0x10)
#define VM_UNMAPPED_AREA_TOPDOWN 1
"#;

#[test]
fn aliases_composites_helpers_and_zero_alternatives_are_not_flags() {
    let src = format!("struct vm_area_struct {{\n\tunsigned long vm_flags;\n}};\n{MM_H}");
    let i = imp_struct(&src, "vm_area_struct", &["VM_=vm_flags:mask"]);
    let names: Vec<&str> = i.flags.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "VM_READ",
            "VM_WRITE",
            "VM_ARCH_1",
            "VM_SOFTDIRTY",
            "VM_MERGEABLE",
            "VM_HIGH_ARCH_0"
        ]
    );
    let soft = i.flag("VM_SOFTDIRTY").expect("flag");
    assert_eq!(soft.bit, Some(27));
    assert_eq!(soft.guard.to_string(), "CONFIG_MEM_SOFT_DIRTY");
    let high = i.flag("VM_HIGH_ARCH_0").expect("flag");
    assert_eq!(high.bit, Some(32));
    assert_eq!(high.guard.to_string(), "CONFIG_ARCH_USES_HIGH_VMA_FLAGS");
    assert_eq!(i.words[0].width_32, Some(32), "unsigned long");
    let pat = &i.aliases[0];
    assert_eq!(
        (pat.name.as_str(), pat.target.as_str()),
        ("VM_PAT", "VM_ARCH_1")
    );
    assert_eq!(pat.bit, Some(24));
    assert_eq!(pat.guard.to_string(), "CONFIG_X86");
    let acc = i
        .composites
        .iter()
        .find(|c| c.name == "VM_ACCESS_FLAGS")
        .expect("composite");
    assert_eq!(acc.members, ["VM_READ", "VM_WRITE"]);
    let skipped: Vec<&str> = i.skipped.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(skipped, ["VM_NONE", "VM_SOFTDIRTY", "VM_HIGH_ARCH_BIT_0"]);
    let w = i.warning_lines("t.h");
    assert!(
        w.iter()
            .any(|l| l.contains("`VM_ODD` = 0x11 is not a single bit")),
        "{w:?}"
    );
    assert!(
        w.iter().any(|l| l.contains(
            "`VM_UNMAPPED_AREA_TOPDOWN` takes bit 0 of `vm_flags`, which `VM_READ` holds"
        )),
        "{w:?}"
    );
    assert_eq!(w.len(), 2, "{w:?}");
}

#[test]
fn a_mask_over_bits_no_flag_names_is_a_field_and_occupies_them() {
    let src = "struct mm_struct {\n\tunsigned long flags; /* Must use atomic bitops to access */\n};\n#define MMF_DUMPABLE_BITS 2\n#define MMF_DUMPABLE_MASK ((1 << MMF_DUMPABLE_BITS) - 1)\n#define MMF_DUMP_ANON_PRIVATE\t2\n#ifdef CONFIG_CORE_DUMP_DEFAULT_ELF_HEADERS\n# define MMF_DUMP_MASK_DEFAULT_ELF (1 << MMF_DUMP_ANON_PRIVATE)\n#else\n# define MMF_DUMP_MASK_DEFAULT_ELF 0\n#endif\n#define MMF_OOM_SKIP 21\n";
    let i = imp_struct(src, "mm_struct", &["MMF_=flags:bitnum"]);
    let f = i.flag("MMF_DUMPABLE_MASK").expect("field");
    assert_eq!((f.bit, f.width), (Some(0), 2));
    assert!(i.flag("MMF_DUMP_MASK_DEFAULT_ELF").is_none());
    assert_eq!(i.composites[0].name, "MMF_DUMP_MASK_DEFAULT_ELF");
    assert_eq!(i.composites[0].members, ["MMF_DUMP_ANON_PRIVATE"]);
    // The layout loads and the field holds both of its bits.
    let dir = tempfile::tempdir().expect("tmp");
    let h = dir.path().join("mm.h");
    std::fs::write(&h, src).expect("write");
    let out = bin()
        .args([
            "import",
            "--struct",
            "mm_struct",
            "--family",
            "MMF_=flags:bitnum",
        ])
        .arg(&h)
        .output()
        .expect("runs");
    assert!(out.status.success());
    let l = dir.path().join("l.toml");
    std::fs::write(&l, &out.stdout).expect("write");
    let check = bin().arg("check").arg(&l).output().expect("runs");
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{text}");
    assert!(
        text.contains("|    64 |    4 |"),
        "bits 0, 1, 2, 21 used: {text}"
    );
}

#[test]
fn enum_families_are_counted_across_ifdefs_with_aliases() {
    let src = "struct page {\n\tunsigned long flags;\t\t/* Atomic flags, some possibly updated asynchronously */\n};\nenum pageflags {\n\tPG_locked,\n\tPG_owner_priv_1,\n#ifdef CONFIG_MMU\n\tPG_mlocked,\n#endif\n\tPG_tail,\n\t__NR_PAGEFLAGS,\n\tPG_checked = PG_owner_priv_1,\n};\n#define PG_buddy 0x00000080\n#define PG_head_mask ((1UL << PG_tail))\n";
    let i = imp_struct(src, "page", &["PG_=flags:bitnum"]);
    let got: Vec<(&str, Option<u32>, String)> = i
        .flags
        .iter()
        .map(|f| (f.name.as_str(), f.bit, f.guard.to_string()))
        .collect();
    assert_eq!(
        got,
        [
            ("PG_locked", Some(0), String::new()),
            ("PG_owner_priv_1", Some(1), String::new()),
            ("PG_mlocked", Some(2), "CONFIG_MMU".to_string()),
            ("PG_tail", Some(3), String::new()),
        ]
    );
    assert_eq!(i.aliases[0].name, "PG_checked");
    assert_eq!(i.aliases[0].target, "PG_owner_priv_1");
    assert_eq!(i.composites[0].members, ["PG_tail"]);
    assert_eq!(i.skipped[0].name, "PG_buddy");
}

#[test]
fn tree_import_reads_the_known_headers_and_follows_includes() {
    let dir = tempfile::tempdir().expect("tmp");
    let t = dir.path();
    std::fs::create_dir_all(t.join("include/linux/sched")).expect("mkdir");
    std::fs::write(
        t.join("include/linux/mm_types.h"),
        "#include <linux/mmflags_base.h>\nstruct mm_struct {\n\tstruct {\n\t\tunsigned long flags; /* Must use atomic bitops to access */\n\t} __randomize_layout;\n};\n#define MMF_NOT_HERE 3\n",
    )
    .expect("write");
    std::fs::write(
        t.join("include/linux/sched/coredump.h"),
        "#include <linux/mmflags_base.h>\n#define MMF_A 1\n#define MMF_B (MMF_BASE + 1)\n",
    )
    .expect("write");
    std::fs::write(
        t.join("include/linux/mmflags_base.h"),
        "#define MMF_BASE 20\n",
    )
    .expect("write");
    let out = bin()
        .args(["import", "--struct", "mm_struct", "--tree"])
        .arg(t)
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("name = \"MMF_A\""), "{text}");
    assert!(
        text.contains("bit = 21\nsource = \"include/linux/sched/coredump.h:3\""),
        "{text}"
    );
    assert!(
        !text.contains("MMF_NOT_HERE"),
        "the struct's header is not where MMF_ live: {text}"
    );
    assert!(
        !text.contains("MMF_BASE"),
        "an included header gives values, not flags: {text}"
    );
    let unknown = bin()
        .args(["import", "--struct", "nope", "--tree"])
        .arg(t)
        .assert()
        .code(2);
    let e = String::from_utf8_lossy(&unknown.get_output().stderr).into_owned();
    assert!(e.contains("not a known flag word"), "{e}");
}
