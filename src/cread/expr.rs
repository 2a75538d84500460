//! Integer constant expressions of `#define` bodies and bitfield widths:
//! literals with suffixes, parentheses, casts to integer types, unary and binary operators,
//! other object-like defines, and the kernel's `BIT()`, `_BITUL()`, `_AC()`, `UL()` helpers.

use std::collections::HashMap;

use super::lex::Tok;

/// Parse a C integer literal (`0x10`, `010`, `0b1`, `1UL`).
pub fn parse_int(s: &str) -> Option<u64> {
    let t = s.trim_end_matches(['u', 'U', 'l', 'L']);
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else if let Some(b) = t.strip_prefix("0b").or_else(|| t.strip_prefix("0B")) {
        u64::from_str_radix(b, 2).ok()
    } else if t.len() > 1 && t.starts_with('0') {
        u64::from_str_radix(&t[1..], 8).ok()
    } else {
        t.parse().ok()
    }
}

const TYPE_WORDS: &[&str] = &[
    "unsigned", "signed", "int", "long", "short", "char", "u8", "u16", "u32", "u64", "s8", "s16",
    "s32", "s64", "__u8", "__u16", "__u32", "__u64", "__s8", "__s16", "__s32", "__s64",
];

/// A word of a cast's type: an integer type word, a `*_t` typedef, or a sparse annotation
/// (`(__force fmode_t)`, `(__force gfp_t)`).
fn is_cast_word(w: &str) -> bool {
    TYPE_WORDS.contains(&w) || w.ends_with("_t") || w == "__force" || w == "__bitwise"
}

/// Evaluates token slices; `defs` maps object-like define names to their body tokens.
pub struct Eval<'a> {
    pub defs: &'a HashMap<String, Vec<Tok>>,
    /// Names looked up before `defs` (enumerators seen so far, other headers' defines).
    pub first: Option<&'a HashMap<String, Vec<Tok>>>,
}

struct P<'t, 'a> {
    t: &'t [Tok],
    i: usize,
    ev: &'t Eval<'a>,
    depth: u32,
    /// Unary operators and parentheses open around the current token.
    nesting: usize,
}

/// The deepest nesting of parentheses and unary operators evaluated; deeper is "not understood".
pub const MAX_NESTING: usize = 256;

impl Eval<'_> {
    /// The value of `toks`, or `None` when it is not an integer constant this reader understands.
    pub fn eval(&self, toks: &[Tok]) -> Option<u64> {
        self.eval_depth(toks, 0)
    }

    fn eval_depth(&self, toks: &[Tok], depth: u32) -> Option<u64> {
        if depth > 16 || toks.is_empty() {
            return None;
        }
        let mut p = P {
            t: toks,
            i: 0,
            ev: self,
            depth,
            nesting: 0,
        };
        let v = p.binary(0)?;
        (p.i == toks.len()).then_some(v)
    }
}

fn prec(op: &str) -> Option<u8> {
    Some(match op {
        "|" => 1,
        "^" => 2,
        "&" => 3,
        "<<" | ">>" => 5,
        "+" | "-" => 6,
        "*" | "/" | "%" => 7,
        _ => return None,
    })
}

impl P<'_, '_> {
    fn peek(&self) -> Option<&Tok> {
        self.t.get(self.i)
    }
    fn punct(&self, p: &str) -> bool {
        matches!(self.peek(), Some(Tok::Punct(x)) if x == p)
    }
    fn expect(&mut self, p: &str) -> Option<()> {
        if self.punct(p) {
            self.i += 1;
            Some(())
        } else {
            None
        }
    }
    fn binary(&mut self, min: u8) -> Option<u64> {
        let mut lhs = self.unary()?;
        while let Some(Tok::Punct(op)) = self.peek() {
            let Some(p) = prec(op) else { break };
            if p < min {
                break;
            }
            let op = op.clone();
            self.i += 1;
            let rhs = self.binary(p + 1)?;
            lhs = match op.as_str() {
                "|" => lhs | rhs,
                "^" => lhs ^ rhs,
                "&" => lhs & rhs,
                "<<" => lhs.checked_shl(u32::try_from(rhs).ok().filter(|&r| r < 64)?)?,
                ">>" => lhs.checked_shr(u32::try_from(rhs).ok().filter(|&r| r < 64)?)?,
                "+" => lhs.checked_add(rhs)?,
                "-" => lhs.checked_sub(rhs)?,
                "*" => lhs.checked_mul(rhs)?,
                "/" => lhs.checked_div(rhs)?,
                "%" => lhs.checked_rem(rhs)?,
                _ => return None,
            };
        }
        Some(lhs)
    }
    fn unary(&mut self) -> Option<u64> {
        if self.nesting >= MAX_NESTING {
            return None;
        }
        self.nesting += 1;
        let v = self.unary_inner();
        self.nesting -= 1;
        v
    }
    fn unary_inner(&mut self) -> Option<u64> {
        match self.peek()?.clone() {
            Tok::Punct(p) if p == "~" => {
                self.i += 1;
                Some(!self.unary()?)
            }
            Tok::Punct(p) if p == "!" => {
                self.i += 1;
                Some(u64::from(self.unary()? == 0))
            }
            Tok::Punct(p) if p == "+" => {
                self.i += 1;
                self.unary()
            }
            Tok::Punct(p) if p == "-" => {
                self.i += 1;
                Some(self.unary()?.wrapping_neg())
            }
            Tok::Punct(p) if p == "(" => {
                // A cast `(unsigned long)` or a parenthesised expression.
                let mut j = self.i + 1;
                while matches!(self.t.get(j), Some(Tok::Ident(w)) if is_cast_word(w)) {
                    j += 1;
                }
                if j > self.i + 1 && matches!(self.t.get(j), Some(Tok::Punct(c)) if c == ")") {
                    self.i = j + 1;
                    return self.unary();
                }
                self.i += 1;
                let v = self.binary(0)?;
                self.expect(")")?;
                Some(v)
            }
            Tok::Number(n) => {
                self.i += 1;
                parse_int(&n)
            }
            Tok::Ident(name) => {
                self.i += 1;
                match name.as_str() {
                    "BIT" | "BIT_ULL" | "_BITUL" | "_BITULL" | "BIT_U32" | "BIT_U64" => {
                        let v = self.args(1)?;
                        1u64.checked_shl(u32::try_from(v[0]).ok().filter(|&r| r < 64)?)
                    }
                    "_AC" | "__AC" => Some(self.args(2)?[0]),
                    "UL" | "ULL" | "_UL" | "_ULL" | "U32_C" | "U64_C" => Some(self.args(1)?[0]),
                    _ => {
                        let body = self
                            .ev
                            .first
                            .and_then(|f| f.get(&name))
                            .or_else(|| self.ev.defs.get(&name))?;
                        self.ev.eval_depth(body, self.depth + 1)
                    }
                }
            }
            _ => None,
        }
    }
    /// `( a , b )` where the second argument of `_AC` is a suffix, not a value.
    fn args(&mut self, n: usize) -> Option<Vec<u64>> {
        self.expect("(")?;
        let mut out = vec![self.binary(0)?];
        while out.len() < n {
            self.expect(",")?;
            // `_AC(1, UL)`: the suffix is an identifier; accept and ignore it.
            if let Some(Tok::Ident(_)) = self.peek() {
                self.i += 1;
                out.push(0);
            } else {
                out.push(self.binary(0)?);
            }
        }
        self.expect(")")?;
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cread::lex::tokenize;

    fn ev(src: &str, defs: &HashMap<String, Vec<Tok>>) -> Option<u64> {
        let toks: Vec<Tok> = tokenize(src.as_bytes())
            .0
            .into_iter()
            .map(|t| t.tok)
            .filter(|t| !matches!(t, Tok::Comment { .. } | Tok::Newline))
            .collect();
        Eval { defs, first: None }.eval(&toks)
    }

    #[test]
    fn literals_shifts_and_helpers() {
        let mut d = HashMap::new();
        assert_eq!(ev("0x00080000", &d), Some(0x80000));
        assert_eq!(ev("(1UL << 5)", &d), Some(32));
        assert_eq!(ev("BIT(3)", &d), Some(8));
        assert_eq!(ev("_AC(1, UL) << 2", &d), Some(4));
        assert_eq!(ev("(unsigned int)0x10", &d), Some(16));
        assert_eq!(ev("010", &d), Some(8));
        assert_eq!(ev("((__force fmode_t)(1 << 5))", &d), Some(32));
        assert_eq!(ev("((__force gfp_t)0x4u)", &d), Some(4));
        d.insert("A".to_string(), vec![Tok::Number("4".into())]);
        assert_eq!(ev("A | 1", &d), Some(5));
        assert_eq!(ev("1 << 64", &d), None);
        assert_eq!(ev("foo(3)", &d), None);
        assert_eq!(ev("1 +", &d), None);
    }
}
