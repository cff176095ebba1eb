//! Boards: saved queries and markdown notes laid out on a grid, each query panel drawn as its own
//! chart. A board is plain data: read from and written as JSON (the page keeps boards in local
//! storage, exports and imports them as files, and carries the open one in its links), checked
//! as it is read, every error naming the panel and the field.
//!
//! JSON: `{"name": "Checkout", "panels": [{"type": "query", "title": "Latency", "query": {…},
//! "width": 2}, {"type": "note", "text": "## Runbook …"}]}`. `query` is Honeycomb query JSON
//! (the same as the page's Query JSON); `width` is how many of the grid's three columns the
//! panel spans (1 when left out).

use serde_json::{json, Value as Json};

use crate::query::QuerySpec;

/// Columns of the board's grid (a panel spans 1 to this many).
pub const COLUMNS: u8 = 3;
/// Most panels a board holds.
pub const MAX_PANELS: usize = 24;
/// Longest note (characters).
pub const MAX_NOTE: usize = 20_000;
/// Longest name or title (characters).
const MAX_NAME: usize = 200;

#[derive(Debug, Clone, PartialEq)]
pub struct Board {
    pub name: String,
    pub panels: Vec<Panel>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    pub title: String,
    /// Grid columns it spans (1 ..= [`COLUMNS`]).
    pub width: u8,
    pub content: Content,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    Query(Box<QuerySpec>),
    /// Markdown (see [`crate::markdown`]).
    Note(String),
}

impl Panel {
    pub fn query(title: &str, spec: QuerySpec) -> Panel {
        Panel { title: title.to_string(), width: 1, content: Content::Query(Box::new(spec)) }
    }

    /// A panel of the query on view, titled by what it shows (`P99(duration_ms) by
    /// service.name`). A fixed range that reaches the data's latest event (`latest_ms`) becomes
    /// the same length of time ending at the latest event, so the panel follows the data when it
    /// is refreshed; a range that ends earlier (an incident's window) stays fixed.
    pub fn from_query(mut spec: QuerySpec, latest_ms: Option<i64>) -> Panel {
        if let (Some(s), Some(e), Some(latest)) = (spec.start_time, spec.end_time, latest_ms) {
            if e > latest.div_euclid(1000) && e > s {
                spec.time_range = Some(e - s);
                spec.start_time = None;
                spec.end_time = None;
            }
        }
        let calcs: Vec<String> = spec.effective_calculations().iter().map(|c| c.key()).collect();
        let mut title = calcs.join(", ");
        if !spec.breakdowns.is_empty() {
            title.push_str(&format!(" by {}", spec.breakdowns.join(", ")));
        }
        if !spec.filters.is_empty() {
            title.push_str(" (filtered)");
        }
        Panel::query(&title, spec)
    }

    pub fn note(text: &str) -> Panel {
        Panel { title: String::new(), width: 1, content: Content::Note(text.to_string()) }
    }

    pub fn spec(&self) -> Option<&QuerySpec> {
        match &self.content {
            Content::Query(s) => Some(s),
            Content::Note(_) => None,
        }
    }

    pub fn to_json(&self) -> Json {
        let mut v = match &self.content {
            Content::Query(s) => json!({"type": "query", "title": self.title, "query": s.to_json()}),
            Content::Note(t) => json!({"type": "note", "text": t}),
        };
        if matches!(self.content, Content::Note(_)) && !self.title.is_empty() {
            v["title"] = json!(self.title);
        }
        if self.width != 1 {
            v["width"] = json!(self.width);
        }
        v
    }
}

/// Move item `i` of `v` by `by` places (clamped to the list): how panels move, and anything
/// kept beside them in their order.
pub fn shift<T>(v: &mut Vec<T>, i: usize, by: isize) {
    if i >= v.len() {
        return;
    }
    let to = (i as isize + by).clamp(0, v.len() as isize - 1) as usize;
    let x = v.remove(i);
    v.insert(to, x);
}

fn text(m: &serde_json::Map<String, Json>, key: &str, at: &str, max: usize) -> Result<String, String> {
    match m.get(key) {
        None | Some(Json::Null) => Ok(String::new()),
        Some(Json::String(s)) if s.chars().count() <= max => Ok(s.clone()),
        Some(Json::String(_)) => Err(format!("{at}: {key} is longer than {max} characters")),
        Some(other) => Err(format!("{at}: {key} must be text, got {other}")),
    }
}

impl Board {
    pub fn new(name: &str) -> Board {
        Board { name: name.to_string(), panels: Vec::new() }
    }

    pub fn to_json(&self) -> Json {
        json!({"name": self.name, "panels": self.panels.iter().map(Panel::to_json).collect::<Vec<_>>()})
    }

    /// Read a board, checking every panel; errors say which panel and what is wrong.
    pub fn from_json(v: &Json) -> Result<Board, String> {
        let m = v.as_object().ok_or("a board must be a JSON object with name and panels")?;
        for k in m.keys() {
            if !["name", "panels"].contains(&k.as_str()) {
                return Err(format!("board: unknown field {k:?} (expected name, panels)"));
            }
        }
        let name = text(m, "name", "board", MAX_NAME)?;
        let name = if name.trim().is_empty() { "Untitled board".to_string() } else { name };
        let at_board = format!("board {name:?}");
        let panels = match m.get("panels") {
            None | Some(Json::Null) => Vec::new(),
            Some(Json::Array(a)) => a.as_slice().to_vec(),
            Some(_) => return Err(format!("{at_board}: panels must be a list")),
        };
        if panels.len() > MAX_PANELS {
            return Err(format!("{at_board}: {} panels, more than the {MAX_PANELS} a board holds", panels.len()));
        }
        let mut out = Vec::with_capacity(panels.len());
        for (i, p) in panels.iter().enumerate() {
            let at = format!("{at_board}, panel {}", i + 1);
            let pm = p.as_object().ok_or_else(|| format!("{at}: must be an object"))?;
            for k in pm.keys() {
                if !["type", "title", "query", "text", "width"].contains(&k.as_str()) {
                    return Err(format!("{at}: unknown field {k:?} (expected type, title, query, text, width)"));
                }
            }
            let title = text(pm, "title", &at, MAX_NAME)?;
            let width = match pm.get("width") {
                None | Some(Json::Null) => 1,
                Some(w) => match w.as_u64() {
                    Some(w @ 1..=3) => w as u8,
                    _ => return Err(format!("{at}: width must be 1, 2 or 3 (grid columns), got {w}")),
                },
            };
            let content = match pm.get("type").and_then(Json::as_str) {
                Some("query") => {
                    let q = pm.get("query").ok_or_else(|| format!("{at}: a query panel needs a query"))?;
                    Content::Query(Box::new(QuerySpec::from_json(q).map_err(|e| format!("{at} ({title}): {e}"))?))
                }
                Some("note") => Content::Note(text(pm, "text", &at, MAX_NOTE)?),
                Some(t) => return Err(format!("{at}: unknown type {t:?} (expected query or note)")),
                None => return Err(format!("{at}: type is required (query or note)")),
            };
            out.push(Panel { title, width, content });
        }
        Ok(Board { name, panels: out })
    }

    /// Boards from a file's text: a list of boards, or one alone.
    pub fn parse_all(text: &str) -> Result<Vec<Board>, String> {
        let v: Json = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        match v {
            Json::Array(a) => a.iter().map(Board::from_json).collect(),
            v => Ok(vec![Board::from_json(&v)?]),
        }
    }

    /// Move panel `i` by `by` places (clamped to the board).
    pub fn shift(&mut self, i: usize, by: isize) {
        shift(&mut self.panels, i, by);
    }

    /// Panel `i` one column wider, back to one past the grid's width.
    pub fn widen(&mut self, i: usize) {
        if let Some(p) = self.panels.get_mut(i) {
            p.width = p.width % COLUMNS + 1;
        }
    }
}
