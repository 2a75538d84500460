//! The word rules of issue 13: a read-write lock held for write, non-atomic bitops on atomic
//! words before publication, and words written only before publication.

use flagplan::model::{Context, Loc, LockAliases, LockDecl, WordRule, Writer};
use flagplan::rules::RuleId;

fn writer(context: Context, lock: Option<&str>, nonatomic: bool) -> Writer {
    Writer {
        context,
        balanced: false,
        from_user_mode: false,
        nonatomic,
        // As a layout reads `lock = "..."`: one string, possibly several locks with modes.
        locks: lock.map_or(Vec::new(), |l| flagplan::model::split_lock_text(l).0),
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
    assert_eq!(
        r.rejects(
            &writer(c, Some("mmap_lock, write"), false),
            &LockAliases::default()
        ),
        None
    );
    assert_eq!(
        r.rejects(
            &writer(c, Some("mmap_lock"), false),
            &LockAliases::default()
        ),
        None
    );
    assert_eq!(
        r.rejects(
            &writer(c, Some("mmap_lock, read"), false),
            &LockAliases::default()
        ),
        Some(RuleId::LockHeldForRead)
    );
    assert_eq!(
        r.rejects(&writer(c, None, false), &LockAliases::default()),
        Some(RuleId::LockNotHeld)
    );
    assert_eq!(
        r.rejects(
            &writer(c, Some("page_table_lock"), false),
            &LockAliases::default()
        ),
        Some(RuleId::LockNotHeld)
    );
    // vm_flags_init(): a VMA not yet in the tree needs no lock.
    assert_eq!(
        r.rejects(
            &writer(Context::Unpublished, None, false),
            &LockAliases::default()
        ),
        None
    );
}

#[test]
fn nonatomic_bitops_on_atomic_words_only_before_publication() {
    let r = WordRule::Atomic;
    assert_eq!(
        r.rejects(
            &writer(Context::Remote, None, false),
            &LockAliases::default()
        ),
        None
    );
    assert_eq!(
        r.rejects(
            &writer(Context::Current, None, true),
            &LockAliases::default()
        ),
        Some(RuleId::NonatomicPublished)
    );
    assert_eq!(
        r.rejects(
            &writer(Context::Unpublished, None, true),
            &LockAliases::default()
        ),
        None
    );
}

#[test]
fn unpublished_words_are_written_only_before_publication() {
    let r = WordRule::Unpublished;
    assert_eq!(
        r.rejects(
            &writer(Context::Unpublished, None, false),
            &LockAliases::default()
        ),
        None
    );
    for c in [Context::Current, Context::Remote, Context::RemoteStopped] {
        assert_eq!(
            r.rejects(&writer(c, None, false), &LockAliases::default()),
            Some(RuleId::WrittenAfterPublish),
            "{c}"
        );
    }
}

#[test]
fn a_write_lock_word_works_with_lock_sets_and_aliases() {
    let aliases = LockAliases::new(&[LockDecl {
        name: "mmap_lock".into(),
        aliases: vec!["mm->mmap_lock".into(), "mmap_write_lock()".into()],
        loc: Loc::default(),
    }]);
    let r = WordRule::parse("lock(mmap_lock, write)").expect("rule");
    let c = Context::Current;
    let with = |locks: &[&str]| Writer {
        locks: locks.iter().map(|s| s.to_string()).collect(),
        ..writer(c, None, false)
    };
    // Held for write under an alias, among other locks.
    assert_eq!(
        r.rejects(
            &with(&["page_table_lock", "mm->mmap_lock, write"]),
            &aliases
        ),
        None
    );
    assert_eq!(r.rejects(&with(&["mmap_write_lock()"]), &aliases), None);
    // Held only for read, under any name.
    assert_eq!(
        r.rejects(&with(&["page_table_lock", "mm->mmap_lock, read"]), &aliases),
        Some(RuleId::LockHeldForRead)
    );
    assert_eq!(
        r.rejects(&with(&["page_table_lock"]), &aliases),
        Some(RuleId::LockNotHeld)
    );
    // The old one-string form keeps each lock's mode.
    assert_eq!(
        flagplan::model::split_lock_text("page_table_lock and mm->mmap_lock, write").0,
        vec![
            "page_table_lock".to_string(),
            "mm->mmap_lock, write".to_string()
        ]
    );
    assert_eq!(
        r.rejects(
            &writer(c, Some("page_table_lock and mm->mmap_lock, read"), false),
            &aliases
        ),
        Some(RuleId::LockHeldForRead)
    );
    // A plain `lock(NAME)` word is satisfied by NAME held in either mode.
    let plain = WordRule::parse("lock(mmap_lock)").expect("rule");
    assert_eq!(
        plain.rejects(&with(&["mm->mmap_lock, read"]), &aliases),
        None
    );
}
