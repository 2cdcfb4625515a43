//! Code files shown as code: under a code file's card (a `.rs`, `.py`, a log…), its first lines
//! in a monospace font with their indentation and colours (egui_extras' highlighter), and how
//! many more lines the file has. A student who pastes `main.rs` is read without a download.
//!
//! The text comes from the head of the file ([`CODE_MAX_BYTES`]), fetched
//! off the UI thread; until it arrives the box keeps a height guessed from the file's size, and
//! a file that turns out not to be text shows as its card alone.

use chat_core::protocol::Attachment;
use egui::{Rect, RichText, Ui, pos2, vec2};

use super::{Code, Shelf};
use crate::i18n::{Texts, fill};

/// Most of a code file fetched to show it in its line.
pub const CODE_MAX_BYTES: u64 = 16 * 1024;
/// Most lines shown in a line of the conversation.
pub const CODE_LINES: usize = 12;
/// Largest file shown as code (larger ones are data, not something to read in a line).
const CODE_FILE_MAX_BYTES: u64 = 1024 * 1024;
/// Height of a line of code, and the font that fits in it.
const CODE_ROW: f32 = 16.0;
const CODE_FONT_SIZE: f32 = 12.5;
/// Space around the code inside its box.
const PAD: f32 = 6.0;

/// Extensions of files people read as code or plain text.
const CODE_EXTENSIONS: &[&str] = &[
    "rs", "py", "c", "h", "cpp", "hpp", "cc", "java", "kt", "js", "ts", "go", "rb", "php", "cs",
    "swift", "sh", "bash", "toml", "yaml", "yml", "json", "sql", "txt", "md", "log", "csv", "html",
    "css", "xml", "ini", "cfg", "hs", "ml", "lua", "r", "m", "scala", "asm", "s",
];

/// The grammar `language` (a fence's word or a file's extension) is coloured with: egui's
/// highlighter knows C-like languages only as C++, so Java, Go, C#, Kotlin, Swift and Scala
/// get its comments, strings, numbers and the keywords they share, rather than no colour.
pub fn highlighted_as(language: &str) -> &str {
    match language.to_ascii_lowercase().as_str() {
        "java" | "go" | "golang" | "cs" | "csharp" | "c#" | "kt" | "kotlin" | "swift" | "scala" => {
            "cpp"
        }
        _ => language,
    }
}

/// The file's extension, lowercased.
fn extension(file: &Attachment) -> String {
    std::path::Path::new(&file.name)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default()
}

/// Whether `file` shows as code under its card.
pub fn is_code(file: &Attachment) -> bool {
    if file.preview || file.size == 0 || file.size > CODE_FILE_MAX_BYTES {
        return false;
    }
    file.mime.starts_with("text/")
        || file.mime == "application/json"
        || CODE_EXTENSIONS.contains(&extension(file).as_str())
}

/// The lines shown and how many more the head has.
fn shown(text: &str) -> (Vec<&str>, usize) {
    let text = text.strip_suffix('\n').unwrap_or(text);
    let all: Vec<&str> = text.split('\n').collect();
    let more = all.len().saturating_sub(CODE_LINES);
    (all.into_iter().take(CODE_LINES).collect(), more)
}

/// The rows of code the box holds: the lines shown, and one saying how many more.
fn rows(shelf: Option<&Shelf>, file: &Attachment) -> usize {
    match shelf.and_then(|s| s.codes.get(&file.id)) {
        Some(Code::Ready(text)) => {
            let (lines, more) = shown(text);
            lines.len() + usize::from(more > 0)
        }
        Some(Code::Broken) => 0,
        // Not fetched yet: a guess from its size (about 32 bytes a line).
        Some(Code::Loading) | None => {
            usize::try_from(file.size / 32).map_or(CODE_LINES, |n| n.clamp(1, CODE_LINES))
        }
    }
}

/// The height of the code box under `file`'s card (0 when it shows none).
pub fn height(shelf: Option<&Shelf>, file: &Attachment) -> f32 {
    let rows = rows(shelf, file);
    if rows == 0 {
        return 0.0;
    }
    #[allow(clippy::cast_precision_loss)]
    let rows = rows as f32;
    rows * CODE_ROW + 2.0 * PAD
}

/// Draws the code of `file` in `rect` (its height is [`height`]).
pub fn paint(ui: &mut Ui, t: &Texts, shelf: &Shelf, file: &Attachment, rect: Rect) {
    let visuals = ui.visuals().clone();
    ui.painter().rect(
        rect,
        4.0,
        visuals.extreme_bg_color,
        visuals.widgets.noninteractive.bg_stroke,
        egui::StrokeKind::Inside,
    );
    let inner = rect.shrink(PAD);
    let Some(Code::Ready(text)) = shelf.codes.get(&file.id) else {
        ui.painter().text(
            inner.left_top(),
            egui::Align2::LEFT_TOP,
            "…",
            egui::FontId::monospace(CODE_FONT_SIZE),
            visuals.weak_text_color(),
        );
        return;
    };
    let (lines, more) = shown(text);
    let code = lines.join("\n");
    let mut style = (**ui.style()).clone();
    style.override_font_id = Some(egui::FontId::monospace(CODE_FONT_SIZE));
    for text_style in [egui::TextStyle::Monospace, egui::TextStyle::Body] {
        style
            .text_styles
            .insert(text_style, egui::FontId::monospace(CODE_FONT_SIZE));
    }
    let theme = egui_extras::syntax_highlighting::CodeTheme::from_style(&style);
    let mut job = egui_extras::syntax_highlighting::highlight(
        ui.ctx(),
        &style,
        &theme,
        &code,
        highlighted_as(&extension(file)),
    );
    job.wrap.max_width = f32::INFINITY;
    for section in &mut job.sections {
        section.format.line_height = Some(CODE_ROW);
    }
    // A label, so the code can be selected and copied, and screen readers read it.
    let clip = inner.intersect(ui.clip_rect());
    let mut code_ui = ui.new_child(egui::UiBuilder::new().max_rect(inner));
    code_ui.set_clip_rect(clip);
    code_ui.add(egui::Label::new(job).extend().selectable(true));
    if more > 0 {
        #[allow(clippy::cast_precision_loss)]
        let y = inner.top() + lines.len() as f32 * CODE_ROW;
        // Past the head fetched, the count would be wrong.
        let words = if file.size > CODE_MAX_BYTES {
            t.code_rest.to_owned()
        } else {
            fill(t.code_more, &[&more])
        };
        let more_rect = Rect::from_min_size(pos2(inner.left(), y), vec2(inner.width(), CODE_ROW));
        ui.put(
            more_rect,
            egui::Label::new(RichText::new(words).small().weak()).truncate(),
        );
    }
}

/// Bytes as the text of a code file: UTF-8 (a character cut at the end dropped), tabs as four
/// spaces; `None` for what is not text (a NUL byte, or invalid UTF-8 before the end).
pub fn code_text(bytes: &[u8]) -> Option<String> {
    if bytes.contains(&0) {
        return None;
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        // A multi-byte character cut by the end of the head.
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&bytes[..e.valid_up_to()]).ok()?,
        Err(_) => return None,
    };
    Some(text.replace("\r\n", "\n").replace('\t', "    "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, mime: &str, size: u64) -> Attachment {
        Attachment {
            id: "f".into(),
            name: name.into(),
            size,
            mime: mime.into(),
            width: None,
            height: None,
            preview: false,
        }
    }

    #[test]
    fn code_is_told_by_its_type_or_its_name() {
        assert!(is_code(&file("main.rs", "text/x-rust", 400)));
        assert_eq!(highlighted_as("Java"), "cpp", "C-like, coloured as C++");
        assert_eq!(highlighted_as("go"), "cpp");
        assert_eq!(highlighted_as("py"), "py", "its own grammar");
        assert!(is_code(&file("notes", "text/plain", 400)));
        assert!(is_code(&file("Main.JAVA", "application/octet-stream", 400)));
        assert!(!is_code(&file("tema3.pdf", "application/pdf", 400)));
        assert!(
            !is_code(&file("vacío.rs", "text/x-rust", 0)),
            "nothing to read"
        );
        assert!(
            !is_code(&file("dump.log", "text/plain", 50 << 20)),
            "data, not code"
        );
    }

    #[test]
    fn a_long_file_shows_its_first_lines_and_counts_the_rest() {
        let text: String = (1..=20).map(|i| format!("line {i}\n")).collect();
        let (lines, more) = shown(&text);
        assert_eq!(lines.len(), CODE_LINES);
        assert_eq!(lines[0], "line 1");
        assert_eq!(more, 8);
        assert_eq!(
            shown("a\n    b\n"),
            (vec!["a", "    b"], 0),
            "indentation kept"
        );
    }

    #[test]
    fn code_is_text_and_keeps_its_indentation() {
        assert_eq!(
            code_text(b"fn main() {\r\n\tlet x = 1;\r\n}").as_deref(),
            Some("fn main() {\n    let x = 1;\n}")
        );
        // "é" cut in half by the end of the head: the half goes.
        assert_eq!(code_text(b"caf\xc3").as_deref(), Some("caf"));
        assert_eq!(
            code_text(b"\x89PNG\r\n\x1a\n\0\0"),
            None,
            "a picture is no code"
        );
        assert_eq!(code_text(b"\xff\xfe ok"), None);
    }
}
