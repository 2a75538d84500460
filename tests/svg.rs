//! `check --format svg`: the plan drawn as bit maps, rendered to pixels with resvg and looked at
//! cell by cell (the colour of a bit is what a reviewer sees).

use assert_cmd::Command;
use flagplan::check::occupancy::Cell;
use flagplan::render::svg::{CELL, cell_x, fill, row_y};

fn svg(args: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("flagplan")
        .expect("binary")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().expect("code"),
        String::from_utf8(out.stdout).expect("utf-8"),
    )
}

/// Render SVG text to a pixmap, the way a browser would show it.
fn rasterize(text: &str) -> resvg::tiny_skia::Pixmap {
    let mut opt = resvg::usvg::Options::default();
    opt.fontdb_mut().load_system_fonts();
    let tree = resvg::usvg::Tree::from_str(text, &opt).expect("valid SVG");
    let size = tree.size().to_int_size();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).expect("pixmap");
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    pixmap
}

fn hex(c: &str) -> (u8, u8, u8) {
    let v = u32::from_str_radix(c.trim_start_matches('#'), 16).expect("hex colour");
    ((v >> 16) as u8, (v >> 8) as u8, v as u8)
}

/// The colour at the centre of bit `bit` of the word on row `row`.
fn cell_colour(p: &resvg::tiny_skia::Pixmap, row: usize, width: u32, bit: u32) -> (u8, u8, u8) {
    let x = cell_x(width, bit) + CELL / 2;
    let y = row_y(row) + CELL / 2;
    let px = p.pixel(x, y).expect("inside the picture");
    (px.red(), px.green(), px.blue())
}

#[test]
fn the_2020_plan_is_drawn_bit_by_bit() {
    let (code, text) = svg(&["check", "examples/memalloc-2020.toml", "--format", "svg"]);
    assert_eq!(code, 0);
    let p = rasterize(&text);
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("memalloc-2020.png");
    p.save_png(&out).expect("png written");
    // Row 0 is `flags` (32 bits): PF_MEMALLOC_NOIO (bit 19) and PF_MEMALLOC_NOFS (bit 18) moved out,
    // PF_KTHREAD (bit 21) stays, bit 24 is the hole PF__HOLE__01000000 (free, drawn as a hole).
    assert_eq!(cell_colour(&p, 0, 32, 19), hex(fill(Cell::MovedOut)));
    assert_eq!(cell_colour(&p, 0, 32, 18), hex(fill(Cell::MovedOut)));
    assert_eq!(cell_colour(&p, 0, 32, 21), hex(fill(Cell::Used)));
    assert_eq!(cell_colour(&p, 0, 32, 24), hex(fill(Cell::Hole)));
    // Row 3 is `current_bits`: the four moved flags land on bits 17..20, bit 21 and up are free.
    for bit in 17..21 {
        assert_eq!(
            cell_colour(&p, 3, 32, bit),
            hex(fill(Cell::MovedIn)),
            "bit {bit}"
        );
    }
    assert_eq!(cell_colour(&p, 3, 32, 16), hex(fill(Cell::Used)));
    assert_eq!(cell_colour(&p, 3, 32, 21), hex(fill(Cell::Free)));
    // Row 1 is the 64-bit `atomic_flags`: bit 63 is the leftmost cell, PFA_NO_NEW_PRIVS is bit 0.
    assert_eq!(cell_colour(&p, 1, 64, 63), hex(fill(Cell::Free)));
    assert_eq!(cell_colour(&p, 1, 64, 0), hex(fill(Cell::Used)));
    // Every cell carries a tooltip naming its flags.
    assert!(
        text.contains("<title>current_bits bit 17: memalloc_noio (moved in)</title>"),
        "{text}"
    );
}

#[test]
fn a_flag_with_an_error_is_outlined_in_red() {
    let (code, text) = svg(&[
        "check",
        "examples/spread-page-must-fail.toml",
        "--format",
        "svg",
    ]);
    assert_eq!(code, 1);
    assert!(text.contains("NOT legal, 1 errors"));
    let p = rasterize(&text);
    // spread_page lands on current_bits bit 17; its cell's edge is red, its inside green.
    let x = cell_x(32, 17);
    let y = row_y(3);
    let edge = p.pixel(x, y + CELL / 2).expect("pixel");
    assert_eq!((edge.red(), edge.green(), edge.blue()), hex("#d01c1c"));
    assert_eq!(cell_colour(&p, 3, 32, 17), hex(fill(Cell::MovedIn)));
}

#[test]
fn the_census_is_drawn_one_row_per_flag_word() {
    let (code, json) = svg(&["census", "--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    let rows = v["rows"].as_array().expect("rows");
    let row_of = |st: &str, word: &str| {
        rows.iter()
            .position(|r| r["struct"] == st && r["word"] == word)
            .expect("row")
    };
    let (code, text) = svg(&["census", "--format", "svg"]);
    assert_eq!(code, 0);
    let p = rasterize(&text);
    // task_struct::flags on 6.1: bits 30 and 29 are the holes PF__HOLE__40000000/20000000,
    // bit 31 is PF_SUSPEND_TASK.
    let t = row_of("task_struct", "flags");
    assert_eq!(cell_colour(&p, t, 32, 31), hex(fill(Cell::Used)));
    assert_eq!(cell_colour(&p, t, 32, 30), hex(fill(Cell::Hole)));
    assert_eq!(cell_colour(&p, t, 32, 29), hex(fill(Cell::Hole)));
    // vm_flags is 64 bits wide and free at the top; mce_bits is reserved padding above bit 1.
    let vm = row_of("vm_area_struct", "vm_flags");
    assert_eq!(cell_colour(&p, vm, 64, 63), hex(fill(Cell::Free)));
    assert_eq!(cell_colour(&p, vm, 64, 0), hex(fill(Cell::Used)));
    let mce = row_of("task_struct", "mce_bits");
    assert_eq!(cell_colour(&p, mce, 64, 40), hex(fill(Cell::Reserved)));
    // Every word that is narrower on 32-bit kernels gets the dashed 32-bit line.
    let narrower = rows
        .iter()
        .filter(|r| r["width_32"].as_u64() < r["width"].as_u64())
        .count();
    assert!(narrower >= 4);
    assert_eq!(text.matches("stroke-dasharray").count(), narrower);
}
