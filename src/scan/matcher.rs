//! What the tree walk searches for: names as whole words, found in one pass through the starts
//! they share and checked against the whole word around each one found.

use aho_corasick::{AhoCorasick, MatchKind};
use foldhash::HashSet;

use crate::error::{Error, Result};

/// One pass for all names. The SIMD search (Teddy, as ripgrep uses for `-F -f`) looks for the
/// starts the names share ([`SHARED_START`]), about half as many patterns as names: its cost
/// grows with the patterns (one more pass over the text per 32 of them), while the check of a
/// word found is one hash lookup.
pub struct Matcher {
    search: Search,
    /// The longest word, in bytes: how far chunks of a large file overlap.
    longest: usize,
    /// The names, as whole words.
    names: HashSet<Box<[u8]>>,
    /// The words an entry part stands for ([`Matcher::with_entries`]): found, they do not make
    /// a file a hit; the walk hands the file on with their places ([`super::walk::Hit::entries`]).
    entry_words: HashSet<Box<[u8]>>,
}

enum Search {
    Packed(aho_corasick::packed::Searcher),
    /// More anchors than one SIMD searcher takes: several, each over part of them.
    Groups(Vec<aho_corasick::packed::Searcher>),
    Ac(AhoCorasick),
}

/// Anchors per SIMD (Teddy) searcher: past 32 it is the slower Fat Teddy (measured: 1.82 s
/// against 1.65 s for the scan of 6.1 with groups of 35 names).
const GROUP: usize = 32;

/// The shortest shared start that stands for several words in the search (`PF_MEMALLOC` for
/// the four `PF_MEMALLOC*`, `task_set_spe` for five `task_set_spec_*()`). Measured over the
/// 1.1 GB of 6.1's C files, one core: the 150 names and 14 parts in 6 searchers took 0.76 s; their
/// shared starts of 6 bytes or more, 87 patterns in 3 searchers, 0.59-0.72 s; of 4 bytes, 0.89 s
/// (starts like `lock` and `sign` occur every few hundred bytes); of 3 bytes, 1.5 s.
const SHARED_START: usize = 6;

fn packed(patterns: &[&[u8]]) -> Option<aho_corasick::packed::Searcher> {
    aho_corasick::packed::Config::new()
        .match_kind(aho_corasick::packed::MatchKind::LeftmostLongest)
        .builder()
        .extend(patterns)
        .build()
}

fn ac(patterns: &[&[u8]]) -> Result<AhoCorasick> {
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .build(patterns)
        .map_err(|e| Error::Usage(format!("cannot build the name matcher: {e}")))
}

/// What the search looks for: each word, or the start it shares with its neighbours in sorted
/// order when that start is at least [`SHARED_START`] bytes long. Every word holds one
/// pattern (as its start, or as itself), so each of its occurrences is found.
fn anchors<'w>(words: impl Iterator<Item = &'w [u8]>) -> Vec<&'w [u8]> {
    let mut sorted: Vec<&[u8]> = words.collect();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out: Vec<&[u8]> = Vec::new();
    for w in sorted {
        if let Some(last) = out.last_mut() {
            let shared = last.iter().zip(w).take_while(|(a, b)| a == b).count();
            if shared >= SHARED_START.min(last.len()) {
                *last = &last[..shared];
                continue;
            }
        }
        out.push(w);
    }
    out
}

impl Search {
    fn new(anchors: &[&[u8]]) -> Result<Search> {
        if let Some(s) = packed(anchors) {
            return Ok(Search::Packed(s));
        }
        let groups: Option<Vec<_>> = anchors.chunks(GROUP).map(packed).collect();
        match groups {
            Some(g) => Ok(Search::Groups(g)),
            // Teddy takes no empty pattern (nor some sets): the DFA reads every byte.
            None => ac(anchors).map(Search::Ac),
        }
    }

    /// Every anchor found in `window`: (start, end).
    fn find<'t>(&'t self, window: &'t [u8]) -> Box<dyn Iterator<Item = (usize, usize)> + 't> {
        match self {
            Search::Packed(p) => Box::new(p.find_iter(window).map(|m| (m.start(), m.end()))),
            Search::Groups(g) => Box::new(
                g.iter()
                    .flat_map(move |p| p.find_iter(window).map(|m| (m.start(), m.end()))),
            ),
            Search::Ac(a) => Box::new(a.find_iter(window).map(|m| (m.start(), m.end()))),
        }
    }
}

/// What the word around an anchor is.
enum Found {
    Name,
    Entry(usize),
    Other,
}

impl Matcher {
    pub fn new(patterns: &[String]) -> Result<Matcher> {
        Matcher::with_entries(patterns, &[], &[])
    }

    /// A matcher for `patterns` that also finds the words `words` through `parts`: each word
    /// contains a part, and a part's anchor stands for the whole word it is in when that word is
    /// one of `words`. A part that starts with bytes rarer than the word's start costs the
    /// search less (`uest_irq` for `request_irq` and `devm_request_irq`).
    pub fn with_entries(patterns: &[String], parts: &[&str], words: &[&str]) -> Result<Matcher> {
        let names: HashSet<Box<[u8]>> = patterns.iter().map(|p| p.as_bytes().into()).collect();
        let entry_words: HashSet<Box<[u8]>> = words
            .iter()
            .map(|w| w.as_bytes())
            .filter(|w| !names.contains(*w))
            .map(Into::into)
            .collect();
        let anchors = anchors(
            patterns
                .iter()
                .map(String::as_bytes)
                .chain(parts.iter().map(|p| p.as_bytes())),
        );
        let longest = names.iter().chain(&entry_words).map(|w| w.len()).max();
        Ok(Matcher {
            search: Search::new(&anchors)?,
            longest: longest.unwrap_or(0),
            names,
            entry_words,
        })
    }

    /// The word of `text` around the anchor at `s..e`: the anchor widened by the word bytes on
    /// each side.
    fn word_at(text: &[u8], s: usize, e: usize) -> (usize, usize) {
        let ws = s - text[..s].iter().rev().take_while(|&&b| is_word(b)).count();
        let we = e + text[e..].iter().take_while(|&&b| is_word(b)).count();
        (ws, we)
    }

    fn found(&self, text: &[u8], s: usize, e: usize) -> Found {
        let (ws, we) = Matcher::word_at(text, s, e);
        let word = &text[ws..we];
        if self.names.contains(word) {
            Found::Name
        } else if self.entry_words.contains(word) {
            Found::Entry(ws)
        } else {
            Found::Other
        }
    }

    /// Whether `text` has a name as a whole word; if not, where the entry words start.
    pub fn hits(&self, text: &[u8]) -> (bool, Vec<usize>) {
        let mut entries = Vec::new();
        for (s, e) in self.search.find(text) {
            match self.found(text, s, e) {
                Found::Name => return (true, Vec::new()),
                Found::Entry(ws) => entries.push(ws),
                Found::Other => {}
            }
        }
        entries.sort_unstable();
        entries.dedup();
        (false, entries)
    }

    /// Does `text` hold one of the patterns as a whole word?
    pub fn has_word_hit(&self, text: &[u8]) -> bool {
        self.has_word_hit_in(text, text)
    }

    /// A name as a whole word with its anchor inside `window`, judging the word on `text`
    /// (which extends it). An anchor at the very start of a later chunk lacks the bytes before
    /// it and may take the end of a longer word for a name; it was judged whole in the previous
    /// chunk, and a hit here only means the file is read whole and searched again.
    fn has_word_hit_in(&self, window: &[u8], text: &[u8]) -> bool {
        self.search
            .find(window)
            .any(|(s, e)| matches!(self.found(text, s, e), Found::Name))
    }

    /// [`Matcher::has_word_hit`] over the bytes of a file already in `buf` and the rest of it,
    /// read in chunks of `chunk` bytes, so a large file without a hit (amdgpu's 24 MB register
    /// headers) is never held whole. Chunks overlap by the longest word and one byte each side,
    /// so a word across a boundary is seen whole, with the bytes that bound it.
    pub fn has_word_hit_chunked(
        &self,
        f: &mut impl std::io::Read,
        buf: &mut Vec<u8>,
        chunk: usize,
    ) -> std::io::Result<bool> {
        let keep = self.longest + 1;
        loop {
            let start = buf.len();
            buf.resize(start + chunk, 0);
            let n = read_full(f, &mut buf[start..])?;
            buf.truncate(start + n);
            let at_end = n < chunk;
            // A word ending at the last byte of a chunk waits for the next byte unless the file
            // ends.
            let window = if at_end {
                &buf[..]
            } else {
                &buf[..buf.len().saturating_sub(1)]
            };
            if self.has_word_hit_in(window, &buf[..]) {
                return Ok(true);
            }
            if at_end {
                return Ok(false);
            }
            let tail = buf.len().saturating_sub(keep);
            buf.drain(..tail);
        }
    }
}

/// Fill `buf` from `f` unless the file ends first; the bytes read.
fn read_full(f: &mut impl std::io::Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunked(patterns: &[&str], text: &str, chunk: usize) -> bool {
        let pats: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
        let m = Matcher::new(&pats).expect("matcher");
        let mut buf = Vec::new();
        m.has_word_hit_chunked(&mut std::io::Cursor::new(text.as_bytes()), &mut buf, chunk)
            .expect("reads")
    }

    #[test]
    fn chunked_search_agrees_with_the_whole_text_at_every_boundary() {
        let many: Vec<String> = (0..100).map(|i| format!("HELPER_{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).chain(["PF_A"]).collect();
        for patterns in [&["PF_A", "frozen"][..], &many[..]] {
            let pats: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
            let whole = Matcher::new(&pats).expect("matcher");
            for text in [
                "int x; p->flags |= PF_A; y",
                "int PF_AB; xPF_A; frozen_x",
                "abc frozen",
                "PF_A",
                "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzPF_A",
                "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz PF_A_B",
                "",
            ] {
                let want = whole.has_word_hit(text.as_bytes());
                for chunk in 1..=text.len().max(1) + 2 {
                    // A chunked hit may be a false alarm (then the file is read whole), never a miss.
                    let got = chunked(patterns, text, chunk);
                    assert!(!want || got, "missed in {text:?} with chunks of {chunk}");
                    if !text.contains("PF_A") && !text.contains("frozen") {
                        assert!(!got, "{text:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn chunked_search_does_not_take_a_longer_word_across_a_boundary() {
        // `PF_AB` split as `PF_A|B`: the byte after the candidate is in the next chunk.
        for chunk in 1..12 {
            assert!(!chunked(&["PF_A"], "x = PF_AB;", chunk), "chunk {chunk}");
            assert!(chunked(&["PF_A"], "x = PF_A;", chunk), "chunk {chunk}");
        }
    }

    #[test]
    fn a_name_is_found_only_as_a_whole_word_through_its_anchor() {
        let pats: Vec<String> = ["PF_MEMALLOC", "PF_MEMALLOC_NOIO", "PF_MCE_EARLY", "frozen"]
            .iter()
            .map(|p| p.to_string())
            .collect();
        let m = Matcher::new(&pats).expect("matcher");
        for (text, want) in [
            ("x |= PF_MEMALLOC_NOIO;", true),
            ("x |= PF_MEMALLOC;", true),
            ("x |= PF_MEMALLOC_NOFS;", false),
            ("x |= PF_MCE;", false),
            ("PF_MCE_EARLY", true),
            ("XPF_MCE_EARLY", false),
            ("p->frozen = 1", true),
            ("p->unfrozen = 1; frozen_x", false),
            ("PF_MEMPF_MCE_EARLY x", false),
            ("PF_ PF_M PF_MEMALLOCX, frozen", true),
        ] {
            assert_eq!(m.has_word_hit(text.as_bytes()), want, "{text:?}");
        }
    }

    #[test]
    fn names_that_share_a_start_are_searched_through_it() {
        let words: Vec<&[u8]> = [
            "PF_MEMALLOC_NOIO",
            "PF_MEMALLOC",
            "PF_MEMALLOC_NOFS",
            "PF_A",
            "PF_AB",
            "frozen",
            "task_set_spec_ib_disable",
            "task_set_spread_page",
            "task_spec_ssb_disable",
        ]
        .iter()
        .map(|w| w.as_bytes())
        .collect();
        let got: Vec<&str> = anchors(words.into_iter())
            .into_iter()
            .map(|a| std::str::from_utf8(a).expect("ascii"))
            .collect();
        assert_eq!(got, ["PF_A", "PF_MEMALLOC", "frozen", "task_s"]);
    }

    #[test]
    fn an_entry_part_finds_the_whole_entry_word_and_nothing_else() {
        let pats = vec!["PF_A".to_string()];
        let m = Matcher::with_entries(&pats, &["uest_irq"], &["request_irq", "devm_request_irq"])
            .expect("matcher");
        let text = b"a = request_irq(1); b = devm_request_irq(d); c = my_request_irq(2);";
        assert_eq!(m.hits(text), (false, vec![4, 24]));
        assert_eq!(m.hits(b"request_irq(1, h); PF_A;"), (true, Vec::new()));
        assert_eq!(m.hits(b"request_irqs(1);"), (false, Vec::new()));
    }

    /// Every whole word of `text`, by a plain tokenizer: a name makes a hit; otherwise where the
    /// entry words start.
    fn by_words(names: &[String], entry_words: &[String], text: &[u8]) -> (bool, Vec<usize>) {
        let mut entries = Vec::new();
        let mut i = 0;
        while i < text.len() {
            let s = i;
            while i < text.len() && is_word(text[i]) {
                i += 1;
            }
            let w = &text[s..i];
            if names.iter().any(|n| n.as_bytes() == w) {
                return (true, Vec::new());
            }
            if !w.is_empty() && entry_words.iter().any(|n| n.as_bytes() == w) {
                entries.push(s);
            }
            i += 1;
        }
        (false, entries)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        /// Names over three bytes overlap, contain and prefix each other, and equal entry words:
        /// the search through shared starts finds what a word-by-word reading finds (a review's
        /// differential test).
        #[test]
        fn the_search_agrees_with_reading_word_by_word(
            names in proptest::collection::vec("[ab_]{1,9}", 1..70),
            parts in proptest::collection::vec("[ab_]{2,6}", 0..3),
            around in proptest::collection::vec(("[ab_]{0,3}", "[ab_]{0,3}"), 2),
            text in "[ab_ ]{0,60}",
        ) {
            let entry_words: Vec<String> = parts
                .iter()
                .flat_map(|p| around.iter().map(move |(a, b)| format!("{a}{p}{b}")))
                .collect();
            let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
            let words: Vec<&str> = entry_words.iter().map(String::as_str).collect();
            let m = Matcher::with_entries(&names, &parts, &words).expect("matcher");
            let entries_alone: Vec<String> =
                entry_words.iter().filter(|w| !names.contains(w)).cloned().collect();
            let want = by_words(&names, &entries_alone, text.as_bytes());
            proptest::prop_assert_eq!(m.hits(text.as_bytes()), want.clone());
            proptest::prop_assert_eq!(m.has_word_hit(text.as_bytes()), want.0);
            let plain = Matcher::new(&names).expect("matcher");
            for chunk in [1usize, 2, 3, 7] {
                let mut buf = Vec::new();
                let got = plain
                    .has_word_hit_chunked(&mut std::io::Cursor::new(text.as_bytes()), &mut buf, chunk)
                    .expect("reads");
                // A chunked hit may be a false alarm (the file is then read whole), never a miss.
                proptest::prop_assert!(got || !by_words(&names, &[], text.as_bytes()).0);
            }
        }
    }
}
