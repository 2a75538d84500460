//! Bad input: every case exits 2 with a precise message, and nothing panics.

use assert_cmd::Command;
use tempfile::TempDir;

fn run(args: &[&str], dir: &TempDir) -> (i32, String, String) {
    let out = Command::cargo_bin("flagplan")
        .expect("binary")
        .current_dir(dir.path())
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    (
        out.status.code().expect("exit code"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
    )
}

/// Write `content` to layout.toml in a fresh directory and check it; expect exit 2 and every `needle` in stderr.
fn bad(content: &[u8], needles: &[&str]) {
    let dir = TempDir::new().expect("tempdir");
    std::fs::write(dir.path().join("bad.toml"), content).expect("write");
    let (code, _, err) = run(&["check", "bad.toml"], &dir);
    assert_eq!(
        code,
        2,
        "expected exit 2 for {:?}\n{err}",
        String::from_utf8_lossy(content)
    );
    for n in needles {
        assert!(err.contains(n), "stderr lacks {n:?}:\n{err}");
    }
}

const WORD: &str = "format = 1\nstruct = \"t\"\n[[word]]\nname = \"flags\"\ntype = \"unsigned int\"\nkind = \"mask\"\nrule = \"current\"\n";

#[test]
fn malformed_toml_points_at_line_and_column() {
    bad(b"format = 1\n[[word]\nname = 1\n", &["bad.toml:2:", "^"]);
}

#[test]
fn wrong_types() {
    bad(b"format = \"one\"\n", &["bad.toml:1:10", "invalid type"]);
    bad(
        format!("{WORD}[[flag]]\nname = \"F\"\nword = \"flags\"\nbit = \"3\"\n").as_bytes(),
        &["bad.toml:11:7", "invalid type"],
    );
}

#[test]
fn unknown_keys_suggest_the_close_one() {
    bad(b"format = 1\nstruct = \"t\"\n[[word]]\nname = \"w\"\nwdth = 32\nkind = \"mask\"\nrule = \"current\"\n", &["bad.toml:5:1", "unknown field `wdth`", "did you mean `width`?"]);
    bad(
        b"format = 1\nstrcut = \"t\"\n",
        &["unknown field `strcut`", "did you mean `struct`?"],
    );
}

#[test]
fn negative_and_huge_bits() {
    bad(
        format!("{WORD}[[flag]]\nname = \"F\"\nword = \"flags\"\nbit = -1\n").as_bytes(),
        &["bad.toml:11:7", "bit -1 is out of range"],
    );
    bad(
        format!("{WORD}[[flag]]\nname = \"F\"\nword = \"flags\"\nbit = 4096\n").as_bytes(),
        &["bit 4096 is out of range"],
    );
    bad(
        format!("{WORD}[[flag]]\nname = \"F\"\nword = \"flags\"\nbit = 999999999999999999999999\n")
            .as_bytes(),
        &["bad.toml:11:"],
    );
    bad(
        format!("{WORD}[[flag]]\nname = \"F\"\nword = \"flags\"\nmask = -8\n").as_bytes(),
        &["mask -8 is negative"],
    );
    bad(
        format!("{WORD}[[flag]]\nname = \"F\"\nword = \"flags\"\nmask = 0x10\nbit = 3\n")
            .as_bytes(),
        &["mask 0x10 and bit 3 disagree"],
    );
}

#[test]
fn duplicate_keys_are_input_errors() {
    bad(
        b"format = 1\nformat = 1\n",
        &["bad.toml:2:1", "duplicate key"],
    );
}

#[test]
fn duplicate_flag_names_are_findings_not_input_errors() {
    let dir = TempDir::new().expect("tempdir");
    let text = format!(
        "{WORD}[[flag]]\nname = \"F\"\nword = \"flags\"\nbit = 1\n[[flag]]\nname = \"F\"\nword = \"flags\"\nbit = 2\n"
    );
    std::fs::write(dir.path().join("dup.toml"), text).expect("write");
    let (code, out, _) = run(&["check", "dup.toml"], &dir);
    assert_eq!(code, 1);
    assert!(
        out.contains("error[duplicate-name]: flag `F` is declared twice"),
        "{out}"
    );
    assert!(out.contains("dup.toml:13:8"), "{out}");
}

#[test]
fn non_utf8_binary_empty_and_missing_files() {
    bad(
        b"format = 1\nstruct = \"t\xff\"\n",
        &["bad.toml:2:", "not UTF-8"],
    );
    bad(
        b"format = 1\n\x00\x01\x02",
        &["bad.toml:2:1", "binary file"],
    );
    bad(b"", &["bad.toml:1:1", "empty file"]);
    bad(b"  \n\n", &["empty file"]);
    let dir = TempDir::new().expect("tempdir");
    let (code, _, err) = run(&["check", "missing.toml"], &dir);
    assert_eq!(code, 2);
    assert!(
        err.contains("missing.toml") && err.contains("No such file"),
        "{err}"
    );
}

#[test]
fn a_directory_instead_of_a_file() {
    let dir = TempDir::new().expect("tempdir");
    std::fs::create_dir(dir.path().join("layouts.toml")).expect("mkdir");
    let (code, _, err) = run(&["check", "layouts.toml"], &dir);
    assert_eq!(code, 2);
    assert!(err.contains("layouts.toml: is a directory"), "{err}");
}

#[test]
fn bad_values_for_kind_rule_type_guard_and_format() {
    bad(
        WORD.replace("\"mask\"", "\"maks\"").as_bytes(),
        &[
            "bad.toml:6:8",
            "unknown kind `maks`",
            "did you mean `mask`?",
        ],
    );
    bad(
        WORD.replace("rule = \"current\"", "rule = \"lock(\"")
            .as_bytes(),
        &["bad.toml:7:8", "unknown rule"],
    );
    bad(
        WORD.replace("unsigned int", "unsigned banana").as_bytes(),
        &["bad.toml:5:8", "unknown C type"],
    );
    bad(
        format!(
            "{WORD}[[flag]]\nname = \"F\"\nword = \"flags\"\nbit = 1\nguard = \"CONFIG_A &&\"\n"
        )
        .as_bytes(),
        &["bad.toml:12:", "bad guard expression"],
    );
    bad(
        b"format = 2\n",
        &["bad.toml:1:10", "unsupported format version 2"],
    );
    bad(b"struct = \"t\"\n", &["missing `format = 1`"]);
    bad(b"format = 1\nstruct = \"t\"\n[[word]]\nname = \"w\"\nwidth = 33\nkind = \"mask\"\nrule = \"current\"\n", &["width 33"]);
}

#[test]
fn plans_with_bad_bases_or_bodies() {
    bad(
        b"format = 1\nbase = \"nowhere.toml\"\n",
        &["bad.toml:2:8", "cannot read the plan's base layout"],
    );
    bad(
        b"format = 1\nbase = \"builtin:linux-1.0\"\n",
        &["no built-in layout named `linux-1.0`"],
    );
    bad(
        format!("base = \"x.toml\"\n{WORD}")
            .replacen("format = 1\n", "", 1)
            .replacen("base", "format = 1\nbase", 1)
            .as_bytes(),
        &["a plan file (one with `base`) holds only"],
    );
    bad(
        b"format = 1\nbase = \"bad.toml\"\n",
        &["must be a layout, not another plan"],
    );
    bad(
        format!("{WORD}[[proposal]]\nto = \"flags\"\n").as_bytes(),
        &["needs `move = \\\"FLAG\\\"` or `add"
            .replace("\\\"", "\"")
            .as_str()],
    );
    bad(
        format!("{WORD}[[proposal]]\nmove = \"A\"\nadd = \"B\"\nto = \"flags\"\n").as_bytes(),
        &["either `move` or `add`, not both"],
    );
}

#[test]
fn usage_errors_exit_2() {
    let dir = TempDir::new().expect("tempdir");
    assert_eq!(run(&["check", "--builtin", "nope"], &dir).0, 2);
    assert_eq!(run(&["check", "--format", "xml"], &dir).0, 2);
    assert_eq!(run(&["frobnicate"], &dir).0, 2);
    let (code, _, err) = run(&["explain", "remote-writr"], &dir);
    assert_eq!(code, 2);
    assert!(err.contains("remote-writer"), "{err}");
}

// ---- issue 10: no input can crash, hang or silently mislead -----------------------------------

use std::process::Stdio;
use std::time::Duration;

/// Run with a time limit (a hang fails the test instead of stalling the suite), `envs` set and
/// `stdin` fed.
fn run_with(
    args: &[&str],
    dir: &TempDir,
    envs: &[(&str, &str)],
    stdin: Option<Stdio>,
) -> (i32, String, String) {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("flagplan"));
    cmd.current_dir(dir.path())
        .args(args)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(stdin.unwrap_or_else(Stdio::null));
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let child = cmd.spawn().expect("spawns");
    let pid = child.id().to_string();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    let Ok(out) = rx.recv_timeout(Duration::from_secs(60)) else {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &pid])
            .status();
        panic!("flagplan {args:?} did not finish in 60 s");
    };
    let out = out.expect("output");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    let code = out.status.code().unwrap_or_else(|| {
        panic!("flagplan {args:?} was killed by a signal: {stderr}");
    });
    (
        code,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
    )
}

fn write(dir: &TempDir, name: &str, content: impl AsRef<[u8]>) -> String {
    std::fs::write(dir.path().join(name), content).expect("write");
    name.to_string()
}

fn expect(r: (i32, String, String), code: i32, needles: &[&str]) -> (String, String) {
    let (c, out, err) = r;
    assert_eq!(c, code, "exit code; stderr:\n{err}\nstdout:\n{out}");
    for n in needles {
        assert!(err.contains(n), "stderr lacks {n:?}:\n{err}");
    }
    (out, err)
}

fn layout_with_guard(guard: &str) -> String {
    format!("{WORD}[[flag]]\nname = \"F\"\nword = \"flags\"\nbit = 1\nguard = \"{guard}\"\n")
}

/// A header `import` reads: the struct, and `extra` lines before it.
fn header(extra: &str) -> String {
    format!(
        "#ifndef _T_H\n#define _T_H\n{extra}\nstruct task_struct {{\n\tunsigned int flags;\n\tunsigned a:1;\n}};\n#define PF_A 0x00000001\n#endif\n"
    )
}

#[test]
fn deeply_nested_guard_in_a_layout_is_an_input_error() {
    let dir = TempDir::new().expect("tempdir");
    let g = format!("{}A{}", "(".repeat(15_000), ")".repeat(15_000));
    let f = write(&dir, "deep.toml", layout_with_guard(&g));
    expect(
        run_with(&["check", &f], &dir, &[], None),
        2,
        &["deep.toml:12:", "nesting deeper than 256"],
    );
}

#[test]
fn a_long_chain_of_not_reads_without_recursion() {
    let dir = TempDir::new().expect("tempdir");
    let g = format!("{}A", "!".repeat(50_001));
    let f = write(&dir, "nots.toml", layout_with_guard(&g));
    let (out, _) = expect(
        run_with(&["check", &f, "--format", "json"], &dir, &[], None),
        0,
        &[],
    );
    assert!(out.contains("\"used\": 1"), "{out}");
}

#[test]
fn deeply_nested_if_in_a_header_is_an_input_error() {
    let dir = TempDir::new().expect("tempdir");
    let h = header(&format!(
        "#if {}A{}\n#define PF_B 0x2\n#endif",
        "(".repeat(15_000),
        ")".repeat(15_000)
    ));
    let f = write(&dir, "deep.h", h);
    expect(
        run_with(&["import", &f], &dir, &[], None),
        2,
        &["deep.h:3:", "nesting deeper than 256"],
    );
}

#[test]
fn an_if_joining_50000_terms_imports() {
    let dir = TempDir::new().expect("tempdir");
    let terms: Vec<String> = (0..50_000).map(|i| format!("defined(C{i})")).collect();
    let h = header(&format!(
        "#if {}\n#define PF_B 0x2\n#endif",
        terms.join(" && ")
    ));
    let f = write(&dir, "wide.h", h);
    let (out, _) = expect(run_with(&["import", &f], &dir, &[], None), 0, &[]);
    assert!(out.contains("C0 && C1 && C2"), "guard not written");
    let g = write(&dir, "wide.toml", out);
    expect(run_with(&["check", &g], &dir, &[], None), 0, &[]);
}

#[test]
fn deeply_nested_anonymous_structs_are_an_input_error() {
    let dir = TempDir::new().expect("tempdir");
    let body = format!("{}int x;{}", "struct {".repeat(10_000), "};".repeat(10_000));
    let h = format!("struct task_struct {{\n\tunsigned int flags;\n{body}\n}};\n#define PF_A 1\n");
    let f = write(&dir, "nest.h", h);
    expect(
        run_with(&["import", &f], &dir, &[], None),
        2,
        &["nest.h:3:", "nesting deeper than 64"],
    );
}

#[test]
fn a_define_with_30000_nested_parentheses_is_not_understood_not_a_crash() {
    let dir = TempDir::new().expect("tempdir");
    let h = header(&format!(
        "#define PF_B {}2{}",
        "(".repeat(30_000),
        ")".repeat(30_000)
    ));
    let f = write(&dir, "paren.h", h);
    let (out, _) = expect(
        run_with(&["import", &f], &dir, &[], None),
        0,
        &["paren.h:3: warning:", "PF_B"],
    );
    assert!(!out.contains("name = \"PF_B\""), "{out}");
}

#[test]
fn nested_ifdef_of_one_symbol_costs_linear_time_and_reads_as_one_guard() {
    let dir = TempDir::new().expect("tempdir");
    let h = header(&format!(
        "{}#define PF_B 0x2\n{}",
        "#ifdef CONFIG_A\n".repeat(200),
        "#endif\n".repeat(200)
    ));
    let f = write(&dir, "rep.h", h);
    let (out, _) = expect(run_with(&["import", &f], &dir, &[], None), 0, &[]);
    assert!(out.contains("guard = \"CONFIG_A\""), "{out}");
    // Past the nesting limit: refused at once, naming the line.
    let h = header(&format!(
        "{}#define PF_B 0x2\n{}",
        "#ifdef CONFIG_A\n".repeat(8_000),
        "#endif\n".repeat(8_000)
    ));
    let f = write(&dir, "deep.h", h);
    expect(
        run_with(&["import", &f], &dir, &[], None),
        2,
        &["deep.h:259:", "#if nesting deeper than 256"],
    );
}

fn fifo(dir: &TempDir, name: &str) -> String {
    let st = std::process::Command::new("mkfifo")
        .arg(dir.path().join(name))
        .status()
        .expect("mkfifo");
    assert!(st.success());
    name.to_string()
}

#[test]
fn fifos_and_devices_are_refused_at_once() {
    let dir = TempDir::new().expect("tempdir");
    let p = fifo(&dir, "pipe.toml");
    expect(
        run_with(&["check", &p], &dir, &[], None),
        2,
        &["pipe.toml: not a regular file (a FIFO)"],
    );
    expect(
        run_with(&["check", "/dev/zero"], &dir, &[], None),
        2,
        &["/dev/zero: not a regular file (a character device)"],
    );
    let plan = write(&dir, "plan.toml", "format = 1\nbase = \"/dev/zero\"\n");
    expect(
        run_with(&["check", &plan], &dir, &[], None),
        2,
        &["plan.toml:2:8", "not a regular file"],
    );
    expect(
        run_with(&["import", "/dev/zero"], &dir, &[], None),
        2,
        &["/dev/zero: not a regular file"],
    );
    expect(
        run_with(&["import", &p], &dir, &[], None),
        2,
        &["pipe.toml: not a regular file (a FIFO)"],
    );
    expect(
        run_with(&["import", "--btf", "/dev/zero"], &dir, &[], None),
        2,
        &["/dev/zero: not a regular file"],
    );
    expect(
        run_with(
            &["check", "--builtin", "linux-6.1", "--header", "/dev/zero"],
            &dir,
            &[],
            None,
        ),
        2,
        &["/dev/zero: not a regular file"],
    );
}

#[test]
fn endless_stdin_and_big_files_are_refused_at_the_size_cap() {
    let dir = TempDir::new().expect("tempdir");
    let zero = std::fs::File::open("/dev/zero").expect("/dev/zero");
    expect(
        run_with(
            &["check", "-"],
            &dir,
            &[("FLAGPLAN_MAX_INPUT_SIZE", "1M")],
            Some(Stdio::from(zero)),
        ),
        2,
        &[
            "<stdin>: larger than the 1 MiB input limit",
            "FLAGPLAN_MAX_INPUT_SIZE",
        ],
    );
    // A header on stdin (`-`, or /dev/stdin as a shell's `<(cmd)` gives it) is capped too.
    for arg in ["-", "/dev/stdin"] {
        let zero = std::fs::File::open("/dev/zero").expect("/dev/zero");
        expect(
            run_with(
                &["import", arg],
                &dir,
                &[("FLAGPLAN_MAX_INPUT_SIZE", "64k")],
                Some(Stdio::from(zero)),
            ),
            2,
            &["larger than the 64 KiB input limit"],
        );
    }
    let big = dir.path().join("big.toml");
    let f = std::fs::File::create(&big).expect("create");
    f.set_len(100 << 20).expect("sparse file");
    expect(
        run_with(&["check", "big.toml"], &dir, &[], None),
        2,
        &[
            "big.toml: larger than the 64 MiB input limit",
            "--max-input-size",
        ],
    );
    // The limit is an option too, and a layout under it reads.
    let ok = write(&dir, "ok.toml", WORD);
    expect(
        run_with(&["check", &ok, "--max-input-size", "10"], &dir, &[], None),
        2,
        &["ok.toml: larger than the 10 B input limit"],
    );
    expect(
        run_with(&["--max-input-size", "1k", "check", &ok], &dir, &[], None),
        0,
        &[],
    );
    expect(
        run_with(&["check", &ok, "--max-input-size", "lots"], &dir, &[], None),
        2,
        &["lots"],
    );
}

#[test]
fn a_missing_endif_under_an_include_guard_is_named() {
    let dir = TempDir::new().expect("tempdir");
    let h = "#ifndef _T_H\n#define _T_H\n#ifdef CONFIG_X\n#define PF_X 0x2\n\nstruct task_struct {\n\tunsigned int flags;\n};\n#define PF_A 0x1\n#endif\n";
    let f = write(&dir, "unbal.h", h);
    expect(
        run_with(&["import", &f], &dir, &[], None),
        2,
        &["unbal.h:", "#if without #endif", "unbal.h:3"],
    );
    // An extra #endif is named too: it closes the include guard early.
    let h = header("#endif");
    let f = write(&dir, "extra.h", h);
    expect(
        run_with(&["import", &f], &dir, &[], None),
        2,
        &[
            "extra.h:3:",
            "#endif without #if",
            "closes the include guard",
        ],
    );
    // Without an include guard: the extra #endif is the unmatched one.
    let f = write(
        &dir,
        "plain.h",
        "struct task_struct {\n\tunsigned int flags;\n};\n#endif\n",
    );
    expect(
        run_with(&["import", &f], &dir, &[], None),
        2,
        &["plain.h:4:1", "#endif without #if"],
    );
}

#[test]
fn a_truncated_struct_is_an_error() {
    let dir = TempDir::new().expect("tempdir");
    let f = write(
        &dir,
        "trunc.h",
        "struct task_struct {\n\tunsigned int flags;\n\tunsigned a:1;\n",
    );
    expect(
        run_with(&["import", &f], &dir, &[], None),
        2,
        &["trunc.h:1:", "struct task_struct is not closed"],
    );
}

#[test]
fn import_output_is_always_loadable() {
    let dir = TempDir::new().expect("tempdir");
    // Control bytes in comments are not copied into TOML comments or strings.
    let h = "struct task_struct {\n\tunsigned int flags;\n\t/* ctl \x01\x1b[31m \x7f here */\n\tunsigned a:1; /* tail \x02 */\n};\n#define PF_A 0x1 /* doc \x03\x0b */\n";
    let f = write(&dir, "ctl.h", h);
    let (out, _) = expect(run_with(&["import", &f], &dir, &[], None), 0, &[]);
    assert!(
        !out.bytes().any(|b| b < 0x20 && b != b'\n' || b == 0x7f),
        "control bytes written:\n{out:?}"
    );
    let t = write(&dir, "ctl.toml", out);
    let (c, _, err) = run_with(&["check", &t], &dir, &[], None);
    assert!(c < 2, "check refuses what import wrote: {err}");
    // A NUL byte: the header is binary.
    let f = write(&dir, "nul.h", header("/* a \0 b */"));
    expect(
        run_with(&["import", &f], &dir, &[], None),
        2,
        &["nul.h:3:", "binary file"],
    );
    // A bitfield wider than its type.
    let f = write(
        &dir,
        "wide.h",
        "struct task_struct {\n\tunsigned int flags;\n\tunsigned a:99;\n};\n",
    );
    expect(
        run_with(&["import", &f], &dir, &[], None),
        2,
        &["wide.h:3:", "`a` is 99 bits wide", "unsigned"],
    );
    // 70 one-bit fields of one 64-bit type: past bit 63 the compiler opens a second unit; the
    // importer must not write bits past 64 in one word.
    let fields: String = (0..70)
        .map(|i| format!("\tunsigned long b{i}:1;\n"))
        .collect();
    let f = write(
        &dir,
        "run.h",
        format!("struct task_struct {{\n\tunsigned int flags;\n{fields}}};\n"),
    );
    let r = run_with(&["import", &f], &dir, &[], None);
    if r.0 == 0 {
        let t = write(&dir, "run.toml", &r.1);
        let (c, _, err) = run_with(&["check", &t], &dir, &[], None);
        assert!(c < 2, "check refuses what import wrote: {err}");
    } else {
        expect(r, 2, &["run.h:", "64"]);
    }
}

#[test]
fn binary_headers_and_bad_merge_targets_say_what_is_wrong() {
    let dir = TempDir::new().expect("tempdir");
    expect(
        run_with(&["import", "/bin/ls"], &dir, &[], None),
        2,
        &["/bin/ls:", "binary file"],
    );
    let h = write(&dir, "t.h", header(""));
    let out = write(&dir, "notes.txt", "these are notes, not TOML = = =\n");
    expect(
        run_with(&["import", &h, "-o", &out, "--force"], &dir, &[], None),
        2,
        &["notes.txt:1:", "read to merge its hand facts", "--no-merge"],
    );
    expect(
        run_with(
            &["import", &h, "-o", &out, "--force", "--no-merge"],
            &dir,
            &[],
            None,
        ),
        0,
        &[],
    );
    let (_, err) = expect(
        run_with(
            &["import", &h, "-o", "no/such/dir/out.toml"],
            &dir,
            &[],
            None,
        ),
        2,
        &[
            "no/such/dir/out.toml",
            "directory `no/such/dir` does not exist",
        ],
    );
    assert!(!err.contains(".flagplan-"), "temp name exposed: {err}");
}

#[test]
fn an_empty_hex_literal_says_so() {
    bad(
        format!("{WORD}[[flag]]\nname = \"F\"\nword = \"flags\"\nmask = 0x\n").as_bytes(),
        &["bad.toml:11:8", "`0x` has no digits"],
    );
}

#[cfg(unix)]
mod writes {
    use super::*;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    fn mode(p: &std::path::Path) -> u32 {
        std::fs::metadata(p).expect("stat").mode() & 0o7777
    }

    #[test]
    fn force_keeps_the_mode_and_new_files_follow_the_umask() {
        let dir = TempDir::new().expect("tempdir");
        let h = write(&dir, "t.h", header(""));
        expect(
            run_with(&["import", &h, "-o", "new.toml"], &dir, &[], None),
            0,
            &[],
        );
        // Tests run under the umask of the harness: 0644 less it.
        let umask = current_umask();
        assert_eq!(mode(&dir.path().join("new.toml")), 0o644 & !umask);
        std::fs::set_permissions(
            dir.path().join("new.toml"),
            std::fs::Permissions::from_mode(0o640),
        )
        .expect("chmod");
        expect(
            run_with(
                &["import", &h, "-o", "new.toml", "--force"],
                &dir,
                &[],
                None,
            ),
            0,
            &[],
        );
        assert_eq!(mode(&dir.path().join("new.toml")), 0o640);
    }

    fn current_umask() -> u32 {
        let out = std::process::Command::new("sh")
            .args(["-c", "umask"])
            .output()
            .expect("sh");
        u32::from_str_radix(String::from_utf8_lossy(&out.stdout).trim(), 8).expect("octal")
    }

    #[test]
    fn force_writes_through_a_symlink() {
        let dir = TempDir::new().expect("tempdir");
        let h = write(&dir, "t.h", header(""));
        std::fs::create_dir(dir.path().join("real")).expect("mkdir");
        write(&dir, "real/layout.toml", "old\n");
        std::os::unix::fs::symlink("real/layout.toml", dir.path().join("link.toml"))
            .expect("symlink");
        expect(
            run_with(
                &["import", &h, "-o", "link.toml", "--force", "--no-merge"],
                &dir,
                &[],
                None,
            ),
            0,
            &[],
        );
        let link = dir.path().join("link.toml");
        assert!(
            std::fs::symlink_metadata(&link)
                .expect("lstat")
                .file_type()
                .is_symlink(),
            "the link was replaced by a file"
        );
        let text = std::fs::read_to_string(dir.path().join("real/layout.toml")).expect("read");
        assert!(text.contains("PF_A"), "{text}");
        assert!(no_temps(&dir.path().join("real")) && no_temps(dir.path()));
    }

    fn no_temps(d: &std::path::Path) -> bool {
        std::fs::read_dir(d)
            .expect("ls")
            .filter_map(Result::ok)
            .all(|e| !e.file_name().to_string_lossy().starts_with(".flagplan-"))
    }

    #[test]
    fn stale_temps_of_dead_runs_are_removed_by_the_next_write() {
        let dir = TempDir::new().expect("tempdir");
        let h = write(&dir, "t.h", header(""));
        // A temp left by a killed run (pid 999999999 cannot be alive) and one from an old
        // flagplan that had no pid in the name; and a temp of a live run (ours) that stays.
        write(&dir, ".flagplan-999999999-abc123.tmp", "partial");
        let live = format!(".flagplan-{}-def456.tmp", std::process::id());
        write(&dir, &live, "in progress");
        write(&dir, "unrelated.tmp", "keep");
        expect(
            run_with(&["import", &h, "-o", "out.toml"], &dir, &[], None),
            0,
            &[],
        );
        assert!(!dir.path().join(".flagplan-999999999-abc123.tmp").exists());
        assert!(dir.path().join(&live).exists());
        assert!(dir.path().join("unrelated.tmp").exists());
    }

    #[test]
    fn a_failed_write_leaves_no_temp_and_names_no_temp() {
        // (Removal on SIGINT/SIGTERM is tested in src/fsutil.rs, where the signal can be sent
        // while a write is known to be in progress.)
        let dir = TempDir::new().expect("tempdir");
        let h = write(&dir, "t.h", header(""));
        std::fs::create_dir(dir.path().join("ro")).expect("mkdir");
        std::fs::set_permissions(
            dir.path().join("ro"),
            std::fs::Permissions::from_mode(0o555),
        )
        .expect("chmod");
        let (c, _, err) = run_with(&["import", &h, "-o", "ro/out.toml"], &dir, &[], None);
        std::fs::set_permissions(
            dir.path().join("ro"),
            std::fs::Permissions::from_mode(0o755),
        )
        .expect("chmod");
        if c == 0 {
            // Running as root: permissions do not apply; nothing to assert about failure.
            assert!(dir.path().join("ro/out.toml").exists());
        } else {
            assert_eq!(c, 2, "{err}");
            assert!(err.contains("ro/out.toml"), "{err}");
            assert!(!err.contains(".flagplan-"), "temp name exposed: {err}");
        }
        assert!(no_temps(&dir.path().join("ro")));
    }
}

#[test]
fn long_elif_chains_and_wide_guards_cost_linear_time() {
    let dir = TempDir::new().expect("tempdir");
    // 20,000 `#elif`s: the guard under the k-th holds k terms; past 256 branches, refused.
    let chain: String = (1..20_000)
        .map(|i| format!("#elif defined(C{i})\n#define PF_X{i} 0x4\n"))
        .collect();
    let h = format!(
        "struct task_struct {{\n\tunsigned int flags;\n}};\n#if defined(C0)\n#define PF_X 0x2\n{chain}#endif\n"
    );
    let f = write(&dir, "elif.h", h);
    expect(
        run_with(&["import", &f], &dir, &[], None),
        2,
        &["elif.h:516:1", "more than 256 branches in one #if chain"],
    );
    // A 20,000-term guard around 5,000 directives is not copied per directive.
    let terms: Vec<String> = (0..20_000).map(|i| format!("defined(C{i})")).collect();
    let h = format!(
        "struct task_struct {{\n\tunsigned int flags;\n}};\n#if {}\n{}#define PF_B 0x2\n#endif\n",
        terms.join(" && "),
        "#ifdef X\n#endif\n".repeat(5_000)
    );
    let f = write(&dir, "wide.h", h);
    let (out, _) = expect(run_with(&["import", &f], &dir, &[], None), 0, &[]);
    assert!(out.contains("name = \"PF_B\""), "{out}");
}
