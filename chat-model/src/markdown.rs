//! What a message's text looks like once its Markdown is read: a list of blocks (paragraphs,
//! list items, quotes, code) made of styled spans (bold, italic, code, links, the user's login
//! where mentioned).
//!
//! The wire carries plain text, as typed: IRC users read the asterisks. Only a subset is read,
//! the one chat programs use: `**bold**`, `*italic*`, `~~struck~~`, `` `code` ``, fenced code
//! blocks (with their language), `> quotes`, lists, `[links](…)` and bare `https://` addresses.
//! Everything else (headings, rules, HTML, images) shows as the text it is, never as markup a
//! sender could use to dress a line up as something else; a heading is only bold. A line break
//! is a line break, as in every chat (not a space, as CommonMark would make it).
//!
//! Plain Rust, no drawing: the window lays the [`Doc`] out and caches it per line.

use pulldown_cmark::{CodeBlockKind, Event, LinkType, Options, Parser, Tag, TagEnd};

/// How a span of text is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Style {
    pub bold: bool,
    pub italic: bool,
    pub strike: bool,
    /// Inline code.
    pub code: bool,
    /// The signed-in user's login, where someone mentions it.
    pub mention: bool,
}

/// A run of text in one style, maybe a link.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Span {
    pub text: String,
    pub style: Style,
    /// Where it leads, for a link.
    pub link: Option<String>,
}

/// What a block holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Body {
    /// Text (a paragraph, a list item's words), with its line breaks.
    Text(Vec<Span>),
    /// A code block, as written (indentation kept), and the language its fence named.
    Code { language: String, code: String },
}

/// One block of a message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Block {
    /// How many quotes it is inside.
    pub quote: u8,
    /// How many lists it is inside.
    pub indent: u8,
    /// The bullet or number of the list item this block starts.
    pub marker: Option<String>,
    pub body: Body,
}

/// A message's text, read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Doc {
    pub blocks: Vec<Block>,
}

impl Doc {
    /// Whether the text is one plain paragraph: no styles, links, mentions or blocks.
    pub fn is_plain(&self) -> bool {
        match self.blocks.as_slice() {
            [] => true,
            [
                Block {
                    quote: 0,
                    indent: 0,
                    marker: None,
                    body: Body::Text(spans),
                },
            ] => spans
                .iter()
                .all(|s| s.style == Style::default() && s.link.is_none()),
            _ => false,
        }
    }

    /// The code of every code block, in order (what their Copy buttons copy).
    pub fn code_blocks(&self) -> impl Iterator<Item = &str> {
        self.blocks.iter().filter_map(|b| match &b.body {
            Body::Code { code, .. } => Some(code.as_str()),
            Body::Text(_) => None,
        })
    }
}

/// Reads `text`; `me` is the signed-in user's login, highlighted where mentioned (empty: none).
/// The words of `text` without its Markdown (`**`, backticks, fences, link targets), blocks
/// joined by spaces: what a quote or a one-line excerpt shows.
pub fn plain(text: &str) -> String {
    let doc = parse(text, "");
    let mut out = String::new();
    for block in &doc.blocks {
        if !out.is_empty() {
            out.push(' ');
        }
        match &block.body {
            Body::Text(spans) => spans.iter().for_each(|span| out.push_str(&span.text)),
            Body::Code { code, .. } => out.push_str(code),
        }
    }
    out
}

pub fn parse(text: &str, me: &str) -> Doc {
    let mut reader = Reader {
        me,
        ..Reader::default()
    };
    let parser = Parser::new_ext(text, Options::ENABLE_STRIKETHROUGH).into_offset_iter();
    // Blocks left out of the subset are shown as the text they are, until their end (which
    // closes the block, for a heading).
    let mut literal: Option<(TagEnd, usize)> = None;
    for (event, range) in parser {
        if let Some((end, depth)) = &mut literal {
            match &event {
                Event::Start(_) => *depth += 1,
                Event::End(e) if *depth == 0 && e == end => {
                    if matches!(e, TagEnd::Heading(_)) {
                        reader.flush();
                        reader.close();
                    }
                    literal = None;
                }
                Event::End(_) => *depth = depth.saturating_sub(1),
                _ => {}
            }
            continue;
        }
        // Text comes in pieces (at characters that might have been markup): read them whole,
        // so an address or a login is found across them.
        if let Event::Text(t) = &event
            && reader.code.is_none()
        {
            reader.pending.push_str(t);
            continue;
        }
        reader.flush();
        match event {
            Event::Start(Tag::Paragraph) => reader.open(),
            Event::End(TagEnd::Paragraph) => reader.close(),
            // Headings are not in the subset: "# of students: 30" or a line over "---" is
            // what its writer typed, shown so (its addresses and mentions still found).
            Event::Start(Tag::Heading { level, .. }) => {
                reader.open();
                reader.pending.push_str(text[range].trim_end_matches('\n'));
                literal = Some((TagEnd::Heading(level), 0));
            }
            Event::Start(Tag::BlockQuote(_)) => {
                reader.close();
                reader.quote = reader.quote.saturating_add(1);
            }
            Event::End(TagEnd::BlockQuote(_)) => {
                reader.close();
                reader.quote = reader.quote.saturating_sub(1);
            }
            Event::Start(Tag::List(start)) => {
                reader.close();
                reader.lists.push(start);
            }
            Event::End(TagEnd::List(_)) => {
                reader.close();
                reader.lists.pop();
            }
            Event::Start(Tag::Item) => {
                reader.close();
                let marker = match reader.lists.last_mut() {
                    Some(Some(n)) => {
                        let marker = format!("{n}.");
                        *n += 1;
                        marker
                    }
                    _ => "•".to_owned(),
                };
                reader.marker = Some(marker);
            }
            Event::End(TagEnd::Item) => reader.close(),
            Event::Start(Tag::CodeBlock(kind)) => {
                reader.close();
                let language = match kind {
                    CodeBlockKind::Fenced(info) => {
                        info.split_whitespace().next().unwrap_or("").to_owned()
                    }
                    CodeBlockKind::Indented => String::new(),
                };
                reader.code = Some((language, String::new()));
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((language, mut code)) = reader.code.take() {
                    if code.ends_with('\n') {
                        code.pop();
                    }
                    reader.push_block(Body::Code { language, code });
                }
            }
            Event::Start(Tag::Emphasis) => reader.style.italic = true,
            Event::End(TagEnd::Emphasis) => reader.style.italic = false,
            Event::Start(Tag::Strong) => reader.style.bold = true,
            Event::End(TagEnd::Strong) => reader.style.bold = false,
            Event::Start(Tag::Strikethrough) => reader.style.strike = true,
            Event::End(TagEnd::Strikethrough) => reader.style.strike = false,
            // A link opens only a web page or a mail address; to anything else its words are
            // followed by where it points, so that nothing written is lost.
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                ..
            }) => {
                reader.link = match link_type {
                    // `<ana@example.org>`: a mail address written as one.
                    LinkType::Email => safe_link(&format!("mailto:{dest_url}")),
                    _ => safe_link(&dest_url),
                };
                // (An address written as itself, `<irc://…>`, already shows where it points.)
                if reader.link.is_none()
                    && !dest_url.trim().is_empty()
                    && !matches!(link_type, LinkType::Autolink | LinkType::Email)
                {
                    reader.elsewhere = Some(dest_url.trim().to_owned());
                }
            }
            Event::End(TagEnd::Link) => {
                reader.link = None;
                if let Some(dest) = reader.elsewhere.take() {
                    reader.push(&format!(" ({dest})"), reader.style, None);
                }
            }
            // Pictures are not fetched from addresses in text: shown as written, the address
            // a link.
            Event::Start(Tag::Image { .. }) => {
                reader.pending.push_str(&text[range]);
                literal = Some((TagEnd::Image, 0));
            }
            Event::Text(t) => {
                if let Some((_, code)) = &mut reader.code {
                    code.push_str(&t);
                }
            }
            Event::Code(t) => reader.code_span(&t),
            Event::SoftBreak | Event::HardBreak => reader.text("\n"),
            Event::Html(_) | Event::InlineHtml(_) | Event::Rule => {
                reader.literal(&text[range]);
            }
            Event::Start(tag) => {
                // Tables, footnotes, metadata and the like are not enabled; should one
                // appear, it is shown as written.
                reader.literal(&text[range]);
                literal = Some((tag.to_end(), 0));
            }
            Event::End(_)
            | Event::InlineMath(_)
            | Event::DisplayMath(_)
            | Event::FootnoteReference(_)
            | Event::TaskListMarker(_) => {}
        }
    }
    reader.flush();
    reader.close();
    reader.doc
}

/// The state of reading one message.
#[derive(Default)]
struct Reader<'a> {
    me: &'a str,
    doc: Doc,
    /// The spans of the block being read.
    spans: Vec<Span>,
    open: bool,
    style: Style,
    link: Option<String>,
    quote: u8,
    /// The lists the reader is in: the next number of an ordered one.
    lists: Vec<Option<u64>>,
    /// The marker of the list item whose first block comes next.
    marker: Option<String>,
    /// The code block being read: its language and code.
    code: Option<(String, String)>,
    /// Text read and not yet split into spans.
    pending: String,
    /// Where the link being read points, when it is not an address a click may open.
    elsewhere: Option<String>,
}

impl Reader<'_> {
    /// Makes spans of the text read so far.
    fn flush(&mut self) {
        if !self.pending.is_empty() {
            let text = std::mem::take(&mut self.pending);
            self.text(&text);
        }
    }

    fn open(&mut self) {
        self.close();
        self.open = true;
    }

    /// Ends the block being read, if it has anything.
    fn close(&mut self) {
        self.style.bold = false;
        if !self.spans.is_empty() {
            let spans = std::mem::take(&mut self.spans);
            self.push_block(Body::Text(spans));
        }
        self.open = false;
    }

    fn push_block(&mut self, body: Body) {
        let indent = u8::try_from(self.lists.len()).unwrap_or(u8::MAX);
        self.doc.blocks.push(Block {
            quote: self.quote,
            indent,
            marker: self.marker.take(),
            body,
        });
    }

    fn push(&mut self, text: &str, style: Style, link: Option<String>) {
        if text.is_empty() {
            return;
        }
        self.open = true;
        if let Some(last) = self.spans.last_mut()
            && last.style == style
            && last.link == link
        {
            last.text.push_str(text);
            return;
        }
        self.spans.push(Span {
            text: text.to_owned(),
            style,
            link,
        });
    }

    /// Words: inside a link as they are; elsewhere with bare addresses made links and the
    /// user's login marked.
    fn text(&mut self, text: &str) {
        if self.link.is_some() {
            self.push(text, self.style, self.link.clone());
            return;
        }
        for (piece, url) in split_urls(text) {
            if url {
                self.push(piece, self.style, Some(piece.to_owned()));
                continue;
            }
            for (part, mention) in split_mentions(piece, self.me) {
                let style = Style {
                    mention,
                    ..self.style
                };
                self.push(part, style, None);
            }
        }
    }

    fn code_span(&mut self, code: &str) {
        let style = Style {
            code: true,
            ..self.style
        };
        self.push(code, style, self.link.clone());
    }

    /// Markup outside the subset, shown as written.
    fn literal(&mut self, source: &str) {
        let source = source.trim_end_matches('\n');
        self.push(source, self.style, None);
    }
}

/// `url` if it is one a click may open: a web page or an e-mail address. Anything else (a
/// file, a program's own scheme) is shown as text and opens nothing.
fn safe_link(url: &str) -> Option<String> {
    let lower = url.trim().to_ascii_lowercase();
    ["https://", "http://", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme) && lower.len() > scheme.len())
        .then(|| url.trim().to_owned())
}

/// Splits `text` into pieces that are web addresses (`true`) and pieces that are not.
fn split_urls(text: &str) -> Vec<(&str, bool)> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(start) = find_url_start(rest) {
        let tail = &rest[start..];
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"'))
            .unwrap_or(tail.len());
        let mut url = &tail[..end];
        // Punctuation that ends a sentence is not part of the address, nor is a closing
        // bracket that the address did not open.
        loop {
            let trimmed = url.trim_end_matches(['.', ',', ';', ':', '!', '?', '\'', '*', '_']);
            let trimmed = if trimmed.ends_with(')')
                && trimmed.matches('(').count() < trimmed.matches(')').count()
            {
                &trimmed[..trimmed.len() - 1]
            } else {
                trimmed
            };
            if trimmed.len() == url.len() {
                break;
            }
            url = trimmed;
        }
        let scheme_only = url.ends_with("://");
        if start > 0 {
            pieces.push((&rest[..start], false));
        }
        pieces.push((url, !scheme_only));
        rest = &tail[url.len()..];
    }
    if !rest.is_empty() {
        pieces.push((rest, false));
    }
    pieces
}

/// Where the first `http://` or `https://` address starts in `text` (at a word's start).
fn find_url_start(text: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(at) = text[from..].find("http").map(|i| i + from) {
        let after = &text[at..];
        let starts_word = text[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        if starts_word && (after.starts_with("https://") || after.starts_with("http://")) {
            return Some(at);
        }
        from = at + 4;
    }
    None
}

/// Splits `text` into pieces that mention `me` (`true`: the login, with an `@` before it if
/// written so) and pieces that do not. A mention is the whole login, in any letter case, not
/// part of a longer word or login.
fn split_mentions<'t>(text: &'t str, me: &str) -> Vec<(&'t str, bool)> {
    if me.is_empty() || text.len() < me.len() {
        return vec![(text, false)];
    }
    let lower = text.to_ascii_lowercase();
    let me = me.to_ascii_lowercase();
    let part_of_login = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-');
    let mut pieces = Vec::new();
    let mut at = 0;
    let mut from = 0;
    while let Some(found) = lower[from..].find(&me).map(|i| i + from) {
        let end = found + me.len();
        let before = text[..found].chars().next_back();
        let mut after = text[end..].chars();
        let next = after.next();
        let whole = before.is_none_or(|c| !part_of_login(c) && c != '.')
            && match next {
                None => true,
                Some('.') => after.next().is_none_or(|c| !part_of_login(c)),
                Some(c) => !part_of_login(c),
            };
        if whole {
            let start = if before == Some('@') {
                found - 1
            } else {
                found
            };
            if start > at {
                pieces.push((&text[at..start], false));
            }
            pieces.push((&text[start..end], true));
            at = end;
        }
        from = end;
    }
    if at < text.len() {
        pieces.push((&text[at..], false));
    }
    pieces
}

#[cfg(test)]
mod tests {

    #[test]
    fn plain_text_drops_the_marks_and_keeps_the_words() {
        assert_eq!(
            plain("The exam on **Friday** covers `NTP`.\n\n- one\n- two"),
            "The exam on Friday covers NTP. one two"
        );
        assert_eq!(plain("2 * 3 = 6"), "2 * 3 = 6");
    }

    use super::*;

    fn spans(doc: &Doc) -> Vec<(String, Style, Option<String>)> {
        doc.blocks
            .iter()
            .flat_map(|b| match &b.body {
                Body::Text(spans) => spans.clone(),
                Body::Code { .. } => Vec::new(),
            })
            .map(|s| (s.text, s.style, s.link))
            .collect()
    }

    const BOLD: Style = Style {
        bold: true,
        italic: false,
        strike: false,
        code: false,
        mention: false,
    };

    #[test]
    fn plain_text_is_one_plain_paragraph() {
        let doc = parse("hola a todos, 2 + 2 = 4", "ana");
        assert!(doc.is_plain());
        assert_eq!(spans(&doc)[0].0, "hola a todos, 2 + 2 = 4");
    }

    #[test]
    fn bold_italic_code_and_struck_words() {
        let doc = parse("a **b** *c* `d` ~~e~~", "");
        let got: Vec<(String, Style)> = spans(&doc).into_iter().map(|(t, s, _)| (t, s)).collect();
        assert_eq!(got[1], ("b".to_owned(), BOLD));
        assert!(got[3].1.italic);
        assert!(got[5].1.code);
        assert!(got[7].1.strike);
        assert!(!doc.is_plain());
    }

    #[test]
    fn a_fenced_block_keeps_its_indentation_and_language() {
        let doc = parse("look:\n```python\ndef f():\n\n    return 1\n```\nok?", "");
        assert_eq!(doc.blocks.len(), 3);
        assert_eq!(
            doc.blocks[1].body,
            Body::Code {
                language: "python".into(),
                code: "def f():\n\n    return 1".into()
            }
        );
        assert_eq!(
            doc.code_blocks().collect::<Vec<_>>(),
            ["def f():\n\n    return 1"]
        );
    }

    #[test]
    fn lines_break_where_typed() {
        let doc = parse("first\nsecond", "");
        assert_eq!(spans(&doc)[0].0, "first\nsecond");
    }

    #[test]
    fn quotes_and_lists_are_blocks_with_markers() {
        let doc = parse("> quoted\n\n- one\n- two\n\n3. three\n4. four", "");
        let shape: Vec<(u8, u8, Option<&str>)> = doc
            .blocks
            .iter()
            .map(|b| (b.quote, b.indent, b.marker.as_deref()))
            .collect();
        assert_eq!(
            shape,
            [
                (1, 0, None),
                (0, 1, Some("•")),
                (0, 1, Some("•")),
                (0, 1, Some("3.")),
                (0, 1, Some("4."))
            ]
        );
    }

    #[test]
    fn links_written_and_bare_lead_where_they_say() {
        let doc = parse(
            "see [the docs](https://example.org/a) or https://example.org/b_(c). Done",
            "",
        );
        let links: Vec<(String, String)> = spans(&doc)
            .into_iter()
            .filter_map(|(t, _, l)| l.map(|l| (t, l)))
            .collect();
        assert_eq!(
            links,
            [
                ("the docs".to_owned(), "https://example.org/a".to_owned()),
                (
                    "https://example.org/b_(c)".to_owned(),
                    "https://example.org/b_(c)".to_owned()
                )
            ]
        );
        assert!(parse("(https://example.org)", "").blocks.len() == 1);
        let inside = spans(&parse("(https://example.org)", ""));
        assert_eq!(inside[1].2.as_deref(), Some("https://example.org"));
    }

    #[test]
    fn only_web_and_mail_addresses_are_links() {
        let links = |text: &str| -> Vec<Option<String>> {
            spans(&parse(text, ""))
                .into_iter()
                .map(|(_, _, l)| l)
                .collect()
        };
        assert_eq!(links("[a](file:///etc/passwd)"), [None]);
        assert_eq!(links("[a](javascript:alert(1))"), [None]);
        assert_eq!(
            links("[a](mailto:ana@example.org)"),
            [Some("mailto:ana@example.org".into())]
        );
    }

    #[test]
    fn the_users_login_is_marked_where_mentioned_and_nowhere_else() {
        let marked = |text: &str| -> Vec<String> {
            spans(&parse(text, "Ana"))
                .into_iter()
                .filter(|(_, s, _)| s.mention)
                .map(|(t, _, _)| t)
                .collect()
        };
        assert_eq!(marked("hi @ana, and ANA."), ["@ana", "ANA"]);
        assert!(marked("banana anabel ana_b ana.b").is_empty());
        assert!(marked("`ana` in code").is_empty());
    }

    #[test]
    fn markup_outside_the_subset_shows_as_written() {
        assert_eq!(spans(&parse("<b>hi</b>", ""))[0].0, "<b>hi</b>");
        let plain = |text: &str| {
            spans(&parse(text, ""))
                .into_iter()
                .map(|(t, _, _)| t)
                .collect::<String>()
        };
        assert_eq!(plain("# of students: 30"), "# of students: 30");
        assert_eq!(plain("Done\n---"), "Done\n---");
        assert_eq!(spans(&parse("---", ""))[0].0, "---");
        // A heading is its own block: what follows it is not run into it.
        assert_eq!(parse("# Title\n---", "").blocks.len(), 2);
        assert_eq!(parse("- # a\n  b", "").blocks.len(), 2);
        // A mail address written as a link opens the mail program, shown once.
        let mail = spans(&parse("<ana@example.org>", ""));
        assert_eq!(
            mail,
            [(
                "ana@example.org".to_owned(),
                Style::default(),
                Some("mailto:ana@example.org".to_owned())
            )]
        );
        assert_eq!(plain("<irc://irc.example.org>"), "irc://irc.example.org");
        // A link to what a click may not open keeps where it points, in words.
        assert_eq!(
            plain("[notes](www.example.org) here"),
            "notes (www.example.org) here"
        );
        // A picture's address is not fetched: written as it was, the address a link.
        let picture = spans(&parse("mira ![](https://example.org/a.png)", ""));
        assert_eq!(
            picture
                .iter()
                .map(|(t, _, _)| t.as_str())
                .collect::<String>(),
            "mira ![](https://example.org/a.png)"
        );
        assert!(
            picture
                .iter()
                .any(|(_, _, l)| l.as_deref() == Some("https://example.org/a.png")),
            "{picture:?}"
        );
    }
}
