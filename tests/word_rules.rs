//! The word rules of issue 13: a read-write lock held for write, non-atomic bitops on atomic
//! words before publication, and words written only before publication.

use flagplan::model::{Context, Loc, WordRule, Writer};
use flagplan::rules::RuleId;

fn writer(context: Context, lock: Option<&str>, nonatomic: bool) -> Writer {
    Writer {
        context,
        balanced: false,
        nonatomic,
        lock: lock.map(str::to_string),
        evidence: Vec::new(),
        note: None,
        loc: Loc::default(),
    }
}

#[test]
fn rules_read_back() {
    for s in [
        "lock(mmap_lock, write)",
        "unpublished",
        "lock(mmap_lock)",
        "atomic",
    ] {
        let r = WordRule::parse(s).expect(s);
        assert_eq!(r.to_string(), s);
    }
    assert_eq!(
        WordRule::parse("lock( mmap_lock ,write )"),
        Some(WordRule::LockWrite("mmap_lock".into()))
    );
    assert_eq!(WordRule::parse("lock(mmap_lock, sideways)"), None);
}

#[test]
fn a_write_lock_word_admits_only_the_write_holder() {
    let r = WordRule::parse("lock(mmap_lock, write)").expect("rule");
    let c = Context::Current;
    assert_eq!(r.rejects(&writer(c, Some("mmap_lock, write"), false)), None);
    assert_eq!(r.rejects(&writer(c, Some("mmap_lock"), false)), None);
    assert_eq!(
        r.rejects(&writer(c, Some("mmap_lock, read"), false)),
        Some(RuleId::LockHeldForRead)
    );
    assert_eq!(
        r.rejects(&writer(c, None, false)),
        Some(RuleId::LockNotHeld)
    );
    assert_eq!(
        r.rejects(&writer(c, Some("page_table_lock"), false)),
        Some(RuleId::LockNotHeld)
    );
    // vm_flags_init(): a VMA not yet in the tree needs no lock.
    assert_eq!(r.rejects(&writer(Context::Unpublished, None, false)), None);
}

#[test]
fn nonatomic_bitops_on_atomic_words_only_before_publication() {
    let r = WordRule::Atomic;
    assert_eq!(r.rejects(&writer(Context::Remote, None, false)), None);
    assert_eq!(
        r.rejects(&writer(Context::Current, None, true)),
        Some(RuleId::NonatomicPublished)
    );
    assert_eq!(r.rejects(&writer(Context::Unpublished, None, true)), None);
}

#[test]
fn unpublished_words_are_written_only_before_publication() {
    let r = WordRule::Unpublished;
    assert_eq!(r.rejects(&writer(Context::Unpublished, None, false)), None);
    for c in [Context::Current, Context::Remote, Context::RemoteStopped] {
        assert_eq!(
            r.rejects(&writer(c, None, false)),
            Some(RuleId::WrittenAfterPublish),
            "{c}"
        );
    }
}
