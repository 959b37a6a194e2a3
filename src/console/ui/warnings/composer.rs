//! The composer: type and level, area, times, the text from its template, and every channel's
//! preview with its checks. The forecaster's choices live in a [`draft::Draft`]; everything
//! shown is rebuilt from it each frame by [`build::build`].

pub mod actions;
pub mod build;
pub mod draft;
pub mod editor;
pub mod form;
pub mod previews;
pub mod reasons;
pub mod seat_map;

use egui::RichText;

use super::WarningsView;
use crate::console::messages::Command;
use crate::console::ui::{Scene, theme};
use crate::domain::time::{MINUTE_MS, Timestamp};
use crate::domain::warning::Catalogue;
use crate::domain::warning::checks::Observed;
use draft::Draft;

/// What the composer remembers between frames.
#[derive(Debug, Default)]
pub struct ComposerView {
    /// The composition on screen (made on first sight).
    pub draft: Option<Draft>,
    /// Its id on this desk once saved.
    pub draft_id: Option<u64>,
    /// The central's record it revises, for a returned warning.
    pub submitted_as: Option<String>,
    /// The text was copied for the provincial system.
    pub copied: bool,
    /// The user composing: another user signing in at this desk starts afresh.
    pub owner: Option<String>,
    /// The observations' verdict on the level, for the (signal, townships, minute) it was judged.
    observed: Option<(ObservedKey, Observed)>,
}

/// What the observations' verdict depends on: signal, townships and the minute.
type ObservedKey = (String, std::collections::BTreeSet<String>, Timestamp);

impl ComposerView {
    /// Starts over with a blank composition, keeping practice mode as it was.
    pub fn reset(&mut self, now: Timestamp) {
        let practice = self.draft.as_ref().is_some_and(|d| d.practice);
        *self = ComposerView {
            draft: Some(Draft {
                practice,
                ..Draft::new(now)
            }),
            owner: self.owner.take(),
            ..ComposerView::default()
        };
    }

    /// Opens a new composition.
    fn open(&mut self, draft: Draft) {
        *self = ComposerView {
            draft: Some(draft),
            owner: self.owner.take(),
            ..ComposerView::default()
        };
    }
}

/// Starts the composer afresh if another user than the one signed in composed in it: on a
/// shared desk a composition is its author's.
fn own_composer(scene: Scene<'_>, c: &mut ComposerView) {
    let user = scene
        .state
        .account
        .signed_in()
        .map(|s| s.account.username.to_string());
    if c.owner != user {
        c.reset(scene.now);
        c.owner = user;
    }
}

/// Draws the composer.
pub fn composer_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    view: &mut WarningsView,
    commands: &mut Vec<Command>,
) {
    let t = super::text::text(scene.language);
    let network = &scene.state.network;
    own_composer(scene, &mut view.composer);
    if let Some(pending) = view.pending_draft.take() {
        view.composer.open(Draft {
            practice: pending.practice,
            ..Draft::from_suggestion(&pending.suggestion, network, scene.now)
        });
    }
    // The central's signal set (the shipped national one until it arrives).
    let Some(catalogue) = scene.state.suggestions.catalogue() else {
        ui.label(RichText::new("预警信号目录无法读取").color(theme::STATUS_ERROR));
        return;
    };
    let c = &mut view.composer;
    // The draft on screen was released (here or on another desk): its record is the warning
    // now, so the composer starts afresh instead of offering to submit it again.
    if scene
        .state
        .warnings
        .draft_released(c.draft_id, c.submitted_as.as_deref())
    {
        c.reset(scene.now);
    }
    let draft = c.draft.get_or_insert_with(|| Draft::new(scene.now));
    if draft.practice {
        actions::practice_banner_ui(ui, t);
    }
    egui::ScrollArea::vertical()
        .id_salt("composer")
        .auto_shrink(false)
        .show(ui, |ui| compose_ui(ui, scene, c, catalogue, commands));
}

/// The form, the text, the previews and the buttons.
fn compose_ui(
    ui: &mut egui::Ui,
    scene: Scene<'_>,
    c: &mut ComposerView,
    catalogue: &Catalogue,
    commands: &mut Vec<Command>,
) {
    let t = super::text::text(scene.language);
    let warnings = &scene.state.warnings;
    let user = c.owner.clone().unwrap_or_default();
    let records = form::in_force(&warnings.records, scene.now);
    let Some(draft) = c.draft.as_mut() else {
        return;
    };
    let new = ui
        .horizontal(|ui| {
            ui.heading(t.composer);
            ui.checkbox(
                &mut draft.practice,
                RichText::new(t.practice_toggle).strong(),
            );
            ui.button(t.new_composition).clicked()
        })
        .inner;
    if new {
        c.reset(scene.now);
    }
    let Some(draft) = c.draft.as_mut() else {
        return;
    };
    form::signal_ui(ui, t, draft, catalogue);
    form::action_ui(ui, t, draft, &records, catalogue, scene.now);
    let followed = draft
        .follows
        .as_deref()
        .and_then(|id| warnings.records.iter().find(|r| r.id == id));
    let counts = warnings.recipient_counts.as_deref();
    form::area_ui(ui, t, draft, &scene.state.network, (followed, counts));
    form::times_ui(ui, t, draft, scene.now);
    ui.separator();
    let network = &scene.state.network;
    // What the observations support, so a level above them is flagged (a warning, never a
    // block: forecasts lead observations). Judged once a minute per choice, not per frame.
    let observed = draft
        .signal
        .clone()
        .map_or(Observed::NotMeasured, |signal| {
            let key = (signal, draft.townships.clone(), scene.now.floor(MINUTE_MS));
            match &c.observed {
                Some((k, verdict)) if *k == key => *verdict,
                _ => {
                    let suggestions = &scene.state.suggestions;
                    let verdict = suggestions.observed_level(network, &key.0, &key.1, scene.now);
                    c.observed = Some((key, verdict));
                    verdict
                }
            }
        });
    let Some(built) = build::build(
        draft,
        catalogue,
        network,
        (followed, &records),
        (observed, warnings.recipient_counts.as_deref()),
        scene.now,
    ) else {
        ui.label(RichText::new(t.pick_first).color(theme::INK_MUTED));
        actions::drafts_ui(ui, t, c, &warnings.open_drafts(&user), catalogue);
        return;
    };
    if let Some(signal) = draft.signal.as_deref().and_then(|id| catalogue.signal(id)) {
        editor::editor_ui(ui, t, draft, &built.template, signal);
    }
    ui.separator();
    if warnings.refusal.as_ref().is_some_and(|r| r.offline) {
        actions::not_sent_ui(ui, t, c, &built, commands);
        actions::saved_cap_ui(ui, t, warnings.saved_cap.as_ref());
    } else if let Some(r) = &warnings.refusal {
        ui.label(RichText::new(&r.message).color(theme::STATUS_ERROR));
    }
    previews::general_findings_ui(ui, t, scene.language, &built);
    actions::buttons_ui(ui, t, c, &built, &actions::gate(scene), scene.now, commands);
    ui.separator();
    previews::previews_ui(ui, t, scene.language, &built);
    ui.separator();
    actions::drafts_ui(ui, t, c, &warnings.open_drafts(&user), catalogue);
}
