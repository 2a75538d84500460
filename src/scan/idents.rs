//! Which names a file calls (`name(`), as a sorted set of 32-bit hashes: the later helper rounds
//! re-read only the headers that may call a helper found in the round before.
//!
//! A helper is only ever classified where it is called: a helper named without a `(` after it
//! is "named but not called" and makes nothing a helper. So a header that never writes
//! `NAME (` cannot define a helper through `NAME`.

/// The names one text calls. A hash collision only makes a file look like a candidate; a
/// called name is never missed.
#[derive(Clone, Debug, Default)]
pub struct CalledNames {
    hashes: Box<[u32]>,
    /// A `(` that the scan back from it cannot tie to its name for sure (a comment, a
    /// preprocessor line or an odd byte between them): the text may call any name.
    any: bool,
}

/// FNV-1a, 32 bits: the same hash for a name and for the identifier in the text.
pub fn hash(word: &[u8]) -> u32 {
    word.iter().fold(0x811c_9dc5u32, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Blanks between a name and its `(`, a macro's line continuation included.
fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\\' | 0x0b | 0x0c)
}

impl CalledNames {
    /// Every identifier followed by `(` (blanks between allowed), in code, comments and strings
    /// alike: a superset of the calls. Found from the `(` bytes (memchr), so a file costs
    /// little more than one read. When what stands before a `(` could hide its name from this
    /// backward scan, the text is marked as possibly calling anything:
    /// - a line break before the `(` (`name // why` or `#ifdef X` on the line before), not a
    ///   macro's continued line;
    /// - a comment's end (`name /* x */ (`);
    /// - an odd byte (a control byte, or a non-ASCII one such as a no-break space).
    pub fn of(text: &[u8]) -> CalledNames {
        let mut v: Vec<u32> = Vec::new();
        let mut any = false;
        for open in memchr::memchr_iter(b'(', text) {
            let mut end = open;
            let mut new_line = false;
            while end > 0 && is_blank(text[end - 1]) {
                // A line break, unless a macro's `\` continues the line.
                new_line |= text[end - 1] == b'\n'
                    && !text[..end - 1].ends_with(b"\\")
                    && !text[..end - 1].ends_with(b"\\\r");
                end -= 1;
            }
            let Some(&before) = end.checked_sub(1).and_then(|k| text.get(k)) else {
                continue;
            };
            if !is_ident(before) {
                any |= before == b'/' || !(0x20..0x80).contains(&before);
                continue;
            }
            any |= new_line;
            let mut start = end;
            while start > 0 && is_ident(text[start - 1]) {
                start -= 1;
            }
            if !text[start].is_ascii_digit() {
                v.push(hash(&text[start..end]));
            }
        }
        v.sort_unstable();
        v.dedup();
        CalledNames {
            hashes: v.into_boxed_slice(),
            any,
        }
    }

    /// May the text call `name`?
    pub fn may_call(&self, name: &str) -> bool {
        self.any || self.hashes.binary_search(&hash(name.as_bytes())).is_ok()
    }

    /// May the text call one of the names whose [`hash`]es are `set`?
    pub fn may_call_one_of(&self, set: &foldhash::HashSet<u32>) -> bool {
        self.any || self.hashes.iter().any(|h| set.contains(h))
    }

    /// Is the text marked as possibly calling any name?
    #[cfg(test)]
    fn may_call_anything(&self) -> bool {
        self.any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_called_names_only() {
        let s = CalledNames::of(
            b"static inline void foo_bar(int x) { x |= PF_A; memalloc_noio_save ();\n\
              #define M(a) \\\n  kthread_bind \\\n (a)\n 0x1f(); f(g(h)); }",
        );
        for n in [
            "foo_bar",
            "memalloc_noio_save",
            "M",
            "kthread_bind",
            "f",
            "g",
        ] {
            assert!(s.may_call(n), "{n}");
        }
        for n in ["PF_A", "x", "h", "foo", "bar", "x1f", "static"] {
            assert!(!s.may_call(n), "{n}");
        }
        assert!(!s.may_call_anything());
        assert!(!CalledNames::of(b"").may_call("a"));
        assert!(!CalledNames::of(b"(").may_call("a"));
        assert!(!CalledNames::of(b"if (a && (b || c))").may_call_anything());
    }

    #[test]
    fn a_name_the_backward_scan_cannot_see_makes_the_text_a_candidate_for_any_name() {
        // The lexer skips comments, directives and odd bytes: `one` is called in each.
        for text in [
            &b"#define two() one /* why */ ()"[..],
            b"#define two() one // why\n()",
            b"static inline int two(void) { return one\n#ifdef X\n(); }",
            b"static inline int two(void) { return one\xc2\xa0(); }",
            b"static inline int two(void) { return one\x01(); }",
        ] {
            let s = CalledNames::of(text);
            assert!(s.may_call("one"), "{:?}", String::from_utf8_lossy(text));
        }
    }
}
