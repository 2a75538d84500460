//! `flagplan man [--dir DIR]`: man pages generated from the clap definitions (clap_mangen), one
//! per subcommand plus `flagplan(1)`, each with EXIT STATUS, ENVIRONMENT, FILES, EXAMPLES and
//! SEE ALSO sections (written with the `roff` crate, so escaping is right).

use std::path::PathBuf;

use clap::{Args, CommandFactory};
use roff::{Roff, bold, roman};

use super::{Cli, Outcome, print};
use crate::error::{Error, Result};

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write every page (flagplan.1, flagplan-check.1, ...) into DIR instead of printing flagplan(1).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Replace pages that already exist in DIR.
    #[arg(long, requires = "dir")]
    pub force: bool,
}

/// One page: its file name (`flagplan-check.1`) and roff text.
pub struct Page {
    pub file: String,
    pub text: String,
}

/// Every page, `flagplan.1` first; `date` goes into `.TH` (YYYY-MM-DD).
pub fn pages(date: &str) -> Result<Vec<Page>> {
    // No `help` subcommand: it would be a page of its own that says nothing.
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let subs: Vec<String> = cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .map(|s| s.get_name().to_string())
        .collect();
    let mut out = vec![page(cmd.clone(), "flagplan", None, &subs, date)?];
    for sc in cmd.get_subcommands() {
        let name = sc.get_name().to_string();
        if !subs.contains(&name) {
            continue;
        }
        let sub = sc
            .clone()
            .name(format!("flagplan-{name}"))
            .bin_name(format!("flagplan {name}"));
        out.push(page(
            sub,
            &format!("flagplan-{name}"),
            Some(&name),
            &subs,
            date,
        )?);
    }
    Ok(out)
}

fn page(
    cmd: clap::Command,
    title: &str,
    sub: Option<&str>,
    subs: &[String],
    date: &str,
) -> Result<Page> {
    let man = clap_mangen::Man::new(cmd)
        .title(title)
        .date(date)
        .source(format!("flagplan {}", env!("CARGO_PKG_VERSION")))
        .manual("flagplan manual");
    let mut buf = Vec::new();
    man.render(&mut buf).map_err(|e| Error::io(title, e))?;
    // clap_mangen separates possible values with `.br`, a blank line, `.br`: one `.sp` says it
    // without the redundant breaks `mandoc -T lint` warns about.
    let mut text = String::from_utf8_lossy(&buf)
        .replace("\n.br\n\n.br\n", "\n.sp\n")
        .replace("\n\n.br\n", "\n.sp\n");
    text.push_str(&extra_sections(sub, subs).to_roff());
    Ok(Page {
        file: format!("{title}.1"),
        text,
    })
}

/// Commands for the EXAMPLES section of a page.
fn examples(sub: Option<&str>) -> &'static [(&'static str, &'static str)] {
    match sub {
        None | Some("check") => &[
            (
                "flagplan check examples/memalloc-2020.toml",
                "check a plan against the layout it names",
            ),
            (
                "flagplan check --builtin linux-6.1 -v",
                "the shipped 6.1 layout, notes included",
            ),
            (
                "flagplan check plan.toml --src ~/linux --format sarif -o flagplan.sarif",
                "judge on a tree's evidence, for code scanning",
            ),
            (
                "flagplan check plan.toml --select remote-writer --deny warnings",
                "one rule, warnings fail",
            ),
        ],
        Some("suggest") => &[
            (
                "flagplan suggest --flag PFA_SPREAD_PAGE",
                "where may this flag go?",
            ),
            (
                "flagplan suggest --free 4 --from flags",
                "a plan that frees four bits of flags",
            ),
        ],
        Some("import") => &[(
            "flagplan import include/linux/sched.h -o layout.toml",
            "a layout from a kernel header",
        )],
        Some("scan") => &[(
            "flagplan scan --builtin linux-6.1 --src ~/linux",
            "every access to every flag in a tree",
        )],
        Some("report") => &[(
            "flagplan report examples/memalloc-2020.toml --src ~/linux",
            "a cover-letter paragraph",
        )],
        Some("explain") => &[(
            "flagplan explain remote-writer",
            "what a rule means and how to fix it",
        )],
        Some("completions") => &[(
            "flagplan completions zsh > ~/.zfunc/_flagplan",
            "install zsh completions",
        )],
        Some("man") => &[(
            "flagplan man --dir /usr/local/share/man/man1",
            "install every page",
        )],
        Some("layouts") => &[("flagplan layouts", "list the built-in layouts")],
        Some("schema") => &[(
            "flagplan schema > layout.schema.json",
            "the JSON Schema for editors",
        )],
        Some(_) => &[],
    }
}

fn extra_sections(sub: Option<&str>, subs: &[String]) -> Roff {
    let mut r = Roff::new();
    r.control("SH", ["EXIT STATUS"]);
    for (code, what) in [
        ("0", "the layout passes; the request is met"),
        (
            "1",
            "errors were found (or denied findings), or the request cannot be met",
        ),
        (
            "2",
            "bad input or usage; machine formats still print an error document",
        ),
    ] {
        r.control("TP", []).text([bold(code)]).text([roman(what)]);
    }
    r.control("SH", ["ENVIRONMENT"]);
    for (var, what) in [
        (
            "NO_COLOR",
            "when set and not empty, no colour under --color auto",
        ),
        (
            "CLICOLOR_FORCE",
            "when set and not 0, colour under --color auto even off a terminal",
        ),
        ("TERM", "dumb: no colour under --color auto"),
        (
            "COLUMNS",
            "width text output fits (else the terminal's, else 100)",
        ),
        ("FLAGPLAN_TIMING", "scan prints its phase timings"),
    ] {
        r.control("TP", []).text([bold(var)]).text([roman(what)]);
    }
    r.control("SH", ["FILES"]);
    for (file, what) in [
        (
            "./layout.toml",
            "the layout read when none is given (else the newest built-in)",
        ),
        (
            ".flagplan.toml",
            "project defaults (select, ignore, deny), found from the current directory upward",
        ),
    ] {
        r.control("TP", []).text([bold(file)]).text([roman(what)]);
    }
    r.control("SH", ["EXAMPLES"]);
    for (cmd, what) in examples(sub) {
        r.control("TP", []).text([bold(*cmd)]).text([roman(*what)]);
    }
    r.control("SH", ["SEE ALSO"]);
    let mut refs: Vec<String> = Vec::new();
    if sub.is_some() {
        refs.push("flagplan(1)".into());
    }
    refs.extend(
        subs.iter()
            .filter(|s| Some(s.as_str()) != sub)
            .map(|s| format!("flagplan-{s}(1)")),
    );
    r.text([roman(refs.join(", "))]);
    r
}

/// Today as YYYY-MM-DD (UTC), or the date of `SOURCE_DATE_EPOCH` for reproducible pages.
fn date(source_date_epoch: Option<u64>) -> String {
    let secs = source_date_epoch.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    });
    let (y, m, d) = civil_from_days(i64::try_from(secs / 86_400).unwrap_or(0));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Howard Hinnant's days-to-civil: the proleptic Gregorian date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Run `flagplan man`.
pub fn run(args: &ManArgs) -> Result<Outcome> {
    let epoch = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse().ok());
    let pages = pages(&date(epoch))?;
    let Some(dir) = &args.dir else {
        print(&pages[0].text)?;
        return Ok(Outcome::Success);
    };
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display().to_string(), e))?;
    for p in &pages {
        crate::fsutil::write_atomic(&dir.join(&p.file), p.text.as_bytes(), args.force)?;
    }
    Ok(Outcome::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil() {
        assert_eq!(date(Some(0)), "1970-01-01");
        assert_eq!(date(Some(951_782_400)), "2000-02-29");
        assert_eq!(date(Some(1_796_169_600)), "2026-12-02");
    }
}
