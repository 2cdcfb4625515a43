//! The picture viewer: a picture of a line, whole, fitted to the window or zoomed (buttons,
//! Ctrl+wheel or pinch), with Save to keep a copy. Its preview shows while the whole picture
//! is fetched; a picture that cannot be shown says so.

use egui::{Id, RichText, Vec2};

use super::{FileIntent, Picture, shelf};
use crate::i18n::Texts;
use crate::ui::Intent;

/// Smallest and largest zoom.
const ZOOM: std::ops::RangeInclusive<f32> = 0.05..=16.0;

/// Draws the viewer, when open.
pub fn show(ctx: &egui::Context, t: &Texts) -> Vec<Intent> {
    let mut intents = Vec::new();
    let shelf = shelf(ctx);
    let Some(viewed) = &shelf.viewer else {
        return intents;
    };
    let file = &viewed.file;
    let zoom_id = Id::unique(("viewer-zoom", &file.id));
    // `None`: fitted to the window.
    let mut zoom: Option<f32> = ctx.data(|d| d.get_temp(zoom_id)).unwrap_or(None);
    let mut open = true;
    let preview = shelf.previews.get(&file.id);
    let texture = match (&viewed.full, preview) {
        (Picture::Ready(full), _) => Some(full),
        (_, Some(Picture::Ready(preview))) => Some(preview),
        _ => None,
    };
    let screen = ctx.content_rect().size();
    egui::Window::new(RichText::new(&file.name).strong())
        .id(Id::unique("picture-viewer"))
        .open(&mut open)
        .collapsible(false)
        .resizable(true)
        .default_size(screen * 0.8)
        .max_size(screen)
        .anchor(egui::Align2::CENTER_CENTER, Vec2::ZERO)
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                if ui.selectable_label(zoom.is_none(), t.viewer_fit).clicked() {
                    zoom = None;
                }
                let now = zoom.unwrap_or(1.0);
                if ui
                    .button("−")
                    .on_hover_text(t.viewer_zoom_out)
                    .accessible_name(t.viewer_zoom_out)
                    .clicked()
                {
                    zoom = Some((now / 1.25).clamp(*ZOOM.start(), *ZOOM.end()));
                }
                if ui
                    .selectable_label(zoom == Some(1.0), t.viewer_actual)
                    .clicked()
                {
                    zoom = Some(1.0);
                }
                if ui
                    .button("+")
                    .on_hover_text(t.viewer_zoom_in)
                    .accessible_name(t.viewer_zoom_in)
                    .clicked()
                {
                    zoom = Some((now * 1.25).clamp(*ZOOM.start(), *ZOOM.end()));
                }
                if let Some(z) = zoom {
                    ui.label(RichText::new(format!("{:.0} %", z * 100.0)).weak());
                }
                ui.separator();
                let saved = matches!(viewed.full, Picture::Ready(_));
                if ui
                    .add_enabled(saved, egui::Button::new(t.viewer_save))
                    .clicked()
                {
                    intents.push(Intent::Files(FileIntent::SaveViewed));
                }
                ui.label(
                    RichText::new(chat_model::export::file_size(file.size))
                        .small()
                        .weak(),
                );
            });
            match &viewed.full {
                Picture::Loading => {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label(t.picture_loading);
                    });
                }
                Picture::Broken => {
                    ui.colored_label(crate::ui::error_color(ui), t.picture_broken);
                }
                Picture::Ready(_) => {}
            }
            let Some(texture) = texture else {
                return;
            };
            let natural = texture.size_vec2();
            let area = ui.available_size().max(Vec2::splat(64.0));
            let fit = (area.x / natural.x).min(area.y / natural.y).min(1.0);
            let scale = zoom.unwrap_or(fit);
            let hovered = ui.ui_contains_pointer();
            let pinch = ui.input(|i| i.zoom_delta());
            if hovered && (pinch - 1.0).abs() > f32::EPSILON {
                zoom = Some((scale * pinch).clamp(*ZOOM.start(), *ZOOM.end()));
            }
            egui::ScrollArea::both()
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    let size = natural * scale;
                    let pad = ((ui.available_size() - size) / 2.0).max(Vec2::ZERO);
                    ui.add_space(pad.y);
                    ui.horizontal(|ui| {
                        ui.add_space(pad.x);
                        ui.add(
                            egui::Image::from_texture(texture)
                                .fit_to_exact_size(size)
                                .alt_text(&file.name),
                        );
                    });
                });
        });
    // Taken (the message box, which reads Escape too, leaves it while the viewer is open).
    if ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Escape)) {
        open = false;
    }
    ctx.data_mut(|d| d.insert_temp(zoom_id, zoom));
    if !open {
        intents.push(Intent::Files(FileIntent::CloseViewer));
    }
    intents
}
