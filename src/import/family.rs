//! One `#define`/enumerator family (`VM_*`, `MMF_*`, `PG_*`, `FMODE_*`) read into flags, and the
//! names that are not flags sorted out with a reason: aliases of another flag, composites
//! (several bits: `VM_STACK_FLAGS`), multi-bit fields (`MMF_DUMPABLE`), helper constants
//! (`*_SHIFT`, `*_BITS`, `VM_HIGH_ARCH_BIT_0`) and names that are zero under their guard.

use std::collections::{BTreeMap, HashMap};

use super::{Family, HeaderFile, IFlag, Warning};
use crate::cread::lex::Tok;
use crate::cread::{self, expr};
use crate::guard::Guard;
use crate::model::Kind;

/// A name of the family that stands for another flag's bit: `PG_checked = PG_owner_priv_1`.
#[derive(Clone, Debug, PartialEq)]
pub struct IAlias {
    pub name: String,
    pub word: String,
    /// The flag it resolves to (through chains of aliases).
    pub target: String,
    pub bit: Option<u32>,
    pub guard: Guard,
    pub file: usize,
    pub at: usize,
}

/// A name of the family whose value has several bits: a group of flags, or a mask of bits no
/// flag of the family names.
#[derive(Clone, Debug, PartialEq)]
pub struct IComposite {
    pub name: String,
    pub word: String,
    /// `None` when the value is not a constant (`TASK_EXEC`, arch macros); reported.
    pub value: Option<u64>,
    /// A `*_MASK` over a contiguous run of bits with a `*_BITS`/`*_SHIFT` sibling, whose bits
    /// flags of the family also name (`MMF_DUMP_FILTER_MASK`): a field, listed here because its
    /// bits are imported as those flags.
    pub field: bool,
    /// Flags of the family whose bits it covers.
    pub members: Vec<String>,
    pub guard: Guard,
    pub file: usize,
    pub at: usize,
}

/// A name of the family that is not imported, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct ISkipped {
    pub name: String,
    pub reason: String,
    /// True when the name belongs to another word (`PG_buddy` is a `page_type` value); false for
    /// helpers of this word (shifts, widths, bit numbers, zero alternatives).
    pub other_word: bool,
    pub guard: Guard,
    pub file: usize,
    pub at: usize,
}

/// What one family yields.
#[derive(Debug, Default)]
pub struct FamilyOut {
    pub flags: Vec<IFlag>,
    pub aliases: Vec<IAlias>,
    pub composites: Vec<IComposite>,
    pub skipped: Vec<ISkipped>,
    pub warnings: Vec<Warning>,
    pub kind: Option<Kind>,
    /// The flags are an enum's enumerators: positions count the ones a config leaves in.
    pub enum_positions: bool,
}

/// A define or enumerator of the family, evaluated.
struct Cand {
    name: String,
    file: usize,
    /// Offset of the directive (defines) or the name (enumerators).
    at: usize,
    body_at: usize,
    guard: Guard,
    value: Option<u64>,
    alias_of: Option<String>,
    doc: Option<String>,
    mask_spelling: bool,
    /// The body names other defines of the family (`(1 << MMF_DUMP_ELF_HEADERS)`).
    refers_to_family: bool,
    /// An enumerator, not a define.
    enumerator: bool,
}

fn zero_reason(g: &Guard) -> String {
    if g.is_always() {
        "zero: no bit".into()
    } else {
        format!("zero under `{g}`: no bit")
    }
}

/// Names that are helpers by their spelling, whatever their value.
fn helper_suffix(name: &str) -> Option<&'static str> {
    for s in ["_SHIFT", "_BITS", "_WIDTH", "_PGSHIFT", "_PGOFF"] {
        if name.ends_with(s) {
            return Some("a shift or width constant, not a flag");
        }
    }
    None
}

/// `*_MASK`, `*_FLAGS`, `*_CLEAR`: names of a set of bits, never a flag or an alias.
fn is_group_name(name: &str) -> bool {
    ["_MASK", "_FLAGS", "_CLEAR"]
        .iter()
        .any(|s| name.ends_with(s))
}

/// `VM_HIGH_ARCH_BIT_0`, `VM_UFFD_MINOR_BIT`: the bit number behind a mask flag.
fn is_bit_number_name(name: &str) -> bool {
    let t = name.trim_end_matches(|c: char| c.is_ascii_digit());
    let t = t.strip_suffix('_').unwrap_or(t);
    t.ends_with("_BIT")
}

/// Strip outer parentheses and `(__force T)` casts: `((__force fmode_t)X)` → `X`.
fn core_tokens(mut t: &[Tok]) -> &[Tok] {
    loop {
        let is = |tok: &Tok, p: &str| matches!(tok, Tok::Punct(x) if x == p);
        if t.len() >= 2
            && is(&t[0], "(")
            && is(&t[t.len() - 1], ")")
            && balanced(&t[1..t.len() - 1])
        {
            t = &t[1..t.len() - 1];
            continue;
        }
        if t.len() >= 3
            && is(&t[0], "(")
            && matches!(&t[1], Tok::Ident(w) if w == "__force")
            && let Some(close) = t.iter().position(|x| is(x, ")"))
        {
            t = &t[close + 1..];
            continue;
        }
        return t;
    }
}

fn balanced(t: &[Tok]) -> bool {
    let mut d = 0i32;
    for x in t {
        match x {
            Tok::Punct(p) if p == "(" => d += 1,
            Tok::Punct(p) if p == ")" => {
                d -= 1;
                if d < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    d == 0
}

fn spelled_as_mask(body: &[Tok]) -> bool {
    body.iter().any(|t| match t {
        Tok::Number(n) => n.starts_with("0x") || n.starts_with("0X"),
        Tok::Punct(p) => p == "<<",
        Tok::Ident(i) => i.starts_with("BIT") || i == "_BITUL",
        _ => false,
    })
}

/// Collect every define and enumerator named `fam.prefix*` in the files that give defines.
fn candidates(
    files: &[HeaderFile],
    fam: &Family,
    longer: &[&str],
    defs: &HashMap<String, Vec<Tok>>,
    out: &mut FamilyOut,
) -> Vec<Cand> {
    let mut cands = Vec::new();
    let ours = |n: &str| n.starts_with(&fam.prefix) && !longer.iter().any(|l| n.starts_with(l));
    let warn = |out: &mut FamilyOut, file: usize, at: usize, message: String| {
        out.warnings.push(Warning {
            file,
            at: Some(at),
            message,
        })
    };
    for (fi, f) in files.iter().enumerate().filter(|(_, f)| f.defines) {
        let h = &f.header;
        for d in h.pp.defines.iter().filter(|d| ours(&d.name)) {
            if d.params.is_some() {
                warn(
                    out,
                    fi,
                    d.name_at,
                    format!("`{}` is a function-like macro, not a flag; skipped", d.name),
                );
                continue;
            }
            let guard = h.define_guard(d);
            for (line, text) in h.opaque_in(&guard) {
                warn(
                    out,
                    fi,
                    d.start,
                    format!(
                        "`{}` is under `#if {text}` (line {line}), which is not a CONFIG condition; kept as an opaque symbol",
                        d.name
                    ),
                );
            }
            if matches!(guard, Guard::Never) {
                warn(
                    out,
                    fi,
                    d.start,
                    format!("`{}` is under `#if 0`; not imported", d.name),
                );
                continue;
            }
            let core = core_tokens(&d.body);
            let alias_of = match core {
                [Tok::Ident(a)] if ours(a) => Some(a.clone()),
                _ => None,
            };
            let doc = d
                .comments
                .iter()
                .map(|c| cread::comment_text(c))
                .filter(|c| !c.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            cands.push(Cand {
                name: d.name.clone(),
                file: fi,
                at: d.start,
                body_at: d.body_at,
                guard,
                value: expr::Eval { defs, first: None }.eval(&d.body),
                alias_of,
                doc: (!doc.is_empty()).then_some(doc),
                mask_spelling: spelled_as_mask(&d.body),
                refers_to_family: d.body.iter().any(|t| matches!(t, Tok::Ident(i) if ours(i))),
                enumerator: false,
            });
        }
        for e in h.enumerators.iter().filter(|e| ours(&e.name)) {
            cands.push(Cand {
                name: e.name.clone(),
                file: fi,
                at: e.name_at,
                body_at: e.name_at,
                guard: h.cond_guard(e.cond),
                value: e.value,
                alias_of: e.alias_of.clone().filter(|a| ours(a)),
                doc: e.doc.clone(),
                mask_spelling: false,
                refers_to_family: e.alias_of.is_some(),
                enumerator: true,
            });
        }
    }
    cands
}

/// Decide mask or bit number from how the values are written (when the family does not say).
fn decide_kind(cands: &[Cand], width: u32) -> Kind {
    let values: Vec<u64> = cands
        .iter()
        .filter(|c| c.alias_of.is_none() && helper_suffix(&c.name).is_none())
        .filter_map(|c| c.value)
        .collect();
    let bitnum = !values.is_empty()
        && !cands.iter().any(|c| c.mask_spelling)
        && values.iter().all(|&v| v < u64::from(width))
        && values.iter().any(|&v| v == 0 || !v.is_power_of_two());
    if bitnum { Kind::Bitnum } else { Kind::Mask }
}

/// Read one family into `out`. `width` is the word's width.
pub fn read(
    files: &[HeaderFile],
    fam: &Family,
    longer: &[&str],
    defs: &HashMap<String, Vec<Tok>>,
    width: u32,
) -> FamilyOut {
    let mut out = FamilyOut::default();
    let cands = candidates(files, fam, longer, defs, &mut out);
    let kind = fam.kind.unwrap_or_else(|| decide_kind(&cands, width));
    out.kind = Some(kind);
    out.enum_positions = cands.iter().any(|c| c.enumerator);
    let skip = |out: &mut FamilyOut, c: &Cand, reason: String| {
        out.skipped.push(ISkipped {
            name: c.name.clone(),
            other_word: reason.contains("not a bit of this word"),
            reason,
            guard: c.guard.clone(),
            file: c.file,
            at: c.at,
        })
    };
    // First pass: single flags. Masks (`*_MASK`) and aliases wait for the flags they cover.
    let mut bit_of: BTreeMap<String, u32> = BTreeMap::new();
    let mut later: Vec<&Cand> = Vec::new();
    for c in &cands {
        if let Some(why) = helper_suffix(&c.name) {
            skip(&mut out, c, why.into());
            continue;
        }
        let Some(value) = c.value else {
            if c.refers_to_family {
                // `VM_DATA_FLAGS_TSK_EXEC`: the family's bits and a run-time or arch value.
                out.composites.push(IComposite {
                    name: c.name.clone(),
                    word: fam.word.clone(),
                    value: None,
                    field: false,
                    members: Vec::new(),
                    guard: c.guard.clone(),
                    file: c.file,
                    at: c.at,
                });
            }
            out.warnings.push(Warning {
                file: c.file,
                at: Some(c.body_at),
                message: format!(
                    "`{}`: value not understood as an integer constant; not imported",
                    c.name
                ),
            });
            continue;
        };
        // `# define MMF_DUMP_MASK_DEFAULT_ELF 0`: the `#else` of a mask is no bit, not bit 0.
        let is_mask = kind == Kind::Mask
            || cands
                .iter()
                .any(|x| x.name == c.name && (x.mask_spelling || x.name.ends_with("_MASK")));
        if is_mask && value == 0 && c.alias_of.is_none() {
            skip(&mut out, c, zero_reason(&c.guard));
            continue;
        }
        if kind == Kind::Mask && is_bit_number_name(&c.name) && c.alias_of.is_none() {
            skip(
                &mut out,
                c,
                "the bit number behind a mask flag, not a flag".into(),
            );
            continue;
        }
        if c.alias_of.is_some() || is_group_name(&c.name) {
            later.push(c);
            continue;
        }
        if kind == Kind::Bitnum && c.mask_spelling {
            if c.refers_to_family {
                later.push(c); // `(1 << MMF_X) | ...`: a mask of the family's bits
            } else {
                skip(
                    &mut out,
                    c,
                    "a mask literal in a bit-number family: not a bit of this word".into(),
                );
            }
            continue;
        }
        let bit = match kind {
            Kind::Mask if value.is_power_of_two() => value.trailing_zeros(),
            Kind::Mask => {
                later.push(c);
                continue;
            }
            _ => match u32::try_from(value) {
                Ok(b) => b,
                Err(_) => {
                    skip(&mut out, c, format!("value {value} is not a bit number"));
                    continue;
                }
            },
        };
        if bit_of.contains_key(&c.name) {
            out.warnings.push(Warning {
                file: c.file,
                at: Some(c.at),
                message: format!(
                    "`{}` is defined again; the first definition is imported",
                    c.name
                ),
            });
            continue;
        }
        if let Some(other) = out
            .flags
            .iter()
            .find(|f| f.bit == Some(bit) && f.guard.coexists(&c.guard))
        {
            out.warnings.push(Warning {
                file: c.file,
                at: Some(c.at),
                message: format!(
                    "`{}` takes bit {bit} of `{}`, which `{}` holds under guards that can hold at once: a define of another word with the same prefix? not imported",
                    c.name, fam.word, other.name
                ),
            });
            continue;
        }
        if bit >= width {
            out.warnings.push(Warning {
                file: c.file,
                at: Some(c.body_at),
                message: format!(
                    "`{}` is bit {bit}, beyond the {width}-bit word (imported; `check` reports bit-out-of-range)",
                    c.name
                ),
            });
        }
        bit_of.insert(c.name.clone(), bit);
        out.flags.push(IFlag {
            name: c.name.clone(),
            word: fam.word.clone(),
            mask: (kind == Kind::Mask).then_some(value),
            bit: Some(bit),
            width: 1,
            guard: c.guard.clone(),
            doc: c.doc.clone(),
            reserved: false,
            hole: c.name.contains("__HOLE__"),
            file: c.file,
            at: c.at,
        });
    }
    for c in later {
        second_pass(c, kind, fam, &cands, &mut bit_of, &mut out);
    }
    out
}

/// Aliases, `*_MASK` names and multi-bit masks, once every single flag is known.
fn second_pass(
    c: &Cand,
    kind: Kind,
    fam: &Family,
    cands: &[Cand],
    bit_of: &mut BTreeMap<String, u32>,
    out: &mut FamilyOut,
) {
    let alias = if is_group_name(&c.name) {
        None
    } else {
        resolve_alias(c, cands, bit_of)
    };
    if let Some(target) = alias {
        out.aliases.push(IAlias {
            name: c.name.clone(),
            word: fam.word.clone(),
            bit: bit_of.get(&target).copied(),
            target,
            guard: c.guard.clone(),
            file: c.file,
            at: c.at,
        });
        return;
    }
    let Some(value) = c.value else { return };
    // A `_MASK` in a bit-number family is a mask; a mask family's values are masks anyway.
    let mask = if kind == Kind::Bitnum && !is_group_name(&c.name) && !c.mask_spelling {
        1u64.checked_shl(u32::try_from(value).unwrap_or(64))
            .unwrap_or(0)
    } else {
        value
    };
    if mask == 0 {
        out.skipped.push(ISkipped {
            name: c.name.clone(),
            other_word: false,
            reason: zero_reason(&c.guard),
            guard: c.guard.clone(),
            file: c.file,
            at: c.at,
        });
        return;
    }
    let members: Vec<String> = bit_of
        .iter()
        .filter(|(_, b)| **b < 64 && mask & (1u64 << **b) != 0)
        .map(|(n, _)| n.clone())
        .collect();
    let contiguous = (mask >> mask.trailing_zeros())
        .wrapping_add(1)
        .is_power_of_two();
    let stem = c.name.strip_suffix("_MASK");
    // `MMF_DUMP_FILTER_MASK` next to `MMF_DUMP_FILTER_BITS`: the extent of a field.
    let has_width = stem.is_some_and(|st| {
        cands
            .iter()
            .any(|x| x.name == format!("{st}_BITS") || x.name == format!("{st}_SHIFT"))
    });
    if members.is_empty() && contiguous && (stem.is_some() || has_width) {
        // `MMF_DUMPABLE_MASK` = 3 over bits no flag names: a field that occupies them.
        let bit = mask.trailing_zeros();
        bit_of.insert(c.name.clone(), bit);
        out.flags.push(IFlag {
            name: c.name.clone(),
            word: fam.word.clone(),
            mask: (kind == Kind::Mask).then_some(mask),
            bit: Some(bit),
            width: mask.count_ones(),
            guard: c.guard.clone(),
            doc: c.doc.clone(),
            reserved: false,
            hole: false,
            file: c.file,
            at: c.at,
        });
        return;
    }
    let covered = members
        .iter()
        .filter_map(|m| bit_of.get(m))
        .fold(0u64, |acc, b| acc | (1u64 << b));
    if covered != mask && stem.is_none() {
        out.warnings.push(Warning {
            file: c.file,
            at: Some(c.body_at),
            message: format!(
                "`{}` = {mask:#x} is not a single bit and covers bits no flag of the family names ({:#x}); listed as a composite, not imported as a flag",
                c.name,
                mask & !covered
            ),
        });
    }
    out.composites.push(IComposite {
        name: c.name.clone(),
        word: fam.word.clone(),
        value: Some(mask),
        field: contiguous && has_width,
        members,
        guard: c.guard.clone(),
        file: c.file,
        at: c.at,
    });
}

/// Follow `c`'s alias chain to a flag; `None` when it is not an alias or ends in a non-flag.
fn resolve_alias(c: &Cand, cands: &[Cand], bit_of: &BTreeMap<String, u32>) -> Option<String> {
    let mut name = c.alias_of.clone()?;
    for _ in 0..16 {
        if bit_of.contains_key(&name) {
            return Some(name);
        }
        name = cands
            .iter()
            .find(|x| x.name == name && x.alias_of.is_some())?
            .alias_of
            .clone()?;
    }
    None
}
