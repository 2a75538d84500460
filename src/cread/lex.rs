//! Translation phases 1–3 for a C header: line splicing (`\` newline, CRLF), then tokens with
//! comments kept (they carry doc text) and positions as byte offsets into the original text.

/// What a token is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    Ident(String),
    /// A pp-number as written (`0x00000001`, `1UL`, `3`).
    Number(String),
    /// A string or character literal, as written.
    Literal(String),
    /// Punctuation: `#`, `##`, `(`, `<<`, `&&`, ... or one unknown byte.
    Punct(String),
    /// A comment's text without its delimiters. `block` for `/* */`.
    Comment {
        text: String,
        block: bool,
    },
    /// The end of a logical line (a newline that is not inside a comment and not spliced).
    Newline,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub tok: Tok,
    /// Byte offset in the original text where the token starts.
    pub start: usize,
    /// Byte offset in the original text just past the token.
    pub end: usize,
    /// Whitespace (or a comment) came before it on its line.
    pub space_before: bool,
}

/// A problem the lexer met (unterminated comment or literal), as a byte offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexIssue {
    pub offset: usize,
    pub message: String,
}

/// Phase 2: drop `\r` before `\n` and splice `\`-newline, keeping each byte's original offset.
fn splice(src: &[u8]) -> (Vec<u8>, Vec<usize>) {
    let mut out = Vec::with_capacity(src.len());
    let mut map = Vec::with_capacity(src.len() + 1);
    let mut i = 0;
    while i < src.len() {
        let b = src[i];
        if b == b'\\' {
            // backslash, optional spaces/tabs (a common slip), optional \r, then \n
            let mut j = i + 1;
            while j < src.len() && (src[j] == b' ' || src[j] == b'\t') {
                j += 1;
            }
            if j < src.len() && src[j] == b'\r' {
                j += 1;
            }
            if j < src.len() && src[j] == b'\n' {
                i = j + 1;
                continue;
            }
        }
        if b == b'\r' && src.get(i + 1) == Some(&b'\n') {
            i += 1;
            continue;
        }
        out.push(b);
        map.push(i);
        i += 1;
    }
    map.push(src.len());
    (out, map)
}

// `$` in identifiers (a GCC extension the kernel does not use) is read as punctuation, so every
// identifier is also a valid guard symbol.
fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}
fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

const PUNCT3: [&str; 3] = ["<<=", ">>=", "..."];
const PUNCT2: [&str; 19] = [
    "##", "<<", ">>", "&&", "||", "==", "!=", "<=", ">=", "->", "++", "--", "+=", "-=", "*=", "/=",
    "|=", "&=", "::",
];

/// Tokenize a whole file. Never fails: problems are returned as issues and the rest is read.
pub fn tokenize(src: &[u8]) -> (Vec<Token>, Vec<LexIssue>) {
    let (s, map) = splice(src);
    let orig = |k: usize| map[k.min(map.len() - 1)];
    let mut toks = Vec::new();
    let mut issues = Vec::new();
    let mut i = 0;
    let mut space = false;
    while i < s.len() {
        let b = s[i];
        let start = i;
        let tok = if b == b'\n' {
            i += 1;
            Tok::Newline
        } else if b == b' ' || b == b'\t' || b == 0x0b || b == 0x0c || b == b'\r' {
            i += 1;
            space = true;
            continue;
        } else if b == b'/' && s.get(i + 1) == Some(&b'*') {
            let body = i + 2;
            match memchr::memmem::find(&s[body..], b"*/") {
                Some(n) => {
                    i = body + n + 2;
                    Tok::Comment {
                        text: String::from_utf8_lossy(&s[body..body + n]).into_owned(),
                        block: true,
                    }
                }
                None => {
                    issues.push(LexIssue {
                        offset: orig(start),
                        message: "unterminated /* comment (read to the end of the file)".into(),
                    });
                    i = s.len();
                    Tok::Comment {
                        text: String::from_utf8_lossy(&s[body..]).into_owned(),
                        block: true,
                    }
                }
            }
        } else if b == b'/' && s.get(i + 1) == Some(&b'/') {
            let end = memchr::memchr(b'\n', &s[i..]).map_or(s.len(), |n| i + n);
            let text = String::from_utf8_lossy(&s[i + 2..end]).into_owned();
            i = end;
            Tok::Comment { text, block: false }
        } else if is_ident_start(b) {
            while i < s.len() && is_ident(s[i]) {
                i += 1;
            }
            Tok::Ident(String::from_utf8_lossy(&s[start..i]).into_owned())
        } else if b.is_ascii_digit() || (b == b'.' && s.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            i += 1;
            while i < s.len() {
                let c = s[i];
                let exponent_sign =
                    (c == b'+' || c == b'-') && matches!(s[i - 1], b'e' | b'E' | b'p' | b'P');
                if exponent_sign || is_ident(c) || c == b'.' {
                    i += 1;
                } else {
                    break;
                }
            }
            Tok::Number(String::from_utf8_lossy(&s[start..i]).into_owned())
        } else if b == b'"' || b == b'\'' {
            i += 1;
            let mut closed = false;
            while i < s.len() && s[i] != b'\n' {
                if s[i] == b'\\' {
                    i += 2;
                    continue;
                }
                if s[i] == b {
                    i += 1;
                    closed = true;
                    break;
                }
                i += 1;
            }
            i = i.min(s.len());
            if !closed {
                issues.push(LexIssue {
                    offset: orig(start),
                    message: "unterminated string or character literal".into(),
                });
            }
            Tok::Literal(String::from_utf8_lossy(&s[start..i]).into_owned())
        } else {
            let rest = &s[i..];
            let p = PUNCT3
                .iter()
                .chain(PUNCT2.iter())
                .find(|p| rest.starts_with(p.as_bytes()));
            match p {
                Some(p) => {
                    i += p.len();
                    Tok::Punct((*p).to_string())
                }
                None => {
                    // One byte (or one UTF-8 character) of punctuation or stray text.
                    let len = std::str::from_utf8(&rest[..rest.len().min(4)])
                        .ok()
                        .or_else(|| {
                            (1..=rest.len().min(4))
                                .rev()
                                .find_map(|n| std::str::from_utf8(&rest[..n]).ok())
                        })
                        .and_then(|t| t.chars().next())
                        .map_or(1, char::len_utf8);
                    i += len;
                    Tok::Punct(String::from_utf8_lossy(&s[start..i]).into_owned())
                }
            }
        };
        let is_comment = matches!(tok, Tok::Comment { .. });
        let is_nl = tok == Tok::Newline;
        toks.push(Token {
            tok,
            start: orig(start),
            end: orig(i.saturating_sub(1)).saturating_add(1).max(orig(start)),
            space_before: space,
        });
        space = is_comment && !is_nl;
        if is_nl {
            space = false;
        }
    }
    (toks, issues)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok> {
        tokenize(src.as_bytes())
            .0
            .into_iter()
            .map(|t| t.tok)
            .collect()
    }

    #[test]
    fn splices_and_crlf() {
        let t = kinds("#define A \\\r\n  1\r\nx");
        assert_eq!(
            t,
            vec![
                Tok::Punct("#".into()),
                Tok::Ident("define".into()),
                Tok::Ident("A".into()),
                Tok::Number("1".into()),
                Tok::Newline,
                Tok::Ident("x".into())
            ]
        );
    }

    #[test]
    fn block_comment_spans_lines_without_newline_token() {
        let t = kinds("a /* x\n y */ b\nc");
        assert_eq!(t.iter().filter(|t| **t == Tok::Newline).count(), 1);
    }

    #[test]
    fn offsets_point_into_the_original_text() {
        let src = "ab\\\ncd ef";
        let (toks, _) = tokenize(src.as_bytes());
        assert_eq!(toks[0].tok, Tok::Ident("abcd".into()));
        assert_eq!(toks[1].start, 7);
    }

    #[test]
    fn unterminated_comment_is_an_issue_not_a_panic() {
        let (_, issues) = tokenize(b"int x; /* oops");
        assert_eq!(issues.len(), 1);
    }
}
