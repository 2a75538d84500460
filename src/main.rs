//! The `flagplan` binary: parse arguments, run, and map the outcome to an exit code
//! (0 pass, 1 findings or an unmet request, 2 bad input or usage).

use std::process::ExitCode;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use clap::Parser;

use flagplan::cmd::{self, Cli, Outcome};
use flagplan::error::Error;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cmd::run(&cli) {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Failure) => ExitCode::from(1),
        Err(e) => {
            report_error(&e, cmd::stderr_color(&cli));
            ExitCode::from(2)
        }
    }
}

fn report_error(e: &Error, color: bool) {
    let text = match e {
        Error::Input(ie) => {
            // The message once, on a first line in the `file:line:col: error: message` shape
            // editors jump to; then the source line under it, without a second title.
            let mut group = Group::with_level(Level::ERROR).element(
                Snippet::source(ie.text.as_str())
                    .line_start(1)
                    .fold(true)
                    .annotation(AnnotationKind::Primary.span(ie.span.clone())),
            );
            if let Some(h) = &ie.help {
                group = group.element(Level::HELP.message(h.as_str()));
            }
            let r = if color {
                Renderer::styled()
            } else {
                Renderer::plain()
            };
            format!(
                "{}:{}:{}: error: {}\n{}",
                ie.file,
                ie.line,
                ie.col,
                ie.message,
                r.render(&[group])
            )
        }
        other => format!("error: {other}"),
    };
    anstream::eprintln!("{text}");
}
