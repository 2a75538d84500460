//! Interrupt reachability: the shortest path of calls from an interrupt entry down to a
//! function, and what that search does not pass (the scheduler, the return to user mode, a
//! function that never returns).

use std::collections::VecDeque;

use foldhash::{HashMap, HashMapExt, HashSet};

use super::super::contexts::IrqRoot;
use super::{FnKey, MAX_IRQ_DEPTH, MAX_IRQ_VISITS, Resolver, same_build};

/// The work done on the way back to user mode (`exit_to_user_mode_loop()`: signals, task work,
/// `schedule()`) runs after the exception or interrupt has ended, as the task, with interrupts
/// on: interrupt context is not followed up through it.
fn returns_to_user_mode(function: &str) -> bool {
    function.contains("exit_to_user_mode")
}

/// The scheduler proper: it runs as a task, never in interrupt context (an interrupt that calls
/// it is "scheduling while atomic"). `preempt_schedule_irq()` runs on the way out of an
/// interrupt, after it has ended. A path from an interrupt entry through one of these is a
/// sleeping call in an irq handler (a driver bug) or a branch that cannot be taken there.
const SCHEDULER: &[&str] = &[
    "__schedule",
    "schedule",
    "schedule_idle",
    "schedule_preempt_disabled",
    "schedule_timeout",
    "schedule_timeout_interruptible",
    "schedule_timeout_killable",
    "schedule_timeout_uninterruptible",
    "schedule_timeout_idle",
    "schedule_hrtimeout",
    "schedule_hrtimeout_range",
    "schedule_hrtimeout_range_clock",
    "io_schedule",
    "io_schedule_timeout",
    "preempt_schedule",
    "preempt_schedule_common",
    "preempt_schedule_notrace",
    "preempt_schedule_irq",
];

fn is_scheduler(function: &str) -> bool {
    SCHEDULER.contains(&function)
}

/// `first`, then the calls from `k` down to the function the search started from.
fn path_down<'k>(
    first: String,
    k: FnKey<'k>,
    from: &HashMap<FnKey<'k>, (FnKey<'k>, u32, Option<&str>)>,
) -> Vec<String> {
    let mut path = vec![first];
    let mut cur = k;
    while let Some((next, line, member)) = from.get(&cur) {
        path.push(match member {
            None => format!("{}:{line} {}() calls {}()", cur.file, cur.name, next.name),
            Some(m) => format!(
                "{}:{line} {}() calls ->{m}(), which this file sets to {}()",
                cur.file, cur.name, next.name
            ),
        });
        cur = next.clone();
    }
    path
}

/// `a` or `an` before `what` ("an exception handler", "an NMI handler", "a softirq action").
fn article(what: &str) -> &'static str {
    let vowel = what.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U']);
    if vowel || what.starts_with("NMI") || what.starts_with("RCU") {
        "an"
    } else {
        "a"
    }
}

impl<'a> Resolver<'a> {
    /// An interrupt entry that names `function` of `file`: its own definition first, then a
    /// registration of the same build.
    fn root(&self, function: &str, file: &str) -> Option<(&'a str, &'a IrqRoot)> {
        let roots = self.index.roots.get(function)?;
        roots
            .iter()
            .find(|(f, _)| *f == file)
            .or_else(|| {
                roots.iter().find(|(f, r)| {
                    !r.by_definition && self.names_it(function, file, f) && same_build(f, file)
                })
            })
            .copied()
    }

    /// May interrupt context reach a write through function `k`? Not through a function that
    /// never returns (`make_task_dead()`): the code the interrupt split never runs again; nor
    /// through the return to user mode; nor through the scheduler ([`SCHEDULER`]).
    fn may_pass(&self, k: &FnKey) -> bool {
        !self.index.noreturn.contains(&(k.name, k.file))
            && !returns_to_user_mode(k.name)
            && !is_scheduler(k.name)
    }

    /// The file defining caller `name` as seen from a call in `file`.
    fn caller_key<'b>(&self, name: &'b str, file: &'b str) -> FnKey<'b> {
        FnKey { name, file }
    }

    /// A path from an interrupt entry to `function` of `file`, entry first, if there is one
    /// within [`MAX_IRQ_DEPTH`] callers.
    pub fn irq_path(&self, function: &str, file: &str) -> Option<Vec<String>> {
        let key = (function.to_string(), file.to_string());
        if let Some(p) = self.irq_memo.borrow().get(&key) {
            return p.clone();
        }
        let p = self.irq_path_search(function, file);
        self.irq_memo.borrow_mut().insert(key, p.clone());
        p
    }

    fn irq_path_search(&self, function: &str, file: &str) -> Option<Vec<String>> {
        // Breadth first, so the shortest path is found; `from` links each visited function to
        // the call that reaches it.
        let start = self.caller_key(function, file);
        // Each visited function → the function it calls on the path, the line, and the member
        // called through when the call is indirect.
        let mut from: HashMap<FnKey, (FnKey, u32, Option<&str>)> = HashMap::new();
        let mut seen: HashSet<FnKey> = [start.clone()].into_iter().collect();
        let mut queue = VecDeque::from([(start, 0usize)]);
        while let Some((k, depth)) = queue.pop_front() {
            if let Some((rf, root)) = self.root(k.name, k.file) {
                let first = format!(
                    "{}() is {} {} ({rf}:{})",
                    k.name,
                    article(&root.why),
                    root.why,
                    root.line
                );
                return Some(path_down(first, k, &from));
            }
            if depth >= MAX_IRQ_DEPTH || seen.len() > MAX_IRQ_VISITS || !self.may_pass(&k) {
                continue;
            }
            for (cf, c) in self.callers(k.name, k.file) {
                if c.task_only {
                    continue;
                }
                if let Some(l) = c.locks.iter().find(|l| l.softirq) {
                    let first = format!(
                        "{cf}:{} {}() calls {}() holding {} from {}() at line {}, which only \
                         softirq context takes",
                        c.line, c.caller, k.name, l.lock, l.via, l.line
                    );
                    return Some(path_down(first, k, &from));
                }
                let ck = self.caller_key(&c.caller, cf);
                if seen.insert(ck.clone()) {
                    from.insert(ck.clone(), (k.clone(), c.line, None));
                    queue.push_back((ck, depth + 1));
                }
            }
            for (cf, c) in self.indirect_callers(k.name, k.file) {
                let ck = self.caller_key(&c.caller, cf);
                if seen.insert(ck.clone()) {
                    from.insert(ck.clone(), (k.clone(), c.line, Some(c.member.as_str())));
                    queue.push_back((ck, depth + 1));
                }
            }
        }
        None
    }
}
