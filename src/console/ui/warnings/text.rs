//! What the warnings screen says, in Chinese and English.

use crate::console::ui::i18n::Language;
use crate::console::ui::i18n::texts;

texts! {
    /// The warnings screen's fixed texts, in one language.
    WarningsText, ZH, EN;
    screen_warnings: "预警发布", "Warnings";
    queue: "待审核与记录", "Queue and records";
    composer: "预警制作", "Compose";
}

/// The fixed texts of `language`.
pub fn text(language: Language) -> &'static WarningsText {
    match language {
        Language::Zh => &ZH,
        Language::En => &EN,
    }
}
