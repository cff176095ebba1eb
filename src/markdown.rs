//! Markdown for board notes, read by pulldown-cmark with HTML off: a note from someone else
//! becomes a tree of a few known elements and plain text, never markup. Raw HTML in a note is
//! shown as the text it is; links keep only http(s), mailto and in-page (`#…`) addresses; images
//! become links to their address (a note cannot make the page fetch anything). The page builds
//! its DOM from the tree (text nodes, never `innerHTML`); [`to_html`] writes it escaped.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use crate::render::report::escape;

/// Deepest nesting kept: deeper elements' contents join their parent (no deep recursion later).
const MAX_DEPTH: usize = 24;

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    El(Element),
    Text(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Element {
    /// One of a fixed set of tag names (never taken from the note).
    pub tag: &'static str,
    /// A link's address (only on `a`), already checked by [`safe_href`].
    pub href: Option<String>,
    pub children: Vec<Node>,
}

impl Element {
    fn new(tag: &'static str) -> Element {
        Element { tag, href: None, children: Vec::new() }
    }
}

/// An address a note may link to: http(s), mailto, or a place in this page (`#…`); `None` for
/// anything else (`javascript:`, `data:`, relative paths, other schemes).
pub fn safe_href(url: &str) -> Option<String> {
    let u = url.trim();
    let lower = u.to_ascii_lowercase();
    let ok = ["http://", "https://", "mailto:"].iter().any(|p| lower.starts_with(p) && u.len() > p.len()) || u.starts_with('#');
    (ok && !u.chars().any(|c| c.is_control())).then(|| u.to_string())
}

/// The tree of `text`.
pub fn parse(text: &str) -> Vec<Node> {
    let opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    // The root, then one entry per open element: `None` when it was too deep to keep.
    let mut stack: Vec<Option<Element>> = vec![Some(Element::new("div"))];
    let mut in_head = false;
    let text_into = |stack: &mut Vec<Option<Element>>, node: Node| {
        if let Some(el) = stack.iter_mut().rev().find_map(Option::as_mut) {
            // Adjacent text merges (soft breaks, escaped characters arrive as pieces).
            if let (Node::Text(t), Some(Node::Text(last))) = (&node, el.children.last_mut()) {
                last.push_str(t);
                return;
            }
            el.children.push(node);
        }
    };
    for event in Parser::new_ext(text, opts) {
        match event {
            Event::Start(tag) => {
                let el = match tag {
                    Tag::Paragraph | Tag::HtmlBlock | Tag::MetadataBlock(_) => Element::new("p"),
                    Tag::Heading { level, .. } => Element::new(match level as usize {
                        1 => "h1",
                        2 => "h2",
                        3 => "h3",
                        4 => "h4",
                        5 => "h5",
                        _ => "h6",
                    }),
                    Tag::BlockQuote(_) => Element::new("blockquote"),
                    Tag::CodeBlock(_) => Element::new("pre"),
                    Tag::List(Some(_)) => Element::new("ol"),
                    Tag::List(None) => Element::new("ul"),
                    Tag::Item => Element::new("li"),
                    Tag::FootnoteDefinition(_) | Tag::DefinitionList | Tag::DefinitionListTitle | Tag::DefinitionListDefinition => Element::new("div"),
                    Tag::Table(_) => Element::new("table"),
                    Tag::TableHead => {
                        in_head = true;
                        Element::new("thead")
                    }
                    Tag::TableRow => Element::new("tr"),
                    Tag::TableCell => Element::new(if in_head { "th" } else { "td" }),
                    Tag::Emphasis => Element::new("em"),
                    Tag::Strong => Element::new("strong"),
                    Tag::Strikethrough => Element::new("del"),
                    Tag::Superscript => Element::new("sup"),
                    Tag::Subscript => Element::new("sub"),
                    Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. } => match safe_href(&dest_url) {
                        Some(h) => Element { tag: "a", href: Some(h), children: Vec::new() },
                        None => Element::new("span"),
                    },
                };
                stack.push((stack.len() <= MAX_DEPTH).then_some(el));
            }
            Event::End(end) => {
                if end == TagEnd::TableHead {
                    in_head = false;
                }
                if stack.len() > 1 {
                    if let Some(mut el) = stack.pop().flatten() {
                        // A table head's cells sit in a row of their own.
                        if el.tag == "thead" {
                            el.children = vec![Node::El(Element { tag: "tr", href: None, children: std::mem::take(&mut el.children) })];
                        }
                        if let Some(parent) = stack.iter_mut().rev().find_map(Option::as_mut) {
                            parent.children.push(Node::El(el));
                        }
                    }
                }
            }
            Event::Text(t) | Event::Html(t) | Event::InlineHtml(t) => text_into(&mut stack, Node::Text(t.to_string())),
            Event::Code(t) | Event::InlineMath(t) | Event::DisplayMath(t) => {
                text_into(&mut stack, Node::El(Element { tag: "code", href: None, children: vec![Node::Text(t.to_string())] }))
            }
            Event::FootnoteReference(t) => text_into(&mut stack, Node::Text(format!("[^{t}]"))),
            Event::SoftBreak => text_into(&mut stack, Node::Text("\n".into())),
            Event::HardBreak => text_into(&mut stack, Node::El(Element::new("br"))),
            Event::Rule => text_into(&mut stack, Node::El(Element::new("hr"))),
            Event::TaskListMarker(done) => text_into(&mut stack, Node::Text(if done { "☑ " } else { "☐ " }.into())),
        }
    }
    // Unclosed elements (there should be none) close at the end.
    while stack.len() > 1 {
        if let Some(el) = stack.pop().flatten() {
            if let Some(parent) = stack.iter_mut().rev().find_map(Option::as_mut) {
                parent.children.push(Node::El(el));
            }
        }
    }
    stack.pop().flatten().map(|root| root.children).unwrap_or_default()
}

/// The tree as HTML: the fixed tags, every text and address escaped; links open in a new
/// context without a referrer.
pub fn to_html(nodes: &[Node]) -> String {
    let mut out = String::new();
    write(nodes, &mut out);
    out
}

fn write(nodes: &[Node], out: &mut String) {
    for n in nodes {
        match n {
            Node::Text(t) => out.push_str(&escape(t)),
            Node::El(e) if matches!(e.tag, "br" | "hr") => out.push_str(&format!("<{}>", e.tag)),
            Node::El(e) => {
                match &e.href {
                    Some(h) => out.push_str(&format!("<a href=\"{}\" rel=\"noopener noreferrer\" target=\"_blank\">", escape(h))),
                    None => out.push_str(&format!("<{}>", e.tag)),
                }
                write(&e.children, out);
                out.push_str(&format!("</{}>", e.tag));
            }
        }
    }
}

/// The note's text without markup (for a title or a summary).
pub fn plain(nodes: &[Node]) -> String {
    let mut out = String::new();
    fn walk(nodes: &[Node], out: &mut String) {
        for n in nodes {
            match n {
                Node::Text(t) => out.push_str(t),
                Node::El(e) => walk(&e.children, out),
            }
        }
    }
    walk(nodes, &mut out);
    out
}
