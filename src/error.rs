//! One error type for the engine: every message says what went wrong and where.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// A query spec field is invalid: `field` is a JSON path such as `filters[2].op`.
    Spec { field: String, reason: String },
    /// Input bytes could not be decoded: `source` names the file or URL.
    Decode { source: String, reason: String },
    /// The data set does not fit what was asked (unknown column, wrong type).
    Data(String),
    /// Anything else, with its own message.
    Other(String),
    /// Work stopped by whoever paced it (see [`crate::pace`]): a newer request replaced it.
    Stopped,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn spec(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Spec { field: field.into(), reason: reason.into() }
    }
    pub fn decode(source: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Decode { source: source.into(), reason: reason.into() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Spec { field, reason } => write!(f, "invalid query: {field}: {reason}"),
            Error::Decode { source, reason } => write!(f, "cannot read {source}: {reason}"),
            Error::Data(m) | Error::Other(m) => f.write_str(m),
            Error::Stopped => f.write_str("stopped: a newer request replaced this one"),
        }
    }
}

impl std::error::Error for Error {}

impl From<arrow_schema::ArrowError> for Error {
    fn from(e: arrow_schema::ArrowError) -> Self {
        Error::Other(e.to_string())
    }
}
