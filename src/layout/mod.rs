//! Layout and plan files: reading TOML with spans and lowering it into the [`crate::model`].
//!
//! Syntax and type problems (bad TOML, unknown keys, negative bits) are [`Error`]s with
//! `file:line:col`; semantic problems (unknown words, collisions) are left to [`crate::check`].

mod raw;

use std::path::{Path, PathBuf};

use toml::Spanned;

use crate::error::{Error, Result, line_col};
use crate::guard::Guard;
use crate::model::{
    Context, Flag, Group, Kind, Layout, Loc, Origin, Proposal, ProposalOp, Sources, Waiver, Word,
    WordRule, Writer, c_type_width,
};
use raw::{RawFile, RawFlag, RawProposal, RawWriter};

/// The layout format version this build reads and writes.
pub const FORMAT_VERSION: i64 = 1;

/// Declaration order is spaced out so that moves can insert members between neighbours.
pub const ORDER_SHIFT: u32 = 20;

/// A layout read from disk (or a built-in), with the text of every file it came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub layout: Layout,
    pub sources: Sources,
}

/// Where a layout comes from.
#[derive(Debug, Clone)]
pub enum Input {
    Path(PathBuf),
    Stdin,
    Builtin(String),
}

impl Input {
    pub fn display(&self) -> String {
        match self {
            Input::Path(p) => p.display().to_string(),
            Input::Stdin => "<stdin>".to_string(),
            Input::Builtin(n) => format!("builtin:{n}"),
        }
    }
}

/// Read a layout or a plan (with its base) into the model.
pub fn load(input: &Input) -> Result<Loaded> {
    let mut sources = Sources::default();
    let (name, text, dir) = read_input(input)?;
    let layout = load_text(&name, text, dir.as_deref(), &mut sources, 0)?;
    Ok(Loaded { layout, sources })
}

/// Parse layout text (used for built-ins and tests).
pub fn parse_str(name: &str, text: &str) -> Result<Loaded> {
    let mut sources = Sources::default();
    let layout = load_text(name, text.to_string(), None, &mut sources, 0)?;
    Ok(Loaded { layout, sources })
}

fn read_input(input: &Input) -> Result<(String, String, Option<PathBuf>)> {
    match input {
        Input::Builtin(n) => {
            let text = crate::builtin::get(n)?;
            Ok((format!("builtin:{n}"), text.to_string(), None))
        }
        Input::Stdin => {
            let mut buf = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)
                .map_err(|e| Error::io("<stdin>", e))?;
            let cwd = std::env::current_dir().ok();
            Ok(("<stdin>".into(), decode("<stdin>", buf)?, cwd))
        }
        Input::Path(p) => {
            let name = p.display().to_string();
            let text = read_text_file(p)?;
            let dir = p.parent().map(Path::to_path_buf);
            Ok((name, text, dir))
        }
    }
}

/// Read a text file: directories, binary files and non-UTF-8 bytes are clear errors.
pub fn read_text_file(p: &Path) -> Result<String> {
    let name = p.display().to_string();
    if p.is_dir() {
        return Err(Error::IsDirectory { path: name });
    }
    let bytes = std::fs::read(p).map_err(|e| Error::io(name.clone(), e))?;
    decode(&name, bytes)
}

fn decode(name: &str, bytes: Vec<u8>) -> Result<String> {
    if let Some(offset) = memchr::memchr(0, &bytes) {
        let prefix = String::from_utf8_lossy(&bytes[..offset]);
        let (line, col) = line_col(&prefix, prefix.len());
        return Err(Error::Binary {
            path: name.to_string(),
            line,
            col,
            offset,
        });
    }
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let prefix = String::from_utf8_lossy(&e.as_bytes()[..offset]).into_owned();
        let (line, col) = line_col(&prefix, prefix.len());
        Error::NotUtf8 {
            path: name.to_string(),
            line,
            col,
            offset,
        }
    })
}

fn load_text(
    name: &str,
    text: String,
    dir: Option<&Path>,
    sources: &mut Sources,
    depth: usize,
) -> Result<Layout> {
    if text.trim().is_empty() {
        return Err(Error::input(
            name,
            &text,
            0..0,
            "empty file: a layout needs `format = 1`, `struct` and [[word]] tables",
            None,
        ));
    }
    let raw: RawFile = toml::from_str(&text).map_err(|e| toml_error(name, &text, &e))?;
    let file = sources.add(name.to_string(), text.clone());
    let cx = Cx {
        name,
        text: &text,
        file,
    };

    match &raw.format {
        None => {
            return Err(cx.err(
                0..0,
                format!("missing `format = {FORMAT_VERSION}` (the layout format version)"),
            ));
        }
        Some(v) if *v.get_ref() != FORMAT_VERSION => {
            return Err(cx.err(
                v.span(),
                format!(
                    "unsupported format version {} (this flagplan reads format {FORMAT_VERSION})",
                    v.get_ref()
                ),
            ));
        }
        Some(_) => {}
    }

    if let Some(base) = &raw.base {
        return load_plan(&cx, base, &raw, dir, sources, depth);
    }
    let mut layout = lower_layout(&cx, raw)?;
    layout.repack_bitfields();
    Ok(layout)
}

fn load_plan(
    cx: &Cx<'_>,
    base: &Spanned<String>,
    raw: &RawFile,
    dir: Option<&Path>,
    sources: &mut Sources,
    depth: usize,
) -> Result<Layout> {
    if !raw.word.is_empty() || !raw.flag.is_empty() || !raw.group.is_empty() {
        let span = raw
            .word
            .first()
            .map(|w| w.span())
            .or_else(|| raw.flag.first().map(|f| f.span()))
            .or_else(|| raw.group.first().map(|g| g.span()))
            .unwrap_or(0..0);
        return Err(cx.err(
            span,
            "a plan file (one with `base`) holds only `base`, [[proposal]] and [[waiver]]",
        ));
    }
    if depth > 0 {
        return Err(cx.err(
            base.span(),
            "the base of a plan must be a layout, not another plan",
        ));
    }
    let base_str = base.get_ref();
    let (bname, btext, bdir) = if let Some(n) = base_str.strip_prefix("builtin:") {
        let text = crate::builtin::get(n).map_err(|e| cx.err(base.span(), e.to_string()))?;
        (base_str.clone(), text.to_string(), None)
    } else {
        let path = dir.map_or_else(|| PathBuf::from(base_str), |d| d.join(base_str));
        let text = read_text_file(&path).map_err(|e| {
            cx.err(
                base.span(),
                format!("cannot read the plan's base layout: {e}"),
            )
        })?;
        let bdir = path.parent().map(Path::to_path_buf);
        (path.display().to_string(), text, bdir)
    };
    // The plan's own text stays at index `cx.file`; the base gets the next index.
    let mut layout = load_text(&bname, btext, bdir.as_deref(), sources, depth + 1)?;
    for w in &raw.waiver {
        layout.waivers.push(cx.waiver(w));
    }
    for p in &raw.proposal {
        layout.proposals.push(cx.proposal(p)?);
    }
    Ok(layout)
}

fn toml_error(name: &str, text: &str, e: &toml::de::Error) -> Error {
    let span = e.span().unwrap_or(0..0);
    let message = e.message().trim().to_string();
    let help = did_you_mean(&message);
    Error::input(name, text, span, message, help)
}

/// For serde's "unknown field `x`, expected one of `a`, `b`" (or "unknown variant"), suggest the closest.
fn did_you_mean(message: &str) -> Option<String> {
    if !message.starts_with("unknown field") && !message.starts_with("unknown variant") {
        return None;
    }
    let ticks: Vec<&str> = message.split('`').skip(1).step_by(2).collect();
    let (bad, expected) = ticks.split_first()?;
    best_match(bad, expected.iter().copied()).map(|m| format!("did you mean `{m}`?"))
}

/// The closest candidate to `bad`, if any is close enough to be a typo.
pub fn best_match<'a>(bad: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(bad, c), c))
        .filter(|(s, _)| *s > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// Writer contexts that were not understood, with where they were written.
type UnknownContexts = Vec<(String, Loc)>;

struct Cx<'a> {
    name: &'a str,
    text: &'a str,
    file: usize,
}

impl Cx<'_> {
    fn err(&self, span: std::ops::Range<usize>, msg: impl Into<String>) -> Error {
        Error::input(self.name, self.text, span, msg, None)
    }
    fn err_help(
        &self,
        span: std::ops::Range<usize>,
        msg: impl Into<String>,
        help: String,
    ) -> Error {
        Error::input(self.name, self.text, span, msg, Some(help))
    }
    fn loc(&self, span: std::ops::Range<usize>) -> Loc {
        Loc {
            file: self.file,
            span,
        }
    }

    fn bit(&self, v: &Spanned<i64>) -> Result<u32> {
        let b = *v.get_ref();
        if !(0..64).contains(&b) {
            return Err(self.err(
                v.span(),
                format!("bit {b} is out of range: bits are 0..=63 (no word is wider than 64 bits)"),
            ));
        }
        Ok(b as u32)
    }

    fn mask(&self, v: &Spanned<i64>) -> Result<u64> {
        let m = *v.get_ref();
        if m < 0 {
            return Err(self.err(v.span(), format!("mask {m} is negative")));
        }
        Ok(m as u64)
    }

    fn member_width(&self, v: Option<&Spanned<i64>>) -> Result<u32> {
        match v {
            None => Ok(1),
            Some(v) => {
                let w = *v.get_ref();
                if !(1..=64).contains(&w) {
                    return Err(self.err(
                        v.span(),
                        format!("width {w} is out of range: a member is 1..=64 bits"),
                    ));
                }
                Ok(w as u32)
            }
        }
    }

    fn guard(&self, g: Option<&Spanned<String>>) -> Result<Guard> {
        let Some(g) = g else {
            return Ok(Guard::Always);
        };
        Guard::parse(g.get_ref()).map_err(|e| {
            let start = g.span().start + 1 + e.offset;
            self.err(
                start..start + 1,
                format!("bad guard expression: {}", e.message),
            )
        })
    }

    fn writer(
        &self,
        w: &Spanned<RawWriter>,
        unknown: &mut Vec<(String, Loc)>,
    ) -> Result<Option<Writer>> {
        let r = w.get_ref();
        let ctx = r.context.get_ref();
        let Some(context) = Context::parse(ctx) else {
            unknown.push((ctx.clone(), self.loc(r.context.span())));
            return Ok(None);
        };
        if let Some(b) = &r.balanced
            && context != Context::CurrentIrq
        {
            return Err(self.err(b.span(), "`balanced` applies only to `current-irq` writers"));
        }
        Ok(Some(Writer {
            context,
            balanced: r.balanced.as_ref().is_some_and(|b| *b.get_ref()),
            lock: r.lock.clone(),
            evidence: r.evidence.clone(),
            note: r.note.clone(),
            loc: self.loc(r.context.span()),
        }))
    }

    fn writers(&self, ws: &[Spanned<RawWriter>]) -> Result<(Vec<Writer>, UnknownContexts)> {
        let mut unknown = Vec::new();
        let mut out = Vec::new();
        for w in ws {
            if let Some(w) = self.writer(w, &mut unknown)? {
                out.push(w);
            }
        }
        Ok((out, unknown))
    }

    fn word(&self, w: &Spanned<raw::RawWord>) -> Result<Word> {
        let r = w.get_ref();
        let type_width = match &r.ctype {
            Some(t) => Some(c_type_width(t.get_ref()).ok_or_else(|| {
                self.err(
                    t.span(),
                    format!(
                        "unknown C type `{}`: use a kernel integer type (unsigned int, unsigned long, u32, u64, ...) or give `width`",
                        t.get_ref()
                    ),
                )
            })?),
            None => None,
        };
        let width = match (&r.width, type_width) {
            (Some(wv), tw) => {
                let n = *wv.get_ref();
                if ![8, 16, 32, 64].contains(&n) {
                    return Err(self.err(
                        wv.span(),
                        format!("width {n}: a word is 8, 16, 32 or 64 bits wide"),
                    ));
                }
                if let Some(tw) = tw
                    && i64::from(tw) != n
                {
                    return Err(self.err(
                        wv.span(),
                        format!("width {n} disagrees with the type's {tw} bits"),
                    ));
                }
                n as u32
            }
            (None, Some(tw)) => tw,
            (None, None) => {
                return Err(self.err(
                    r.name.span(),
                    "a word needs `type` (a C type) or `width` (bits)",
                ));
            }
        };
        let kind = Kind::parse(r.kind.get_ref()).ok_or_else(|| {
            let help = best_match(r.kind.get_ref(), ["mask", "bitnum", "bitfield"]).map_or_else(
                || "kind is one of mask, bitnum, bitfield".to_string(),
                |m| format!("did you mean `{m}`?"),
            );
            self.err_help(
                r.kind.span(),
                format!("unknown kind `{}`", r.kind.get_ref()),
                help,
            )
        })?;
        let rule = WordRule::parse(r.rule.get_ref()).ok_or_else(|| {
            self.err_help(
                r.rule.span(),
                format!("unknown rule `{}`", r.rule.get_ref()),
                "rule is `atomic`, `current` or `lock(NAME)`".into(),
            )
        })?;
        Ok(Word {
            name: r.name.get_ref().clone(),
            width,
            ctype: r.ctype.as_ref().map(|t| t.get_ref().clone()),
            kind,
            rule,
            doc: r.doc.clone(),
            source: r.source.clone(),
            loc: self.loc(r.name.span()),
        })
    }

    fn flag(&self, f: &Spanned<RawFlag>, words: &[Word]) -> Result<Flag> {
        let r = f.get_ref();
        let kind = words
            .iter()
            .find(|w| &w.name == r.word.get_ref())
            .map(|w| w.kind);
        let mask = r.mask.as_ref().map(|m| self.mask(m)).transpose()?;
        let declared_bit = r.bit.as_ref().map(|b| self.bit(b)).transpose()?;
        if let (Some(m), Some(b), Some(ms)) = (mask, declared_bit, &r.mask)
            && m != 1u64 << b
        {
            return Err(self.err(ms.span(), format!("mask {m:#x} and bit {b} disagree")));
        }
        if let (Some(Kind::Bitfield), Some(ms)) = (kind, &r.mask) {
            return Err(self.err(
                ms.span(),
                "bitfield members have no `mask`; give `width` (and optionally `bit`)",
            ));
        }
        if let (Some(Kind::Mask | Kind::Bitnum), Some(wv)) = (kind, &r.width)
            && *wv.get_ref() != 1
        {
            return Err(self.err(wv.span(), "only bitfield members may be wider than one bit"));
        }
        let bit = declared_bit.or_else(|| {
            mask.filter(|m| m.count_ones() == 1)
                .map(u64::trailing_zeros)
        });
        let (writers, unknown_contexts) = self.writers(&r.writer)?;
        Ok(Flag {
            name: r.name.get_ref().clone(),
            renamed: None,
            word: r.word.get_ref().clone(),
            bit,
            declared_bit,
            order: 0,
            mask,
            width: self.member_width(r.width.as_ref())?,
            guard: self.guard(r.guard.as_ref())?,
            doc: r.doc.clone(),
            source: r.source.clone(),
            abi: r.abi,
            abi_reason: r.abi_reason.clone(),
            reserved: r.reserved,
            read_remote: r.read_remote || !r.read_evidence.is_empty(),
            read_evidence: r.read_evidence.clone(),
            unsure: r.unsure.clone(),
            writers,
            unknown_contexts,
            loc: self.loc(r.name.span()),
            origin: Origin::Declared,
        })
    }

    fn waiver(&self, w: &Spanned<raw::RawWaiver>) -> Waiver {
        let r = w.get_ref();
        Waiver {
            flag: r.flag.get_ref().clone(),
            rule: r.rule.get_ref().clone(),
            reason: r
                .reason
                .as_ref()
                .map(|s| s.get_ref().trim().to_string())
                .filter(|s| !s.is_empty()),
            loc: self.loc(r.flag.span()),
        }
    }

    fn proposal(&self, p: &Spanned<RawProposal>) -> Result<Proposal> {
        let r = p.get_ref();
        let bit = r.bit.as_ref().map(|b| self.bit(b)).transpose()?;
        let member = r.member.as_ref().map(|m| m.get_ref().clone());
        let to = r.to.get_ref().clone();
        let is_add_fact = r.width.is_some()
            || r.guard.is_some()
            || r.doc.is_some()
            || r.abi
            || r.read_remote
            || !r.read_evidence.is_empty()
            || !r.writer.is_empty();
        match (&r.move_, &r.add) {
            (Some(m), None) => {
                if is_add_fact {
                    return Err(self.err(
                        m.span(),
                        "a `move` takes only `to`, `bit` and `member`; a moved flag keeps its facts (writers, guard, ...)",
                    ));
                }
                Ok(Proposal {
                    op: ProposalOp::Move {
                        flag: m.get_ref().clone(),
                    },
                    to,
                    bit,
                    member,
                    loc: self.loc(m.span()),
                })
            }
            (None, Some(a)) => {
                let (writers, unknown_contexts) = self.writers(&r.writer)?;
                let flag = Flag {
                    name: a.get_ref().clone(),
                    renamed: None,
                    word: to.clone(),
                    bit: None,
                    declared_bit: None,
                    order: 0,
                    mask: None,
                    width: self.member_width(r.width.as_ref())?,
                    guard: self.guard(r.guard.as_ref())?,
                    doc: r.doc.clone(),
                    source: None,
                    abi: r.abi,
                    abi_reason: None,
                    reserved: false,
                    read_remote: r.read_remote || !r.read_evidence.is_empty(),
                    read_evidence: r.read_evidence.clone(),
                    unsure: None,
                    writers,
                    unknown_contexts,
                    loc: self.loc(a.span()),
                    origin: Origin::Declared,
                };
                Ok(Proposal {
                    op: ProposalOp::Add {
                        flag: Box::new(flag),
                    },
                    to,
                    bit,
                    member,
                    loc: self.loc(a.span()),
                })
            }
            (Some(m), Some(_)) => {
                Err(self.err(m.span(), "a proposal is either `move` or `add`, not both"))
            }
            (None, None) => Err(self.err(
                p.span(),
                "a proposal needs `move = \"FLAG\"` or `add = \"FLAG\"`",
            )),
        }
    }
}

fn lower_layout(cx: &Cx<'_>, raw: RawFile) -> Result<Layout> {
    let struct_name = raw.struct_name.ok_or_else(|| {
        cx.err(
            0..0,
            "missing `struct = \"NAME\"` (the structure this layout describes)",
        )
    })?;
    let words = raw
        .word
        .iter()
        .map(|w| cx.word(w))
        .collect::<Result<Vec<_>>>()?;
    let mut flags = raw
        .flag
        .iter()
        .map(|f| cx.flag(f, &words))
        .collect::<Result<Vec<_>>>()?;
    for (i, f) in flags.iter_mut().enumerate() {
        f.order = (i as u64) << ORDER_SHIFT;
    }
    let groups = raw
        .group
        .iter()
        .map(|g| {
            let r = g.get_ref();
            Group {
                name: r.name.get_ref().clone(),
                flags: r
                    .flags
                    .iter()
                    .map(|f| (f.get_ref().clone(), cx.loc(f.span())))
                    .collect(),
                reason: r.reason.clone(),
                evidence: r.evidence.clone(),
                loc: cx.loc(r.name.span()),
            }
        })
        .collect();
    let waivers = raw.waiver.iter().map(|w| cx.waiver(w)).collect();
    let proposals = raw
        .proposal
        .iter()
        .map(|p| cx.proposal(p))
        .collect::<Result<Vec<_>>>()?;
    Ok(Layout {
        struct_name: struct_name.into_inner(),
        source: raw.source,
        origin: raw.origin,
        doc: raw.doc,
        words,
        flags,
        groups,
        waivers,
        proposals,
    })
}
