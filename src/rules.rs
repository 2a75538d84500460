//! The rule table: every rule id, its severity, and its explanation. Add a rule here and nowhere else.

use std::fmt;

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a rule says, for `flagplan explain`.
#[derive(Debug)]
pub struct RuleInfo {
    pub id: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    pub explain: &'static str,
    pub example: &'static str,
    pub fix: &'static str,
}

macro_rules! rules {
    ($( $variant:ident => {
        id: $id:literal, severity: $sev:ident, summary: $summary:literal,
        explain: $explain:literal, example: $example:literal, fix: $fix:literal $(,)?
    } ),* $(,)?) => {
        /// A stable rule id. Ids are never reused or renamed.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum RuleId { $($variant),* }

        impl RuleId {
            pub const ALL: &'static [RuleId] = &[$(RuleId::$variant),*];
            pub fn info(self) -> &'static RuleInfo {
                match self {
                    $(RuleId::$variant => &RuleInfo {
                        id: $id, severity: Severity::$sev, summary: $summary,
                        explain: $explain, example: $example, fix: $fix,
                    }),*
                }
            }
        }
    };
}

rules! {
    RemoteWriter => {
        id: "remote-writer", severity: Error,
        summary: "a task or CPU other than the owner writes a flag in a `current` word while the owner may run",
        explain: "A `current` word is changed with plain, non-atomic read-modify-write. If another task writes it while the owner is running, one of the two updates is lost and the neighbouring flags in the same word are corrupted.",
        example: "[[flag]]\nname = \"PFA_SPREAD_PAGE\"\nword = \"current_bits\"   # rule = \"current\"\n[[flag.writer]]\ncontext = \"remote\"        # cpuset sets it on other, running tasks",
        fix: "Keep the flag in an `atomic` word (set_bit/clear_bit), or make the remote writer run only while the target is stopped (then it is `remote-stopped`), or waive with a written argument why the race cannot happen.",
    },
    UnbalancedIrqWriter => {
        id: "unbalanced-irq-writer", severity: Error,
        summary: "an interrupt handler changes a flag in a `current` word without restoring it",
        explain: "An interrupt that nests inside the task's own read-modify-write of a `current` word must put back what it changed before returning (`memalloc_noreclaim_save/restore`), or the interrupted update writes back a stale word.",
        example: "[[flag.writer]]\ncontext = \"current-irq\"\nbalanced = false",
        fix: "Save and restore the flag around the interrupt-context section and mark the writer `balanced = true`, or move the flag to an `atomic` word.",
    },
    IrqSharedUnit => {
        id: "irq-shared-unit", severity: Error,
        summary: "a `current` word holds both a flag an interrupt handler leaves changed and a flag the task writes",
        explain: "An interrupt handler that changes a bit of a `current` word and does not restore it (the machine-check handler sets `mce_ripv` and leaves it for task work) is safe only while no bit of that storage unit is written in task context: if the interrupt lands between the task's load and store of the unit, the task writes back the old value and the handler's change is lost. Such a unit may hold only flags written by that handler.",
        example: "[[proposal]]\nmove = \"in_memstall\"\nto = \"mce_bits\"   # mce_ripv: current-irq, balanced = false",
        fix: "Keep task-written flags out of the unit (another word, or a separate storage unit with `unsigned :0;`), or make the handler's write atomic.",
    },
    LockNotHeld => {
        id: "lock-not-held", severity: Error,
        summary: "a writer of a `lock(NAME)` word does not hold NAME",
        explain: "A word serialized by a lock may only be written, by any context including current, with that lock held; one writer without it can lose its neighbours' updates.",
        example: "[[word]]\nname = \"sched_bits\"\nrule = \"lock(rq->lock)\"\n...\n[[flag.writer]]\ncontext = \"current\"      # no lock = \"rq->lock\"",
        fix: "Take the lock in the writer (and record `lock = \"NAME\"`), or place the flag in a word whose rule admits the writer.",
    },
    LockHeldForRead => {
        id: "lock-held-for-read", severity: Error,
        summary: "a writer of a `lock(NAME, write)` word holds the read-write lock NAME only for read",
        explain: "A word serialized by a read-write lock held for write (`vm_flags` under `mmap_lock`) may be read by every holder of the lock but written only by the one writer that holds it exclusively. Two readers may run at once, so a write under the read lock races with another reader's write and loses it; `vm_flags_set()`, `vm_flags_clear()` and `vm_flags_mod()` assert `mmap_assert_write_locked()` for this reason.",
        example: "[[word]]\nname = \"vm_flags\"\nrule = \"lock(mmap_lock, write)\"\n...\n[[flag.writer]]\ncontext = \"current\"\nlock = \"mmap_lock, read\"   # a page-fault path",
        fix: "Take the lock for write (`mmap_write_lock()`), or keep the flag in an `atomic` word that any holder may change with atomic bitops.",
    },
    NonatomicPublished => {
        id: "nonatomic-published", severity: Error,
        summary: "a non-atomic write (`__SetPageX`, `__set_bit`) of an `atomic` word after the object is published",
        explain: "The `__` variants of the bit operations read, modify and write the whole word without a locked instruction. On an `atomic` word that other CPUs change at the same time (page flags, `mm->flags`), such a write puts back a stale word and loses their bits. It is legal only while nobody else can see the object: a page fresh from the allocator, before it is mapped or put on a list. This is the page analogue of `remote-stopped`.",
        example: "[[flag.writer]]\ncontext = \"current\"\nnonatomic = true     # __SetPageSwapBacked() on a page already on the LRU",
        fix: "Use the atomic variant (`SetPageX`, `set_bit`), or show that the object is not yet published and record the writer as `context = \"unpublished\"`.",
    },
    WrittenAfterPublish => {
        id: "written-after-publish", severity: Error,
        summary: "an `unpublished` word is written after its object is published",
        explain: "Some words are set while the object is private to its creator and only read afterwards (`file->f_mode` is filled in during open, before `fd_install()` publishes the file). Readers then test bits without any lock. A later plain write races with nobody else's write, but it changes what concurrent readers see mid-operation and, if two paths do it, loses bits.",
        example: "[[word]]\nname = \"f_mode\"\nrule = \"unpublished\"\n...\n[[flag.writer]]\ncontext = \"current\"   # sets FMODE_X on an open file",
        fix: "Set the bit during open (record the writer as `context = \"unpublished\"`), or move the flag to a word whose rule admits writes after publication (an `atomic` word, or one under a lock).",
    },
    BeyondNarrowWidth => {
        id: "high-bit-not-guarded", severity: Error,
        summary: "a flag at bit 32 or above of an `unsigned long` word is not limited to 64-bit kernels",
        explain: "`unsigned long` has 32 bits on 32-bit kernels. A flag at bit 32 or above (`VM_HIGH_ARCH_0` = BIT(32)) only exists where the word is 64 bits wide, so its definition must sit under a guard that rules out 32-bit kernels (`CONFIG_64BIT`, or an option only 64-bit architectures select, such as `CONFIG_ARCH_USES_HIGH_VMA_FLAGS`). Otherwise `1UL << 32` is undefined on 32-bit builds and the flag silently vanishes or aliases bit 0.",
        example: "[[word]]\nname = \"vm_flags\"\ntype = \"unsigned long\"\n[[flag]]\nname = \"VM_NEW\"\nword = \"vm_flags\"\nbit = 38   # no guard",
        fix: "Put the flag under `#ifdef CONFIG_64BIT` (guard = \"CONFIG_64BIT\"), pick a free bit below 32, or waive with the Kconfig reason its guard implies 64-bit.",
    },
    DuplicateName => {
        id: "duplicate-name", severity: Error,
        summary: "two words, flags or groups share one name",
        explain: "Names identify words and flags in groups, waivers and proposals; a duplicate makes them ambiguous. An `add` proposal of an existing name is also a duplicate.",
        example: "[[flag]]\nname = \"PF_IDLE\"\n...\n[[flag]]\nname = \"PF_IDLE\"",
        fix: "Rename or delete one of them.",
    },
    BitCollision => {
        id: "bit-collision", severity: Error,
        summary: "two flags use one bit under guards that can hold at once",
        explain: "Flags under `#ifdef X` and under its `#else` never coexist and may share a bit; flags under independent guards (or none) can both be on, and then one bit means two things.",
        example: "[[flag]]\nname = \"PF_A\"\nmask = 0x10\n[[flag]]\nname = \"PF_B\"\nmask = 0x10\nguard = \"CONFIG_B\"",
        fix: "Give one of them a free bit, or make their guards mutually exclusive.",
    },
    MaskNotSingleBit => {
        id: "mask-not-single-bit", severity: Error,
        summary: "a mask flag's value is zero or has more than one bit set",
        explain: "A flag in a `mask` word is tested and set as one bit. A zero mask tests nothing; a multi-bit mask is a group, not a flag.",
        example: "[[flag]]\nname = \"PF_X\"\nmask = 0x30",
        fix: "Use one bit per flag and describe combinations as a [[group]].",
    },
    MissingPosition => {
        id: "missing-position", severity: Error,
        summary: "a flag gives no usable position for its word's kind",
        explain: "A `mask` word's flags need `mask` (or `bit`), a `bitnum` word's flags need `bit`; a bitfield member's position is computed from declaration order and needs neither.",
        example: "[[word]]\nname = \"atomic_flags\"\nkind = \"bitnum\"\n[[flag]]\nname = \"PFA_X\"\nword = \"atomic_flags\"   # no bit",
        fix: "Add the flag's `bit` (or `mask`) as the header defines it.",
    },
    BitOutOfRange => {
        id: "bit-out-of-range", severity: Error,
        summary: "a flag's bit lies beyond its word's width",
        explain: "Bit N of a W-bit word exists only for N < W; `1 << 40` in an `unsigned int` is undefined behaviour and the flag silently vanishes.",
        example: "[[word]]\nname = \"flags\"\ntype = \"unsigned int\"\n[[flag]]\nname = \"PF_X\"\nbit = 40",
        fix: "Pick a bit below the width, or widen the word (and check every user of its type).",
    },
    BitfieldOverflow => {
        id: "bitfield-overflow", severity: Error,
        summary: "a bitfield block is wider than its storage unit under some configuration",
        explain: "Members of one bitfield storage unit must fit in it when every guard that can hold at once is on; otherwise the compiler starts a new unit and members this layout treats as neighbours are not.",
        example: "[[word]]\nname = \"bits\"\nkind = \"bitfield\"\nwidth = 8\n# nine one-bit members",
        fix: "Move members out, or split the block with `unsigned :0;` into a new word.",
    },
    UnknownWord => {
        id: "unknown-word", severity: Error,
        summary: "a flag or proposal names a word the layout does not have",
        explain: "Every flag lives in a declared [[word]]; a proposal's `to` must name one.",
        example: "[[flag]]\nname = \"PF_X\"\nword = \"flgs\"",
        fix: "Fix the name, or declare the word.",
    },
    UnknownContext => {
        id: "unknown-context", severity: Error,
        summary: "a writer's context is not one of current, current-irq, remote, remote-stopped",
        explain: "Rules are defined for four writer contexts only; a writer in an unknown context cannot be judged and is ignored by the other rules, so it must be fixed.",
        example: "[[flag.writer]]\ncontext = \"remote-running\"",
        fix: "Use `current`, `current-irq` (with `balanced`), `remote` or `remote-stopped`.",
    },
    UnknownFlag => {
        id: "unknown-flag", severity: Error,
        summary: "a group or proposal names a flag the layout does not have",
        explain: "Groups and moves refer to flags by name (the declared name, or the name a previous move gave).",
        example: "[[proposal]]\nmove = \"PF_MEMALLOC_NOI\"\nto = \"current_bits\"",
        fix: "Fix the name.",
    },
    GroupSplit => {
        id: "group-split", severity: Error,
        summary: "flags the code tests or changes in one mask operation end up in different words",
        explain: "`current_gfp_context()` tests PF_MEMALLOC_NOIO | PF_MEMALLOC_NOFS | PF_MEMALLOC_PIN in one load; `current_restore_flags()` restores a mask. Members of such a group must stay in one word, or the single operation no longer covers them.",
        example: "[[proposal]]\nmove = \"PF_MEMALLOC_NOIO\"\nto = \"current_bits\"   # NOFS and PIN stay in flags",
        fix: "Move the whole group together, or rewrite the code that operates on it and drop the group.",
    },
    AbiPinned => {
        id: "abi-pinned", severity: Error,
        summary: "a proposal moves or renumbers a flag whose value user space sees",
        explain: "An `abi` flag's value is visible to user space (PF_KTHREAD is read from /proc/PID/stat by systemd); it must keep its word and its value.",
        example: "[[proposal]]\nmove = \"PF_KTHREAD\"\nto = \"atomic_flags\"",
        fix: "Leave it where it is; move something else.",
    },
    NoFreeBit => {
        id: "no-free-bit", severity: Error,
        summary: "the destination word has no free bit for the flag under the worst case of CONFIG guards",
        explain: "A move or add needs a bit that no flag whose guard can hold at the same time uses, and that is not reserved; a bitfield needs room for the member when every compatible guard is on.",
        example: "[[proposal]]\nmove = \"PFA_SPREAD_PAGE\"\nto = \"flags\"   # every PF_ bit taken",
        fix: "Free a bit first (an earlier proposal may move something out), or choose another word.",
    },
    BitTaken => {
        id: "bit-taken", severity: Error,
        summary: "a proposal asks for a bit that a coexisting flag uses",
        explain: "The requested bit is used by a flag whose guard can hold at the same time as the moved flag's.",
        example: "[[proposal]]\nmove = \"PFA_X\"\nto = \"flags\"\nbit = 0   # PF_VCPU",
        fix: "Omit `bit` to take the lowest free one, or ask for a free bit.",
    },
    BitReserved => {
        id: "bit-reserved", severity: Error,
        summary: "a proposal asks for a reserved bit, or tries to move a reserved hole",
        explain: "Holes such as PF__HOLE__01000000 are reserved: a reserved bit is not free, and a hole is not a flag that can move.",
        example: "[[proposal]]\nmove = \"PFA_X\"\nto = \"flags\"\nbit = 24   # PF__HOLE__01000000",
        fix: "Ask for a free bit, or un-reserve the hole in the layout first if the reservation is obsolete.",
    },
    BitfieldPosition => {
        id: "bitfield-position", severity: Error,
        summary: "a bitfield member's declared `bit` differs from where the compiler puts it",
        explain: "Bitfield members are packed in declaration order; `bit` on a member is its offset with every guard on and is checked against that packing.",
        example: "[[flag]]\nname = \"in_iowait\"\nword = \"current_bits\"\nbit = 7   # packs at 3",
        fix: "Drop `bit`, or reorder the members to match the header.",
    },
    WaiverWithoutReason => {
        id: "waiver-without-reason", severity: Error,
        summary: "a waiver has no written justification",
        explain: "A waiver lets a flag break a rule; without a written argument a reviewer cannot judge it.",
        example: "[[waiver]]\nflag = \"sched_remote_wakeup\"\nrule = \"remote-writer\"",
        fix: "Add `reason = \"...\"` that says why the race cannot corrupt the word.",
    },
    StaleWaiver => {
        id: "stale-waiver", severity: Warning,
        summary: "a waiver matches no finding",
        explain: "The flag no longer breaks the waived rule (or the waiver names an unknown flag or rule id); a stale waiver would silently excuse a future break.",
        example: "[[waiver]]\nflag = \"in_memstall\"\nrule = \"remote-writer\"\nreason = \"...\"   # no remote writer",
        fix: "Delete the waiver.",
    },
    SharedWord => {
        id: "shared-word", severity: Note,
        summary: "a moved or added flag lands in a word with neighbours whose safety now depends on its writers",
        explain: "Every writer of a non-atomic word rewrites the whole word; after the move, the neighbours listed are corrupted if any writer of the moved flag breaks the word's rule. The move is legal only as long as the evidence stays true.",
        example: "[[proposal]]\nmove = \"PF_MEMALLOC_NOIO\"\nto = \"current_bits\"",
        fix: "Nothing to fix; review the listed neighbours and the moved flag's writers.",
    },
    HoleTaken => {
        id: "hole-taken", severity: Note,
        summary: "a proposal puts a flag on a bit that a hole define names",
        explain: "A hole (`#define PF__HOLE__00004000`) marks a bit nothing uses: it is free, and a move or add may take it. The patch that does so must delete the hole define, or the header names the bit twice.",
        example: "[[proposal]]\nadd = \"PF_NEW\"\nto = \"flags\"\nbit = 14        # PF__HOLE__00004000",
        fix: "Nothing to fix; delete the hole define in the same patch.",
    },
    UserVisibleValue => {
        id: "user-visible-value", severity: Note,
        summary: "a flag moves out of a word whose value user space sees",
        explain: "Every `PF_*` bit of `task_struct::flags` is printed raw as field 9 of /proc/PID/stat, and tools (procps, systemd) test some of them. Moving a flag out of such a word changes what user space reads. Flags known to be read (`abi = true`) are pinned and refused (`abi-pinned`); for the others the change is visible but believed harmless.",
        example: "[[word]]\nname = \"flags\"\nuser_visible = \"field 9 of /proc/PID/stat\"\n...\n[[proposal]]\nmove = \"PF_MEMALLOC_NOIO\"\nto = \"current_bits\"",
        fix: "Nothing to fix; say in the patch that the bit disappears from /proc/PID/stat, or pin the flag with `abi = true` if a tool reads it.",
    },
    DuplicateProposal => {
        id: "duplicate-proposal", severity: Error,
        summary: "two proposals of one plan move or add the same flag, or take the same bit",
        explain: "A plan is a list of changes applied in order; moving one flag twice, adding one name twice, or putting two flags on one bit means the plan does not say what it wants, and only one of the two proposals could be applied.",
        example: "[[proposal]]\nmove = \"PF_MEMALLOC_NOIO\"\nto = \"current_bits\"\n[[proposal]]\nmove = \"PF_MEMALLOC_NOIO\"\nto = \"atomic_flags\"",
        fix: "Delete one of the two proposals, or give one of them another bit.",
    },
    UnknownRule => {
        id: "unknown-rule", severity: Error,
        summary: "a waiver names a rule id that does not exist",
        explain: "A waiver excuses one finding of one rule for one flag. A misspelt rule id excuses nothing, and the finding it was meant for stays an error (or the intent is lost).",
        example: "[[waiver]]\nflag = \"in_memstall\"\nrule = \"remote-writers\"\nreason = \"...\"",
        fix: "Use a rule id that `flagplan explain --list` shows (a did-you-mean is given).",
    },
    UnknownLock => {
        id: "unknown-lock", severity: Warning,
        summary: "a writer or a word rule names a lock the layout does not declare",
        explain: "Locks are identities: `rq->lock`, `rq->__lock` and `__rq_lockp(rq)` are one lock. A layout declares its locks and their aliases in `[[lock]]` tables; a name that is neither a declared lock nor an alias may be a typo, and then `lock(NAME)` would reject (or admit) the wrong writers.",
        example: "[[lock]]\nname = \"rq->lock\"\naliases = [\"rq->__lock\"]\n...\n[[flag.writer]]\ncontext = \"current\"\nlocks = [\"rq->lcok\"]",
        fix: "Use the declared name (a did-you-mean is given), or declare the lock with `[[lock]]`.",
    },
    RemoteReader => {
        id: "remote-reader", severity: Note,
        summary: "other tasks read this flag",
        explain: "Reads from other tasks are allowed under every rule (racy, but they do not corrupt). They are reported as facts, since a move changes what and how a remote reader reads (a bitfield cannot be read with READ_ONCE or tested with test_bit).",
        example: "[[flag]]\nname = \"in_memstall\"\nread_remote = true\nread_evidence = [\"kernel/sched/stats.h:140\"]",
        fix: "Nothing to fix; check the listed readers when the flag moves.",
    },
    // Drift: a layout held against its header (`check --header`) or a built kernel (`check --btf`).
    HeaderFlagAdded => {
        id: "header-flag-added", severity: Error,
        summary: "the header defines a flag (or bitfield member) that the layout does not have",
        explain: "`check --header` imports the header and compares. A new `#define` in a define family, or a new member in a bitfield unit, that the layout lacks means the layout is stale: its occupancy and every plan made on it ignore the new bit.",
        example: "# sched.h gained\n#define PF_NEW 0x01000000\n# and layout.toml has no PF_NEW",
        fix: "Re-import (`flagplan import HEADER -o layout.toml --force` keeps the hand facts) and add the new flag's writers.",
    },
    HeaderFlagRemoved => {
        id: "header-flag-removed", severity: Error,
        summary: "the layout has a flag (or bitfield member) that the header no longer defines",
        explain: "A flag the header dropped still takes a bit in the layout, and its writers and waivers describe code that is gone.",
        example: "# layout.toml has PF_OLD; sched.h no longer defines it",
        fix: "Re-import; the re-import reports the hand facts that were attached to the removed flag.",
    },
    HeaderValueChanged => {
        id: "header-value-changed", severity: Error,
        summary: "a flag's mask, bit number, bitfield offset or width (or a word's width) differs from the header",
        explain: "The layout and the header disagree on where a flag lives inside its word, so every collision and free-bit answer for that word is wrong.",
        example: "# layout: mask = 0x00080000; sched.h: #define PF_MEMALLOC_NOIO 0x00100000",
        fix: "Re-import, or correct the value in the layout.",
    },
    HeaderWordChanged => {
        id: "header-word-changed", severity: Error,
        summary: "a flag lives in a different word in the header than in the layout",
        explain: "The flag moved between words (a PF_ flag became a bitfield member, or a member moved across `unsigned :0;`); the rule that serializes its writers changed with it.",
        example: "# layout: sched_remote_wakeup in sched_bits; sched.h: after `unsigned :0;`",
        fix: "Re-import and check the flag's writers against the new word's rule.",
    },
    HeaderGuardChanged => {
        id: "header-guard-changed", severity: Error,
        summary: "a flag's CONFIG guard differs from the #if nesting around it in the header",
        explain: "Guards decide which flags can collide and how full a bitfield unit gets under the worst configuration. A stale guard gives wrong occupancy.",
        example: "# layout: guard = \"CONFIG_PSI\"; sched.h: no #ifdef around the member",
        fix: "Re-import, or copy the header's condition into `guard`.",
    },
    HeaderBitfieldSplit => {
        id: "header-bitfield-split", severity: Error,
        summary: "the header splits or joins bitfield storage units differently from the layout's words",
        explain: "Bitfield members share a storage unit until `unsigned :0;` or a non-bitfield member; members of one unit are read-modify-written together. If the header puts a layout word's members in two units (or two words' members in one), the layout's serialization argument is about the wrong neighbours.",
        example: "# layout: one word sched_bits; sched.h: `unsigned :0;` now between its members",
        fix: "Re-import; give each new unit a rule and check its writers.",
    },
    BtfMismatch => {
        id: "btf-mismatch", severity: Error,
        summary: "the compiled kernel (BTF) places a bitfield differently from the layout, or has a member the layout lacks",
        explain: "BTF records what the compiler did under the running kernel's config: each member's bit offset and width, so which storage unit it shares. A layout that disagrees checks the wrong neighbours.",
        example: "# layout: in_memstall at current_bits bit 11; BTF: bit 9 of the unit (CONFIG_LRU_GEN off)",
        fix: "Re-import from the header; if the difference is only guards switched off in this build, it is expected: compare against a kernel built with the layout's configuration.",
    },
    BtfOccupancy => {
        id: "btf-occupancy", severity: Note,
        summary: "how full a word really is in the compiled kernel",
        explain: "Reported for each bitfield word found in BTF: the bits the compiler used under this kernel's config, against the layout's worst case over all guards.",
        example: "# current_bits: 13 of 32 bits used in this build (layout worst case 17)",
        fix: "Nothing to fix; a fact about this build.",
    },
    UndeclaredWriter => {
        id: "undeclared-writer", severity: Error,
        summary: "the source tree writes a flag on another task in a context the layout does not declare",
        explain: "`flagplan check --src DIR` scans the tree. A write on a task other than current (`remote`, or `remote-stopped` inside a function the layout marks quiescent) that no `[[flag.writer]]` declares means the layout's claims are incomplete, and every check built on them may be wrong.",
        example: "# kernel/cgroup/cpuset.c:417: task_set_spread_page(tsk) on a running task\n[[flag]]\nname = \"PFA_SPREAD_PAGE\"\n[[flag.writer]]\ncontext = \"current\"      # no remote writer declared",
        fix: "Declare the writer with its context and the evidence line (`flagplan scan --update` does it), or, if the scan is wrong, mark the function quiescent or declare the accessor in the layout.",
    },
    EvidenceRejectsMove => {
        id: "evidence-rejects-move", severity: Error,
        summary: "a proposed move is refuted by writes found in the source tree",
        explain: "A move is judged on the scanned evidence as well as on the declared writers: moving a flag into a `current` word fails when the tree has a remote write of it, whatever the layout claims.",
        example: "[[proposal]]\nmove = \"PFA_SPREAD_PAGE\"\nto = \"current_bits\"    # cpuset writes it on running tasks",
        fix: "Move the flag to a word whose rule admits the writers the tree shows, or change the writers first.",
    },
    StaleWriter => {
        id: "stale-writer", severity: Warning,
        summary: "a declared writer context has no evidence in the source tree",
        explain: "The layout claims a writer (current, remote or remote-stopped) that the scan of the tree does not find. The claim may be stale (the code changed), or the write may be hidden from the scan (a macro it cannot expand, a helper it does not know).",
        example: "[[flag.writer]]\ncontext = \"remote\"        # no such write in the tree any more",
        fix: "Delete the stale writer, or declare the helper that performs the write as an `[[accessor]]` so the scan sees it.",
    },
    UnknownWriter => {
        id: "unknown-writer", severity: Warning,
        summary: "the source tree writes a flag of a non-atomic word on a receiver the scan cannot resolve",
        explain: "`flagplan check --src DIR` found a write whose receiver it could not tie to current or to a stopped task: an untyped expression, a parameter with no caller seen, a function reached only through a pointer it could not resolve. On a non-atomic word such a write may be a remote read-modify-write; it is reported with the reason rather than dropped.",
        example: "# drivers/x.c:120: t->frozen = 1 (unknown receiver: untyped expression)",
        fix: "Declare the writer's real context in the layout (with evidence), declare the helper as an `[[accessor]]`, or mark the function `[[quiescent]]` with the reason the target cannot run.",
    },
    WholeWordWrite => {
        id: "whole-word-write", severity: Warning,
        summary: "a moved flag's old word is stored whole somewhere in the tree",
        explain: "`current->flags = saved_flags` writes every flag of the word: it saves and restores the moved flag too. After the move that store no longer covers the flag, so the code that relied on it (the loop driver's `orig_flags`, `current_restore_flags`) must be rewritten to save and restore the flag in its new word.",
        example: "[[proposal]]\nmove = \"PF_MEMALLOC_NOIO\"\nto = \"current_bits\"   # drivers/block/loop.c stores current->flags whole",
        fix: "Rewrite each listed whole-word store to save and restore the moved flag explicitly, then waive this finding with the patch that does it.",
    },
    UngroupedMaskOp => {
        id: "ungrouped-mask-op", severity: Error,
        summary: "one mask operation in the tree combines flags the layout puts in different words",
        explain: "`p->flags &= ~(PF_A | PF_B)` changes both flags in one store; if the layout (or a plan) puts them in different words, that code no longer compiles to one operation and its atomicity argument is gone.",
        example: "[[proposal]]\nmove = \"PF_MEMALLOC_NOIO\"\nto = \"current_bits\"   # PF_MEMALLOC_NOFS stays: current->flags & (NOIO|NOFS)",
        fix: "Move the whole set together (declare it as a [[group]]), or rewrite the operation first.",
    },
}

/// Where the rules are documented: `docs/rules.md`, one section per rule id (see [`docs_markdown`]).
pub const DOCS_URL: &str = "https://github.com/flagplan/flagplan/blob/main/docs/rules.md";

impl RuleId {
    pub fn id(self) -> &'static str {
        self.info().id
    }
    /// The rule's section in the published docs.
    pub fn help_uri(self) -> String {
        format!("{DOCS_URL}#{}", self.id())
    }
    pub fn severity(self) -> Severity {
        self.info().severity
    }
    pub fn parse(id: &str) -> Option<RuleId> {
        RuleId::ALL.iter().copied().find(|r| r.id() == id)
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for RuleId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

/// `docs/rules.md`: every rule with its severity, summary, explanation, example and fix.
pub fn docs_markdown() -> String {
    let mut s = String::from(
        "# flagplan rules\n\nGenerated from `src/rules.rs` (`flagplan explain RULE` prints the same). Rule ids are stable.\n",
    );
    for r in RuleId::ALL {
        let i = r.info();
        s.push_str(&format!(
            "\n## {}\n\n{} — {}\n\n{}\n\n```toml\n{}\n```\n\nFix: {}\n",
            i.id, i.severity, i.summary, i.explain, i.example, i.fix
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_kebab_case_and_parse_back() {
        let mut seen = HashSet::new();
        for r in RuleId::ALL {
            let id = r.id();
            assert!(seen.insert(id), "duplicate id {id}");
            assert!(
                id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{id} is not kebab-case"
            );
            assert_eq!(RuleId::parse(id), Some(*r));
            assert!(!r.info().explain.is_empty() && !r.info().fix.is_empty());
        }
    }

    #[test]
    fn docs_rules_md_is_generated_from_the_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/rules.md");
        if std::env::var_os("FLAGPLAN_BLESS").is_some() {
            std::fs::write(path, docs_markdown()).expect("write docs/rules.md");
        }
        let on_disk = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            on_disk == docs_markdown(),
            "docs/rules.md is stale: run `FLAGPLAN_BLESS=1 cargo test --lib rules::`"
        );
    }
}
