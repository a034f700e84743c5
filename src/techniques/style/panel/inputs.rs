//! The content and style drop zones: a thumbnail, a gallery, a file dialog,
//! drag-and-drop, and a message when a file is refused (the previous picture
//! stays).

use super::StylePanel;
use super::controls::Asked;
use crate::picture::{GALLERY, PictureSource};
use crate::ui::picture_slot::pick_image;

/// What the inputs column asked for.
enum InputAction {
    /// A gallery photo as the content.
    Gallery(&'static str),
    OpenContent,
    OpenStyle(usize),
    AddStyle,
    RemoveStyle(usize),
}

impl StylePanel {
    /// Content zone with the gallery, then one zone per style image.
    pub(super) fn inputs_ui(&mut self, ui: &mut egui::Ui) {
        let hovering = ui.ctx().input(|i| !i.raw.hovered_files.is_empty());
        let mut action = None;
        let (content_rect, open) = self.content.ui(ui, "Content photo", hovering);
        if open {
            action = Some(InputAction::OpenContent);
        }
        ui.horizontal_wrapped(|ui| {
            ui.weak("gallery:");
            for (label, _) in GALLERY {
                if ui.small_button(label).clicked() {
                    action = Some(InputAction::Gallery(label));
                }
            }
        });
        let mut style_rects = Vec::new();
        let removable = self.styles.len() > 1;
        for (index, slot) in self.styles.iter_mut().enumerate() {
            let title = format!("Style painting {}", index + 1);
            let (rect, open) = slot.ui(ui, &title, hovering);
            style_rects.push(rect);
            if open {
                action = Some(InputAction::OpenStyle(index));
            }
            if removable {
                ui.horizontal(|ui| {
                    ui.add(egui::Slider::new(&mut slot.blend, 0.0..=1.0).text("blend"));
                    if ui.small_button("remove").clicked() {
                        action = Some(InputAction::RemoveStyle(index));
                    }
                });
            }
        }
        if self.styles.len() < 4 && ui.button("+ blend another style").clicked() {
            action = Some(InputAction::AddStyle);
        }
        self.take_drops(ui.ctx(), content_rect, &style_rects);
        match action {
            Some(InputAction::Gallery(label)) => {
                self.content.load(PictureSource::Default(label.to_owned()));
            }
            Some(InputAction::OpenContent) => {
                self.dialogs
                    .open(Asked::Content, pick_image("A photo (content)"));
            }
            Some(InputAction::OpenStyle(index)) => {
                self.dialogs
                    .open(Asked::Style(index), pick_image("A painting (style)"));
            }
            Some(InputAction::AddStyle) => {
                self.dialogs
                    .open(Asked::AddStyle, pick_image("Another painting (style)"));
            }
            Some(InputAction::RemoveStyle(index)) => {
                self.styles.remove(index);
            }
            None => {}
        }
    }

    /// Files dropped on the window go to the zone under the pointer (content
    /// when over none).
    fn take_drops(&mut self, ctx: &egui::Context, content: egui::Rect, styles: &[egui::Rect]) {
        let (dropped, pointer) =
            ctx.input(|i| (i.raw.dropped_files.clone(), i.pointer.hover_pos()));
        let Some(file) = dropped.into_iter().next() else {
            return;
        };
        let source = PictureSource::File(file.path().to_path_buf());
        let target = pointer.and_then(|p| styles.iter().position(|r| r.contains(p)));
        match target {
            Some(index) => self.styles[index].load(source),
            None if pointer.is_some_and(|p| !content.contains(p))
                && !styles.is_empty()
                && file_is_right_half(ctx, pointer) =>
            {
                self.styles[0].load(source);
            }
            None => self.content.load(source),
        }
    }
}

/// Drops right of the window's middle (but over no zone) count as style.
fn file_is_right_half(ctx: &egui::Context, pointer: Option<egui::Pos2>) -> bool {
    pointer.is_some_and(|p| p.x > ctx.content_rect().center().x)
}
