//! The `flagplan` binary: parse arguments, run, map errors to exit code 2.

use std::process::ExitCode;

use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};
use clap::Parser;

use flagplan::cli::{self, Cli};
use flagplan::error::Error;

fn main() -> ExitCode {
    let cli = Cli::parse();
    flagplan::fsutil::set_max_input_size(cli.max_input_size);
    match cli::run(&cli) {
        Ok(code) => code,
        Err(e) => {
            report_error(
                &e,
                cli::use_color(cli.color) && std::env::var_os("NO_COLOR").is_none(),
            );
            ExitCode::from(2)
        }
    }
}

fn report_error(e: &Error, color: bool) {
    let text = match e {
        Error::Input(ie) => {
            let mut group = Level::ERROR.primary_title(ie.message.as_str()).element(
                Snippet::source(ie.text.as_str())
                    .path(ie.file.as_str())
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
            // The first line keeps the `file:line:col: message` shape editors jump to.
            format!("{e}\n{}", r.render(&[group]))
        }
        other => format!("error: {other}"),
    };
    anstream::eprintln!("{text}");
}
