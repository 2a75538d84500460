//! The contract table: every writer context against every word rule.

use flagplan::model::{Context, Loc, WordRule, Writer};
use flagplan::rules::RuleId;

fn writer(context: Context, balanced: bool, lock: Option<&str>) -> Writer {
    Writer {
        context,
        balanced,
        from_user_mode: false,
        nonatomic: false,
        locks: lock.map(str::to_string).into_iter().collect(),
        evidence: Vec::new(),
        note: None,
        loc: Loc::default(),
    }
}

/// (context, balanced, lock held, verdict under atomic, under current, under lock(rq->lock))
type Row = (
    Context,
    bool,
    Option<&'static str>,
    Option<RuleId>,
    Option<RuleId>,
    Option<RuleId>,
);

#[test]
fn writer_context_by_word_rule() {
    use Context::*;
    let lock = WordRule::Lock("rq->lock".into());
    // (context, balanced, lock held, atomic, current, lock(rq->lock))
    let table: &[Row] = &[
        (Current, false, None, None, None, Some(RuleId::LockNotHeld)),
        (Current, false, Some("rq->lock"), None, None, None),
        (
            Current,
            false,
            Some("p->pi_lock"),
            None,
            None,
            Some(RuleId::LockNotHeld),
        ),
        (
            CurrentIrq,
            true,
            None,
            None,
            None,
            Some(RuleId::LockNotHeld),
        ),
        (
            CurrentIrq,
            false,
            None,
            None,
            Some(RuleId::UnbalancedIrqWriter),
            Some(RuleId::LockNotHeld),
        ),
        (
            CurrentIrq,
            false,
            Some("rq->lock"),
            None,
            Some(RuleId::UnbalancedIrqWriter),
            None,
        ),
        (
            Remote,
            false,
            None,
            None,
            Some(RuleId::RemoteWriter),
            Some(RuleId::LockNotHeld),
        ),
        (
            Remote,
            false,
            Some("rq->lock"),
            None,
            Some(RuleId::RemoteWriter),
            None,
        ),
        (
            RemoteStopped,
            false,
            None,
            None,
            None,
            Some(RuleId::LockNotHeld),
        ),
        (RemoteStopped, false, Some("rq->lock"), None, None, None),
        // Nobody else can see the object yet: every rule admits the write.
        (Unpublished, false, None, None, None, None),
    ];
    for &(ctx, balanced, held, atomic, current, locked) in table {
        let w = writer(ctx, balanced, held);
        assert_eq!(
            WordRule::Atomic.rejects(&w, &Default::default()),
            atomic,
            "{ctx} balanced={balanced} lock={held:?} under atomic"
        );
        assert_eq!(
            WordRule::Current.rejects(&w, &Default::default()),
            current,
            "{ctx} balanced={balanced} lock={held:?} under current"
        );
        assert_eq!(
            lock.rejects(&w, &Default::default()),
            locked,
            "{ctx} balanced={balanced} lock={held:?} under lock(rq->lock)"
        );
    }
    // Every context appears in the table.
    for c in Context::ALL {
        assert!(table.iter().any(|r| r.0 == c), "{c} missing from the table");
    }
}

#[test]
fn rule_strings_parse_and_print() {
    assert_eq!(WordRule::parse("atomic"), Some(WordRule::Atomic));
    assert_eq!(WordRule::parse("current"), Some(WordRule::Current));
    assert_eq!(
        WordRule::parse("lock(rq->lock)"),
        Some(WordRule::Lock("rq->lock".into()))
    );
    assert_eq!(WordRule::parse("lock()"), None);
    assert_eq!(WordRule::parse("locked"), None);
    assert_eq!(
        WordRule::Lock("p->pi_lock".into()).to_string(),
        "lock(p->pi_lock)"
    );
}

fn held(locks: &[&str]) -> Writer {
    Writer {
        context: Context::Remote,
        balanced: false,
        from_user_mode: false,
        nonatomic: false,
        locks: locks.iter().map(|s| s.to_string()).collect(),
        evidence: Vec::new(),
        note: None,
        loc: Loc::default(),
    }
}

#[test]
fn locks_are_identities_with_declared_aliases() {
    use flagplan::model::{LockAliases, LockDecl};
    let decl = |name: &str, aliases: &[&str]| LockDecl {
        name: name.into(),
        aliases: aliases.iter().map(|s| s.to_string()).collect(),
        loc: Loc::default(),
    };
    let locks = LockAliases::new(&[
        decl(
            "rq->lock",
            &[
                "rq->__lock",
                "__rq_lockp(rq)",
                "this_rq_lock_irq()",
                "task_rq_lock()",
            ],
        ),
        decl("p->pi_lock", &["task_rq_lock()"]),
    ]);
    let rq = WordRule::Lock("rq->lock".into());
    let pi = WordRule::Lock("p->pi_lock".into());
    // Any alias of rq->lock admits the writer.
    for name in [
        "rq->lock",
        "rq->__lock",
        "__rq_lockp(rq)",
        "this_rq_lock_irq()",
    ] {
        assert_eq!(rq.rejects(&held(&[name]), &locks), None, "{name}");
    }
    // task_rq_lock() takes both locks.
    assert_eq!(rq.rejects(&held(&["task_rq_lock()"]), &locks), None);
    assert_eq!(pi.rejects(&held(&["task_rq_lock()"]), &locks), None);
    // p->pi_lock alone is not the rq lock; a set holding both is.
    assert_eq!(
        rq.rejects(&held(&["p->pi_lock"]), &locks),
        Some(RuleId::LockNotHeld)
    );
    assert_eq!(rq.rejects(&held(&["p->pi_lock", "rq->lock"]), &locks), None);
    // A rule naming an alias needs the lock itself.
    let alias_rule = WordRule::Lock("rq->__lock".into());
    assert_eq!(alias_rule.rejects(&held(&["rq->lock"]), &locks), None);
    assert!(locks.is_known("rq->__lock") && !locks.is_known("rq->lcok"));
    assert_eq!(locks.resolve("task_rq_lock()"), ["rq->lock", "p->pi_lock"]);
}

#[test]
fn the_old_one_string_lock_form_splits_into_locks_and_a_note() {
    use flagplan::model::split_lock_text;
    assert_eq!(
        split_lock_text("idle->pi_lock and rq->lock"),
        (
            vec!["idle->pi_lock".to_string(), "rq->lock".to_string()],
            vec![]
        )
    );
    assert_eq!(
        split_lock_text("rq->lock (this_rq_lock_irq)"),
        (
            vec!["rq->lock".to_string()],
            vec!["this_rq_lock_irq".to_string()]
        )
    );
    assert_eq!(
        split_lock_text(
            "current->sighand->siglock (shared by the thread group) and cred_guard_mutex"
        ),
        (
            vec![
                "current->sighand->siglock".to_string(),
                "cred_guard_mutex".to_string()
            ],
            vec!["shared by the thread group".to_string()]
        )
    );
    // Calls keep their parentheses: `__rq_lockp(rq)` is a name, not an annotation.
    assert_eq!(
        split_lock_text("__rq_lockp(rq)"),
        (vec!["__rq_lockp(rq)".to_string()], vec![])
    );
}

#[test]
fn a_plan_written_the_way_the_shipped_facts_write_locks_is_judged_right() {
    // 6.1 in_memstall: `lock = "rq->lock (this_rq_lock_irq)"` — once read as the lock
    // "rq->lock (this_rq_lock_irq)", which is not rq->lock. Into sched_bits, that writer is admitted.
    let text = "format = 1\nstruct = \"t\"\n[[word]]\nname = \"sched_bits\"\ntype = \"unsigned\"\nkind = \"bitfield\"\nrule = \"lock(rq->lock)\"\n\
        [[flag]]\nname = \"in_memstall\"\nword = \"sched_bits\"\n[[flag.writer]]\ncontext = \"current\"\nlock = \"rq->lock (this_rq_lock_irq)\"\n\
        [[flag.writer]]\ncontext = \"remote-stopped\"\nlock = \"idle->pi_lock and rq->lock\"\n";
    let loaded = flagplan::layout::parse_str("t.toml", text).expect("loads");
    let f = &loaded.layout.flags[0];
    assert_eq!(f.writers[0].locks, ["rq->lock"]);
    assert_eq!(f.writers[0].note.as_deref(), Some("lock: this_rq_lock_irq"));
    assert_eq!(f.writers[1].locks, ["idle->pi_lock", "rq->lock"]);
    let r = flagplan::check::check(&loaded);
    assert!(
        r.findings.iter().all(|x| x.rule != RuleId::LockNotHeld),
        "{:#?}",
        r.findings
    );
}

/// A current-irq writer that only ever runs on an exception from user mode splits no
/// read-modify-write of a `current` word; the same writer without the fact is refused.
#[test]
fn an_exception_from_user_mode_splits_no_read_modify_write() {
    let aliases = flagplan::model::LockAliases::new(&[]);
    let trap = Writer {
        from_user_mode: true,
        ..writer(Context::CurrentIrq, false, None)
    };
    assert_eq!(WordRule::Current.rejects(&trap, &aliases), None);
    assert_eq!(trap.describe(), "current-irq (from user mode) writer");
    let irq = writer(Context::CurrentIrq, false, None);
    assert_eq!(
        WordRule::Current.rejects(&irq, &aliases),
        Some(RuleId::UnbalancedIrqWriter)
    );
    // An atomic word is no different; a lock word still needs its lock.
    let lock = WordRule::Lock("rq->lock".into());
    assert_eq!(lock.rejects(&trap, &aliases), Some(RuleId::LockNotHeld));
}
