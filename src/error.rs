//! Input, usage and I/O errors: everything that ends the run with exit code 2.

use std::ops::Range;

/// A problem in an input file, with the text needed to show it in context.
#[derive(Debug, Clone)]
pub struct InputError {
    pub file: String,
    pub text: String,
    pub span: Range<usize>,
    pub line: usize,
    pub col: usize,
    pub message: String,
    pub help: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: is a directory, not a file")]
    IsDirectory { path: String },
    #[error(
        "{path}: not a regular file ({kind}); flagplan reads regular files, and a pipe as `-` or /dev/stdin"
    )]
    NotRegular { path: String, kind: &'static str },
    #[error(
        "{path}: larger than the {limit} input limit (raise it with --max-input-size or FLAGPLAN_MAX_INPUT_SIZE)"
    )]
    TooLarge { path: String, limit: String },
    #[error("{path}: cannot write: directory `{dir}` does not exist")]
    NoSuchDirectory { path: String, dir: String },
    #[error("{path}:{line}:{col}: not UTF-8 text (invalid byte at offset {offset})")]
    NotUtf8 {
        path: String,
        line: usize,
        col: usize,
        offset: usize,
    },
    #[error("{path}:{line}:{col}: binary file (NUL byte at offset {offset})")]
    Binary {
        path: String,
        line: usize,
        col: usize,
        offset: usize,
    },
    #[error("{}:{}:{}: {}", .0.file, .0.line, .0.col, .0.message)]
    Input(Box<InputError>),
    #[error("no built-in layout named `{name}` (built-ins: {known})")]
    UnknownBuiltin { name: String, known: String },
    #[error("{path}: exists; not overwritten (use --force)")]
    WouldClobber { path: String },
    #[error("{0}")]
    Usage(String),
}

impl Error {
    pub fn io(path: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// `file`, `line`, `column` of the error, when it points into a file.
    pub fn position(&self) -> Option<(&str, usize, usize)> {
        match self {
            Error::Input(ie) => Some((ie.file.as_str(), ie.line, ie.col)),
            Error::NotUtf8 {
                path, line, col, ..
            }
            | Error::Binary {
                path, line, col, ..
            } => Some((path.as_str(), *line, *col)),
            _ => None,
        }
    }

    /// The message without its `file:line:col: ` prefix.
    pub fn message(&self) -> String {
        match self {
            Error::Input(ie) => ie.message.clone(),
            other => other.to_string(),
        }
    }

    /// An input error at `span` of `text`.
    pub fn input(
        file: &str,
        text: &str,
        span: Range<usize>,
        message: impl Into<String>,
        help: Option<String>,
    ) -> Self {
        let start = span.start.min(text.len());
        let (line, col) = line_col(text, start);
        Error::Input(Box::new(InputError {
            file: file.to_string(),
            text: text.to_string(),
            span: start..span.end.clamp(start, text.len()),
            line,
            col,
            message: message.into(),
            help,
        }))
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let col = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, col)
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
