//! Permalinks: everything a person sees, written into the URL fragment.
//!
//! Format: `#v1.` followed by URL-safe base64 (no padding) of raw-DEFLATE-compressed JSON
//! `{"sources": [urls], "query": {…spec…}, "view": {…}}`. The version prefix lets later formats
//! read old links. Credentials never enter a link: URL sources lose their `user:password@` part
//! and query parameters whose names look like secrets ([`SECRET_PARAMS`]); local files are named,
//! not embedded.

use std::io::{Read, Write};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use flate2::Compression;
use serde_json::{json, Value as Json};

use crate::error::{Error, Result};

pub const PREFIX: &str = "v1.";
/// Query parameter names (case-insensitive substrings) dropped from source URLs.
pub const SECRET_PARAMS: [&str; 10] = ["token", "key", "secret", "password", "passwd", "auth", "signature", "sig", "credential", "session"];
/// Largest decompressed state accepted from a link.
const MAX_STATE_BYTES: u64 = 1 << 20;

/// A local file the link asks for again (matched by name, size and content hash).
#[derive(Debug, Clone, PartialEq)]
pub struct FileRef {
    pub name: String,
    pub size: u64,
    pub hash: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct State {
    /// URL sources, scrubbed of credentials.
    pub sources: Vec<String>,
    pub files: Vec<FileRef>,
    /// The query spec JSON.
    pub query: Json,
    /// View options (weighting, time column, chart options, selections, open trace…).
    pub view: Json,
}

/// `url` without credentials: no userinfo, no secret-looking query parameters.
pub fn scrub_url(url: &str) -> String {
    let (base, fragment) = match url.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (url, None),
    };
    let (mut head, query) = match base.split_once('?') {
        Some((h, q)) => (h.to_string(), Some(q)),
        None => (base.to_string(), None),
    };
    if let Some(scheme_end) = head.find("://") {
        let rest_start = scheme_end + 3;
        let host_end = head[rest_start..].find('/').map_or(head.len(), |i| rest_start + i);
        if let Some(at) = head[rest_start..host_end].rfind('@') {
            head.replace_range(rest_start..rest_start + at + 1, "");
        }
    }
    let mut out = head;
    if let Some(q) = query {
        let kept: Vec<&str> = q
            .split('&')
            .filter(|kv| {
                let name = kv.split('=').next().unwrap_or("").to_ascii_lowercase();
                !name.is_empty() && !SECRET_PARAMS.iter().any(|s| name.contains(s))
            })
            .collect();
        if !kept.is_empty() {
            out.push('?');
            out.push_str(&kept.join("&"));
        }
    }
    if let Some(f) = fragment {
        if !f.is_empty() && !f.to_ascii_lowercase().contains("token") {
            out.push('#');
            out.push_str(f);
        }
    }
    out
}

/// A local file's content hash for [`FileRef`]: `xxh3:` and the 128-bit XXH3 hash in hex.
pub fn content_hash(bytes: &[u8]) -> String {
    hash_text(twox_hash::XxHash3_128::oneshot(bytes))
}

/// A content hash as links carry it (also for bytes hashed as they arrive: `ingest::Receiving`).
pub fn hash_text(xxh3_128: u128) -> String {
    format!("xxh3:{xxh3_128:032x}")
}

impl FileRef {
    /// Is `bytes`, named `name`, the file this link asks for? `Err` names what differs when the
    /// name and size match but the content does not.
    pub fn matches(&self, name: &str, bytes: &[u8]) -> Result<bool, String> {
        if self.name != name || self.size != bytes.len() as u64 {
            return Ok(false);
        }
        self.matches_hash(name, bytes.len(), &content_hash(bytes))
    }

    /// [`FileRef::matches`] for a file whose content hash is already known.
    pub fn matches_hash(&self, name: &str, size: usize, hash: &str) -> Result<bool, String> {
        if self.name != name || self.size != size as u64 {
            return Ok(false);
        }
        if self.hash != hash {
            return Err(format!("{name} has the name and size the link asks for, but different content: the view may differ from the one linked"));
        }
        Ok(true)
    }
}

impl State {
    pub fn to_json(&self) -> Json {
        let mut m = serde_json::Map::new();
        if !self.sources.is_empty() {
            m.insert("sources".into(), json!(self.sources.iter().map(|s| scrub_url(s)).collect::<Vec<_>>()));
        }
        if !self.files.is_empty() {
            m.insert("files".into(), json!(self.files.iter().map(|f| json!({"name": f.name, "size": f.size, "hash": f.hash})).collect::<Vec<_>>()));
        }
        m.insert("query".into(), self.query.clone());
        if self.view.as_object().is_some_and(|o| !o.is_empty()) {
            m.insert("view".into(), self.view.clone());
        }
        Json::Object(m)
    }

    /// The fragment (without `#`).
    pub fn encode(&self) -> String {
        let text = self.to_json().to_string();
        let mut enc = DeflateEncoder::new(Vec::new(), Compression::best());
        // Writing into a Vec cannot fail.
        let _ = enc.write_all(text.as_bytes());
        let bytes = enc.finish().unwrap_or_default();
        format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Read a fragment (with or without `#`). Errors say what is wrong with the link.
    pub fn decode(fragment: &str) -> Result<State> {
        let f = fragment.trim_start_matches('#');
        let body = f.strip_prefix(PREFIX).ok_or_else(|| Error::Other(format!("not an Apiary link (expected #{PREFIX}…)")))?;
        let bytes = URL_SAFE_NO_PAD.decode(body.trim_end_matches('=')).map_err(|e| Error::Other(format!("the link is damaged: {e}")))?;
        let mut text = String::new();
        DeflateDecoder::new(bytes.as_slice())
            .take(MAX_STATE_BYTES)
            .read_to_string(&mut text)
            .map_err(|e| Error::Other(format!("the link is damaged: {e}")))?;
        State::decode_json(&text)
    }

    /// Read a state from its JSON text (what [`State::to_json`] writes).
    pub fn decode_json(text: &str) -> Result<State> {
        let v: Json = serde_json::from_str(text).map_err(|e| Error::Other(format!("the link's state is not JSON: {e}")))?;
        let obj = v.as_object().ok_or_else(|| Error::Other("the link's state is not an object".into()))?;
        let sources = obj.get("sources").and_then(Json::as_array).map(|a| a.iter().filter_map(Json::as_str).map(scrub_url).collect()).unwrap_or_default();
        let files = obj
            .get("files")
            .and_then(Json::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|f| {
                        Some(FileRef { name: f.get("name")?.as_str()?.to_string(), size: f.get("size")?.as_u64()?, hash: f.get("hash")?.as_str()?.to_string() })
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(State { sources, files, query: obj.get("query").cloned().unwrap_or(json!({})), view: obj.get("view").cloned().unwrap_or(json!({})) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_compact() {
        let s = State {
            sources: vec!["https://data.example.com/telemetry/2026-11-01/spans.arrow".into()],
            files: vec![FileRef { name: "local.parquet".into(), size: 1234, hash: "ab12".into() }],
            query: json!({"calculations":[{"op":"P99","column":"duration_ms"},{"op":"COUNT"}],"filters":[{"column":"http.status_code","op":">=","value":500}],"breakdowns":["service.name","region"],"orders":[{"op":"P99","column":"duration_ms","order":"descending"}],"limit":100,"time_range":7200,"granularity":60}),
            view: json!({"weight": true, "time_column": "timestamp"}),
        };
        let link = s.encode();
        assert!(link.starts_with("v1."));
        assert!(link.len() < 500, "{} chars", link.len());
        assert!(link.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.'));
        assert_eq!(State::decode(&format!("#{link}")).unwrap(), s);
    }

    #[test]
    fn credentials_never_enter_a_link() {
        assert_eq!(scrub_url("https://user:pa55@host.example/a.arrow?x=1&api_key=SECRET&token=T&day=2"), "https://host.example/a.arrow?x=1&day=2");
        assert_eq!(scrub_url("https://host/a.arrow?X-Amz-Signature=abc&X-Amz-Credential=def"), "https://host/a.arrow");
        let s = State { sources: vec!["https://u:p@h/x.arrow?access_token=zzz".into()], query: json!({}), ..Default::default() };
        let back = State::decode(&s.encode()).unwrap();
        assert_eq!(back.sources, vec!["https://h/x.arrow".to_string()]);
        let decoded_text = back.to_json().to_string();
        assert!(!decoded_text.contains("zzz") && !decoded_text.contains("u:p"));
    }

    #[test]
    fn local_files_match_by_name_size_and_content() {
        let bytes = b"timestamp,duration_ms\n1,2\n";
        let f = FileRef { name: "a.csv".into(), size: bytes.len() as u64, hash: content_hash(bytes) };
        assert!(f.hash.starts_with("xxh3:") && f.hash.len() == 5 + 32);
        assert_eq!(f.matches("a.csv", bytes), Ok(true));
        assert_eq!(f.matches("b.csv", bytes), Ok(false));
        assert_eq!(f.matches("a.csv", b"short"), Ok(false));
        let other = b"timestamp,duration_ms\n1,3\n";
        assert!(f.matches("a.csv", other).unwrap_err().contains("different content"));
    }

    #[test]
    fn damaged_links_are_errors() {
        assert!(State::decode("#v2.abc").unwrap_err().to_string().contains("not an Apiary link"));
        assert!(State::decode("#v1.@@@").unwrap_err().to_string().contains("damaged"));
        assert!(State::decode("#v1.AAAA").is_err());
    }
}
