//! Which names a file calls (`name(`), as a sorted set of 32-bit hashes: the later helper rounds
//! re-read only the headers that may call a helper found in the round before.
//!
//! A helper is only ever classified where it is called: a helper named without a `(` after it
//! is "named but not called" and makes nothing a helper. So a header that never writes
//! `NAME (` cannot define a helper through `NAME`.

/// The names one text calls. A hash collision only makes a file look like a candidate; a
/// called name is never missed.
#[derive(Clone, Debug, Default)]
pub struct CalledNames(Box<[u32]>);

/// FNV-1a, 32 bits: the same hash for a name and for the identifier in the text.
fn hash(word: &[u8]) -> u32 {
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
    /// little more than one read.
    pub fn of(text: &[u8]) -> CalledNames {
        let mut v: Vec<u32> = Vec::new();
        for open in memchr::memchr_iter(b'(', text) {
            let mut end = open;
            while end > 0 && is_blank(text[end - 1]) {
                end -= 1;
            }
            let mut start = end;
            while start > 0 && is_ident(text[start - 1]) {
                start -= 1;
            }
            if start < end && !text[start].is_ascii_digit() {
                v.push(hash(&text[start..end]));
            }
        }
        v.sort_unstable();
        v.dedup();
        CalledNames(v.into_boxed_slice())
    }

    /// May the text call `name`?
    pub fn may_call(&self, name: &str) -> bool {
        self.0.binary_search(&hash(name.as_bytes())).is_ok()
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
        assert!(!CalledNames::of(b"").may_call("a"));
        assert!(!CalledNames::of(b"(").may_call("a"));
    }
}
