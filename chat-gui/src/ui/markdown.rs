//! A message's text as the reader sees it: its Markdown ([`chat_model::markdown`]) laid out
//! into galleys once, which gives the row its exact height for the virtualised list, then
//! drawn: paragraphs, list items with their bullets, quotes with a bar, code blocks with their
//! colours (egui's own highlighter), their language and a Copy button, links that open in the
//! browser, the user's login marked where mentioned, and the find bar's matches.
//!
//! What is read from a text is cached per text for as long as it is on screen (egui's frame
//! cache), so a history of ten thousand lines reads only the lines drawn, once.

use std::ops::Range;
use std::sync::Arc;

use chat_model::markdown::{Body, Doc, Span, Style, parse};
use egui::text::{CCursor, LayoutJob, TextFormat};
use egui::{Color32, FontId, Galley, Pos2, Rect, Sense, Stroke, Ui, Vec2, pos2, vec2};

use crate::i18n::Texts;
use crate::ui::card::job;

/// Space between two blocks.
const BLOCK_GAP: f32 = 4.0;
/// How far a quote's text sits from its bar, and a list item's from its bullet.
const INDENT: f32 = 14.0;
/// Inner margin of a code block.
const CODE_PAD: f32 = 6.0;
/// Room under a code block's widest line for the scroll bar that reaches the rest of it
/// (egui's floating bar is drawn over what it scrolls, and would hide the last row).
const CODE_BAR: f32 = 10.0;

/// What the find bar looks for, to mark in a text.
#[derive(Debug, Clone, Copy)]
pub struct Found<'a> {
    pub query: &'a str,
    /// Whether this line holds the match shown now.
    pub current: bool,
}

/// The fonts and colours of message text, read from the style once a frame.
#[derive(Debug, Clone)]
pub struct Ink {
    body: FontId,
    bold: FontId,
    mono: FontId,
    small: FontId,
    text: Color32,
    weak: Color32,
    link: Color32,
    code_bg: Color32,
    block_bg: Color32,
    mention_bg: Color32,
    found: Color32,
    found_current: Color32,
}

impl Ink {
    /// The ink of this `ui`'s style; `found` and `found_current` colour the find bar's matches.
    pub fn of(ui: &Ui, found: Color32, found_current: Color32) -> Ink {
        let style = ui.style();
        let body = egui::TextStyle::Body.resolve(style);
        let v = &style.visuals;
        Ink {
            bold: FontId::new(body.size, crate::ui::theme::bold_family()),
            body,
            mono: egui::TextStyle::Monospace.resolve(style),
            small: egui::TextStyle::Small.resolve(style),
            text: v.text_color(),
            weak: v.weak_text_color(),
            link: v.hyperlink_color,
            code_bg: v.code_bg_color,
            block_bg: if v.dark_mode {
                Color32::from_gray(22)
            } else {
                Color32::from_gray(242)
            },
            mention_bg: if v.dark_mode {
                Color32::from_rgb(0x2b, 0x3f, 0x63)
            } else {
                Color32::from_rgb(0xd4, 0xe4, 0xff)
            },
            found,
            found_current,
        }
    }
}

/// A text laid out, its pieces placed from its top-left corner.
#[derive(Debug, Clone)]
pub struct Rich {
    /// Its size.
    pub size: Vec2,
    /// It mentions the user.
    pub mentions: bool,
    items: Vec<Item>,
}

#[derive(Debug, Clone)]
enum Item {
    /// Words (selectable), and the links in them: char ranges of the galley and their address.
    Text {
        at: Vec2,
        galley: Arc<Galley>,
        links: Vec<(Range<usize>, String)>,
    },
    /// A list item's bullet or number.
    Marker { at: Vec2, galley: Arc<Galley> },
    /// A quote's bar.
    Bar(Rect),
    /// A code block: its box, its language, its code. `view` is the part of the block the
    /// code shows in: a line wider than it is scrolled to sideways, never wrapped, since a
    /// wrapped line of code reads as two.
    Code {
        rect: Rect,
        language: Option<Arc<Galley>>,
        at: Vec2,
        view: Vec2,
        galley: Arc<Galley>,
        code: String,
    },
}

impl Rich {
    /// Where the last row of text ends (its right end and its top), to put a mark such as
    /// "(edited)" after it; `None` when the text ends in a code block.
    pub fn end(&self) -> Option<(Vec2, f32)> {
        match self.items.last()? {
            Item::Text { at, galley, .. } => {
                let row = galley.rows.last()?;
                let rect = row.rect();
                Some((*at + vec2(rect.right(), rect.top()), rect.height()))
            }
            _ => None,
        }
    }
}

/// What the frame cache computes: a text read for a login.
#[derive(Default)]
struct Reader;

impl egui::cache::ComputerMut<(&str, &str), Arc<Doc>> for Reader {
    fn compute(&mut self, (text, me): (&str, &str)) -> Arc<Doc> {
        Arc::new(parse(text, me))
    }
}

type DocCache = egui::cache::FrameCache<Arc<Doc>, Reader>;

/// `text` read, from the cache when it was read last frame.
fn read(ui: &Ui, text: &str, me: &str) -> Arc<Doc> {
    ui.ctx()
        .memory_mut(|m| Arc::clone(m.caches.cache::<DocCache>().get((text, me))))
}

/// Lays out `text` `width` wide; `me` is marked where mentioned, `found` where the find bar
/// matches.
pub fn layout(
    ui: &Ui,
    ink: &Ink,
    text: &str,
    me: &str,
    width: f32,
    found: Option<Found<'_>>,
) -> Rich {
    let doc = read(ui, text, me);
    let painter = ui.painter();
    if doc.is_plain() && found.is_none() {
        let galley = painter.layout_job(job(text, &ink.body, ink.text, width));
        return Rich {
            size: galley.size(),
            mentions: false,
            items: vec![Item::Text {
                at: Vec2::ZERO,
                galley,
                links: Vec::new(),
            }],
        };
    }
    let mut items = Vec::new();
    let mut y = 0.0;
    let mut widest: f32 = 0.0;
    for (n, block) in doc.blocks.iter().enumerate() {
        if n > 0 {
            y += BLOCK_GAP;
        }
        let quote_x = f32::from(block.quote.min(4)) * INDENT;
        let x = quote_x + f32::from(block.indent.min(6)) * (INDENT + 4.0);
        let inner = (width - x).max(40.0);
        let top = y;
        match &block.body {
            Body::Text(spans) => {
                let (job, links) = text_job(ink, spans, inner, found);
                let galley = painter.layout_job(job);
                if let Some(marker) = &block.marker {
                    let marker =
                        painter.layout_job(self::job(marker, &ink.body, ink.weak, f32::INFINITY));
                    let at = vec2(x - marker.size().x - 5.0, y);
                    items.push(Item::Marker { at, galley: marker });
                }
                widest = widest.max(x + galley.size().x);
                y += galley.size().y;
                items.push(Item::Text {
                    at: vec2(x, top),
                    galley,
                    links,
                });
            }
            Body::Code { language, code } => {
                let inner = (inner - 2.0 * CODE_PAD).max(40.0);
                let theme = egui_extras::syntax_highlighting::CodeTheme::from_style(ui.style());
                let mut job = egui_extras::syntax_highlighting::highlight(
                    ui.ctx(),
                    ui.style(),
                    &theme,
                    code,
                    super::files::code::highlighted_as(language),
                );
                job.wrap.max_width = f32::INFINITY;
                let galley = painter.layout_job(job);
                let label = (!language.is_empty()).then(|| {
                    painter.layout_job(self::job(language, &ink.small, ink.weak, f32::INFINITY))
                });
                // The header row holds the language and the Copy button.
                let header = ink.small.size + 10.0;
                let bar = if galley.size().x > inner {
                    CODE_BAR
                } else {
                    0.0
                };
                let view = vec2(inner, galley.size().y + bar);
                let height = CODE_PAD + header + view.y + CODE_PAD;
                let rect = Rect::from_min_size(pos2(x, y), vec2(inner + 2.0 * CODE_PAD, height));
                widest = widest.max(rect.right());
                items.push(Item::Code {
                    rect,
                    language: label,
                    at: vec2(x + CODE_PAD, y + CODE_PAD + header),
                    view,
                    galley,
                    code: code.clone(),
                });
                y += height;
            }
        }
        if block.quote > 0 {
            for level in 0..block.quote.min(4) {
                let bar_x = f32::from(level) * INDENT + 2.0;
                items.push(Item::Bar(Rect::from_min_max(
                    pos2(bar_x, top),
                    pos2(bar_x + 3.0, y),
                )));
            }
        }
    }
    let mentions = doc.blocks.iter().any(|b| match &b.body {
        Body::Text(spans) => spans.iter().any(|s| s.style.mention),
        Body::Code { .. } => false,
    });
    Rich {
        size: vec2(widest, y),
        mentions,
        items,
    }
}

/// `words` in place of a text (a deleted line's): italic, dim.
pub fn placeholder(ui: &Ui, ink: &Ink, words: &str, width: f32) -> Rich {
    let mut job = job(words, &ink.body, ink.weak, width);
    for section in &mut job.sections {
        section.format.italics = true;
    }
    let galley = ui.painter().layout_job(job);
    Rich {
        size: galley.size(),
        mentions: false,
        items: vec![Item::Text {
            at: Vec2::ZERO,
            galley,
            links: Vec::new(),
        }],
    }
}

/// The layout job of a block's spans, and the char ranges of its links.
fn text_job(
    ink: &Ink,
    spans: &[Span],
    wrap: f32,
    found: Option<Found<'_>>,
) -> (LayoutJob, Vec<(Range<usize>, String)>) {
    let mut out = LayoutJob::default();
    out.wrap.max_width = wrap;
    let mut links = Vec::new();
    let mut chars = 0;
    for span in spans {
        let format = format_of(ink, span.style, span.link.is_some());
        let start = chars;
        match found.filter(|f| !f.query.is_empty()) {
            Some(f) => {
                let mut marked = format.clone();
                marked.background = if f.current {
                    ink.found_current
                } else {
                    ink.found
                };
                let mut at = 0;
                for range in chat_model::find::ranges(&span.text, f.query) {
                    out.append(&span.text[at..range.start], 0.0, format.clone());
                    out.append(&span.text[range.clone()], 0.0, marked.clone());
                    at = range.end;
                }
                out.append(&span.text[at..], 0.0, format);
            }
            None => out.append(&span.text, 0.0, format),
        }
        chars += span.text.chars().count();
        if let Some(url) = &span.link {
            links.push((start..chars, url.clone()));
        }
    }
    (out, links)
}

/// How a span is written.
fn format_of(ink: &Ink, style: Style, link: bool) -> TextFormat {
    let font = if style.code {
        ink.mono.clone()
    } else if style.bold || style.mention {
        ink.bold.clone()
    } else {
        ink.body.clone()
    };
    let color = if link { ink.link } else { ink.text };
    let mut format = TextFormat::simple(font, color);
    format.italics = style.italic;
    if style.strike {
        format.strikethrough = Stroke::new(1.0, color);
    }
    if link {
        format.underline = Stroke::new(1.0, color);
    }
    if style.code {
        format.background = ink.code_bg;
    }
    if style.mention {
        format.background = ink.mention_bg;
    }
    format
}

/// Draws `rich` with its top-left corner at `at`. `id` tells this text's links and buttons from
/// another's.
pub fn paint(ui: &mut Ui, t: &Texts, ink: &Ink, rich: &Rich, at: Pos2, id: egui::Id) {
    for (n, item) in rich.items.iter().enumerate() {
        match item {
            Item::Text {
                at: offset,
                galley,
                links,
            } => {
                let origin = at + *offset;
                let rect = Rect::from_min_size(origin, galley.size());
                ui.place(rect, egui::Label::new(Arc::clone(galley)).selectable(true));
                for (k, (range, url)) in links.iter().enumerate() {
                    link(ui, galley, origin, range, url, id.with((n, k)));
                }
            }
            Item::Marker { at: offset, galley } => {
                ui.painter()
                    .galley(at + *offset, Arc::clone(galley), ink.weak);
            }
            Item::Bar(rect) => {
                ui.painter().rect_filled(
                    rect.translate(at.to_vec2()),
                    1.5,
                    ink.weak.gamma_multiply(0.6),
                );
            }
            Item::Code {
                rect,
                language,
                at: offset,
                view,
                galley,
                code,
            } => {
                let rect = rect.translate(at.to_vec2());
                ui.painter().rect_filled(rect, 6.0, ink.block_bg);
                ui.painter().rect_stroke(
                    rect,
                    6.0,
                    Stroke::new(1.0, ink.weak.gamma_multiply(0.3)),
                    egui::StrokeKind::Inside,
                );
                if let Some(language) = language {
                    let label_at = rect.min + vec2(CODE_PAD + 2.0, CODE_PAD);
                    ui.painter()
                        .galley(label_at, Arc::clone(language), ink.weak);
                }
                let copy = egui::Button::new(egui::RichText::new(format!("📋 {}", t.copy)).small())
                    .frame(false);
                let size = vec2(ink.small.size * 4.5 + 14.0, ink.small.size + 6.0);
                let button_rect =
                    Rect::from_min_size(pos2(rect.right() - size.x - 4.0, rect.top() + 3.0), size);
                let response = ui
                    .put(button_rect, copy)
                    .on_hover_text(t.copy_code)
                    .accessible_name(t.copy_code);
                if response.clicked() {
                    ui.ctx().copy_text(code.clone());
                }
                let view = Rect::from_min_size(at + *offset, *view);
                let mut code_ui = ui.new_child(
                    egui::UiBuilder::new()
                        .id_salt(id.with(("code", n)))
                        .max_rect(view),
                );
                // The bar's handle shown faintly before the pointer comes (a line cut at the
                // edge could read as its end), under the code, in the room kept for it.
                code_ui.spacing_mut().scroll.dormant_handle_opacity = 0.45;
                egui::ScrollArea::horizontal()
                    .id_salt(id.with(("code scroll", n)))
                    .max_width(view.width())
                    .auto_shrink([false, false])
                    .show(&mut code_ui, |ui| {
                        ui.add(egui::Label::new(Arc::clone(galley)).selectable(true));
                    });
            }
        }
    }
}

/// Makes the link over chars `range` of `galley` (drawn at `origin`) clickable: the pointing
/// hand, the address on hover, the browser on a click (or Enter, once it has the keyboard).
fn link(ui: &mut Ui, galley: &Galley, origin: Pos2, range: &Range<usize>, url: &str, id: egui::Id) {
    let words: String = galley
        .text()
        .chars()
        .skip(range.start)
        .take(range.len())
        .collect();
    // One rectangle per row the link runs over.
    let mut rects: Vec<Rect> = Vec::new();
    for c in range.clone() {
        let from = galley.pos_from_cursor(CCursor::new(c));
        let to = galley.pos_from_cursor(CCursor::new(c + 1));
        let glyph = if (to.top() - from.top()).abs() < 0.5 {
            Rect::from_min_max(from.min, pos2(to.min.x, from.max.y))
        } else {
            Rect::from_min_max(from.min, pos2(from.min.x + 4.0, from.max.y))
        };
        match rects.last_mut() {
            Some(last) if (last.top() - glyph.top()).abs() < 0.5 => *last = last.union(glyph),
            _ => rects.push(glyph),
        }
    }
    let mut open = false;
    for (part, rect) in rects.iter().enumerate() {
        let response = ui
            .interact(
                rect.translate(origin.to_vec2()),
                id.with(part),
                Sense::click(),
            )
            .on_hover_cursor(egui::CursorIcon::PointingHand)
            .on_hover_text(url);
        response
            .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Link, ui.is_enabled(), &words));
        if response.has_focus() {
            ui.painter().rect_stroke(
                response.rect.expand(1.0),
                2.0,
                ui.visuals().selection.stroke,
                egui::StrokeKind::Outside,
            );
        }
        open |= response.clicked();
    }
    if open {
        ui.ctx().open_url(egui::OpenUrl::new_tab(url));
    }
}
