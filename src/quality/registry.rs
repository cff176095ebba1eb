//! The OpenTelemetry semantic conventions' attribute registry, pinned: `semconv.json` was made
//! from the published registry (the YAML under `model/` at a release tag) by
//! `scripts/semconv-registry`, and is compiled in (13 kB gzipped).

use std::collections::{BTreeSet, HashMap};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::query::column::Kind;

const PINNED: &str = include_str!("semconv.json");

/// What the registry says of one attribute.
#[derive(Debug, Clone, Deserialize)]
pub struct Attribute {
    /// `string`, `int`, `double`, `boolean`, their arrays (`string[]`, …), `template[…]` (the
    /// name takes a key suffix: `http.request.header.<key>`), `any`, or `enum` (see `values`).
    #[serde(rename = "type")]
    pub kind: String,
    /// An enum's members' values (strings or integers).
    #[serde(default)]
    pub values: Vec<serde_json::Value>,
    #[serde(default)]
    pub stability: Option<String>,
    /// Why it is deprecated (`renamed`, or the registry's note).
    #[serde(default)]
    pub deprecated: Option<String>,
    #[serde(default)]
    pub renamed_to: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Registry {
    pub version: String,
    pub source: String,
    pub attributes: HashMap<String, Attribute>,
    /// First name segments the registry's current attributes use (`http`, `db`, …).
    #[serde(skip)]
    namespaces: BTreeSet<String>,
}

/// A name found in the registry: itself, or a template it fills in.
pub struct Found<'a> {
    /// The registry's name (the template's for a templated one).
    pub name: &'a str,
    pub attribute: &'a Attribute,
}

impl Registry {
    /// The registry this build pins.
    pub fn pinned() -> &'static Registry {
        static R: std::sync::OnceLock<Registry> = std::sync::OnceLock::new();
        R.get_or_init(|| Registry::parse(PINNED).expect("the pinned registry parses (tests/quality.rs)"))
    }

    pub fn parse(text: &str) -> Result<Registry> {
        let mut r: Registry = serde_json::from_str(text).map_err(|e| Error::Data(format!("semantic conventions registry: {e}")))?;
        r.namespaces = r
            .attributes
            .iter()
            .filter(|(_, a)| a.deprecated.is_none())
            .filter_map(|(n, _)| n.split_once('.').map(|(ns, _)| ns.to_string()))
            .collect();
        Ok(r)
    }

    /// `name` as the registry knows it: exactly, or as a template's key (`http.request.header.x`).
    pub fn find(&self, name: &str) -> Option<Found<'_>> {
        if let Some((n, a)) = self.attributes.get_key_value(name) {
            return Some(Found { name: n, attribute: a });
        }
        let mut at = name.len();
        while let Some(dot) = name[..at].rfind('.') {
            if let Some((n, a)) = self.attributes.get_key_value(&name[..dot]) {
                if a.kind.starts_with("template") {
                    return Some(Found { name: n, attribute: a });
                }
            }
            at = dot;
        }
        None
    }

    /// Whether `name`'s first segment is one of the registry's namespaces.
    pub fn namespace_of<'n>(&self, name: &'n str) -> Option<&'n str> {
        let (ns, _) = name.split_once('.')?;
        self.namespaces.contains(ns).then_some(ns)
    }
}

impl Attribute {
    /// The value kind the registry expects as the local engine types columns; `None` where any
    /// kind will do. Arrays arrive as JSON text (OTLP) and so as strings; a double may arrive as
    /// an integer column when every value was whole.
    pub fn expects(&self) -> Option<&'static [Kind]> {
        let base = self.kind.strip_prefix("template[").and_then(|t| t.strip_suffix(']')).unwrap_or(&self.kind);
        Some(match base {
            "string" => &[Kind::Str],
            "int" => &[Kind::Int],
            "double" => &[Kind::Float, Kind::Int],
            "boolean" => &[Kind::Bool],
            t if t.ends_with("[]") => &[Kind::Str],
            "enum" if self.values.iter().all(|v| v.is_i64()) => &[Kind::Int],
            "enum" => &[Kind::Str],
            _ => return None,
        })
    }

    /// The registry's type in words (`enum` as `string enum`).
    pub fn type_name(&self) -> String {
        match self.expects() {
            Some(&[Kind::Int]) if self.kind == "enum" => "int enum".into(),
            Some(_) if self.kind == "enum" => "string enum".into(),
            _ => self.kind.clone(),
        }
    }

    /// A string enum's member values.
    pub fn string_values(&self) -> Option<Vec<&str>> {
        (self.kind == "enum" && !self.values.is_empty()).then(|| self.values.iter().filter_map(|v| v.as_str()).collect())
    }

    /// What replaces a deprecated name, in words.
    pub fn replacement(&self) -> String {
        match (&self.renamed_to, &self.deprecated) {
            (Some(to), _) => format!("use {to}"),
            (None, Some(note)) => note.clone(),
            (None, None) => String::new(),
        }
    }
}
