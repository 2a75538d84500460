//! BTF, the compiled truth: a small reader of the BPF Type Format (raw, as in
//! `/sys/kernel/btf/vmlinux`, or the `.BTF` section of an ELF vmlinux) that finds a struct and
//! reports its bitfield storage units, bit offsets, widths and holes, like `pahole -C`.
//!
//! BTF has no `#define` values: PF_/PFA_ masks and bit numbers come from the header.
//!
//! Why not a crate: `btf-rs` is LGPL-2.1-or-later (awkward for a statically linked MIT/Apache
//! tool) and `btf` (MIT) covers far more than needed; the part read here is the header, the
//! type section's record lengths, and STRUCT/UNION members — about 200 lines, fuzzed.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::check::Finding;
use crate::error::{Error, Result};
use crate::guard::Guard;
use crate::layout::Loaded;
use crate::model::Kind;
use crate::rules::RuleId;

const MAGIC: u16 = 0xeb9f;

const KIND_INT: u32 = 1;
const KIND_PTR: u32 = 2;
const KIND_ARRAY: u32 = 3;
const KIND_STRUCT: u32 = 4;
const KIND_UNION: u32 = 5;
const KIND_ENUM: u32 = 6;
const KIND_FWD: u32 = 7;
const KIND_TYPEDEF: u32 = 8;
const KIND_VOLATILE: u32 = 9;
const KIND_CONST: u32 = 10;
const KIND_RESTRICT: u32 = 11;
const KIND_FUNC: u32 = 12;
const KIND_FUNC_PROTO: u32 = 13;
const KIND_VAR: u32 = 14;
const KIND_DATASEC: u32 = 15;
const KIND_FLOAT: u32 = 16;
const KIND_DECL_TAG: u32 = 17;
const KIND_TYPE_TAG: u32 = 18;
const KIND_ENUM64: u32 = 19;

/// One BTF type record (only what this reader needs).
#[derive(Clone, Debug, Default)]
struct Type {
    name_off: u32,
    kind: u32,
    kind_flag: bool,
    /// `size` for INT/STRUCT/UNION/ENUM/FLOAT, `type` for the reference kinds.
    size_or_type: u32,
    /// INT: bit size in the encoding word.
    int_bits: u32,
    /// ARRAY: element type and count.
    array: Option<(u32, u32)>,
    /// STRUCT/UNION members: (name_off, type, offset word).
    members: Vec<(u32, u32, u32)>,
}

/// Parsed BTF.
pub struct Btf {
    strings: Vec<u8>,
    types: Vec<Type>,
}

/// A member of the struct as the compiler laid it out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BtfMember {
    pub name: String,
    /// Offset in bits from the start of the struct.
    pub bit_offset: u64,
    /// Bitfield width, or 0 for a plain member.
    pub bitfield: u32,
    /// Size in bytes of the member's type (the storage unit size for bitfields).
    pub size: u64,
    /// The member's type, as a short C name (`unsigned int`, `struct list_head`, `void *`).
    pub type_name: String,
}

/// A bitfield storage unit: an aligned container of the declared type's size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unit {
    /// Byte offset of the container in the struct.
    pub byte_offset: u64,
    /// Container width in bits.
    pub width: u32,
    /// (name, bit in the unit, width).
    pub members: Vec<(String, u32, u32)>,
    pub type_name: String,
}

impl Unit {
    pub fn used(&self) -> u32 {
        self.members.iter().map(|m| m.2).sum()
    }
}

fn rd_u16(b: &[u8], at: usize, be: bool) -> Option<u16> {
    let s: [u8; 2] = b.get(at..at + 2)?.try_into().ok()?;
    Some(if be {
        u16::from_be_bytes(s)
    } else {
        u16::from_le_bytes(s)
    })
}
fn rd_u32(b: &[u8], at: usize, be: bool) -> Option<u32> {
    let s: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(if be {
        u32::from_be_bytes(s)
    } else {
        u32::from_le_bytes(s)
    })
}
fn rd_u64(b: &[u8], at: usize) -> Option<u64> {
    let s: [u8; 8] = b.get(at..at + 8)?.try_into().ok()?;
    Some(u64::from_le_bytes(s))
}

/// The `.BTF` section of a little-endian ELF64 file, if there is one.
fn elf_btf_section(b: &[u8]) -> Option<&[u8]> {
    if b.get(0..4)? != b"\x7fELF" || *b.get(4)? != 2 || *b.get(5)? != 1 {
        return None;
    }
    let shoff = usize::try_from(rd_u64(b, 0x28)?).ok()?;
    let shentsize = usize::from(rd_u16(b, 0x3a, false)?);
    let shnum = usize::from(rd_u16(b, 0x3c, false)?);
    let shstrndx = usize::from(rd_u16(b, 0x3e, false)?);
    let sh = |i: usize| -> Option<(u32, usize, usize)> {
        let at = shoff.checked_add(i.checked_mul(shentsize)?)?;
        let name = rd_u32(b, at, false)?;
        let off = usize::try_from(rd_u64(b, at + 0x18)?).ok()?;
        let size = usize::try_from(rd_u64(b, at + 0x20)?).ok()?;
        Some((name, off, size))
    };
    let (_, stroff, strsize) = sh(shstrndx)?;
    let strtab = b.get(stroff..stroff.checked_add(strsize)?)?;
    for i in 0..shnum {
        let (name, off, size) = sh(i)?;
        let n = strtab.get(name as usize..)?;
        let end = n.iter().position(|&c| c == 0)?;
        if &n[..end] == b".BTF" {
            return b.get(off..off.checked_add(size)?);
        }
    }
    None
}

impl Btf {
    /// Parse raw BTF or an ELF file with a `.BTF` section. Errors are messages with offsets.
    pub fn parse(data: &[u8]) -> std::result::Result<Btf, String> {
        let b = if data.starts_with(b"\x7fELF") {
            elf_btf_section(data).ok_or("ELF file without a readable .BTF section")?
        } else {
            data
        };
        let be = match rd_u16(b, 0, false) {
            Some(MAGIC) => false,
            Some(m) if m.swap_bytes() == MAGIC => true,
            _ => return Err("not BTF (bad magic at offset 0)".into()),
        };
        let u32_at = |at: usize| rd_u32(b, at, be).ok_or(format!("truncated at offset {at}"));
        let hdr_len = u32_at(4)? as usize;
        let type_off = u32_at(8)? as usize;
        let type_len = u32_at(12)? as usize;
        let str_off = u32_at(16)? as usize;
        let str_len = u32_at(20)? as usize;
        let section = |off: usize, len: usize, what: &str| {
            hdr_len
                .checked_add(off)
                .and_then(|s| Some((s, s.checked_add(len)?)))
                .and_then(|(s, e)| b.get(s..e))
                .ok_or(format!("{what} section out of bounds"))
        };
        let tsec = section(type_off, type_len, "type")?;
        let strings = section(str_off, str_len, "string")?.to_vec();
        let mut types = vec![Type::default()]; // id 0 is void
        let mut at = 0usize;
        while at < tsec.len() {
            let rd = |o: usize| {
                rd_u32(tsec, at + o, be)
                    .ok_or(format!("type record truncated at offset {}", at + o))
            };
            let name_off = rd(0)?;
            let info = rd(4)?;
            let size_or_type = rd(8)?;
            let vlen = (info & 0xffff) as usize;
            let kind = (info >> 24) & 0x1f;
            let kind_flag = info >> 31 == 1;
            let mut t = Type {
                name_off,
                kind,
                kind_flag,
                size_or_type,
                ..Type::default()
            };
            let base = 12usize;
            let extra = match kind {
                KIND_INT => {
                    t.int_bits = rd(base)? & 0xff;
                    4
                }
                KIND_ARRAY => {
                    t.array = Some((rd(base)?, rd(base + 8)?));
                    12
                }
                KIND_STRUCT | KIND_UNION => {
                    for m in 0..vlen {
                        let o = base + m * 12;
                        t.members.push((rd(o)?, rd(o + 4)?, rd(o + 8)?));
                    }
                    vlen * 12
                }
                KIND_ENUM => vlen * 8,
                KIND_FUNC_PROTO => vlen * 8,
                KIND_VAR | KIND_DECL_TAG => 4,
                KIND_DATASEC | KIND_ENUM64 => vlen * 12,
                KIND_PTR | KIND_FWD | KIND_TYPEDEF | KIND_VOLATILE | KIND_CONST | KIND_RESTRICT
                | KIND_FUNC | KIND_FLOAT | KIND_TYPE_TAG => 0,
                k => return Err(format!("unknown BTF kind {k} at type offset {at}")),
            };
            at = at
                .checked_add(base + extra)
                .ok_or("type section overflow")?;
            types.push(t);
        }
        Ok(Btf { strings, types })
    }

    fn name(&self, off: u32) -> String {
        let s = self.strings.get(off as usize..).unwrap_or_default();
        let end = s.iter().position(|&c| c == 0).unwrap_or(s.len());
        String::from_utf8_lossy(&s[..end]).into_owned()
    }

    /// Follow typedef/const/volatile/restrict/type-tag to the underlying type id.
    fn resolve(&self, mut id: u32) -> u32 {
        for _ in 0..32 {
            match self.types.get(id as usize) {
                Some(t)
                    if matches!(
                        t.kind,
                        KIND_TYPEDEF | KIND_VOLATILE | KIND_CONST | KIND_RESTRICT | KIND_TYPE_TAG
                    ) =>
                {
                    id = t.size_or_type;
                }
                _ => break,
            }
        }
        id
    }

    fn size_of(&self, id: u32, depth: u32) -> u64 {
        if depth > 32 {
            return 0;
        }
        let id = self.resolve(id);
        let Some(t) = self.types.get(id as usize) else {
            return 0;
        };
        match t.kind {
            KIND_INT | KIND_STRUCT | KIND_UNION | KIND_ENUM | KIND_ENUM64 | KIND_FLOAT => {
                u64::from(t.size_or_type)
            }
            KIND_PTR => 8,
            KIND_ARRAY => t.array.map_or(0, |(elem, n)| {
                self.size_of(elem, depth + 1).saturating_mul(u64::from(n))
            }),
            _ => 0,
        }
    }

    fn type_name(&self, id: u32, depth: u32) -> String {
        if depth > 8 {
            return "?".into();
        }
        let Some(t) = self.types.get(id as usize) else {
            return "?".into();
        };
        let n = self.name(t.name_off);
        match t.kind {
            0 if id == 0 => "void".into(),
            KIND_INT | KIND_TYPEDEF | KIND_FLOAT => n,
            KIND_STRUCT => format!("struct {n}"),
            KIND_UNION => format!("union {n}"),
            KIND_ENUM | KIND_ENUM64 => format!("enum {n}"),
            KIND_PTR => format!("{} *", self.type_name(t.size_or_type, depth + 1)),
            KIND_CONST => format!("const {}", self.type_name(t.size_or_type, depth + 1)),
            KIND_VOLATILE => format!("volatile {}", self.type_name(t.size_or_type, depth + 1)),
            KIND_ARRAY => t.array.map_or("?".into(), |(e, c)| {
                format!("{}[{c}]", self.type_name(e, depth + 1))
            }),
            _ => n,
        }
    }

    /// The members of `struct NAME` (the first complete definition), anonymous struct/union
    /// members flattened with their offsets.
    pub fn struct_members(&self, name: &str) -> Option<Vec<BtfMember>> {
        let id = self
            .types
            .iter()
            .position(|t| t.kind == KIND_STRUCT && self.name(t.name_off) == name)?;
        let mut out = Vec::new();
        self.collect(u32::try_from(id).ok()?, 0, &mut out, 0);
        Some(out)
    }

    fn collect(&self, id: u32, base: u64, out: &mut Vec<BtfMember>, depth: u32) {
        if depth > 16 {
            return;
        }
        let Some(t) = self.types.get(id as usize) else {
            return;
        };
        for &(name_off, ty, off) in &t.members {
            let (bit_offset, mut bitfield) = if t.kind_flag {
                (u64::from(off & 0x00ff_ffff), off >> 24)
            } else {
                (u64::from(off), 0)
            };
            let rid = self.resolve(ty);
            let rt = self.types.get(rid as usize);
            // Old-style bitfields: an INT whose bit size is smaller than its byte size.
            if bitfield == 0
                && let Some(r) = rt
                && r.kind == KIND_INT
                && r.int_bits > 0
                && u64::from(r.int_bits) < u64::from(r.size_or_type) * 8
            {
                bitfield = r.int_bits;
            }
            let name = self.name(name_off);
            let abs = base + bit_offset;
            if name.is_empty()
                && bitfield == 0
                && rt.is_some_and(|r| matches!(r.kind, KIND_STRUCT | KIND_UNION))
            {
                // Anonymous struct/union (e.g. randomized_struct_fields_start): flatten.
                self.collect(rid, abs, out, depth + 1);
                continue;
            }
            out.push(BtfMember {
                name,
                bit_offset: abs,
                bitfield,
                size: self.size_of(ty, 0),
                type_name: self.type_name(ty, 0),
            });
        }
    }
}

/// Group bitfield members into storage units: the aligned container of the declared type's
/// size that holds each member (as the SysV ABI places them).
pub fn units(members: &[BtfMember]) -> Vec<Unit> {
    let mut out: Vec<Unit> = Vec::new();
    for m in members.iter().filter(|m| m.bitfield > 0) {
        let bits = (m.size.max(1) * 8).min(64);
        let start = m.bit_offset / bits * bits;
        let in_unit = u32::try_from(m.bit_offset - start).unwrap_or(0);
        let byte_offset = start / 8;
        match out.last_mut() {
            Some(u) if u.byte_offset == byte_offset && u64::from(u.width) == bits => {
                u.members.push((m.name.clone(), in_unit, m.bitfield));
            }
            _ => out.push(Unit {
                byte_offset,
                width: u32::try_from(bits).unwrap_or(64),
                members: vec![(m.name.clone(), in_unit, m.bitfield)],
                type_name: m.type_name.clone(),
            }),
        }
    }
    out
}

/// A pahole-like listing of the bitfield units: offsets, widths and bit holes.
pub fn describe(struct_name: &str, units: &[Unit]) -> String {
    let mut s = format!(
        "struct {struct_name}: {} bitfield storage units\n",
        units.len()
    );
    for u in units {
        let _ = writeln!(
            s,
            "  unit at byte {} ({}, {} bits): {} bits used, {} bits hole",
            u.byte_offset,
            u.type_name,
            u.width,
            u.used(),
            u.width.saturating_sub(u.used())
        );
        let mut next = 0;
        for (n, bit, w) in &u.members {
            if *bit > next {
                let _ = writeln!(s, "    /* XXX {} bits hole */", bit - next);
            }
            let name = if n.is_empty() { ":0" } else { n };
            let _ = writeln!(s, "    {name}:{w}  /* {}:{bit} */", u.byte_offset);
            next = bit + w;
        }
    }
    s
}

fn load(path: &Path) -> Result<Btf> {
    let shown = path.display().to_string();
    let bytes = crate::fsutil::read_file(path)?;
    Btf::parse(&bytes).map_err(|m| Error::Usage(format!("{shown}: {m}")))
}

fn struct_units(path: &Path, struct_name: &str) -> Result<(Vec<BtfMember>, Vec<Unit>)> {
    let btf = load(path)?;
    let members = btf.struct_members(struct_name).ok_or_else(|| {
        Error::Usage(format!(
            "{}: no struct {struct_name} in the BTF",
            path.display()
        ))
    })?;
    let u = units(&members);
    Ok((members, u))
}

/// The bitfield units of a struct in BTF as a layout draft (hand facts not yet overlaid) and a
/// `pahole`-like listing of the units. `facts_from` names the facts file that will be overlaid.
pub fn draft(
    path: &Path,
    struct_name: &str,
    facts_from: Option<&str>,
) -> Result<(super::cmd::Draft, String)> {
    let (members, units) = struct_units(path, struct_name)?;
    let mut doc = toml::Table::new();
    doc.insert("format".into(), toml::Value::Integer(1));
    doc.insert("struct".into(), toml::Value::String(struct_name.into()));
    doc.insert(
        "origin".into(),
        toml::Value::String(format!("BTF {}", path.display())),
    );
    let mut words = Vec::new();
    let mut flags = Vec::new();
    let mut guesses = BTreeMap::new();
    let mut used = std::collections::HashSet::new();
    for (i, u) in units.iter().enumerate() {
        let names: Vec<&str> = u.members.iter().map(|m| m.0.as_str()).collect();
        let guess = super::RuleGuess {
            rule: crate::model::WordRule::Current,
            why: "BTF has no comments; the strictest non-atomic rule assumed".into(),
        };
        let mut name = super::unit_name(&names, &guess, i);
        while !used.insert(name.clone()) {
            name.push('_');
        }
        let mut w = toml::Table::new();
        w.insert("name".into(), toml::Value::String(name.clone()));
        w.insert("width".into(), toml::Value::Integer(i64::from(u.width)));
        w.insert("kind".into(), toml::Value::String("bitfield".into()));
        w.insert("rule".into(), toml::Value::String("current".into()));
        w.insert(
            "doc".into(),
            toml::Value::String(format!(
                "{} at byte {} of struct {struct_name}: {} of {} bits used in this build",
                u.type_name,
                u.byte_offset,
                u.used(),
                u.width
            )),
        );
        words.push(toml::Value::Table(w));
        guesses.insert(name.clone(), guess.why.clone());
        for (n, bit, width) in &u.members {
            let mut f = toml::Table::new();
            f.insert("name".into(), toml::Value::String(n.clone()));
            f.insert("word".into(), toml::Value::String(name.clone()));
            f.insert("bit".into(), toml::Value::Integer(i64::from(*bit)));
            if *width != 1 {
                f.insert("width".into(), toml::Value::Integer(i64::from(*width)));
            }
            flags.push(toml::Value::Table(f));
        }
    }
    doc.insert("word".into(), toml::Value::Array(words));
    doc.insert("flag".into(), toml::Value::Array(flags));
    let facts_note = facts_from.map_or(String::new(), |f| format!(" plus the hand facts in {f}"));
    let notes = vec![format!(
        "Generated by `flagplan import --from-btf {}` (struct {struct_name}){facts_note}: the bitfield\nstorage units the compiler built under this kernel's config. BTF has no #define values: PF_*/PFA_*\nmasks and bit numbers, guards and comments come from the header (`flagplan import HEADER`).\n{} members read.",
        path.display(),
        members.len()
    )];
    let draft = super::cmd::Draft {
        doc,
        notes,
        guesses,
    };
    Ok((draft, describe(struct_name, &units)))
}

/// `check LAYOUT --btf FILE`: bitfield placement against the compiled kernel.
pub fn drift(path: &Path, loaded: &Loaded) -> Result<Vec<Finding>> {
    let layout = &loaded.layout;
    let (_, units) = struct_units(path, &layout.struct_name)?;
    let shown = path.display().to_string();
    let mut out = Vec::new();
    // Where each compiled bitfield member is: unit index, bit, width.
    let mut at: BTreeMap<&str, (usize, u32, u32)> = BTreeMap::new();
    for (ui, u) in units.iter().enumerate() {
        for (n, bit, w) in &u.members {
            at.insert(n.as_str(), (ui, *bit, *w));
        }
    }
    let mut claimed = std::collections::BTreeSet::new();
    for w in layout.words.iter().filter(|w| w.kind == Kind::Bitfield) {
        let mut members: Vec<&crate::model::Flag> =
            layout.flags.iter().filter(|f| f.word == w.name).collect();
        members.sort_by_key(|f| f.order);
        // Units this word's compiled members live in.
        let mut unit_votes: BTreeMap<usize, usize> = BTreeMap::new();
        for f in &members {
            if let Some(&(ui, _, _)) = at.get(f.name.as_str()) {
                *unit_votes.entry(ui).or_default() += 1;
            }
        }
        let Some((&home, _)) = unit_votes
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        else {
            let all_guarded = !members.is_empty() && members.iter().all(|f| !f.guard.is_always());
            let mut fd = Finding::new(
                RuleId::BtfMismatch,
                format!(
                    "no member of `{}` is a bitfield in {shown} (struct {}){}",
                    w.name,
                    layout.struct_name,
                    if all_guarded {
                        "; every member is guarded, probably off in this build"
                    } else {
                        ""
                    }
                ),
            )
            .word(w.name.clone())
            .at(&w.loc);
            if all_guarded {
                fd.severity = crate::rules::Severity::Note;
            }
            out.push(fd);
            continue;
        };
        claimed.insert(home);
        // Expected offsets: the layout's members that exist in this build, packed in order.
        let mut off = 0u32;
        for f in &members {
            match at.get(f.name.as_str()) {
                None if f.reserved => {}
                None => {
                    let why = if matches!(f.guard, Guard::Always) {
                        String::new()
                    } else {
                        format!(" (guard `{}`: probably off in this build)", f.guard)
                    };
                    let mut fd = Finding::new(
                        RuleId::BtfMismatch,
                        format!(
                            "`{}` ({}) is not a bitfield of struct {} in {shown}{why}",
                            f.name, w.name, layout.struct_name
                        ),
                    )
                    .flag(f.name.clone())
                    .word(w.name.clone())
                    .at(&f.loc);
                    if !why.is_empty() {
                        fd.severity = crate::rules::Severity::Note;
                    }
                    out.push(fd);
                }
                Some(&(ui, bit, width)) => {
                    if ui != home {
                        out.push(
                            Finding::new(
                                RuleId::BtfMismatch,
                                format!(
                                    "`{}`: the layout puts it in `{}`, but the compiler placed it in another storage unit (byte {}) in {shown}",
                                    f.name, w.name, units[ui].byte_offset
                                ),
                            )
                            .flag(f.name.clone())
                            .word(w.name.clone())
                            .at(&f.loc),
                        );
                        continue;
                    }
                    // Members the layout lacks (reported below) shift later ones, and guards
                    // switched off close gaps: hold the order and the widths, not absolute bits.
                    if width != f.width || (bit < off && off > 0) {
                        out.push(
                            Finding::new(
                                RuleId::BtfMismatch,
                                format!(
                                    "`{}`: width {} after bit {off} in the layout's order, bit {bit} width {width} in {shown}",
                                    f.name, f.width
                                ),
                            )
                            .flag(f.name.clone())
                            .word(w.name.clone())
                            .at(&f.loc),
                        );
                    }
                    off = off.max(bit + width);
                }
            }
        }
        let u = &units[home];
        for (n, bit, width) in &u.members {
            if !members.iter().any(|f| f.name == *n) {
                out.push(
                    Finding::new(
                        RuleId::BtfMismatch,
                        format!(
                            "`{n}` (bit {bit}, width {width}) shares `{}`'s storage unit in {shown} but is not in the layout",
                            w.name
                        ),
                    )
                    .word(w.name.clone())
                    .at(&w.loc),
                );
            }
        }
        let worst = crate::guard::worst_case_sum(members.iter().map(|f| (&f.guard, f.width)));
        out.push(
            Finding::new(
                RuleId::BtfOccupancy,
                format!(
                    "`{}`: {} of {} bits used in {shown} (byte {} of struct {}); layout worst case {worst}",
                    w.name,
                    u.used(),
                    u.width,
                    u.byte_offset,
                    layout.struct_name
                ),
            )
            .word(w.name.clone())
            .at(&w.loc),
        );
    }
    for (ui, u) in units.iter().enumerate() {
        if !claimed.contains(&ui) {
            let names: Vec<&str> = u.members.iter().map(|m| m.0.as_str()).collect();
            let loc = layout
                .words
                .first()
                .map(|w| w.loc.clone())
                .unwrap_or_default();
            out.push(
                Finding::new(
                    RuleId::BtfMismatch,
                    format!(
                        "{shown}: a bitfield storage unit at byte {} ({}) that no layout word stands for",
                        u.byte_offset,
                        names.join(", ")
                    ),
                )
                .at(&loc),
            );
        }
    }
    Ok(out)
}

/// Build raw BTF for tests and examples: one `unsigned int` and a struct whose members are
/// (name, bit offset, bitfield width) — width 0 for a plain `unsigned int`.
pub fn build_test_btf(struct_name: &str, members: &[(&str, u32, u32)]) -> Vec<u8> {
    let mut strings = vec![0u8];
    let mut add = |s: &str| {
        let off = u32::try_from(strings.len()).unwrap_or(0);
        strings.extend_from_slice(s.as_bytes());
        strings.push(0);
        off
    };
    let uint = add("unsigned int");
    let sname = add(struct_name);
    let names: Vec<u32> = members.iter().map(|m| add(m.0)).collect();
    let mut types = Vec::new();
    let push = |v: &mut Vec<u8>, x: u32| v.extend_from_slice(&x.to_le_bytes());
    // [1] INT unsigned int, size 4, 32 bits
    push(&mut types, uint);
    push(&mut types, KIND_INT << 24);
    push(&mut types, 4);
    push(&mut types, 32);
    // [2] STRUCT with kind_flag
    let size = members
        .iter()
        .map(|m| (m.1 + m.2.max(32)) / 8)
        .max()
        .unwrap_or(0);
    let vlen = u32::try_from(members.len()).unwrap_or(0);
    push(&mut types, sname);
    push(&mut types, (1 << 31) | (KIND_STRUCT << 24) | vlen);
    push(&mut types, size.div_ceil(4) * 4);
    for (m, n) in members.iter().zip(&names) {
        push(&mut types, *n);
        push(&mut types, 1);
        push(&mut types, (m.2 << 24) | (m.1 & 0x00ff_ffff));
    }
    let mut out = Vec::new();
    out.extend_from_slice(&MAGIC.to_le_bytes());
    out.push(1);
    out.push(0);
    let tl = u32::try_from(types.len()).unwrap_or(0);
    let sl = u32::try_from(strings.len()).unwrap_or(0);
    for x in [24u32, 0, tl, tl, sl] {
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.extend_from_slice(&types);
    out.extend_from_slice(&strings);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_units_offsets_and_holes_from_built_btf() {
        let b = build_test_btf(
            "task_struct",
            &[
                ("flags", 0, 0),
                ("a", 32, 1),
                ("b", 33, 1),
                ("c", 64, 1),
                ("w", 65, 4),
            ],
        );
        let btf = Btf::parse(&b).expect("parses");
        let m = btf.struct_members("task_struct").expect("struct");
        let u = units(&m);
        assert_eq!(u.len(), 2);
        assert_eq!(u[0].byte_offset, 4);
        assert_eq!(u[0].members, vec![("a".into(), 0, 1), ("b".into(), 1, 1)]);
        assert_eq!(u[1].members[1], ("w".into(), 1, 4));
        assert_eq!(u[1].used(), 5);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(Btf::parse(b"").is_err());
        assert!(Btf::parse(b"\x9f\xeb\x01\x00\xff\xff\xff\xff").is_err());
        assert!(Btf::parse(b"\x7fELF\x02\x01").is_err());
    }
}
