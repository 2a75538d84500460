//! Drift: hold a layout against the header it was imported from (`check --header`) and report
//! every difference as a finding that names both the layout line and the header line.

use std::collections::{BTreeMap, BTreeSet};

use super::Imported;
use super::cmd::DriftTargets;
use crate::check::Finding;
use crate::error::Result;
use crate::guard::Guard;
use crate::layout::Loaded;
use crate::model::{Kind, Layout, Loc, Sources};
use crate::rules::RuleId;

/// Drift findings (`--header`, `--btf`), raw: [`crate::check::finish`] waives and sorts them.
pub fn findings(args: &DriftTargets, loaded: &mut Loaded) -> Result<Vec<Finding>> {
    let mut found = Vec::new();
    if let Some(h) = &args.header {
        let fams = super::cmd::families(&args.families, &loaded.layout.struct_name)?;
        let imp = super::cmd::import_file(h, &loaded.layout.struct_name, fams, None)?;
        let shown = h.display().to_string();
        let file = loaded.sources.add(shown.clone(), imp.header.text.clone());
        found.extend(compare(&loaded.layout, &loaded.sources, &imp, file, &shown));
    }
    if let Some(b) = &args.btf {
        found.extend(super::btf::drift(b, loaded)?);
    }
    Ok(found)
}

/// Are two guards the same condition? Structurally, else by enumeration (≤ 16 symbols).
pub fn same_guard(a: &Guard, b: &Guard) -> bool {
    if a == b || a.to_string() == b.to_string() {
        return true;
    }
    let mut set = BTreeSet::new();
    a.symbols(&mut set);
    b.symbols(&mut set);
    if set.len() > 16 {
        return false;
    }
    let syms: Vec<&str> = set.iter().map(String::as_str).collect();
    (0..1u64 << syms.len()).all(|on| a.eval(&syms, on) == b.eval(&syms, on))
}

fn header_loc(imp: &Imported, file: usize, at: usize) -> Loc {
    let text = &imp.header.text;
    let end = text[at.min(text.len())..]
        .find('\n')
        .map_or(text.len(), |n| at + n);
    Loc {
        file,
        span: at..end.max(at),
    }
}

fn pos(sources: &Sources, loc: &Loc) -> String {
    sources
        .position(loc)
        .map_or_else(|| "?".into(), |(f, l, _)| format!("{f}:{l}"))
}

fn value_text(kind: Kind, mask: Option<u64>, bit: Option<u32>, width: u32) -> String {
    match kind {
        Kind::Mask => mask.map_or_else(|| "no mask".into(), |m| format!("mask {m:#010x}")),
        Kind::Bitnum => bit.map_or_else(|| "no bit".into(), |b| format!("bit {b}")),
        Kind::Bitfield => {
            let at = bit.map_or_else(|| "?".into(), |b| b.to_string());
            if width == 1 {
                format!("offset {at}")
            } else {
                format!("offset {at}, width {width}")
            }
        }
    }
}

/// Every difference between `layout` and the header import, as findings.
pub fn compare(
    layout: &Layout,
    sources: &Sources,
    imp: &Imported,
    file: usize,
    shown: &str,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let hline = |at: usize| format!("{shown}:{}", imp.line(at));
    // Map header words to layout words: family words by name, bitfield units by shared members.
    let mut map: BTreeMap<&str, &str> = BTreeMap::new();
    let mut unit_votes: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
    for w in &imp.words {
        if w.kind != Kind::Bitfield {
            if layout.word(&w.name).is_some() {
                map.insert(&w.name, &w.name);
            }
            continue;
        }
        let mut votes: BTreeMap<&str, usize> = BTreeMap::new();
        for &fi in &w.members {
            if let Some(lf) = layout.flags.iter().find(|f| f.name == imp.flags[fi].name)
                && layout
                    .word(&lf.word)
                    .is_some_and(|lw| lw.kind == Kind::Bitfield)
            {
                *votes.entry(lf.word.as_str()).or_default() += 1;
            }
        }
        let best = votes
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(k, _)| *k)
            .or_else(|| layout.word(&w.name).map(|lw| lw.name.as_str()));
        if let Some(b) = best {
            map.insert(&w.name, b);
        }
        unit_votes.insert(&w.name, votes);
    }
    // Split: one layout word is the best match of two or more header units.
    let mut units_of: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (u, lw) in &map {
        if imp.word(u).is_some_and(|w| w.kind == Kind::Bitfield) {
            units_of.entry(lw).or_default().push(u);
        }
    }
    for (lw, units) in &units_of {
        if units.len() > 1
            && let Some(word) = layout.word(lw)
        {
            let mut unit_words: Vec<&super::IWord> =
                units.iter().filter_map(|u| imp.word(u)).collect();
            unit_words.sort_by_key(|w| w.at);
            let at: Vec<String> = unit_words.iter().map(|u| hline(u.at)).collect();
            out.push(
                Finding::new(
                    RuleId::HeaderBitfieldSplit,
                    format!(
                        "`{lw}` is one word in the layout ({}), but the header splits its members into {} storage units ({})",
                        pos(sources, &word.loc),
                        units.len(),
                        at.join(", ")
                    ),
                )
                .word(lw.to_string())
                .at(&word.loc)
                .evidence(at),
            );
        }
    }
    // Join: a layout word whose members all sit in a unit that another layout word stands for.
    for (u, votes) in &unit_votes {
        let Some(best) = map.get(u) else { continue };
        for lw in votes.keys().filter(|k| *k != best) {
            if units_of.contains_key(lw) {
                continue; // the word still has a unit of its own: its strays moved (word-changed)
            }
            if let (Some(word), Some(unit)) = (layout.word(lw), imp.word(u)) {
                out.push(
                    Finding::new(
                        RuleId::HeaderBitfieldSplit,
                        format!(
                            "`{lw}` and `{best}` are separate words in the layout ({}), but the header keeps their members in one storage unit ({})",
                            pos(sources, &word.loc),
                            hline(unit.at)
                        ),
                    )
                    .word(lw.to_string())
                    .at(&word.loc)
                    .evidence([hline(unit.at)]),
                );
            }
        }
    }
    // Header words against layout words: widths.
    for w in &imp.words {
        let Some(lw) = map.get(w.name.as_str()).and_then(|n| layout.word(n)) else {
            continue;
        };
        if lw.width != w.width || lw.kind != w.kind {
            out.push(
                Finding::new(
                    RuleId::HeaderValueChanged,
                    format!(
                        "word `{}` is a {}-bit {} in the layout, a {}-bit {} (`{}`) in the header ({})",
                        lw.name,
                        lw.width,
                        lw.kind.as_str(),
                        w.width,
                        w.kind.as_str(),
                        w.ctype,
                        hline(w.at)
                    ),
                )
                .word(lw.name.clone())
                .at(&lw.loc)
                .evidence([hline(w.at)]),
            );
        }
    }
    // Units whose member list changed: offsets there follow from the change, not reported twice.
    let mut changed_units: BTreeSet<&str> = BTreeSet::new();
    let in_header: BTreeSet<&str> = imp.flags.iter().map(|f| f.name.as_str()).collect();
    let governed: BTreeSet<&str> = map.values().copied().collect();
    for f in &imp.flags {
        if layout.flags.iter().all(|lf| lf.name != f.name) {
            changed_units.insert(map.get(f.word.as_str()).copied().unwrap_or(""));
        }
    }
    for lf in &layout.flags {
        if governed.contains(lf.word.as_str()) && !in_header.contains(lf.name.as_str()) {
            changed_units.insert(lf.word.as_str());
        }
    }
    // Flags.
    for f in &imp.flags {
        let want_word = map.get(f.word.as_str()).copied();
        let Some(lf) = layout.flags.iter().find(|lf| lf.name == f.name) else {
            let hword = imp.word(&f.word);
            let kind = hword.map_or(Kind::Mask, |w| w.kind);
            let mut fd = Finding::new(
                RuleId::HeaderFlagAdded,
                format!(
                    "`{}` ({}, {}{}) is in the header but not in the layout{}",
                    f.name,
                    want_word.unwrap_or(&f.word),
                    value_text(kind, f.mask, f.bit, f.width),
                    if f.guard.is_always() {
                        String::new()
                    } else {
                        format!(", under {}", f.guard)
                    },
                    want_word
                        .and_then(|w| layout.word(w))
                        .map_or(String::new(), |w| format!(
                            " (word `{}` at {})",
                            w.name,
                            pos(sources, &w.loc)
                        ))
                ),
            )
            .flag(f.name.clone())
            .at(&header_loc(imp, file, f.at));
            if let Some(w) = want_word {
                fd = fd.word(w.to_string());
            }
            out.push(fd);
            continue;
        };
        let here = hline(f.at);
        let lpos = pos(sources, &lf.loc);
        let elsewhere = match want_word {
            Some(w) if w != lf.word => Some(format!("but in `{w}` in the header ({here})")),
            None => Some(format!(
                "; the header puts it in a storage unit the layout has no word for ({here})"
            )),
            _ => None,
        };
        if let Some(elsewhere) = elsewhere {
            let sep = if elsewhere.starts_with(';') { "" } else { " " };
            out.push(
                Finding::new(
                    RuleId::HeaderWordChanged,
                    format!(
                        "`{}` is in `{}` in the layout ({lpos}){sep}{elsewhere}",
                        f.name, lf.word
                    ),
                )
                .flag(f.name.clone())
                .word(lf.word.clone())
                .at(&lf.loc)
                .evidence([here.clone()]),
            );
            continue;
        }
        let kind = layout.word(&lf.word).map_or(Kind::Mask, |w| w.kind);
        let differs = match kind {
            Kind::Mask => lf.mask != f.mask,
            Kind::Bitnum => lf.bit != f.bit,
            Kind::Bitfield => {
                lf.width != f.width
                    || (lf.bit != f.bit && !changed_units.contains(lf.word.as_str()))
            }
        };
        if differs {
            out.push(
                Finding::new(
                    RuleId::HeaderValueChanged,
                    format!(
                        "`{}`: {} in the layout ({lpos}), {} in the header ({here})",
                        f.name,
                        value_text(kind, lf.mask, lf.bit, lf.width),
                        value_text(kind, f.mask, f.bit, f.width)
                    ),
                )
                .flag(f.name.clone())
                .word(lf.word.clone())
                .at(&lf.loc)
                .evidence([here.clone()]),
            );
        }
        if !same_guard(&lf.guard, &f.guard) {
            let show = |g: &Guard| {
                if g.is_always() {
                    "no guard".to_string()
                } else {
                    format!("`{g}`")
                }
            };
            out.push(
                Finding::new(
                    RuleId::HeaderGuardChanged,
                    format!(
                        "`{}`: {} in the layout ({lpos}), {} in the header ({here})",
                        f.name,
                        show(&lf.guard),
                        show(&f.guard)
                    ),
                )
                .flag(f.name.clone())
                .word(lf.word.clone())
                .at(&lf.loc)
                .evidence([here]),
            );
        }
    }
    for lf in &layout.flags {
        if governed.contains(lf.word.as_str()) && !in_header.contains(lf.name.as_str()) {
            out.push(
                Finding::new(
                    RuleId::HeaderFlagRemoved,
                    format!(
                        "`{}` ({}) is in the layout but the header ({shown}) no longer defines it",
                        lf.name, lf.word
                    ),
                )
                .flag(lf.name.clone())
                .word(lf.word.clone())
                .at(&lf.loc)
                .evidence([format!("{shown}:{}", imp.line(imp.struct_at))]),
            );
        }
    }
    // Layout words the header has nothing for.
    for lw in &layout.words {
        if !governed.contains(lw.name.as_str()) {
            for lf in layout.flags.iter().filter(|f| f.word == lw.name) {
                if !in_header.contains(lf.name.as_str()) {
                    out.push(
                        Finding::new(
                            RuleId::HeaderFlagRemoved,
                            format!(
                                "`{}` (word `{}`, which matches nothing in the header's struct {}) is not in the header ({shown})",
                                lf.name, lw.name, imp.options.struct_name
                            ),
                        )
                        .flag(lf.name.clone())
                        .word(lw.name.clone())
                        .at(&lf.loc),
                    );
                }
            }
        }
    }
    out
}
