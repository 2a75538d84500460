//! A light C tokenizer: identifiers, numbers and punctuators with their byte offsets.
//!
//! It skips comments, string and character literals, and `#if 0` regions; `#define` bodies come out
//! between [`TokKind::Define`] and [`TokKind::DefineEnd`] so the parser can read macros as helpers.
//! Other preprocessor lines are dropped. Every byte is looked at a bounded number of times, so the
//! cost is linear in the input whatever it holds (odd bytes, unterminated comments, huge lines).

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokKind {
    Ident,
    Number,
    Punct,
    /// A string or character literal (kept as one token so argument counts stay right).
    Literal,
    /// Start of a `#define`; the next token is the macro name.
    Define,
    /// End of a `#define` body.
    DefineEnd,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: TokKind,
    pub start: u32,
    pub end: u32,
}

impl Token {
    pub fn text<'a>(&self, src: &'a [u8]) -> &'a [u8] {
        src.get(self.start as usize..self.end as usize)
            .unwrap_or(&[])
    }
    pub fn is(&self, src: &[u8], s: &str) -> bool {
        self.text(src) == s.as_bytes()
    }
}

const PUNCT3: [&[u8]; 3] = [b"<<=", b">>=", b"..."];
const PUNCT2: [&[u8]; 19] = [
    b"->", b"++", b"--", b"<<", b">>", b"<=", b">=", b"==", b"!=", b"&&", b"||", b"*=", b"/=",
    b"%=", b"+=", b"-=", b"&=", b"^=", b"|=",
];

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}
fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Tokenize a whole C file.
pub fn tokenize(src: &[u8]) -> Vec<Token> {
    let mut lx = Lexer {
        src,
        pos: 0,
        out: Vec::with_capacity(src.len() / 5),
        line_start: true,
        in_define: false,
    };
    lx.run();
    lx.out
}

struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    out: Vec<Token>,
    /// Only whitespace (or comments) since the last newline: a `#` here starts a directive.
    line_start: bool,
    in_define: bool,
}

impl Lexer<'_> {
    fn peek(&self, off: usize) -> u8 {
        self.src.get(self.pos + off).copied().unwrap_or(0)
    }

    fn push(&mut self, kind: TokKind, start: usize, end: usize) {
        let (Ok(s), Ok(e)) = (u32::try_from(start), u32::try_from(end)) else {
            return;
        };
        self.out.push(Token {
            kind,
            start: s,
            end: e,
        });
    }

    fn end_define(&mut self) {
        if self.in_define {
            self.in_define = false;
            self.push(TokKind::DefineEnd, self.pos, self.pos);
        }
    }

    fn run(&mut self) {
        let n = self.src.len();
        while self.pos < n {
            let b = self.src[self.pos];
            match b {
                b'\n' => {
                    self.end_define();
                    self.pos += 1;
                    self.line_start = true;
                }
                b'\\' if self.peek(1) == b'\n' => self.pos += 2,
                b'\\' if self.peek(1) == b'\r' && self.peek(2) == b'\n' => self.pos += 3,
                b' ' | b'\t' | b'\r' | b'\x0c' | b'\x0b' => self.pos += 1,
                b'/' if self.peek(1) == b'/' => self.line_comment(),
                b'/' if self.peek(1) == b'*' => self.block_comment(),
                b'#' if self.line_start && !self.in_define => self.directive(),
                b'"' | b'\'' => {
                    let s = self.pos;
                    self.literal(b);
                    self.push(TokKind::Literal, s, self.pos);
                    self.line_start = false;
                }
                _ if is_ident_start(b) => {
                    let s = self.pos;
                    while self.pos < n && is_ident(self.src[self.pos]) {
                        self.pos += 1;
                    }
                    self.push(TokKind::Ident, s, self.pos);
                    self.line_start = false;
                }
                _ if b.is_ascii_digit() || (b == b'.' && self.peek(1).is_ascii_digit()) => {
                    let s = self.pos;
                    self.pos += 1;
                    while self.pos < n
                        && (is_ident(self.src[self.pos]) || self.src[self.pos] == b'.')
                    {
                        self.pos += 1;
                    }
                    self.push(TokKind::Number, s, self.pos);
                    self.line_start = false;
                }
                _ if b.is_ascii_punctuation() => {
                    let s = self.pos;
                    let rest = &self.src[self.pos..];
                    let len = if PUNCT3.iter().any(|p| rest.starts_with(p)) {
                        3
                    } else if PUNCT2.iter().any(|p| rest.starts_with(p)) {
                        2
                    } else {
                        1
                    };
                    self.pos += len;
                    self.push(TokKind::Punct, s, self.pos);
                    self.line_start = false;
                }
                // Odd bytes (non-ASCII, control characters): skipped.
                _ => self.pos += 1,
            }
        }
        self.end_define();
    }

    fn line_comment(&mut self) {
        // A backslash-newline continues a `//` comment; the newline itself is left for `run`.
        let n = self.src.len();
        while self.pos < n {
            match memchr::memchr(b'\n', &self.src[self.pos..]) {
                None => self.pos = n,
                Some(i) => {
                    let nl = self.pos + i;
                    let cont = nl > 0
                        && (self.src[nl - 1] == b'\\'
                            || (self.src[nl - 1] == b'\r' && nl > 1 && self.src[nl - 2] == b'\\'));
                    if cont {
                        self.pos = nl + 1;
                    } else {
                        self.pos = nl;
                        return;
                    }
                }
            }
        }
    }

    fn block_comment(&mut self) {
        let body = self.pos + 2;
        match memchr::memmem::find(self.src.get(body..).unwrap_or(&[]), b"*/") {
            Some(i) => {
                // A newline inside a comment ends a #define only if it is not continued; the
                // kernel style never relies on that, so a comment counts as whitespace.
                self.pos = body + i + 2;
            }
            None => self.pos = self.src.len(),
        }
    }

    fn literal(&mut self, quote: u8) {
        let n = self.src.len();
        self.pos += 1;
        while self.pos < n {
            let b = self.src[self.pos];
            if b == b'\\' {
                self.pos += 2;
                continue;
            }
            if b == quote {
                self.pos += 1;
                return;
            }
            if b == b'\n' {
                // Unterminated: stop at the end of the line.
                return;
            }
            self.pos += 1;
        }
        self.pos = self.pos.min(n);
    }

    /// Read a directive name after `#` (the position is on `#`).
    fn directive_name(&self, from: usize) -> (usize, usize) {
        let n = self.src.len();
        let mut p = from;
        while p < n && matches!(self.src[p], b' ' | b'\t') {
            p += 1;
        }
        let s = p;
        while p < n && is_ident(self.src[p]) {
            p += 1;
        }
        (s, p)
    }

    fn directive(&mut self) {
        let (s, e) = self.directive_name(self.pos + 1);
        let name = &self.src[s..e];
        match name {
            b"define" => {
                self.pos = e;
                self.in_define = true;
                self.line_start = false;
                self.push(TokKind::Define, s, e);
            }
            b"if" if self.if_zero(e) => {
                self.skip_line();
                self.skip_if_zero();
            }
            _ => self.skip_line(),
        }
    }

    /// Is the rest of this `#if` line exactly `0` (comments allowed)?
    fn if_zero(&self, from: usize) -> bool {
        let n = self.src.len();
        let mut p = from;
        let mut seen_zero = false;
        while p < n && self.src[p] != b'\n' {
            match self.src[p] {
                b' ' | b'\t' | b'\r' => p += 1,
                b'0' if !seen_zero => {
                    seen_zero = true;
                    p += 1;
                }
                b'/' if self.src.get(p + 1) == Some(&b'*') => {
                    match memchr::memmem::find(&self.src[p + 2..], b"*/") {
                        Some(i) => p = p + 2 + i + 2,
                        None => return seen_zero,
                    }
                }
                b'/' if self.src.get(p + 1) == Some(&b'/') => return seen_zero,
                _ => return false,
            }
        }
        seen_zero
    }

    /// Skip to the end of the logical line (continuations and block comments included).
    fn skip_line(&mut self) {
        let n = self.src.len();
        while self.pos < n {
            match self.src[self.pos] {
                b'\\' if self.peek(1) == b'\n' => self.pos += 2,
                b'/' if self.peek(1) == b'*' => self.block_comment(),
                b'\n' => return,
                _ => self.pos += 1,
            }
        }
    }

    /// After `#if 0`: skip lines up to the matching `#else`, `#elif` or `#endif`.
    fn skip_if_zero(&mut self) {
        let n = self.src.len();
        let mut depth = 0usize;
        while self.pos < n {
            // At a newline (or the end): look at the next line.
            self.pos += 1;
            let mut p = self.pos;
            while p < n && matches!(self.src[p], b' ' | b'\t') {
                p += 1;
            }
            if p < n && self.src[p] == b'#' {
                let (s, e) = self.directive_name(p + 1);
                match &self.src[s..e] {
                    b"if" | b"ifdef" | b"ifndef" => depth += 1,
                    b"endif" if depth == 0 => {
                        self.pos = e;
                        self.skip_line();
                        self.line_start = true;
                        return;
                    }
                    b"endif" => depth -= 1,
                    b"else" | b"elif" if depth == 0 => {
                        self.pos = e;
                        self.skip_line();
                        self.line_start = true;
                        return;
                    }
                    _ => {}
                }
            }
            self.pos = p;
            self.skip_line();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idents(src: &str) -> Vec<String> {
        tokenize(src.as_bytes())
            .iter()
            .filter(|t| t.kind == TokKind::Ident)
            .map(|t| String::from_utf8_lossy(t.text(src.as_bytes())).into_owned())
            .collect()
    }

    #[test]
    fn skips_comments_strings_and_if_zero() {
        let src = "a /* PF_X */ b // PF_Y\n c \"PF_Z\" 'x'\n#if 0\nPF_W\n#if 1\nPF_V\n#endif\n#else\nd\n#endif\ne\n";
        assert_eq!(idents(src), ["a", "b", "c", "d", "e"]);
    }

    #[test]
    fn defines_are_delimited() {
        let src = "#define set(p) do { (p)->flags |= PF_A; } \\\n while (0)\nx";
        let toks = tokenize(src.as_bytes());
        assert_eq!(toks[0].kind, TokKind::Define);
        let end = toks
            .iter()
            .position(|t| t.kind == TokKind::DefineEnd)
            .expect("end");
        assert!(toks[end - 1].is(src.as_bytes(), ")"));
        assert!(toks[end + 1].is(src.as_bytes(), "x"));
    }

    #[test]
    fn multi_char_operators() {
        let src = b"p->flags |= ~(A|B); q &= x; r <<= 2;";
        let t: Vec<String> = tokenize(src)
            .iter()
            .map(|t| String::from_utf8_lossy(t.text(src)).into_owned())
            .collect();
        assert!(t.contains(&"->".to_string()));
        assert!(t.contains(&"|=".to_string()));
        assert!(t.contains(&"&=".to_string()));
        assert!(t.contains(&"<<=".to_string()));
    }
}
