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
