//! The files a line carries, under its text: a picture with a preview as the picture itself
//! (click opens the viewer), any other file as a card (icon by type, name, size, Download with
//! its progress, Open once saved). A picture that cannot be shown keeps its place with a
//! placeholder.
//!
//! Heights depend only on what the line says of its files (their sizes in pixels), never on
//! what has been fetched, so a line keeps its height while its pictures load.

use chat_core::protocol::Attachment;
use chat_model::composer::Target;
use chat_model::export::file_size;
use chat_model::transfers::{Download, State};
use egui::{Pos2, Rect, RichText, Sense, Ui, Vec2, pos2, vec2};

use super::{Code, FileIntent, Picture, Shelf, code, icon, shelf, state_words};
use crate::i18n::{Texts, fill};
use crate::ui::Intent;

/// Widest and tallest a picture shows in a line.
const PICTURE_MAX: Vec2 = vec2(320.0, 240.0);
/// A file card's height.
const CARD_HEIGHT: f32 = 54.0;
/// A card's width when its name fits (one with a long name grows up to [`CODE_MAX_WIDTH`]).
const CARD_MAX_WIDTH: f32 = 420.0;
/// Widest a code file's box is (lines of code are long), and a card whose name is long.
const CODE_MAX_WIDTH: f32 = 640.0;
/// A card's width besides its name: margins, icon, the gap and the button (see [`card`]).
const CARD_CHROME_WIDTH: f32 = 2.0 * 10.0 + 36.0 + 8.0 + 96.0 + 4.0;
/// Space above each file.
const GAP: f32 = 6.0;

/// Whether `file` shows as a picture (it has a preview).
fn is_picture(file: &Attachment) -> bool {
    file.preview
}

/// Whether `file` shows the head of its text as code under its card.
fn shows_code(file: &Attachment) -> bool {
    code::is_code(file)
}

/// The size a picture shows at, from its dimensions (a wide or tall one within bounds).
fn picture_size(file: &Attachment, width: f32) -> Vec2 {
    #[allow(clippy::cast_precision_loss)]
    let aspect = match (file.width, file.height) {
        (Some(w), Some(h)) if w > 0 && h > 0 => (w as f32 / h as f32).clamp(0.25, 4.0),
        _ => 4.0 / 3.0,
    };
    let max_w = PICTURE_MAX.x.min(width).max(40.0);
    let mut size = vec2(max_w, max_w / aspect);
    if size.y > PICTURE_MAX.y {
        size = vec2(PICTURE_MAX.y * aspect, PICTURE_MAX.y);
    }
    size
}

fn box_size(shelf: Option<&Shelf>, file: &Attachment, width: f32) -> Vec2 {
    if is_picture(file) {
        picture_size(file, width)
    } else if shows_code(file) {
        let code = code::height(shelf, file);
        let gap = if code > 0.0 { GAP / 2.0 } else { 0.0 };
        vec2(width.min(CODE_MAX_WIDTH), CARD_HEIGHT + gap + code)
    } else {
        vec2(width.min(CARD_MAX_WIDTH), CARD_HEIGHT)
    }
}

/// The height `files` take under a line's text, `width` wide (`shelf`: what has been fetched
/// of them, when known; a code file's box takes the lines it shows).
pub fn height(shelf: Option<&Shelf>, files: &[Attachment], width: f32) -> f32 {
    files
        .iter()
        .map(|f| GAP + box_size(shelf, f, width).y)
        .sum()
}

/// The width the cards and code boxes of one message share, so that they line up in a column:
/// the widest any of them wants (a card as wide as its name needs, from [`CARD_MAX_WIDTH`] up to
/// [`CODE_MAX_WIDTH`], before the name is cut), within `width`.
fn column_width(ui: &Ui, files: &[Attachment], width: f32) -> f32 {
    let font = egui::TextStyle::Body.resolve(ui.style());
    let wants = files
        .iter()
        .filter(|f| !is_picture(f))
        .map(|f| {
            if shows_code(f) {
                CODE_MAX_WIDTH
            } else {
                let name = ui
                    .painter()
                    .layout_no_wrap(f.name.clone(), font.clone(), egui::Color32::WHITE)
                    .size()
                    .x;
                (name + CARD_CHROME_WIDTH).clamp(CARD_MAX_WIDTH, CODE_MAX_WIDTH)
            }
        })
        .fold(0.0_f32, f32::max);
    wants.min(width)
}

/// The download of `file` into the downloads folder, if there is one to show: one done whose
/// file was moved or deleted since is as none (Download again, not an Open that opens nothing).
fn kept<'s>(shelf: &'s Shelf, file: &Attachment) -> Option<&'s Download> {
    shelf.downloads.get(&file.id).filter(|d| {
        d.state != State::Done || d.path.as_deref().is_some_and(std::path::Path::exists)
    })
}

/// Draws `files` from `at`, `width` wide.
/// `from` is the box of the lines they are in.
pub fn paint(
    ui: &mut Ui,
    t: &Texts,
    files: &[Attachment],
    at: Pos2,
    width: f32,
    from: &Target,
) -> Vec<Intent> {
    let mut intents = Vec::new();
    let shelf = shelf(ui.ctx());
    let column = column_width(ui, files, width);
    let mut y = at.y;
    for file in files {
        y += GAP;
        let mut size = box_size(Some(&shelf), file, width);
        if !is_picture(file) {
            size.x = column;
        }
        let rect = Rect::from_min_size(pos2(at.x, y), size);
        y += size.y;
        if !ui.is_rect_visible(rect) {
            continue;
        }
        if is_picture(file) {
            intents.extend(picture(ui, t, &shelf, file, rect, from));
        } else if shows_code(file) {
            let (top, rest) = rect.split_top_bottom_at_y(rect.top() + CARD_HEIGHT);
            intents.extend(card(ui, t, &shelf, file, top, from));
            match shelf.codes.get(&file.id) {
                None => intents.push(Intent::Files(FileIntent::NeedCode(file.clone()))),
                Some(Code::Broken) => {}
                Some(_) => {
                    let code_rect =
                        Rect::from_min_max(pos2(rest.left(), rest.top() + GAP / 2.0), rest.max);
                    code::paint(ui, t, &shelf, file, code_rect);
                }
            }
        } else {
            intents.extend(card(ui, t, &shelf, file, rect, from));
        }
    }
    intents
}

fn picture(
    ui: &mut Ui,
    t: &Texts,
    shelf: &Shelf,
    file: &Attachment,
    rect: Rect,
    from: &Target,
) -> Vec<Intent> {
    let mut intents = Vec::new();
    let name = fill(t.picture_of, &[&file.name]);
    match shelf.previews.get(&file.id) {
        Some(Picture::Ready(texture)) => {
            // Its own id (not the next in order, which changes as a line's bar of actions
            // comes and goes under the pointer): its menu stays open as the pointer moves to it.
            let id = ui.scope_id().with(("picture", &file.id));
            egui::Image::from_texture(texture)
                .fit_to_exact_size(rect.size())
                .corner_radius(6)
                .paint_at(ui, rect);
            let response = ui
                .interact(rect, id, Sense::click())
                .on_hover_text(format!("{} · {}", file.name, file_size(file.size)))
                .on_hover_cursor(egui::CursorIcon::PointingHand)
                .accessible_name(name);
            if response.clicked() {
                intents.push(Intent::Files(FileIntent::View(file.clone(), from.clone())));
            }
            // Kept without opening it: Download (then Open) from its menu, as a card has.
            let download = kept(shelf, file);
            // The menu key (or Shift+F10) opens it from the keyboard too, under the picture;
            // a right click, where the pointer is (egui keeps that place while it is open).
            let menu = response.id.with("picture-menu");
            if response.has_focus()
                && ui.input_mut(|i| i.consume_key(egui::Modifiers::SHIFT, egui::Key::F10))
            {
                egui::Popup::open_id(ui.ctx(), menu);
            }
            let at_pointer = response.secondary_clicked()
                || egui::Popup::position_of_id(ui.ctx(), menu).is_some();
            let anchor = if at_pointer {
                egui::PopupAnchor::PointerFixed
            } else {
                egui::PopupAnchor::ParentRect(response.rect)
            };
            egui::Popup::context_menu(&response)
                .anchor(anchor)
                .id(menu)
                .show(|ui| match download {
                    Some(d) if d.state == State::Done => {
                        if let Some(path) = &d.path
                            && ui.button(t.file_open).clicked()
                        {
                            intents.push(Intent::Files(FileIntent::Open(path.clone())));
                        }
                    }
                    Some(d) if !d.state.is_over() => {
                        ui.label(state_words(t, &d.state, d.received, Some(file.size)));
                    }
                    _ => {
                        if ui.button(t.file_download).clicked() {
                            intents.push(Intent::Files(FileIntent::Download(
                                file.clone(),
                                from.clone(),
                            )));
                        }
                    }
                });
        }
        Some(Picture::Broken) => {
            // The file may still be fine elsewhere: Download stays, inside the placeholder
            // whatever its size: under the words where there is height (they keep the whole
            // width), beside them in a short wide one, in the corner of a small one.
            let inner = rect.shrink(6.0);
            let button_size = vec2(inner.width().min(88.0), inner.height().min(24.0));
            let (button_rect, words_rect) = if inner.height() >= 80.0 {
                // Words and button as one group in the middle.
                let top = inner.center().y + 12.0;
                let button = Rect::from_min_size(
                    pos2(inner.center().x - button_size.x / 2.0, top),
                    button_size,
                );
                let words = Rect::from_min_max(
                    pos2(rect.left(), (top - 60.0).max(rect.top())),
                    pos2(rect.right(), top + 4.0),
                );
                (button, words)
            } else if inner.width() >= 200.0 {
                let button = Rect::from_min_size(
                    pos2(
                        inner.right() - button_size.x,
                        inner.center().y - button_size.y / 2.0,
                    ),
                    button_size,
                );
                let words = Rect::from_min_max(rect.min, pos2(button.left(), rect.bottom()));
                (button, words)
            } else {
                let button = Rect::from_min_size(inner.right_bottom() - button_size, button_size);
                let words = Rect::from_min_max(rect.min, pos2(rect.right(), button.top()));
                (button, words)
            };
            placeholder(
                ui,
                rect,
                words_rect,
                &format!("⚠ {}", t.picture_broken),
                &file.name,
            );
            // As a card's button: Download, Cancel while it comes (its progress on hover),
            // Open once it is here.
            let download = kept(shelf, file);
            let (label, intent, hover) = match download {
                Some(d) if d.state == State::Done => match &d.path {
                    Some(path) => (t.file_open, FileIntent::Open(path.clone()), None),
                    None => (
                        t.file_download,
                        FileIntent::Download(file.clone(), from.clone()),
                        None,
                    ),
                },
                Some(d) if !d.state.is_over() => (
                    t.cancel,
                    FileIntent::Cancel(d.id),
                    Some(state_words(t, &d.state, d.received, Some(file.size))),
                ),
                _ => (
                    t.file_download,
                    FileIntent::Download(file.clone(), from.clone()),
                    None,
                ),
            };
            let mut button = ui
                .put(button_rect, egui::Button::new(label).truncate())
                .accessible_name(format!("{label}: {}", file.name));
            if let Some(hover) = hover {
                button = button.on_hover_text(hover);
            }
            if button.clicked() {
                intents.push(Intent::Files(intent));
            }
        }
        Some(Picture::Loading) => {
            placeholder(ui, rect, rect, t.picture_loading, &file.name);
        }
        None => {
            placeholder(ui, rect, rect, t.picture_loading, &file.name);
            intents.push(Intent::Files(FileIntent::NeedPreview(file.clone())));
        }
    }
    intents
}

/// A picture's place while it loads, or when it cannot be shown: `rect` framed, the words in
/// `words_rect` (a line each, cut to its width; the name left out where there is no room).
fn placeholder(ui: &mut Ui, rect: Rect, words_rect: Rect, words: &str, name: &str) {
    let visuals = ui.visuals().clone();
    ui.painter().rect(
        rect,
        6.0,
        visuals.faint_bg_color,
        visuals.widgets.noninteractive.bg_stroke,
        egui::StrokeKind::Inside,
    );
    let inner = words_rect.shrink(8.0);
    if inner.width() < 8.0 || inner.height() < 8.0 {
        return;
    }
    let both = inner.height() >= 40.0;
    let mut text = ui.new_child(
        egui::UiBuilder::new()
            .max_rect(Rect::from_center_size(
                inner.center(),
                vec2(inner.width(), if both { 44.0 } else { inner.height() }),
            ))
            .layout(egui::Layout::top_down(egui::Align::Center)),
    );
    text.set_clip_rect(words_rect.intersect(ui.clip_rect()));
    text.add(egui::Label::new(words).truncate());
    if both {
        text.add(egui::Label::new(RichText::new(name).small().weak()).truncate());
    }
}

fn card(
    ui: &mut Ui,
    t: &Texts,
    shelf: &Shelf,
    file: &Attachment,
    rect: Rect,
    from: &Target,
) -> Vec<Intent> {
    let mut intents = Vec::new();
    let visuals = ui.visuals().clone();
    ui.painter().rect(
        rect,
        6.0,
        visuals.faint_bg_color,
        visuals.widgets.noninteractive.bg_stroke,
        egui::StrokeKind::Inside,
    );
    let inner = rect.shrink2(vec2(10.0, 7.0));
    ui.painter().text(
        pos2(inner.left() + 14.0, inner.center().y),
        egui::Align2::CENTER_CENTER,
        icon(&file.mime),
        egui::FontId::proportional(26.0),
        visuals.text_color(),
    );
    let button_w = 96.0;
    let text_rect = Rect::from_min_max(
        pos2(inner.left() + 36.0, inner.top()),
        pos2(inner.right() - button_w - 8.0, inner.bottom()),
    );
    let download = kept(shelf, file);
    let detail = match download {
        Some(d) if !matches!(d.state, State::Done | State::Cancelled) => {
            state_words(t, &d.state, d.received, Some(file.size))
        }
        _ => file_size(file.size),
    };
    let mut text_ui = ui.new_child(egui::UiBuilder::new().max_rect(text_rect));
    text_ui.add(egui::Label::new(RichText::new(&file.name).strong()).truncate());
    match download.map(|d| &d.state) {
        Some(State::Running | State::Retrying { .. }) => {
            #[allow(clippy::cast_precision_loss)]
            let fraction = download.map_or(0.0, |d| d.received as f32 / (file.size.max(1)) as f32);
            text_ui.add(
                egui::ProgressBar::new(fraction)
                    .desired_width(text_rect.width())
                    .desired_height(5.0),
            );
            text_ui.add(egui::Label::new(RichText::new(detail).small().weak()).truncate());
        }
        Some(State::Failed(_)) => {
            text_ui.add(
                egui::Label::new(
                    RichText::new(detail)
                        .small()
                        .color(crate::ui::error_color(&text_ui)),
                )
                .truncate(),
            );
        }
        _ => {
            text_ui.add(egui::Label::new(RichText::new(detail).small().weak()).truncate());
        }
    }
    let button_rect = Rect::from_min_size(
        pos2(inner.right() - button_w, inner.center().y - 13.0),
        vec2(button_w, 26.0),
    );
    match download {
        Some(d) if matches!(d.state, State::Running | State::Retrying { .. }) => {
            let button = ui
                .put(button_rect, egui::Button::new(t.cancel))
                .accessible_name(format!("{}: {}", t.cancel, file.name));
            if button.clicked() {
                intents.push(Intent::Files(FileIntent::Cancel(d.id)));
            }
        }
        Some(d) if d.state == State::Done => {
            if let Some(path) = &d.path {
                let button = ui
                    .put(button_rect, egui::Button::new(t.file_open))
                    .on_hover_text(path.display().to_string())
                    .accessible_name(format!("{}: {}", t.file_open, file.name));
                if button.clicked() {
                    intents.push(Intent::Files(FileIntent::Open(path.clone())));
                }
            }
        }
        _ => {
            // Named with the file: a line may carry several cards, each with its Download.
            let button = ui
                .put(button_rect, egui::Button::new(t.file_download))
                .accessible_name(format!("{}: {}", t.file_download, file.name));
            if button.clicked() {
                intents.push(Intent::Files(FileIntent::Download(
                    file.clone(),
                    from.clone(),
                )));
            }
        }
    }
    intents
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(width: Option<u32>, height: Option<u32>) -> Attachment {
        Attachment {
            id: "f".into(),
            name: "p.png".into(),
            size: 1,
            mime: "image/png".into(),
            width,
            height,
            preview: true,
        }
    }

    #[test]
    fn a_picture_keeps_its_shape_within_bounds_whatever_it_claims() {
        assert_eq!(
            picture_size(&file(Some(800), Some(600)), 1000.0),
            vec2(320.0, 240.0)
        );
        assert_eq!(
            picture_size(&file(Some(600), Some(800)), 1000.0),
            vec2(180.0, 240.0)
        );
        let bomb = picture_size(&file(Some(100_000), Some(100_000)), 1000.0);
        assert_eq!(bomb, vec2(240.0, 240.0));
        let thin = picture_size(&file(Some(1), Some(100_000)), 1000.0);
        assert_eq!(
            thin,
            vec2(60.0, 240.0),
            "at most four times taller than wide"
        );
        assert_eq!(picture_size(&file(None, None), 100.0).x, 100.0);
    }
}
