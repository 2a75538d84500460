//! CONFIG guards: the preprocessor condition under which a flag exists, and whether two can hold at once.

use std::collections::BTreeSet;
use std::fmt;

/// A boolean condition over preprocessor symbols (`CONFIG_PSI`, `TIF_RESTORE_SIGMASK`).
///
/// Built only through [`Guard::parse`], [`Guard::and`], [`Guard::and_all`], [`Guard::or_all`]
/// and [`Guard::negate`], which keep it normalised: `And`/`Or` hold at least two operands, none
/// of them `Always`, `Never` or of the same connective (flattened), no duplicates (`A && A` is
/// `A`), no absorbed operands (`A && (A || B)` is `A`) and no complementary pair (`A && !A` is
/// `Never`). So nesting `#ifdef A` a thousand times is `A`, and the depth of a guard is bounded
/// by the nesting of the text it was read from ([`MAX_DEPTH`]), not by its length.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub enum Guard {
    /// No guard: the flag always exists.
    #[default]
    Always,
    Never,
    Sym(String),
    Not(Box<Guard>),
    And(Vec<Guard>),
    Or(Vec<Guard>),
}

/// Above this many distinct symbols, satisfiability is not enumerated and the
/// answer is the conservative one ("may hold at once").
const MAX_ENUM_SYMBOLS: usize = 16;

/// The deepest nesting of parentheses [`Guard::parse`] reads (a `!` chain of any length is read
/// without nesting).
pub const MAX_DEPTH: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at offset {offset}")]
pub struct GuardError {
    pub message: String,
    pub offset: usize,
}

/// Which connective an n-ary node is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Conn {
    And,
    Or,
}

impl Conn {
    /// The operand that decides the result alone (`Never` for `&&`), and the neutral one.
    fn absorbing(self) -> Guard {
        match self {
            Conn::And => Guard::Never,
            Conn::Or => Guard::Always,
        }
    }
    fn operands(self, g: &Guard) -> Option<&[Guard]> {
        match (self, g) {
            (Conn::And, Guard::And(v)) | (Conn::Or, Guard::Or(v)) => Some(v),
            _ => None,
        }
    }
    fn build(self, v: Vec<Guard>) -> Guard {
        match self {
            Conn::And => Guard::And(v),
            Conn::Or => Guard::Or(v),
        }
    }
    fn dual(self) -> Conn {
        match self {
            Conn::And => Conn::Or,
            Conn::Or => Conn::And,
        }
    }
}

/// Combine `items` with `conn`, normalised (see [`Guard`]). Linear in the total size of the
/// operands (hash sets, no pairwise comparison).
fn combine(conn: Conn, items: impl IntoIterator<Item = Guard>) -> Guard {
    let neutral = conn.dual().absorbing();
    let mut flat: Vec<Guard> = Vec::new();
    let mut seen: std::collections::HashSet<Guard> = std::collections::HashSet::new();
    let mut push = |g: Guard, flat: &mut Vec<Guard>| {
        if seen.insert(g.clone()) {
            flat.push(g);
        }
    };
    for g in items {
        if g == neutral {
            continue;
        }
        if g == conn.absorbing() {
            return conn.absorbing();
        }
        match conn.operands(&g) {
            Some(_) => {
                let (Guard::And(v) | Guard::Or(v)) = g else {
                    continue;
                };
                for x in v {
                    push(x, &mut flat);
                }
            }
            None => push(g, &mut flat),
        }
    }
    // `A && !A`: never; `A || !A`: always.
    if flat
        .iter()
        .any(|g| matches!(g, Guard::Not(x) if seen.contains(x.as_ref())))
    {
        return conn.absorbing();
    }
    // Absorption: `A && (A || B)` is `A`; `A || (A && B)` is `A`.
    let dual = conn.dual();
    flat.retain(|g| {
        dual.operands(g)
            .is_none_or(|ops| !ops.iter().any(|x| seen.contains(x)))
    });
    match flat.len() {
        0 => neutral,
        1 => flat.pop().unwrap_or(neutral),
        _ => conn.build(flat),
    }
}

impl Guard {
    /// Parse a C preprocessor condition: symbols, `!`, `&&`, `||`, parentheses,
    /// `defined(X)`, `defined X`, `IS_ENABLED(X)`, `0` and `1`. An empty string is [`Guard::Always`].
    /// Parentheses nested deeper than [`MAX_DEPTH`] are an error.
    pub fn parse(text: &str) -> Result<Guard, GuardError> {
        let mut p = Parser {
            s: text.as_bytes(),
            i: 0,
            depth: 0,
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
        combine(Conn::And, [a, b])
    }

    /// The conjunction of `items`, normalised.
    pub fn and_all(items: impl IntoIterator<Item = Guard>) -> Guard {
        combine(Conn::And, items)
    }

    /// The disjunction of `items`, normalised (`Never` when empty).
    pub fn or_all(items: impl IntoIterator<Item = Guard>) -> Guard {
        combine(Conn::Or, items)
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
            Guard::And(v) | Guard::Or(v) => {
                for g in v {
                    g.symbols(out);
                }
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
            Guard::And(v) => v.iter().all(|g| g.eval(syms, on)),
            Guard::Or(v) => v.iter().any(|g| g.eval(syms, on)),
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
    /// C syntax with the fewest parentheses; iterative, so no guard is too deep to print.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        enum Item<'a> {
            Node(&'a Guard),
            Text(&'static str),
        }
        fn prec(g: &Guard) -> u8 {
            match g {
                Guard::Or(..) => 1,
                Guard::And(..) => 2,
                _ => 3,
            }
        }
        fn operand<'a>(g: &'a Guard, min: u8, out: &mut Vec<Item<'a>>) {
            // Pushed in reverse: the stack pops `(`, the node, then `)`.
            if prec(g) < min {
                out.extend([Item::Text(")"), Item::Node(g), Item::Text("(")]);
            } else {
                out.push(Item::Node(g));
            }
        }
        let mut stack = vec![Item::Node(self)];
        while let Some(item) = stack.pop() {
            let g = match item {
                Item::Text(t) => {
                    f.write_str(t)?;
                    continue;
                }
                Item::Node(g) => g,
            };
            match g {
                Guard::Always => {}
                Guard::Never => f.write_str("0")?,
                Guard::Sym(s) => f.write_str(s)?,
                Guard::Not(inner) => {
                    f.write_str("!")?;
                    operand(inner, 3, &mut stack);
                }
                Guard::And(v) | Guard::Or(v) => {
                    let (sep, min) = if matches!(g, Guard::And(_)) {
                        (" && ", 2)
                    } else {
                        (" || ", 1)
                    };
                    for (k, x) in v.iter().enumerate().rev() {
                        operand(x, min, &mut stack);
                        if k > 0 {
                            stack.push(Item::Text(sep));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    /// Open parentheses around the current position.
    depth: usize,
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
        let mut terms = vec![self.and()?];
        while self.eat("||") {
            terms.push(self.and()?);
        }
        Ok(Guard::or_all(terms))
    }
    fn and(&mut self) -> Result<Guard, GuardError> {
        let mut terms = vec![self.unary()?];
        while self.eat("&&") {
            terms.push(self.unary()?);
        }
        Ok(Guard::and_all(terms))
    }
    fn unary(&mut self) -> Result<Guard, GuardError> {
        // A chain of `!` is counted, not recursed into.
        let mut nots = 0usize;
        while self.eat("!") {
            nots += 1;
        }
        let g = self.primary()?;
        Ok(if nots % 2 == 1 { Guard::negate(g) } else { g })
    }
    fn primary(&mut self) -> Result<Guard, GuardError> {
        if self.eat("(") {
            if self.depth >= MAX_DEPTH {
                self.i -= 1;
                return Err(self.err(&format!("nesting deeper than {MAX_DEPTH}")));
            }
            self.depth += 1;
            let g = self.or()?;
            self.depth -= 1;
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
    fn guards_are_normalised_as_built() {
        assert_eq!(g("A && A && A"), g("A"));
        assert_eq!(g("A && (A || B)"), g("A"));
        assert_eq!(g("A || A && B"), g("A"));
        assert_eq!(g("A && !A"), Guard::Never);
        assert_eq!(g("A || !A"), Guard::Always);
        assert_eq!(g("(A && B) && (C && A)").to_string(), "A && B && C");
        assert_eq!(g("A && 1"), g("A"));
        assert_eq!(g("A || 0"), g("A"));
        assert_eq!(Guard::and_all((0..1000).map(|_| g("A"))), g("A"));
        assert_eq!(Guard::or_all([]), Guard::Never);
    }

    #[test]
    fn depth_is_limited_and_long_chains_do_not_recurse() {
        let deep = format!(
            "{}A{}",
            "(".repeat(MAX_DEPTH + 1),
            ")".repeat(MAX_DEPTH + 1)
        );
        let e = Guard::parse(&deep).expect_err("too deep");
        assert_eq!(e.message, format!("nesting deeper than {MAX_DEPTH}"));
        assert_eq!(e.offset, MAX_DEPTH);
        let ok = format!("{}A{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert_eq!(g(&ok), g("A"));
        assert_eq!(g(&format!("{}A", "!".repeat(50_001))), g("!A"));
        let wide: Vec<String> = (0..50_000).map(|i| format!("C{i}")).collect();
        let w = g(&wide.join(" && "));
        assert_eq!(w.to_string(), wide.join(" && "));
        // Alternating nesting within the limit prints and reads back.
        let mut s = "A".to_string();
        for i in 0..MAX_DEPTH {
            s = if i % 2 == 0 {
                format!("!(B{i} || {s})")
            } else {
                format!("(C{i} && {s})")
            };
        }
        let a = g(&s);
        assert_eq!(g(&a.to_string()), a);
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
