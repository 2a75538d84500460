//! The TOML shapes of layout and plan files, with spans, exactly as written.

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFile {
    /// Layout format version; must be 1.
    #[schemars(with = "Option<i64>")]
    pub format: Option<Spanned<i64>>,
    /// The C structure this layout describes, e.g. task_struct.
    #[serde(rename = "struct")]
    #[schemars(with = "Option<String>")]
    pub struct_name: Option<Spanned<String>>,
    /// Plan files only: the base layout, a path relative to this file or builtin:NAME.
    #[schemars(with = "Option<String>")]
    pub base: Option<Spanned<String>>,
    /// Where the facts come from: a header path, or file:line.
    pub source: Option<String>,
    /// Which tree or release the layout was taken from.
    pub origin: Option<String>,
    pub doc: Option<String>,
    /// Storage units that hold bits.
    #[serde(default)]
    #[schemars(with = "Vec<RawWord>")]
    pub word: Vec<Spanned<RawWord>>,
    /// Flags, holes and bitfield members.
    #[serde(default)]
    #[schemars(with = "Vec<RawFlag>")]
    pub flag: Vec<Spanned<RawFlag>>,
    /// Flags tested or changed in one mask operation: they must share a word.
    #[serde(default)]
    #[schemars(with = "Vec<RawGroup>")]
    pub group: Vec<Spanned<RawGroup>>,
    /// A flag that breaks a rule, with a written justification.
    #[serde(default)]
    #[schemars(with = "Vec<RawWaiver>")]
    pub waiver: Vec<Spanned<RawWaiver>>,
    /// Plan files only: facts added to existing flags (a writer a patch adds, ...).
    #[serde(default)]
    #[schemars(with = "Vec<RawAmend>")]
    pub amend: Vec<Spanned<RawAmend>>,
    /// Moves and additions, applied in order.
    #[serde(default)]
    #[schemars(with = "Vec<RawProposal>")]
    pub proposal: Vec<Spanned<RawProposal>>,
    /// Functions where a non-current task provably cannot run (for `flagplan scan`).
    #[serde(default)]
    pub quiescent: Vec<RawQuiescent>,
    /// Functions or macros that write (or read) flags for their caller (for `flagplan scan`).
    #[serde(default)]
    pub accessor: Vec<RawAccessor>,
    /// Locks writers hold, with the other names code uses for them.
    #[serde(default)]
    #[schemars(with = "Vec<RawLock>")]
    pub lock: Vec<Spanned<RawLock>>,
}

/// Facts a plan adds to a flag of its base layout, judged as if the layout had them.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAmend {
    /// The flag amended (declared name).
    #[schemars(with = "String")]
    pub flag: Spanned<String>,
    /// Writers to add.
    #[serde(default, alias = "writers")]
    #[schemars(with = "Vec<RawWriter>")]
    pub writer: Vec<Spanned<RawWriter>>,
    /// Other tasks read this flag.
    #[serde(default)]
    pub read_remote: bool,
    /// file:line of reads by other tasks.
    #[serde(default)]
    pub read_evidence: Vec<String>,
    /// A [[group]] of the base layout the flag joins.
    #[schemars(with = "Option<String>")]
    pub group: Option<Spanned<String>>,
    /// Pin the flag: its value is visible to user space.
    #[serde(default)]
    pub abi: bool,
    pub abi_reason: Option<String>,
}

/// A lock identity: `lock(NAME)` admits a writer holding it under any of its names.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLock {
    /// The name word rules and writers use, e.g. rq->lock.
    pub name: String,
    /// Other names of the same lock (rq->__lock, __rq_lockp(rq)) or helpers that take it
    /// (task_rq_lock(); listed under two locks, it takes both).
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// A function in which writes on a task other than current happen while the target cannot run.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawQuiescent {
    /// Function name as written in the source.
    pub function: String,
    /// Restrict to this source file (path relative to the tree root).
    pub file: Option<String>,
    /// Why the target cannot run there (required).
    pub reason: String,
    /// file:line strings.
    #[serde(default)]
    pub evidence: Vec<String>,
}

/// A helper that writes or reads flags on behalf of its caller.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAccessor {
    /// Function or macro name.
    pub name: String,
    /// Flags it writes (or reads).
    pub flags: Vec<String>,
    /// `current`, or `arg1`, `arg2`, ... (the argument that is the task).
    pub receiver: String,
    /// false: the helper only reads.
    #[serde(default = "yes")]
    pub write: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawWord {
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// C type of the storage unit (unsigned int, unsigned long, u32, ...); or give width.
    #[serde(rename = "type")]
    #[schemars(with = "Option<String>")]
    pub ctype: Option<Spanned<String>>,
    #[schemars(with = "Option<i64>")]
    pub width: Option<Spanned<i64>>,
    /// mask (#define PF_X 0x..), bitnum (#define PFA_X 3, set_bit) or bitfield (unsigned x:1).
    #[schemars(with = "String")]
    pub kind: Spanned<String>,
    /// Serialization rule: atomic, current or lock(NAME).
    #[schemars(with = "String")]
    pub rule: Spanned<String>,
    /// Bit numbers are an enum's positions (`enum pageflags`): an enumerator a config leaves
    /// out moves every later one down a bit (`census --config`).
    pub enum_positions: Option<bool>,
    /// Where user space sees the word's raw value, e.g. "field 9 of /proc/PID/stat": a move out
    /// of the word changes what it sees (`user-visible-value`).
    pub user_visible: Option<String>,
    pub doc: Option<String>,
    /// Where the facts come from: a header path, or file:line.
    pub source: Option<String>,
}

/// Facts about a flag, shared by `[[flag]]` and `add` proposals.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFlag {
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// Storage units that hold bits.
    #[schemars(with = "String")]
    pub word: Spanned<String>,
    /// Mask words: the #define value, exactly one bit set.
    #[schemars(with = "Option<i64>")]
    pub mask: Option<Spanned<i64>>,
    /// Bit number (bitnum words), bit of the mask, or a bitfield member offset (checked).
    #[schemars(with = "Option<i64>")]
    pub bit: Option<Spanned<i64>>,
    #[schemars(with = "Option<i64>")]
    pub width: Option<Spanned<i64>>,
    /// C preprocessor condition under which the flag exists, e.g. CONFIG_PSI or !TIF_RESTORE_SIGMASK.
    #[schemars(with = "Option<String>")]
    pub guard: Option<Spanned<String>>,
    pub doc: Option<String>,
    /// Where the facts come from: a header path, or file:line.
    pub source: Option<String>,
    /// The value is visible to user space; the flag must keep its word and value.
    #[serde(default)]
    pub abi: bool,
    pub abi_reason: Option<String>,
    /// A bit a maintainer or the ABI has claimed (or padding such as __mce_reserved): never free.
    #[serde(default)]
    pub reserved: bool,
    /// A named unused bit such as PF__HOLE__01000000: free; a move or add may take it.
    #[serde(default)]
    pub hole: bool,
    /// Other tasks read this flag.
    #[serde(default)]
    pub read_remote: bool,
    /// file:line of reads by other tasks.
    #[serde(default)]
    pub read_evidence: Vec<String>,
    /// A fact that could not be verified.
    pub unsure: Option<String>,
    #[serde(default, alias = "writers")]
    #[schemars(with = "Vec<RawWriter>")]
    pub writer: Vec<Spanned<RawWriter>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawWriter {
    /// current, current-irq, remote, remote-stopped or unpublished.
    #[schemars(with = "String")]
    pub context: Spanned<String>,
    /// current-irq only: the writer restores what it changed before returning.
    #[schemars(with = "Option<bool>")]
    pub balanced: Option<Spanned<bool>>,
    /// current-irq only: a synchronous exception taken only from user mode (the task's own
    /// instruction trapped): it interrupts no kernel code, so it splits no read-modify-write.
    #[schemars(with = "Option<bool>")]
    pub from_user_mode: Option<Spanned<bool>>,
    /// Every lock the writer holds, e.g. ["p->pi_lock", "rq->lock"]; a read-write lock may
    /// carry its mode: "mmap_lock, read" / "mmap_lock, write".
    #[serde(default)]
    pub locks: Vec<String>,
    /// Old one-string form: "idle->pi_lock and rq->lock"; a parenthesised part is a note;
    /// `NAME, read` / `NAME, write` for a read-write lock.
    pub lock: Option<String>,
    /// A non-atomic write (`__SetPageX`, `__set_bit`) of an `atomic` word: legal only while
    /// the object is `unpublished`.
    pub nonatomic: Option<bool>,
    /// file:line strings.
    #[serde(default)]
    pub evidence: Vec<String>,
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawGroup {
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    #[schemars(with = "Vec<String>")]
    pub flags: Vec<Spanned<String>>,
    /// Why (required for waivers).
    pub reason: Option<String>,
    /// file:line strings.
    #[serde(default)]
    pub evidence: Vec<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawWaiver {
    /// Flags, holes and bitfield members.
    #[schemars(with = "String")]
    pub flag: Spanned<String>,
    /// Serialization rule: atomic, current or lock(NAME).
    #[schemars(with = "String")]
    pub rule: Spanned<String>,
    /// Why (required for waivers).
    #[schemars(with = "Option<String>")]
    pub reason: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawProposal {
    /// Move this flag (by declared or current name).
    #[serde(rename = "move")]
    #[schemars(with = "Option<String>")]
    pub move_: Option<Spanned<String>>,
    /// Add a new flag with this name (its facts go in this table).
    #[schemars(with = "Option<String>")]
    pub add: Option<Spanned<String>>,
    /// Destination word.
    #[schemars(with = "String")]
    pub to: Spanned<String>,
    /// Bit number (bitnum words), bit of the mask, or a bitfield member offset (checked).
    #[schemars(with = "Option<i64>")]
    pub bit: Option<Spanned<i64>>,
    /// New name in the destination (e.g. a bitfield member name).
    #[schemars(with = "Option<String>")]
    pub member: Option<Spanned<String>>,
    // Facts for `add`:
    #[schemars(with = "Option<i64>")]
    pub width: Option<Spanned<i64>>,
    /// C preprocessor condition under which the flag exists, e.g. CONFIG_PSI or !TIF_RESTORE_SIGMASK.
    #[schemars(with = "Option<String>")]
    pub guard: Option<Spanned<String>>,
    pub doc: Option<String>,
    /// The value is visible to user space; the flag must keep its word and value.
    #[serde(default)]
    pub abi: bool,
    /// Other tasks read this flag.
    #[serde(default)]
    pub read_remote: bool,
    /// file:line of reads by other tasks.
    #[serde(default)]
    pub read_evidence: Vec<String>,
    #[serde(default, alias = "writers")]
    #[schemars(with = "Vec<RawWriter>")]
    pub writer: Vec<Spanned<RawWriter>>,
}
