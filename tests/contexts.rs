//! The contract table: every writer context against every word rule.

use flagplan::model::{Context, Loc, WordRule, Writer};
use flagplan::rules::RuleId;

fn writer(context: Context, balanced: bool, lock: Option<&str>) -> Writer {
    Writer {
        context,
        balanced,
        nonatomic: false,
        lock: lock.map(str::to_string),
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
            WordRule::Atomic.rejects(&w),
            atomic,
            "{ctx} balanced={balanced} lock={held:?} under atomic"
        );
        assert_eq!(
            WordRule::Current.rejects(&w),
            current,
            "{ctx} balanced={balanced} lock={held:?} under current"
        );
        assert_eq!(
            lock.rejects(&w),
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
