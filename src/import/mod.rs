//! `flagplan import`: a C header (or BTF) → a layout, and the drift checks that hold a layout
//! against the header (or the compiled kernel) it was taken from.
//!
//! [`from_header`] reads the header with [`crate::cread`] into an [`Imported`] model; `emit`
//! writes it as layout TOML, `facts` overlays hand-kept facts (a facts file, or the previous
//! layout on re-import), `drift` compares a layout with an import, `btf` reads compiled layouts.

pub mod btf;
pub mod cmd;
pub(crate) mod drift;
pub mod emit;
pub(crate) mod facts;
pub mod family;
pub mod known;

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::cread::{self, Header, MemberKind};
use crate::guard::Guard;
use crate::model::{Kind, WordRule};
pub use family::{IAlias, IComposite, ISkipped};

/// A `#define` family and the struct member (word) it lives in: `PF_=flags`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Family {
    pub prefix: String,
    pub word: String,
    /// Forced kind (`PFA_=atomic_flags:bitnum`); otherwise decided from the values.
    pub kind: Option<Kind>,
    /// A default family: a struct without the member is a warning, not an error.
    pub optional: bool,
}

impl Family {
    /// Parse `PREFIX=WORD[:mask|bitnum]`.
    pub fn parse(s: &str) -> Result<Family, String> {
        let (prefix, rest) = s
            .split_once('=')
            .ok_or_else(|| format!("`{s}`: expected PREFIX=WORD, e.g. PF_=flags"))?;
        let (word, kind) = match rest.split_once(':') {
            Some((w, k)) => {
                let kind = match Kind::parse(k) {
                    Some(k @ (Kind::Mask | Kind::Bitnum)) => k,
                    _ => return Err(format!("`{s}`: kind must be mask or bitnum, not `{k}`")),
                };
                (w, Some(kind))
            }
            None => (rest, None),
        };
        let ok =
            |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !ok(prefix) || !ok(word) {
            return Err(format!("`{s}`: prefix and word must be C identifiers"));
        }
        Ok(Family {
            prefix: prefix.to_string(),
            word: word.to_string(),
            kind,
            optional: false,
        })
    }

    /// The families used when none are given: the struct's known words ([`known::WORDS`]).
    pub fn defaults_for(struct_name: &str) -> Vec<Family> {
        known::words_of(struct_name)
            .map(known::KnownWord::to_family)
            .collect()
    }
}

#[derive(Clone, Debug)]
pub struct Options {
    pub struct_name: String,
    pub families: Vec<Family>,
    /// The header's name in `source` fields (`include/linux/sched.h`).
    pub source_name: String,
}

/// How a word's rule was decided.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleGuess {
    pub rule: WordRule,
    /// The header text the guess rests on (or why it is a default), for the `# GUESS` comment.
    pub why: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct IWord {
    pub name: String,
    pub ctype: String,
    pub width: u32,
    pub kind: Kind,
    pub guess: RuleGuess,
    pub doc: Option<String>,
    /// Offset of the member (family words) or the unit's first comment or member (bitfields).
    pub at: usize,
    /// Width on 32-bit kernels when it differs (`unsigned long`: 32).
    pub width_32: Option<u32>,
    /// Bitfield units: members in declaration order (indices into [`Imported::flags`]).
    pub members: Vec<usize>,
    /// Bit numbers are an enum's positions (`enum pageflags`).
    pub enum_positions: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct IFlag {
    pub name: String,
    pub word: String,
    pub mask: Option<u64>,
    pub bit: Option<u32>,
    pub width: u32,
    pub guard: Guard,
    pub doc: Option<String>,
    pub reserved: bool,
    /// The file the flag is defined in (0: the struct's header; see [`Imported::file_name`]).
    pub file: usize,
    /// A `PF__HOLE__*`-style define: a named unused bit, free for a proposal.
    pub hole: bool,
    pub at: usize,
}

/// A problem met while importing, at a header offset (or none).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Warning {
    /// The file (0: the struct's header; see [`Imported::file_name`]).
    pub file: usize,
    pub at: Option<usize>,
    pub message: String,
}

/// A header read for an import: its name in `source` fields, and whether its defines may be
/// flags of a family (headers reached only through `#include` give values and typedefs).
pub struct HeaderFile {
    pub name: String,
    pub header: Header,
    pub defines: bool,
}

pub struct Imported {
    pub options: Options,
    /// The struct's header (file 0).
    pub header: Header,
    /// Other headers read (file 1 is `extra[0]`).
    pub extra: Vec<HeaderFile>,
    pub aliases: Vec<IAlias>,
    pub composites: Vec<IComposite>,
    pub skipped: Vec<ISkipped>,
    pub struct_at: usize,
    pub words: Vec<IWord>,
    pub flags: Vec<IFlag>,
    pub warnings: Vec<Warning>,
}

impl Imported {
    pub fn line(&self, at: usize) -> usize {
        self.header.line(at)
    }
    /// 1-based line of an offset in file `file`.
    pub fn line_in(&self, file: usize, at: usize) -> usize {
        match file.checked_sub(1).and_then(|k| self.extra.get(k)) {
            Some(f) => f.header.line(at),
            None => self.header.line(at),
        }
    }
    /// The name of file `file` in `source` fields.
    pub fn file_name(&self, file: usize) -> &str {
        match file.checked_sub(1).and_then(|k| self.extra.get(k)) {
            Some(f) => &f.name,
            None => &self.options.source_name,
        }
    }
    /// `source` string for an offset: `include/linux/sched.h:1732`.
    pub fn source_of(&self, at: usize) -> String {
        format!("{}:{}", self.options.source_name, self.line(at))
    }
    /// `source` string for an offset in file `file`.
    pub fn source_in(&self, file: usize, at: usize) -> String {
        format!("{}:{}", self.file_name(file), self.line_in(file, at))
    }
    pub fn flag(&self, name: &str) -> Option<&IFlag> {
        self.flags.iter().find(|f| f.name == name)
    }
    pub fn word(&self, name: &str) -> Option<&IWord> {
        self.words.iter().find(|w| w.name == name)
    }
    /// Warnings as `file:line: warning: message` lines.
    pub fn warning_lines(&self, file: &str) -> Vec<String> {
        self.warnings
            .iter()
            .map(|w| {
                let name = if w.file == 0 {
                    file
                } else {
                    self.file_name(w.file)
                };
                match w.at {
                    Some(at) => format!(
                        "{name}:{}: warning: {}",
                        self.line_in(w.file, at),
                        w.message
                    ),
                    None => format!("{name}: warning: {}", w.message),
                }
            })
            .collect()
    }
}

/// Width of a C integer type: [`crate::model::c_type_width`] plus the `__u32`-style and
/// `uintN_t` spellings and `enum` types (int-sized).
pub fn c_type_width(ctype: &str) -> Option<u32> {
    let t = ctype.trim();
    if let Some(w) = crate::model::c_type_width(t) {
        return Some(w);
    }
    let t = t.strip_prefix("__").unwrap_or(t);
    let t = t
        .strip_prefix("uint")
        .or_else(|| t.strip_prefix("int"))
        .map_or(t.to_string(), |r| format!("u{}", r.trim_end_matches("_t")));
    if let Some(w) = crate::model::c_type_width(&t) {
        return Some(w);
    }
    ctype.trim().starts_with("enum ").then_some(32)
}

/// Guess a word rule from comments about it.
fn guess_rule(comments: &[&str], kind: Kind) -> RuleGuess {
    for c in comments {
        let l = c.to_lowercase();
        let quoted = c.chars().take(80).collect::<String>();
        if l.contains("strictly 'current'")
            || l.contains("strictly current")
            || l.contains("unserialized")
            || l.contains("only the _current_ task")
            || l.contains("only the current task")
        {
            return RuleGuess {
                rule: WordRule::Current,
                why: format!("header: \"{quoted}\""),
            };
        }
        if l.contains("scheduler lock") {
            return RuleGuess {
                rule: WordRule::Lock("rq->lock".into()),
                why: format!("header: \"{quoted}\", the runqueue lock assumed"),
            };
        }
        for key in ["protected by ", "serialized by ", "under "] {
            if let Some(pos) = l.find(key) {
                let lock: String = c[pos + key.len()..]
                    .chars()
                    .take_while(|ch| {
                        ch.is_ascii_alphanumeric() || matches!(ch, '_' | '-' | '>' | '.')
                    })
                    .collect();
                let lock = lock.trim_end_matches(['.', '-']).to_string();
                if !lock.is_empty() {
                    return RuleGuess {
                        rule: WordRule::Lock(lock),
                        why: format!("header: \"{quoted}\""),
                    };
                }
            }
        }
        if l.contains("atomic") {
            return RuleGuess {
                rule: WordRule::Atomic,
                why: format!("header: \"{quoted}\""),
            };
        }
    }
    match kind {
        Kind::Bitnum => RuleGuess {
            rule: WordRule::Atomic,
            why: "no comment says; bit numbers are used with set_bit()/clear_bit()".into(),
        },
        _ => RuleGuess {
            rule: WordRule::Current,
            why: "no comment says; the strictest non-atomic rule assumed".into(),
        },
    }
}

/// Why a header cannot be imported.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// A problem at a byte offset of the header text (read lossily as UTF-8, like
    /// [`Header::text`]): unbalanced `#if`, nesting past a limit, a truncated struct, a
    /// bitfield the layout format cannot hold.
    #[error("{message}")]
    At { offset: usize, message: String },
    /// A problem with the header as a whole (no such struct, no such member).
    #[error("{0}")]
    Whole(String),
}

fn fatal(d: &cread::Diag) -> ImportError {
    ImportError::At {
        offset: d.offset,
        message: d.message.clone(),
    }
}

/// Read `bytes` (a header) and import `opts.struct_name` with its define families.
pub fn from_header(bytes: &[u8], opts: Options) -> Result<Imported, ImportError> {
    from_headers(bytes, opts, Vec::new(), true)
}

/// The width of `ctype` with typedefs of the headers read resolved (`fmode_t` → 32).
fn resolve_width(ctype: &str, typedefs: &HashMap<String, String>) -> (Option<u32>, String) {
    let mut t = ctype.trim().to_string();
    for _ in 0..8 {
        if let Some(w) = c_type_width(&t) {
            return (Some(w), t);
        }
        match typedefs.get(&t) {
            Some(next) => t = next.clone(),
            None => break,
        }
    }
    (None, t)
}

/// Width on 32-bit kernels when it differs from the LP64 width (`long` types).
pub fn width_32(resolved: &str) -> Option<u32> {
    let words: Vec<&str> = resolved.split_whitespace().collect();
    (words.iter().filter(|w| **w == "long").count() == 1).then_some(32)
}

/// Import `opts.struct_name` from `bytes` (file 0) and `extra` headers: the struct is read from
/// file 0; family defines from every file whose `defines` is set (file 0: `main_defines`);
/// values and typedefs from all.
pub fn from_headers(
    bytes: &[u8],
    opts: Options,
    extra: Vec<HeaderFile>,
    main_defines: bool,
) -> Result<Imported, ImportError> {
    let header = Header::read(bytes);
    if let Some(d) = header.error() {
        return Err(fatal(d));
    }
    let Some(st) = header.find_struct(&opts.struct_name) else {
        return Err(ImportError::Whole(format!(
            "no `struct {} {{` definition in the header",
            opts.struct_name
        )));
    };
    if let Some(d) = st
        .diags
        .iter()
        .find(|d| d.severity == cread::Severity::Error)
    {
        return Err(fatal(d));
    }
    let mut warnings: Vec<Warning> = Vec::new();
    for d in header.pp.diags.iter().chain(st.diags.iter()) {
        warnings.push(Warning {
            file: 0,
            at: Some(d.offset),
            message: d.message.clone(),
        });
    }
    // Every file, the struct's first: defines and typedefs of earlier files win.
    let mut files = vec![HeaderFile {
        name: opts.source_name.clone(),
        header,
        defines: main_defines,
    }];
    files.extend(extra);
    let mut defs: HashMap<String, Vec<cread::lex::Tok>> = HashMap::new();
    let mut typedefs: HashMap<String, String> = HashMap::new();
    for f in &files {
        for (k, v) in &f.header.defs {
            defs.entry(k.clone()).or_insert_with(|| v.clone());
        }
        for e in f.header.enumerators.iter() {
            if let Some(v) = e.value {
                defs.entry(e.name.clone())
                    .or_insert_with(|| vec![cread::lex::Tok::Number(v.to_string())]);
            }
        }
        for (k, v) in &f.header.typedefs {
            typedefs.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    let mut words = Vec::new();
    let mut flags: Vec<IFlag> = Vec::new();
    let mut aliases = Vec::new();
    let mut composites = Vec::new();
    let mut skipped = Vec::new();
    let all_comments: Vec<String> = files
        .iter()
        .flat_map(|f| f.header.pp.code.iter())
        .filter_map(|t| match &t.tok.tok {
            cread::lex::Tok::Comment { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect();

    // Families: #define PREFIX... (or enumerators) in the word named by the family.
    for fam in &opts.families {
        let Some(member) = st
            .members
            .iter()
            .find(|m| m.name.as_deref() == Some(fam.word.as_str()))
        else {
            let msg = format!(
                "struct {} has no member `{}` for the {}* family",
                opts.struct_name, fam.word, fam.prefix
            );
            if fam.optional {
                warnings.push(Warning {
                    file: 0,
                    at: Some(st.start),
                    message: format!("{msg}; its defines are not imported"),
                });
                continue;
            }
            return Err(ImportError::Whole(msg));
        };
        let ctype = match &member.kind {
            MemberKind::Plain { ctype } | MemberKind::Bitfield { ctype, .. } => ctype.clone(),
            _ => String::new(),
        };
        let (known_width, resolved) = resolve_width(&ctype, &typedefs);
        let width = known_width.unwrap_or_else(|| {
            warnings.push(Warning {
                file: 0,
                at: Some(member.start),
                message: format!(
                    "member `{}`: type `{ctype}` has no known width (no typedef of it in the headers read); 64 assumed",
                    fam.word
                ),
            });
            64
        });
        if !member.guard.is_always() {
            warnings.push(Warning {
                file: 0,
                at: Some(member.name_at),
                message: format!(
                    "member `{}` exists only under `{}`; the guard is not recorded on the word",
                    fam.word, member.guard
                ),
            });
        }
        let longer: Vec<&str> = opts
            .families
            .iter()
            .filter(|o| o.prefix.len() > fam.prefix.len() && o.prefix.starts_with(&fam.prefix))
            .map(|o| o.prefix.as_str())
            .collect();
        let out = family::read(&files, fam, &longer, &defs, width);
        warnings.extend(out.warnings);
        let kind = out.kind.unwrap_or(Kind::Mask);
        let enum_positions = out.enum_positions;
        if out.flags.is_empty() {
            let msg = format!(
                "no `{}*` flag of `{}` in the headers read ({}); its defines may live in another header: give it too, or use --tree",
                fam.prefix,
                fam.word,
                files
                    .iter()
                    .filter(|f| f.defines)
                    .map(|f| f.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            warnings.push(Warning {
                file: 0,
                at: Some(member.name_at),
                message: if fam.optional {
                    format!("{msg}; the word is not imported")
                } else {
                    format!("{msg}; the word is imported empty")
                },
            });
            if fam.optional {
                continue;
            }
        }
        let mut comments: Vec<&str> = Vec::new();
        if let Some(t) = &member.trailing {
            comments.push(t);
        }
        comments.extend(member.before.iter().map(|(_, c)| c.as_str()));
        // Comments elsewhere in the header about `->WORD` (the PF_ block comment on tsk->flags).
        let arrow = format!("->{}", fam.word);
        let about: Vec<String> = all_comments
            .iter()
            .filter(|c| c.contains(&arrow))
            .map(|c| cread::comment_text(c))
            .collect();
        comments.extend(about.iter().map(String::as_str));
        let guess = guess_rule(&comments, kind);
        let doc = member
            .trailing
            .clone()
            .or_else(|| member.before.last().map(|(_, c)| c.clone()));
        flags.extend(out.flags);
        aliases.extend(out.aliases);
        composites.extend(out.composites);
        skipped.extend(out.skipped);
        words.push(IWord {
            name: fam.word.clone(),
            ctype: if c_type_width(&ctype).is_some() {
                ctype
            } else {
                resolved.clone()
            },
            width,
            kind,
            guess,
            doc,
            at: member.name_at,
            width_32: width_32(&resolved),
            members: Vec::new(),
            enum_positions,
        });
    }
    let header = files.remove(0).header;
    let st_start = st.start;

    // Bitfield storage units.
    let mut units: Vec<Vec<usize>> = Vec::new();
    let mut run: Vec<usize> = Vec::new();
    for (i, m) in st.members.iter().enumerate() {
        match &m.kind {
            MemberKind::Bitfield { width: Some(0), .. } => {
                if !run.is_empty() {
                    units.push(std::mem::take(&mut run));
                }
            }
            MemberKind::Bitfield { .. } => run.push(i),
            _ => {
                if !run.is_empty() {
                    units.push(std::mem::take(&mut run));
                }
            }
        }
    }
    if !run.is_empty() {
        units.push(run);
    }
    let mut used_names: HashSet<String> = words.iter().map(|w| w.name.clone()).collect();
    let mut flag_names: HashSet<String> = flags.iter().map(|f| f.name.clone()).collect();
    for (ui, unit) in units.iter().enumerate() {
        let first = &st.members[unit[0]];
        let ctype = match &first.kind {
            MemberKind::Bitfield { ctype, .. } => ctype.clone(),
            _ => String::new(),
        };
        let width = c_type_width(&ctype).unwrap_or_else(|| {
            warnings.push(Warning {
                file: 0,
                at: Some(first.start),
                message: format!(
                    "bitfield storage unit type `{ctype}` has no known width; 32 assumed"
                ),
            });
            32
        });
        for &mi in &unit[1..] {
            let m = &st.members[mi];
            if let MemberKind::Bitfield { ctype: t, .. } = &m.kind
                && c_type_width(t) != Some(width)
            {
                warnings.push(Warning {
 file: 0,
                    at: Some(m.start),
                    message: format!(
                        "bitfield `{}` is declared `{t}` in a unit of `{ctype}`; the unit width is taken from the first member",
                        m.name.as_deref().unwrap_or("(unnamed)")
                    ),
                });
            }
        }
        let comments: Vec<&str> = first.before.iter().map(|(_, c)| c.as_str()).collect();
        let guess = guess_rule(&comments, Kind::Bitfield);
        let names: Vec<&str> = unit
            .iter()
            .filter_map(|&i| st.members[i].name.as_deref())
            .collect();
        let mut name = unit_name(&names, &guess, ui);
        while used_names.contains(&name) {
            name.push('_');
        }
        used_names.insert(name.clone());
        let at = first.before.first().map_or(first.start, |(at, _)| *at);
        let doc = (!comments.is_empty()).then(|| comments.join(" "));
        let mut members = Vec::new();
        let mut off = 0u32;
        for (k, &mi) in unit.iter().enumerate() {
            let m = &st.members[mi];
            let MemberKind::Bitfield { width: w, .. } = &m.kind else {
                continue;
            };
            let w = u32::try_from(w.unwrap_or(1)).unwrap_or(u32::MAX).max(1);
            check_bitfield_fits(m, w, off, &name)?;
            let fname = match &m.name {
                Some(n) => n.clone(),
                None => {
                    warnings.push(Warning {
                        file: 0,
                        at: Some(m.start),
                        message: format!(
                            "unnamed bitfield of width {w}: imported as a reserved member"
                        ),
                    });
                    format!("{name}__pad_{}", header.line(m.start))
                }
            };
            if !flag_names.insert(fname.clone()) {
                warnings.push(Warning {
                    file: 0,
                    at: Some(m.name_at),
                    message: format!("`{fname}` is declared twice; the second is not imported"),
                });
                continue;
            }
            for (line, text) in header.opaque_in(&m.guard) {
                warnings.push(Warning {
 file: 0,
                    at: Some(m.name_at),
                    message: format!(
                        "`{fname}` is under `#if {text}` (line {line}), which is not a CONFIG condition; kept as an opaque symbol"
                    ),
                });
            }
            let doc = m.trailing.clone().or_else(|| {
                // The first member's only comment belongs to the unit.
                if k == 0 && m.before.len() < 2 {
                    None
                } else {
                    m.before.last().map(|(_, c)| c.clone())
                }
            });
            members.push(flags.len());
            flags.push(IFlag {
                name: fname,
                word: name.clone(),
                mask: None,
                bit: Some(off),
                width: w,
                guard: m.guard.clone(),
                doc,
                reserved: m
                    .name
                    .as_deref()
                    .is_none_or(|n| n.starts_with("__") && n.contains("reserved")),
                file: 0,
                hole: false,
                at: m.name_at,
            });
            off = off.saturating_add(w);
        }
        if off > width {
            warnings.push(Warning {
 file: 0,
                at: Some(first.start),
                message: format!(
                    "bitfield unit `{name}` holds {off} bits with every guard on, more than its {width}-bit type; the compiler would open a new unit (`check` reports bitfield-overflow)"
                ),
            });
        }
        words.push(IWord {
            name,
            ctype,
            width,
            kind: Kind::Bitfield,
            guess,
            doc,
            at,
            width_32: None,
            members,
            enum_positions: false,
        });
    }
    if words.is_empty() {
        let hint = match known::word_of(&opts.struct_name) {
            Some(k) => format!(" (its flags are `--family {}`)", k.family()),
            None => String::new(),
        };
        return Err(ImportError::Whole(format!(
            "struct {} has no flag word: no --family was given or found{hint} and it has no bitfields; nothing to import",
            opts.struct_name
        )));
    }
    warnings.sort();
    warnings.dedup();
    Ok(Imported {
        options: opts,
        struct_at: st_start,
        header,
        extra: files,
        aliases,
        composites,
        skipped,
        words,
        flags,
        warnings,
    })
}

/// The largest bit (exclusive) a layout word can hold.
const MAX_WORD_BITS: u32 = 64;

/// Refuse what no layout can hold (and no compiler accepts): a bitfield wider than its type,
/// or one past bit 63 of its unit.
fn check_bitfield_fits(m: &cread::Member, w: u32, off: u32, unit: &str) -> Result<(), ImportError> {
    let MemberKind::Bitfield { ctype, .. } = &m.kind else {
        return Ok(());
    };
    let name = m.name.as_deref().unwrap_or("(unnamed)");
    let type_bits = c_type_width(ctype).unwrap_or(MAX_WORD_BITS);
    if w > type_bits {
        return Err(ImportError::At {
            offset: m.width_at,
            message: format!(
                "bitfield `{name}` is {w} bits wide, wider than its type `{ctype}` ({type_bits} bits); the header is not valid C"
            ),
        });
    }
    if off.saturating_add(w) > MAX_WORD_BITS {
        return Err(ImportError::At {
            offset: m.name_at,
            message: format!(
                "bitfield `{name}` would sit at bits {off}..{} of unit `{unit}`, past the {MAX_WORD_BITS} bits a layout word holds; put a `:0` (or another member) where the compiler opens a new unit",
                off.saturating_add(w) - 1
            ),
        });
    }
    Ok(())
}

/// A deterministic name for a bitfield unit: `current_bits` when a header comment says the unit
/// is strictly current, else the members' common `prefix_` + `bits`, else by the guessed rule
/// (`current_bits`, `locked_bits`), else `bits_N`. A facts file can rename it.
pub fn unit_name(members: &[&str], guess: &RuleGuess, index: usize) -> String {
    let rule = &guess.rule;
    if *rule == WordRule::Current && guess.why.starts_with("header:") {
        return "current_bits".into();
    }
    // Reserved padding (`__mce_reserved`) does not take part in the name.
    let members: Vec<&str> = members
        .iter()
        .copied()
        .filter(|m| !m.starts_with("__"))
        .collect();
    if let Some(first) = members.first() {
        let mut prefix_len = 0;
        for (i, ch) in first.char_indices() {
            if ch == '_' && i > 0 && members.iter().all(|m| m.starts_with(&first[..=i])) {
                prefix_len = i + 1;
            }
        }
        if members.len() > 1 && prefix_len > 1 {
            return format!("{}bits", &first[..prefix_len]);
        }
    }
    match rule {
        WordRule::Current => "current_bits".into(),
        WordRule::Lock(_) | WordRule::LockWrite(_) => "locked_bits".into(),
        WordRule::Unpublished => format!("bits_{index}"),
        WordRule::Atomic => format!("bits_{index}"),
    }
}

/// Group flags by word, in import order (for emitters and tests).
pub fn flags_by_word(imp: &Imported) -> BTreeMap<&str, Vec<&IFlag>> {
    let mut m: BTreeMap<&str, Vec<&IFlag>> = BTreeMap::new();
    for f in &imp.flags {
        m.entry(f.word.as_str()).or_default().push(f);
    }
    m
}
