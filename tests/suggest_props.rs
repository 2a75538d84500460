//! Properties of `suggest --free` on small generated layouts:
//! - every emitted plan, written to disk next to its base and read back, passes `check`
//!   (it adds no error the base layout did not already have);
//! - the plan frees at least min(N, the most any legal plan frees), found by exhaustive search
//!   over every assignment of the word's units to "stay" or a destination;
//! - the plan's cost equals the cheapest such alternative (it is optimal for the documented cost).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use flagplan::check;
use flagplan::layout::{self, Input};
use flagplan::rules::Severity;
use flagplan::suggest::emit::{self, Step};
use flagplan::suggest::free::{self, Cost};
use flagplan::suggest::{Analysis, freed_bits};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct GWord {
    kind: u8,
    rule: u8,
}

#[derive(Debug, Clone)]
struct GFlag {
    guard: u8,
    ctx: u8,
    locked: bool,
    abi: bool,
    hole: bool,
    /// Mask/bitnum: share the previous flag's bit under the opposite guard.
    share: bool,
    /// Bitfield: declare the packed bit.
    declare: bool,
    evidence: u8,
}

const GUARDS: [&str; 4] = ["", "CONFIG_A", "CONFIG_B", "CONFIG_B && CONFIG_C"];
const WIDTH: u32 = 8;

fn gen_layout() -> impl Strategy<Value = Generated> {
    let word = (0u8..3, 0u8..3).prop_map(|(kind, rule)| GWord { kind, rule });
    let flag = (
        0u8..4,
        0u8..4,
        prop::bool::weighted(0.3),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.15),
        prop::bool::weighted(0.3),
        0u8..4,
    )
        .prop_map(
            |(guard, ctx, locked, abi, hole, share, declare, evidence)| GFlag {
                guard,
                ctx,
                locked,
                abi,
                hole,
                share,
                declare,
                evidence,
            },
        );
    (2usize..5)
        .prop_flat_map(move |nw| {
            (
                prop::collection::vec(word.clone(), nw),
                prop::collection::vec(prop::collection::vec(flag.clone(), 0..7), nw),
                prop::collection::vec((0..nw, 0usize..7, 0usize..7), 0..3),
            )
        })
        .prop_map(|(w, f, g)| (w, f, g))
}

/// Render the generated layout as TOML. Writers are chosen so that each flag is legal in its
/// own word (the base checks clean apart from what guards make of shared bits).
fn render(words: &[GWord], flags: &[Vec<GFlag>], groups: &[(usize, usize, usize)]) -> String {
    let mut s = String::from("format = 1\nstruct = \"gen\"\n");
    let kinds = ["mask", "bitnum", "bitfield"];
    let rules = ["current", "atomic", "lock(L)"];
    for (i, w) in words.iter().enumerate() {
        let _ = write!(
            s,
            "[[word]]\nname = \"w{i}\"\nwidth = {WIDTH}\nkind = \"{}\"\nrule = \"{}\"\n",
            kinds[w.kind as usize], rules[w.rule as usize]
        );
    }
    let mut names: Vec<Vec<String>> = vec![Vec::new(); words.len()];
    for (wi, (w, fl)) in words.iter().zip(flags).enumerate() {
        let mut bit = 0u32;
        let mut prev_guard: Option<u8> = None;
        for (fi, f) in fl.iter().enumerate() {
            let name = format!("F{wi}_{fi}");
            let bitfield = w.kind == 2;
            let mut guard = GUARDS[f.guard as usize].to_string();
            let mut pos = bit;
            if !bitfield && f.share && prev_guard == Some(1) && bit > 0 {
                // Same bit as the previous CONFIG_A flag, under !CONFIG_A: never together.
                pos = bit - 1;
                guard = "!CONFIG_A".into();
            } else {
                bit += 1;
            }
            prev_guard = Some(f.guard);
            if pos >= WIDTH {
                break;
            }
            let _ = write!(s, "[[flag]]\nname = \"{name}\"\nword = \"w{wi}\"\n");
            if !guard.is_empty() {
                let _ = writeln!(s, "guard = \"{guard}\"");
            }
            if bitfield {
                if f.declare {
                    let _ = writeln!(s, "bit = {pos}");
                }
            } else {
                let _ = writeln!(s, "bit = {pos}");
            }
            if f.hole && !bitfield {
                // Alternate named holes (free) and reserved bits (never free).
                s.push_str(if pos.is_multiple_of(2) {
                    "hole = true\n"
                } else {
                    "reserved = true\n"
                });
                continue;
            }
            if f.abi {
                s.push_str("abi = true\n");
            }
            // A writer legal in its own word.
            let ctx = match (w.rule, f.ctx) {
                (_, 0) => "current",
                (0, 1) => "current",
                (_, 1) => "current-irq",
                (0, 2) => "remote-stopped",
                (_, 2) => "remote",
                _ => "remote-stopped",
            };
            let locked = w.rule == 2 || f.locked;
            let _ = write!(s, "[[flag.writer]]\ncontext = \"{ctx}\"\n");
            if locked {
                s.push_str("lock = \"L\"\n");
            }
            let ev: Vec<String> = (0..f.evidence)
                .map(|e| format!("\"x/{name}.c:{e}\""))
                .collect();
            let _ = writeln!(s, "evidence = [{}]", ev.join(", "));
            names[wi].push(name);
        }
    }
    for (gi, &(w, a, b)) in groups.iter().enumerate() {
        let (Some(x), Some(y)) = (names[w].get(a), names[w].get(b)) else {
            continue;
        };
        if x != y {
            let _ = write!(
                s,
                "[[group]]\nname = \"g{gi}\"\nflags = [\"{x}\", \"{y}\"]\n"
            );
        }
    }
    s
}

fn error_keys(loaded: &layout::Loaded) -> BTreeSet<(String, String)> {
    check::check(loaded)
        .findings
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| (f.rule.id().to_string(), f.flag.unwrap_or_default()))
        .collect()
}

/// A generated layout: words, flags per word, groups (word, flag, flag).
type Generated = (Vec<GWord>, Vec<Vec<GFlag>>, Vec<(usize, usize, usize)>);

/// The exhaustive search's state.
struct Exhaustive<'a> {
    a: &'a Analysis,
    w: usize,
    units: Vec<usize>,
    legal: Vec<Vec<usize>>,
    cap: Vec<u32>,
    choice: Vec<Option<usize>>,
    /// (bits freed, cost) of every assignment.
    out: Vec<(u32, Cost)>,
}

impl Exhaustive<'_> {
    fn rec(&mut self, k: usize) {
        if k == self.units.len() {
            let layout = self.a.layout();
            let from = layout.words[self.w].kind;
            let mut moved = BTreeSet::new();
            let mut cost = Cost::default();
            for (j, c) in self.choice.iter().enumerate() {
                let Some(d) = *c else { continue };
                let u = self.units[j];
                moved.extend(self.a.units[u].flags.iter().copied());
                let plain = self.legal[j]
                    .iter()
                    .any(|&x| !layout.words[x].rule.is_atomic());
                cost = cost
                    + Cost {
                        flags: self.a.units[u].flags.len() as u32,
                        evidence: self.a.units[u].evidence,
                        atomic: u32::from(plain && layout.words[d].rule.is_atomic()),
                        kind_changes: u32::from(layout.words[d].kind != from),
                    };
            }
            self.out.push((freed_bits(self.a, self.w, &moved), cost));
            return;
        }
        self.choice[k] = None;
        self.rec(k + 1);
        let size = self.a.units[self.units[k]].size;
        for i in 0..self.legal[k].len() {
            let d = self.legal[k][i];
            if self.cap[d] >= size {
                self.cap[d] -= size;
                self.choice[k] = Some(d);
                self.rec(k + 1);
                self.cap[d] += size;
            }
        }
        self.choice[k] = None;
    }
}

/// Every assignment of the word's units to stay / a destination with room (conservative model):
/// (freed bits, cost) of each.
fn exhaustive(a: &Analysis, w: usize) -> Vec<(u32, Cost)> {
    let layout = a.layout();
    let word = &layout.words[w];
    let units: Vec<usize> = {
        let mut s = BTreeSet::new();
        for &i in a.planner.index.members(&word.name) {
            if let Some(u) = a.unit_of[i] {
                s.insert(u);
            }
        }
        s.into_iter().collect()
    };
    // Legal destinations per unit (rules and room at the start).
    let legal: Vec<Vec<usize>> = units
        .iter()
        .map(|&u| {
            let own = a.unit_words(u);
            (0..layout.words.len())
                .filter(|d| !own.contains(d))
                .filter(|&d| a.blocks_with_room(u, d, a.cap[d]).is_empty())
                .collect()
        })
        .collect();
    let mut ex = Exhaustive {
        a,
        w,
        choice: vec![None; units.len()],
        units,
        legal,
        cap: a.cap.clone(),
        out: Vec::new(),
    };
    ex.rec(0);
    ex.out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn free_is_legal_and_optimal((words, flags, groups) in gen_layout()) {
        let text = render(&words, &flags, &groups);
        let dir = tempfile::tempdir().expect("tmp");
        let base_path = dir.path().join("base.toml");
        std::fs::write(&base_path, &text).expect("write base");
        let loaded = layout::load(&Input::Path(base_path.clone())).expect("generated layout loads");
        let base_errors = error_keys(&loaded);
        let a = Analysis::new(loaded.layout.clone());
        for w in 0..words.len() {
            let alts = exhaustive(&a, w);
            let most = alts.iter().map(|x| x.0).max().unwrap_or(0);
            for n in 1..=WIDTH {
                let p = free::solve(&a, w, n).expect("solves");
                prop_assert!(p.optimal);
                // Bits free already (holes included) count: moves free only the rest.
                let need = n.saturating_sub(p.free_before);
                prop_assert_eq!(p.free_after, p.free_before + p.freed);
                let t = need.min(most);
                prop_assert!(p.freed >= t, "w{w} N={n}: freed {} < {t}\n{text}", p.freed);
                if p.freed < need {
                    prop_assert_eq!(p.freed, most, "w{} N={}: not the most\n{}", w, n, text);
                }
                let best = alts.iter().filter(|x| x.0 >= t).map(|x| x.1).min().unwrap_or_default();
                prop_assert_eq!(p.cost, best, "w{} N={}: cost\n{}", w, n, text);
                if p.moves.is_empty() {
                    continue;
                }
                // Emit, write next to the base, read back and check.
                let steps: Vec<Step> = p
                    .moves
                    .iter()
                    .flat_map(|m| m.bits.iter().map(|x| Step::Move {
                        flag: x.flag.clone(),
                        to: m.to.clone(),
                        bit: x.bit,
                    }))
                    .collect();
                let plan_path = dir.path().join(format!("plan-{w}-{n}.toml"));
                emit::write(
                    &Input::Path(base_path.clone()),
                    &loaded.layout,
                    &plan_path,
                    false,
                    &[format!("w{w} N={n}")],
                    &steps,
                )
                .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
                let plan = layout::load(&Input::Path(plan_path)).expect("plan loads");
                let after = error_keys(&plan);
                let new: Vec<_> = after.difference(&base_errors).collect();
                prop_assert!(new.is_empty(), "w{w} N={n}: {new:?}\n{text}");
                let report = check::check(&plan);
                let before = report.before.iter().find(|o| o.word == format!("w{w}")).map(|o| o.free);
                let after_free = report
                    .after
                    .as_ref()
                    .and_then(|v| v.iter().find(|o| o.word == format!("w{w}")))
                    .map(|o| o.free);
                prop_assert_eq!(before.map(|b| b + p.freed), after_free, "freed as check counts it");
            }
        }
    }
}

/// Errors `check` reports for `base` with `steps` applied, minus the base's own.
fn new_errors(base: &flagplan::model::Layout, steps: &[Step]) -> Vec<(String, String)> {
    let before = error_keys(&layout::Loaded {
        layout: base.clone(),
        sources: Default::default(),
    });
    let mut l = base.clone();
    l.proposals = emit::proposals(steps);
    let after = error_keys(&layout::Loaded {
        layout: l,
        sources: Default::default(),
    });
    after.difference(&before).cloned().collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// `--flag` and `check` agree on every word: a word ranked legal takes the flag's unit with
    /// no new error; a rejected word makes `check` report one.
    #[test]
    fn flag_ranking_agrees_with_check((words, flags, groups) in gen_layout(), ctx in 0usize..5) {
        let text = render(&words, &flags, &groups);
        let loaded = layout::parse_str("gen.toml", &text).expect("generated layout loads");
        let a = Analysis::new(loaded.layout.clone());
        for fi in 0..a.layout().flags.len() {
            let name = a.layout().flags[fi].name.clone();
            let r = flagplan::suggest::rank_flag(&a, &name).expect("known flag");
            let unit: Vec<String> = match a.unit_of[fi] {
                Some(u) => a.units[u].flags.iter().map(|&i| a.layout().flags[i].name.clone()).collect(),
                None => vec![name.clone()],
            };
            for (d, w) in a.layout().words.iter().enumerate() {
                if Some(d) == a.word_of(fi) {
                    continue;
                }
                let legal = r.legal.iter().find(|x| x.word == w.name);
                let steps: Vec<Step> = match legal {
                    // The bits the ranking promised.
                    Some(l) => l.bits.iter().map(|x| Step::Move { flag: x.flag.clone(), to: w.name.clone(), bit: x.bit }).collect(),
                    None => unit.iter().map(|f| Step::Move { flag: f.clone(), to: w.name.clone(), bit: u32::MAX }).collect(),
                };
                let mut props = emit::proposals(&steps);
                if legal.is_none() {
                    for p in &mut props { p.bit = None; }
                }
                let mut l = loaded.layout.clone();
                l.proposals = props;
                let before = error_keys(&loaded);
                let after = error_keys(&layout::Loaded { layout: l, sources: Default::default() });
                let new: Vec<_> = after.difference(&before).collect();
                if legal.is_some() {
                    prop_assert!(new.is_empty(), "{name} -> {}: ranked legal, check says {new:?}\n{text}", w.name);
                } else {
                    let rej = r.rejected.iter().find(|x| x.word == w.name);
                    prop_assert!(rej.is_some(), "{name} -> {}: neither legal nor rejected", w.name);
                    prop_assert!(!new.is_empty(), "{name} -> {}: rejected ({rej:?}) but check passes\n{text}", w.name);
                    // The same reasons: every rule `suggest` names, `check` reports for the same
                    // move, refused or not. (`check` may add group-split when only part of a
                    // unit could be placed, or a collision a partial placement caused.)
                    let check_rules: BTreeSet<&str> = new.iter().map(|(r, _)| r.as_str()).collect();
                    let suggest_rules: BTreeSet<&str> = rej.map(|x| x.blocks.iter().map(|b| b.rule).collect()).unwrap_or_default();
                    prop_assert!(suggest_rules.is_subset(&check_rules),
                        "{name} -> {}: suggest says {suggest_rules:?}, check says {check_rules:?}\n{text}", w.name);
                    let extra: Vec<&&str> = check_rules.difference(&suggest_rules)
                        .filter(|r| !["group-split", "bit-collision", "no-free-bit", "bit-taken"].contains(*r))
                        .collect();
                    prop_assert!(extra.is_empty(),
                        "{name} -> {}: check adds {extra:?} to suggest's {suggest_rules:?}\n{text}", w.name);
                }
            }
        }
        // A new flag: the best word passes check.
        let contexts = ["current", "current-irq", "remote", "remote-stopped", "current-irq:balanced"];
        let nf = flagplan::suggest::NewFlag::parse("NEW_FLAG", &[contexts[ctx].to_string()], None, None, None)
            .expect("parses");
        let placed = flagplan::suggest::place_new(&a, &nf).expect("places");
        if let Some(best) = placed.legal.first() {
            let mut flag = nf.to_flag();
            flag.word = best.word.clone();
            let steps = [Step::Add { flag: Box::new(flag), to: best.word.clone(), bit: best.bits[0].bit, guard_text: None }];
            let new = new_errors(&loaded.layout, &steps);
            prop_assert!(new.is_empty(), "new flag -> {}: {new:?}\n{text}", best.word);
        }
    }
}
