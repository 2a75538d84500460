//! CONFIG guards: the preprocessor condition under which a flag exists, and whether two can hold at once.

use std::collections::BTreeSet;
use std::fmt;

/// A boolean condition over preprocessor symbols (`CONFIG_PSI`, `TIF_RESTORE_SIGMASK`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub enum Guard {
    /// No guard: the flag always exists.
    #[default]
    Always,
    Never,
    Sym(String),
    Not(Box<Guard>),
    And(Box<Guard>, Box<Guard>),
    Or(Box<Guard>, Box<Guard>),
}

/// Above this many distinct symbols, satisfiability is not enumerated and the
/// answer is the conservative one ("may hold at once").
const MAX_ENUM_SYMBOLS: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at offset {offset}")]
pub struct GuardError {
    pub message: String,
    pub offset: usize,
}

impl Guard {
    /// Parse a C preprocessor condition: symbols, `!`, `&&`, `||`, parentheses,
    /// `defined(X)`, `defined X`, `IS_ENABLED(X)`, `0` and `1`. An empty string is [`Guard::Always`].
    pub fn parse(text: &str) -> Result<Guard, GuardError> {
        let mut p = Parser {
            s: text.as_bytes(),
            i: 0,
        };
        p.skip_ws();
        if p.i == p.s.len() {
            return Ok(Guard::Always);
        }
        let g = p.or()?;
        p.skip_ws();
        if p.i != p.s.len() {
            return Err(p.err("unexpected text after the condition"));
        }
        Ok(g)
    }

    pub fn and(a: Guard, b: Guard) -> Guard {
        match (a, b) {
            (Guard::Always, g) | (g, Guard::Always) => g,
            (a, b) => Guard::And(Box::new(a), Box::new(b)),
        }
    }

    pub fn negate(a: Guard) -> Guard {
        match a {
            Guard::Always => Guard::Never,
            Guard::Never => Guard::Always,
            Guard::Not(inner) => *inner,
            g => Guard::Not(Box::new(g)),
        }
    }

    pub fn is_always(&self) -> bool {
        matches!(self, Guard::Always)
    }

    pub fn symbols(&self, out: &mut BTreeSet<String>) {
        match self {
            Guard::Always | Guard::Never => {}
            Guard::Sym(s) => {
                out.insert(s.clone());
            }
            Guard::Not(g) => g.symbols(out),
            Guard::And(a, b) | Guard::Or(a, b) => {
                a.symbols(out);
                b.symbols(out);
            }
        }
    }

    /// Evaluate with the symbols in `on` (by index into `syms`) set.
    pub fn eval(&self, syms: &[&str], on: u64) -> bool {
        match self {
            Guard::Always => true,
            Guard::Never => false,
            Guard::Sym(s) => syms
                .iter()
                .position(|x| x == s)
                .is_some_and(|i| on & (1 << i) != 0),
            Guard::Not(g) => !g.eval(syms, on),
            Guard::And(a, b) => a.eval(syms, on) && b.eval(syms, on),
            Guard::Or(a, b) => a.eval(syms, on) || b.eval(syms, on),
        }
    }

    /// Can `self` and `other` hold at once under some configuration?
    /// Conservative (true) when there are too many symbols to enumerate.
    pub fn coexists(&self, other: &Guard) -> bool {
        if self.is_always() && other.is_always() {
            return true;
        }
        let mut set = BTreeSet::new();
        self.symbols(&mut set);
        other.symbols(&mut set);
        if set.len() > MAX_ENUM_SYMBOLS {
            return true;
        }
        let syms: Vec<&str> = set.iter().map(String::as_str).collect();
        (0..1u64 << syms.len()).any(|on| self.eval(&syms, on) && other.eval(&syms, on))
    }
}

/// The largest total of `weights` whose guards can all hold at once: the worst-case
/// occupancy of a bitfield storage unit. Exact while no set of guards linked by shared symbols
/// has more than [`MAX_ENUM_SYMBOLS`] of them; such a set counts in full (an upper bound).
pub fn worst_case_sum<'a>(items: impl IntoIterator<Item = (&'a Guard, u32)>) -> u32 {
    // Members without a guard always count and equal guards hold together: enumerate only the
    // distinct guards (most units have none, or a handful shared by many members).
    let mut always = 0u32;
    let mut guarded: Vec<(&Guard, u32)> = Vec::new();
    for (g, w) in items {
        match g {
            Guard::Always => always += w,
            Guard::Never => {}
            g => match guarded.iter_mut().find(|(h, _)| *h == g) {
                Some((_, sum)) => *sum += w,
                None => guarded.push((g, w)),
            },
        }
    }
    // Guards over disjoint symbols are independent: the worst case is the sum of each
    // component's worst case, so only the symbols of one component are enumerated at a time.
    let most: u32 = components(&guarded)
        .iter()
        .map(|c| {
            let members: Vec<(&Guard, u32)> = c.members.iter().map(|&i| guarded[i]).collect();
            if c.symbols.len() > MAX_ENUM_SYMBOLS {
                return members.iter().map(|&(_, w)| w).sum::<u32>();
            }
            let syms: Vec<&str> = c.symbols.iter().map(String::as_str).collect();
            (0..1u64 << syms.len())
                .map(|on| {
                    members
                        .iter()
                        .filter(|(g, _)| g.eval(&syms, on))
                        .map(|&(_, w)| w)
                        .sum::<u32>()
                })
                .max()
                .unwrap_or(0)
        })
        .sum();
    always + most
}

/// Guards (by index) that share symbols, directly or through each other, and those symbols.
struct Component {
    symbols: BTreeSet<String>,
    members: Vec<usize>,
}

fn components(guarded: &[(&Guard, u32)]) -> Vec<Component> {
    let mut out: Vec<Component> = Vec::new();
    for (i, (g, _)) in guarded.iter().enumerate() {
        let mut c = Component {
            symbols: BTreeSet::new(),
            members: vec![i],
        };
        g.symbols(&mut c.symbols);
        // Absorb every component that shares a symbol with this guard.
        let mut k = 0;
        while k < out.len() {
            if out[k].symbols.is_disjoint(&c.symbols) {
                k += 1;
            } else {
                let o = out.swap_remove(k);
                c.symbols.extend(o.symbols);
                c.members.extend(o.members);
            }
        }
        out.push(c);
    }
    out
}

impl fmt::Display for Guard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn prec(g: &Guard) -> u8 {
            match g {
                Guard::Or(..) => 1,
                Guard::And(..) => 2,
                _ => 3,
            }
        }
        fn wrap(g: &Guard, min: u8, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            if prec(g) < min {
                write!(f, "({g})")
            } else {
                write!(f, "{g}")
            }
        }
        match self {
            Guard::Always => Ok(()),
            Guard::Never => f.write_str("0"),
            Guard::Sym(s) => f.write_str(s),
            Guard::Not(g) => {
                f.write_str("!")?;
                wrap(g, 3, f)
            }
            Guard::And(a, b) => {
                wrap(a, 2, f)?;
                f.write_str(" && ")?;
                wrap(b, 2, f)
            }
            Guard::Or(a, b) => {
                wrap(a, 1, f)?;
                f.write_str(" || ")?;
                wrap(b, 1, f)
            }
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn err(&self, m: &str) -> GuardError {
        GuardError {
            message: m.to_string(),
            offset: self.i,
        }
    }
    fn skip_ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn eat(&mut self, tok: &str) -> bool {
        self.skip_ws();
        if self.s[self.i..].starts_with(tok.as_bytes()) {
            self.i += tok.len();
            true
        } else {
            false
        }
    }
    fn or(&mut self) -> Result<Guard, GuardError> {
        let mut g = self.and()?;
        while self.eat("||") {
            g = Guard::Or(Box::new(g), Box::new(self.and()?));
        }
        Ok(g)
    }
    fn and(&mut self) -> Result<Guard, GuardError> {
        let mut g = self.unary()?;
        while self.eat("&&") {
            g = Guard::And(Box::new(g), Box::new(self.unary()?));
        }
        Ok(g)
    }
    fn unary(&mut self) -> Result<Guard, GuardError> {
        if self.eat("!") {
            return Ok(Guard::negate(self.unary()?));
        }
        if self.eat("(") {
            let g = self.or()?;
            if !self.eat(")") {
                return Err(self.err("expected `)`"));
            }
            return Ok(g);
        }
        let id = self.ident()?;
        match id.as_str() {
            "defined" | "IS_ENABLED" | "IS_BUILTIN" | "IS_REACHABLE" => {
                let paren = self.eat("(");
                let sym = self.ident()?;
                if paren && !self.eat(")") {
                    return Err(self.err("expected `)`"));
                }
                Ok(Guard::Sym(sym))
            }
            "0" => Ok(Guard::Never),
            "1" => Ok(Guard::Always),
            _ => Ok(Guard::Sym(id)),
        }
    }
    fn ident(&mut self) -> Result<String, GuardError> {
        self.skip_ws();
        let start = self.i;
        while self.i < self.s.len()
            && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_')
        {
            self.i += 1;
        }
        if start == self.i {
            return Err(self.err("expected a symbol"));
        }
        // The bytes are ASCII alphanumerics, so this is valid UTF-8.
        Ok(String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(s: &str) -> Guard {
        Guard::parse(s).expect("parses")
    }

    #[test]
    fn parses_and_prints() {
        assert_eq!(g("").to_string(), "");
        assert_eq!(g("CONFIG_PSI").to_string(), "CONFIG_PSI");
        assert_eq!(
            g("defined(CONFIG_A) && !defined(CONFIG_B)").to_string(),
            "CONFIG_A && !CONFIG_B"
        );
        assert_eq!(g("(A || B) && C").to_string(), "(A || B) && C");
        assert_eq!(g("!!A"), g("A"));
        assert!(Guard::parse("A &&").is_err());
        assert!(Guard::parse("(A").is_err());
        assert!(Guard::parse("A B").is_err());
    }

    #[test]
    fn ifdef_and_else_never_coexist() {
        assert!(!g("CONFIG_X").coexists(&g("!CONFIG_X")));
        assert!(g("CONFIG_X").coexists(&g("CONFIG_Y")));
        assert!(g("").coexists(&g("CONFIG_Y")));
        assert!(!g("A && B").coexists(&g("!A || !B")));
        assert!(!g("0").coexists(&g("")));
    }

    #[test]
    fn worst_case_counts_exclusive_members_once() {
        let a = g("CONFIG_X");
        let b = g("!CONFIG_X");
        let c = g("");
        assert_eq!(worst_case_sum([(&a, 1), (&b, 1), (&c, 2)]), 3);
        assert_eq!(worst_case_sum([(&a, 1), (&c, 2)]), 3);
        assert_eq!(worst_case_sum([(&c, 2)]), 2);
    }
}
