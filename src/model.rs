//! The model: words, flags, writer contexts, word rules, groups, waivers and proposals.
//!
//! Everything here is plain data, already validated for syntax by [`crate::layout`];
//! semantic problems (unknown words, collisions, rule breaks) are found by [`crate::check`].

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;

use crate::guard::Guard;

/// Where a model item was written: a source file (index into [`Sources`]) and a byte span.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Loc {
    pub file: usize,
    pub span: Range<usize>,
}

/// The text of every file a model was read from, for diagnostics.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    pub files: Vec<SourceFile>,
}

#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Path as the user gave it (or `builtin:NAME`).
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
    /// Where another file names this one (a plan's `base = "..."`), for findings that must land in
    /// a file of the checked repository when this one is built in or outside it.
    pub named_at: Option<Loc>,
}

impl SourceFile {
    pub fn new(name: String, text: String) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(memchr_newlines(&text));
        SourceFile {
            name,
            text,
            line_starts,
            named_at: None,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let col = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line + 1, col + 1)
    }
}

fn memchr_newlines(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.bytes()
        .enumerate()
        .filter(|&(_, b)| b == b'\n')
        .map(|(i, _)| i + 1)
}

impl Sources {
    pub fn add(&mut self, name: String, text: String) -> usize {
        self.files.push(SourceFile::new(name, text));
        self.files.len() - 1
    }

    pub fn get(&self, file: usize) -> Option<&SourceFile> {
        self.files.get(file)
    }

    /// `file:line:col` of a location.
    pub fn position(&self, loc: &Loc) -> Option<(String, usize, usize)> {
        let f = self.get(loc.file)?;
        let (l, c) = f.line_col(loc.span.start);
        Some((f.name.clone(), l, c))
    }
}

/// How flags are stored in a word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// `#define PF_X 0x00080000`, changed with `|=` / `&= ~`.
    Mask,
    /// `#define PFA_X 3`, used with `set_bit()` and friends.
    Bitnum,
    /// `unsigned x:1;` members sharing one storage unit, placed by the compiler.
    Bitfield,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Mask => "mask",
            Kind::Bitnum => "bitnum",
            Kind::Bitfield => "bitfield",
        }
    }
    pub fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "mask" => Kind::Mask,
            "bitnum" => Kind::Bitnum,
            "bitfield" => Kind::Bitfield,
            _ => return None,
        })
    }
}

/// Who may write a word: its serialization rule.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum WordRule {
    /// Atomic bitops: every context may write.
    Atomic,
    /// Owner-only, non-atomic read-modify-write.
    Current,
    /// Every writer, current included, must hold the named lock.
    Lock(String),
    /// A read-write lock held for write (`lock(mmap_lock, write)`): holding it for read is not
    /// enough (`vm_flags_set()` asserts `mmap_assert_write_locked()`).
    LockWrite(String),
    /// Written only before the object is published, read-only after (`f_mode` during open).
    Unpublished,
}

impl WordRule {
    pub fn parse(s: &str) -> Option<WordRule> {
        let s = s.trim();
        match s {
            "atomic" => Some(WordRule::Atomic),
            "current" => Some(WordRule::Current),
            "unpublished" => Some(WordRule::Unpublished),
            _ => {
                let inner = s.strip_prefix("lock(")?.strip_suffix(')')?.trim();
                if let Some((name, mode)) = inner.split_once(',') {
                    let name = name.trim();
                    return (mode.trim() == "write" && !name.is_empty())
                        .then(|| WordRule::LockWrite(name.to_string()));
                }
                (!inner.is_empty()).then(|| WordRule::Lock(inner.to_string()))
            }
        }
    }

    /// Does this rule let writer `w` write? Lock names are compared as identities through
    /// `locks` (aliases a layout declares). Returns the rule id that rejects it, or `None`.
    pub fn rejects(&self, w: &Writer, locks: &LockAliases) -> Option<crate::rules::RuleId> {
        use crate::rules::RuleId;
        // Before the object is published nobody else can see it: any plain write is legal.
        if w.context == Context::Unpublished {
            return None;
        }
        match self {
            WordRule::Atomic if w.nonatomic => Some(RuleId::NonatomicPublished),
            WordRule::Atomic => None,
            WordRule::Unpublished => Some(RuleId::WrittenAfterPublish),
            WordRule::LockWrite(name) => {
                let for_write: Vec<String> = w
                    .locks
                    .iter()
                    .filter(|h| matches!(split_lock_mode(h).1, "write" | ""))
                    .cloned()
                    .collect();
                if locks.holds(&for_write, name) {
                    None
                } else if locks.holds(&w.locks, name) {
                    Some(RuleId::LockHeldForRead)
                } else {
                    Some(RuleId::LockNotHeld)
                }
            }
            WordRule::Current => match w.context {
                Context::Current | Context::RemoteStopped => None,
                Context::CurrentIrq if w.splits_no_update() => None,
                Context::CurrentIrq => Some(RuleId::UnbalancedIrqWriter),
                Context::Remote => Some(RuleId::RemoteWriter),
                Context::Unpublished => None,
            },
            WordRule::Lock(name) => {
                if locks.holds(&w.locks, name) {
                    None
                } else {
                    Some(RuleId::LockNotHeld)
                }
            }
        }
    }

    /// Relative preference as a destination: plain words before atomic ones.
    pub fn is_atomic(&self) -> bool {
        matches!(self, WordRule::Atomic)
    }
}

impl fmt::Display for WordRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WordRule::Atomic => f.write_str("atomic"),
            WordRule::Current => f.write_str("current"),
            WordRule::Lock(l) => write!(f, "lock({l})"),
            WordRule::LockWrite(l) => write!(f, "lock({l}, write)"),
            WordRule::Unpublished => f.write_str("unpublished"),
        }
    }
}

/// A writer's lock as `NAME` or `NAME, read` / `NAME, write`: (name, mode or "").
pub fn split_lock_mode(lock: &str) -> (&str, &str) {
    match lock.split_once(',') {
        Some((name, mode)) => (name.trim(), mode.trim()),
        None => (lock.trim(), ""),
    }
}

/// A context in which a flag is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    /// The task itself, in process context.
    Current,
    /// On current, from hard or soft interrupt context.
    CurrentIrq,
    /// Another task or CPU while the target may be running.
    Remote,
    /// Another task while the target provably cannot run.
    RemoteStopped,
    /// Before the object is visible to any other task or CPU: a page fresh from the allocator,
    /// a VMA not yet in the tree, a file before `fd_install()`.
    Unpublished,
}

impl Context {
    pub const ALL: [Context; 5] = [
        Context::Current,
        Context::CurrentIrq,
        Context::Remote,
        Context::RemoteStopped,
        Context::Unpublished,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Context::Current => "current",
            Context::CurrentIrq => "current-irq",
            Context::Remote => "remote",
            Context::RemoteStopped => "remote-stopped",
            Context::Unpublished => "unpublished",
        }
    }
    pub fn parse(s: &str) -> Option<Context> {
        Context::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Word {
    pub name: String,
    pub width: u32,
    pub ctype: Option<String>,
    pub kind: Kind,
    pub rule: WordRule,
    /// Bit numbers are an enum's positions: a config that leaves an enumerator out moves every
    /// later one down.
    pub enum_positions: bool,
    /// Where user space sees the word's raw value (e.g. field 9 of /proc/PID/stat), if it does.
    pub user_visible: Option<String>,
    pub doc: Option<String>,
    pub source: Option<String>,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Writer {
    pub context: Context,
    pub balanced: bool,
    /// A `current-irq` writer that is a synchronous exception taken only from user mode: it
    /// interrupts no kernel code, so no read-modify-write of the word is in flight under it.
    pub from_user_mode: bool,
    /// A non-atomic write of an atomic word (`__SetPageX`, `__set_bit`).
    pub nonatomic: bool,
    /// Every lock the writer holds, as written (resolve through [`LockAliases`]); a
    /// read-write lock may carry its mode: `NAME, read` / `NAME, write`.
    pub locks: Vec<String>,
    pub evidence: Vec<String>,
    pub note: Option<String>,
    pub loc: Loc,
}

impl Writer {
    /// Can this writer's change be lost inside a task's read-modify-write of the same word, or
    /// lose one? Not when it is not in interrupt context, when it restores what it changed
    /// (`balanced`), or when it runs only on an exception from user mode.
    pub fn splits_no_update(&self) -> bool {
        self.context != Context::CurrentIrq || self.balanced || self.from_user_mode
    }

    /// "remote writer holding p->pi_lock and rq->lock", "balanced current-irq writer".
    pub fn describe(&self) -> String {
        let ctx = match (self.context, self.balanced, self.from_user_mode) {
            (Context::CurrentIrq, true, _) => "balanced current-irq".to_string(),
            (Context::CurrentIrq, false, true) => "current-irq (from user mode)".to_string(),
            (c, _, _) => c.to_string(),
        };
        if self.locks.is_empty() {
            format!("{ctx} writer")
        } else {
            format!("{ctx} writer holding {}", self.locks.join(" and "))
        }
    }
}

/// Split the old one-string lock form (`"idle->pi_lock and rq->lock"`,
/// `"rq->lock (this_rq_lock_irq)"`) into lock names and the parenthesised annotations.
pub fn split_lock_text(text: &str) -> (Vec<String>, Vec<String>) {
    let mut bare = String::new();
    let mut notes = Vec::new();
    let mut depth = 0usize;
    let mut note = String::new();
    for c in text.chars() {
        match c {
            '(' if depth == 0 && !bare.ends_with(|p: char| p.is_alphanumeric() || p == '_') => {
                depth = 1;
                note.clear();
            }
            '(' if depth > 0 => {
                depth += 1;
                note.push(c);
            }
            ')' if depth == 1 => {
                depth = 0;
                notes.push(note.trim().to_string());
            }
            ')' if depth > 1 => {
                depth -= 1;
                note.push(c);
            }
            _ if depth > 0 => note.push(c),
            _ => bare.push(c),
        }
    }
    let mut locks: Vec<String> = Vec::new();
    for part in bare.split(" and ").flat_map(|p| p.split(',')) {
        let part = normalize_lock(part);
        match (part.as_str(), locks.last_mut()) {
            ("", _) => {}
            // `NAME, read` / `NAME, write`: the mode of the lock before it.
            ("read" | "write", Some(prev)) if !prev.contains(',') => {
                *prev = format!("{prev}, {part}");
            }
            _ => locks.push(part),
        }
    }
    (locks, notes)
}

fn normalize_lock(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A lock a layout declares, with the other names code uses for it.
#[derive(Clone, Debug, PartialEq)]
pub struct LockDecl {
    pub name: String,
    /// Other spellings of the same lock (`rq->__lock`, `__rq_lockp(rq)`), or helpers that take
    /// it (`task_rq_lock()`; a helper listed under two locks takes both).
    pub aliases: Vec<String>,
    pub loc: Loc,
}

/// Lock identities: every declared name and alias resolves to the set of locks it stands for.
/// A name nobody declared stands for itself.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LockAliases {
    names: HashMap<String, Vec<String>>,
}

impl LockAliases {
    pub fn new(decls: &[LockDecl]) -> Self {
        let mut names: HashMap<String, Vec<String>> = HashMap::new();
        for d in decls {
            let canon = normalize_lock(&d.name);
            for n in std::iter::once(&d.name).chain(&d.aliases) {
                let v = names.entry(normalize_lock(n)).or_default();
                if !v.contains(&canon) {
                    v.push(canon.clone());
                }
            }
        }
        LockAliases { names }
    }

    /// Does the layout declare this name (as a lock or an alias)?
    pub fn is_known(&self, name: &str) -> bool {
        self.names
            .contains_key(&normalize_lock(split_lock_mode(name).0))
    }

    /// Every declared name and alias, for did-you-mean.
    pub fn known(&self) -> impl Iterator<Item = &str> {
        self.names.keys().map(String::as_str)
    }

    /// The locks a name stands for (itself when undeclared).
    pub fn resolve(&self, name: &str) -> Vec<String> {
        let n = normalize_lock(name);
        self.names.get(&n).cloned().unwrap_or_else(|| vec![n])
    }

    /// Does a writer holding `held` hold every lock `needed` stands for? A mode on a held
    /// lock (`mmap_lock, read`) is ignored here: `WordRule::LockWrite` checks modes.
    pub fn holds(&self, held: &[String], needed: &str) -> bool {
        let have: Vec<String> = held
            .iter()
            .flat_map(|h| self.resolve(split_lock_mode(h).0))
            .collect();
        self.resolve(needed).iter().all(|n| have.contains(n))
    }
}

/// Where a flag in the (possibly planned) layout came from.
#[derive(Clone, Debug, PartialEq)]
pub enum Origin {
    /// Declared in the layout.
    Declared,
    /// Moved by proposal `index` (0-based) from `from_word` bit `from_bit`.
    Moved {
        proposal: usize,
        from_word: String,
        from_bit: Option<u32>,
    },
    /// Added by proposal `index`.
    Added { proposal: usize },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Flag {
    /// Name as declared (stable identity for groups and waivers).
    pub name: String,
    /// New name given by a move (`member = ...`), if any.
    pub renamed: Option<String>,
    pub word: String,
    /// Bit position: the mask's bit, the bit number, or the bitfield member's offset
    /// when every guard is on. `None` when the layout gives no usable position.
    pub bit: Option<u32>,
    /// The `bit` written in the layout for a bitfield member (checked against the packing).
    pub declared_bit: Option<u32>,
    /// The declared mask value for mask words (kept to report non-single-bit masks).
    pub mask: Option<u64>,
    /// Declaration order: bitfield members are packed by ascending `order`.
    pub order: u64,
    /// Width in bits (bitfield members may be wider than one bit).
    pub width: u32,
    pub guard: Guard,
    pub doc: Option<String>,
    pub source: Option<String>,
    pub abi: bool,
    pub abi_reason: Option<String>,
    pub reserved: bool,
    /// A named unused bit (`PF__HOLE__*`): free, shown as a hole; a proposal may take it.
    pub hole: bool,
    pub read_remote: bool,
    pub read_evidence: Vec<String>,
    pub unsure: Option<String>,
    pub writers: Vec<Writer>,
    /// Writers whose context string was not understood (kept for `unknown-context`).
    pub unknown_contexts: Vec<(String, Loc)>,
    pub loc: Loc,
    pub origin: Origin,
}

impl Flag {
    /// The name the flag goes by now.
    pub fn current_name(&self) -> &str {
        self.renamed.as_deref().unwrap_or(&self.name)
    }
    /// Does the flag hold its bit? Holes do not: their bit is free for a proposal.
    pub fn occupies(&self) -> bool {
        !self.hole
    }
    pub fn is_moved(&self) -> bool {
        !matches!(self.origin, Origin::Declared)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    pub name: String,
    pub flags: Vec<(String, Loc)>,
    pub reason: Option<String>,
    pub evidence: Vec<String>,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Waiver {
    pub flag: String,
    pub rule: String,
    pub reason: Option<String>,
    pub loc: Loc,
}

/// A proposed change, applied in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Proposal {
    pub op: ProposalOp,
    pub to: String,
    pub bit: Option<u32>,
    pub member: Option<String>,
    /// Where `move =` / `add =` is written.
    pub loc: Loc,
    /// Where `to =` is written.
    pub to_loc: Loc,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ProposalOp {
    Move {
        flag: String,
    },
    /// A new flag; its `word`, `bit` and `origin` are filled in when placed.
    Add {
        flag: Box<Flag>,
    },
}

impl Proposal {
    pub fn flag_name(&self) -> &str {
        match &self.op {
            ProposalOp::Move { flag } => flag,
            ProposalOp::Add { flag } => &flag.name,
        }
    }
    pub fn verb(&self) -> &'static str {
        match self.op {
            ProposalOp::Move { .. } => "move",
            ProposalOp::Add { .. } => "add",
        }
    }
}

/// A whole layout: the structure's words and flags, with groups, waivers and proposals.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Layout {
    pub struct_name: String,
    pub source: Option<String>,
    pub origin: Option<String>,
    pub doc: Option<String>,
    pub words: Vec<Word>,
    pub flags: Vec<Flag>,
    pub groups: Vec<Group>,
    pub waivers: Vec<Waiver>,
    pub proposals: Vec<Proposal>,
    /// Functions where non-current writes are `remote-stopped` (source scan).
    pub quiescent: Vec<Quiescent>,
    /// Flag helpers declared by hand (source scan).
    pub accessors: Vec<Accessor>,
    /// Declared locks and their aliases (`[[lock]]`).
    pub locks: Vec<LockDecl>,
}

/// A function in which a non-current target cannot run.
#[derive(Clone, Debug, PartialEq)]
pub struct Quiescent {
    pub function: String,
    pub file: Option<String>,
    pub reason: String,
    pub evidence: Vec<String>,
}

/// A helper that writes or reads flags for its caller.
#[derive(Clone, Debug, PartialEq)]
pub struct Accessor {
    pub name: String,
    pub flags: Vec<String>,
    /// `current` or `argN`.
    pub receiver: String,
    /// 0-based argument index when `receiver` is `argN`.
    pub receiver_arg: Option<usize>,
    pub write: bool,
}

impl Layout {
    /// The lock identities the layout declares.
    pub fn lock_aliases(&self) -> LockAliases {
        LockAliases::new(&self.locks)
    }
    pub fn word(&self, name: &str) -> Option<&Word> {
        self.words.iter().find(|w| w.name == name)
    }
    pub fn word_index(&self, name: &str) -> Option<usize> {
        self.words.iter().position(|w| w.name == name)
    }
    /// Find a flag by its declared name or its current (renamed) name.
    pub fn flag_index(&self, name: &str) -> Option<usize> {
        self.flags.iter().position(|f| f.name == name).or_else(|| {
            self.flags
                .iter()
                .position(|f| f.renamed.as_deref() == Some(name))
        })
    }
    /// Place bitfield members by ascending `order`, as the compiler does with every guard on.
    pub fn repack_bitfields(&mut self) {
        let mut members: HashMap<&str, Vec<usize>> = HashMap::new();
        for w in self.words.iter().filter(|w| w.kind == Kind::Bitfield) {
            members.insert(&w.name, Vec::new());
        }
        for (i, f) in self.flags.iter().enumerate() {
            if let Some(v) = members.get_mut(f.word.as_str()) {
                v.push(i);
            }
        }
        let lists: Vec<Vec<usize>> = members.into_values().collect();
        for mut list in lists {
            self.repack_members(&mut list);
        }
    }

    /// Sort `members` (indices of one bitfield word's flags) by order and assign offsets.
    pub fn repack_members(&mut self, members: &mut [usize]) {
        members.sort_by_key(|&i| self.flags[i].order);
        let mut off = 0u32;
        for &i in members.iter() {
            self.flags[i].bit = Some(off);
            off = off.saturating_add(self.flags[i].width);
        }
    }

    pub fn flags_in<'a>(&'a self, word: &'a str) -> impl Iterator<Item = &'a Flag> + 'a {
        self.flags.iter().filter(move |f| f.word == word)
    }
}

/// Width in bits of a C type name, for LP64 kernels.
pub fn c_type_width(ctype: &str) -> Option<u32> {
    let norm: Vec<&str> = ctype.split_whitespace().collect();
    let norm = norm.join(" ");
    Some(match norm.as_str() {
        "u8" | "s8" | "__u8" | "__s8" | "char" | "unsigned char" | "signed char" | "bool"
        | "_Bool" => 8,
        "u16" | "s16" | "__u16" | "__s16" | "short" | "unsigned short" | "short int"
        | "unsigned short int" => 16,
        "u32" | "s32" | "__u32" | "__s32" | "int" | "unsigned" | "unsigned int" | "signed"
        | "signed int" => 32,
        "u64"
        | "s64"
        | "__u64"
        | "__s64"
        | "long"
        | "unsigned long"
        | "long int"
        | "unsigned long int"
        | "long long"
        | "unsigned long long"
        | "long long int"
        | "unsigned long long int" => 64,
        _ => return None,
    })
}
