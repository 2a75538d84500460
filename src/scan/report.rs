//! The scan's text report, grouped by flag, to paste into a mail; and its JSON form.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::model::Layout;

use super::evidence::{Access, Evidence, ScanContext};

/// How many locations to show per flag and context.
pub const FIRST: usize = 5;

pub fn json(ev: &Evidence) -> String {
    let mut s = serde_json::to_string_pretty(ev).unwrap_or_else(|_| "{}".to_string());
    s.push('\n');
    s
}

fn loc(a: &Access) -> String {
    let mut s = format!(
        "{}:{}:{}  {}()  {}",
        a.file, a.line, a.col, a.function, a.receiver
    );
    if a.op != "test" && a.op != "read" {
        let _ = write!(s, " {}", a.op);
    }
    if a.confidence == "low" {
        s.push_str("  [low confidence]");
    }
    if a.is_write() && a.kind != super::balance::AccessKind::Assign {
        let _ = write!(s, "  [{}]", a.kind.as_str());
    }
    if let Some(b) = a.balanced {
        let word = if b { "balanced" } else { "UNBALANCED" };
        let _ = write!(s, "  [{word}: {}]", a.balance.as_deref().unwrap_or(""));
    }
    if !a.locks.is_empty() {
        let l: Vec<&str> = a.locks.iter().map(|l| l.lock.as_str()).collect();
        let _ = write!(s, "  [holding {}]", l.join(", "));
    }
    if let Some(c) = a.chain.first() {
        let _ = write!(s, "\n          ({c})");
    }
    if let Some(st) = &a.stopped
        && a.chain.first() != Some(st)
    {
        let _ = write!(s, "\n          (stopped: {st})");
    }
    s
}

pub fn text(ev: &Evidence, layout: &Layout, verbose: bool) -> String {
    let mut out = String::new();
    let writes = ev.accesses.iter().filter(|a| a.is_write()).count();
    let _ = writeln!(
        out,
        "flagplan scan of {} ({} files, {} MiB; {} with hits) against {}",
        ev.src,
        ev.files_scanned,
        ev.bytes_scanned >> 20,
        ev.files_with_hits,
        ev.layout
    );
    let _ = writeln!(
        out,
        "{} accesses ({} writes, {} reads), {} unclassified, {} helpers\n",
        ev.accesses.len(),
        writes,
        ev.accesses.len() - writes,
        ev.unclassified.len(),
        ev.helpers.len()
    );
    if let Some(w) = &ev.root_warning {
        let _ = writeln!(out, "warning: {w}\n");
    }
    if !ev.quiescent.is_empty() {
        let _ = writeln!(out, "quiescent facts of the layout:");
        for q in &ev.quiescent {
            let _ = writeln!(
                out,
                "  {}(){}: {} ({} non-current writes)",
                q.function,
                q.file
                    .as_deref()
                    .map(|f| format!(" in {f}"))
                    .unwrap_or_default(),
                q.status,
                q.writes
            );
        }
        out.push('\n');
    }
    let mut by_flag: BTreeMap<&str, Vec<&Access>> = BTreeMap::new();
    for a in &ev.accesses {
        by_flag.entry(a.flag.as_str()).or_default().push(a);
    }
    for f in &layout.flags {
        let Some(list) = by_flag.get(f.name.as_str()) else {
            continue;
        };
        let _ = writeln!(out, "{} ({})", f.name, f.word);
        let counts: Vec<String> = ScanContext::ALL
            .iter()
            .map(|c| {
                let n = list
                    .iter()
                    .filter(|a| a.is_write() && a.context == *c)
                    .count();
                format!("{} {n}", c.as_str())
            })
            .collect();
        let _ = writeln!(out, "  writes: {}", counts.join(", "));
        for c in ScanContext::ALL {
            let ws: Vec<&&Access> = list
                .iter()
                .filter(|a| a.is_write() && a.context == c)
                .collect();
            if ws.is_empty() {
                continue;
            }
            let shown = if verbose || c != ScanContext::Current {
                ws.len()
            } else {
                ws.len().min(FIRST)
            };
            let shown = shown.min(if verbose { usize::MAX } else { FIRST.max(12) });
            let _ = writeln!(out, "    {}:", c.as_str());
            for a in ws.iter().take(shown) {
                let _ = writeln!(out, "      {}", loc(a));
            }
            if ws.len() > shown {
                let _ = writeln!(out, "      ... and {} more", ws.len() - shown);
            }
        }
        let remote_reads: Vec<&&Access> = list
            .iter()
            .filter(|a| {
                !a.is_write()
                    && matches!(a.context, ScanContext::Remote | ScanContext::RemoteStopped)
            })
            .collect();
        if !remote_reads.is_empty() {
            let _ = writeln!(out, "  remote readers: {}", remote_reads.len());
            for a in remote_reads
                .iter()
                .take(if verbose { usize::MAX } else { FIRST })
            {
                let _ = writeln!(out, "      {}", loc(a));
            }
        }
        let groups: Vec<_> = ev
            .groups
            .iter()
            .filter(|g| g.flags.iter().any(|x| x == &f.name))
            .collect();
        if !groups.is_empty() {
            let _ = writeln!(out, "  groups:");
            for g in groups {
                let _ = writeln!(
                    out,
                    "      {} ({}x, first {})",
                    g.flags.join(" | "),
                    g.count,
                    g.first
                );
            }
        }
        out.push('\n');
    }
    if !ev.unclassified.is_empty() {
        let _ = writeln!(out, "unclassified ({}):", ev.unclassified.len());
        for u in &ev.unclassified {
            let func = if u.function.is_empty() {
                String::new()
            } else {
                format!(" {}()", u.function)
            };
            let _ = writeln!(
                out,
                "  {}:{}:{}: {}{}: {}",
                u.file, u.line, u.col, u.name, func, u.reason
            );
        }
    }
    out
}
