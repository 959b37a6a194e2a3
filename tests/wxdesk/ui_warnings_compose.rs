//! The composer, driven as a duty forecaster would: open 预警发布, pick 暴雨 黄色 and two
//! townships, watch the SMS preview count its parts and a blocking finding go away once the
//! forecast is written, save the draft, switch practice mode on, and hand the warning over
//! by hand when the central cannot be reached.

use egui::accesskit::Role as A11y;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use wxdesk::console::app::App;
use wxdesk::console::backend::{BackendEnds, Link};
use wxdesk::console::messages::warnings::RecipientCount;
use wxdesk::console::messages::{
    AuthEvent, Command, Event, LinkStatus, SyncEvent, WarningCommand, WarningEvent,
};
use wxdesk::console::ui::fonts;
use wxdesk::console::ui::i18n::Language;
use wxdesk::console::ui::warnings::text::{self, WarningsText};
use wxdesk::domain::access::Role;
use wxdesk::domain::recipients::Group;
use wxdesk::domain::time::SharedClock;
use wxdesk::domain::warning::Level;
use wxdesk::domain::warning::sms;

use crate::support::{afternoon, clock_at, network, session_view};

const FORECAST: &str = "预计未来6小时嵩溪、林畲将出现50毫米以上降雨，请注意防范。";

struct Desk {
    harness: Harness<'static, App>,
    backend: BackendEnds,
}

impl Desk {
    /// A duty forecaster's desk on the warnings screen, the central online.
    fn forecaster() -> Self {
        let (link, backend) = Link::pair();
        let clock: SharedClock = clock_at(afternoon());
        let harness = Harness::builder()
            .with_size(egui::vec2(1280.0, 800.0))
            .with_context_setup(fonts::install)
            .build_eframe(move |cc| App::new(cc, link, clock, Language::Zh));
        let mut desk = Self { harness, backend };
        let view = session_view(Role::DutyForecaster);
        for event in [
            Event::Auth(AuthEvent::SignedIn(view.clone())),
            Event::Auth(AuthEvent::Confirmed(view)),
            Event::Sync(SyncEvent::NetworkLoaded(network())),
            Event::Sync(SyncEvent::LinkChanged(LinkStatus::Online {
                since: afternoon(),
            })),
        ] {
            desk.send(event);
        }
        desk.harness.run();
        desk.click(t().screen_warnings);
        desk
    }

    fn send(&mut self, event: Event) {
        self.backend.events.try_send(event).unwrap();
    }

    /// Scrolls `label` into view (the composer scrolls) and clicks it.
    fn click(&mut self, label: &str) {
        self.harness.get_by_label(label).scroll_to_me();
        self.harness.run();
        self.harness.get_by_label(label).click();
        self.harness.run();
    }

    fn commands(&mut self) -> Vec<Command> {
        std::iter::from_fn(|| self.backend.commands.try_recv().ok()).collect()
    }

    fn shows(&self, text: &str) -> bool {
        self.harness
            .query_all_by_label_contains(text)
            .next()
            .is_some()
    }

    /// 暴雨 黄色 over 嵩溪镇 and 林畲镇.
    fn pick_rain_yellow(&mut self) {
        self.click("暴雨");
        self.click("黄色");
        self.click("嵩溪镇");
        self.click("林畲镇");
    }

    fn write_forecast(&mut self) {
        let field = self
            .harness
            .get_by_role_and_label(A11y::MultilineTextInput, t().forecast_label);
        field.scroll_to_me();
        self.harness.run();
        let field = self
            .harness
            .get_by_role_and_label(A11y::MultilineTextInput, t().forecast_label);
        field.focus();
        self.harness.run();
        self.harness
            .get_by_role_and_label(A11y::MultilineTextInput, t().forecast_label)
            .type_text(FORECAST);
        self.harness.run();
    }
}

/// The central's count of one township's group.
fn kept(township: &str, group: Group, active: u64, villages: u64) -> RecipientCount {
    RecipientCount {
        township: township.to_owned(),
        group,
        active,
        inactive: 0,
        villages,
    }
}

fn t() -> &'static WarningsText {
    text::text(Language::Zh)
}

/// The SMS as the preview should count it: signature, heading at 14:30 Beijing, text.
fn expected_sms(forecast: &str) -> String {
    format!("【清流气象】清流县气象台2026年11月27日14时30分发布暴雨黄色预警信号：{forecast}")
}

#[test]
fn a_forecaster_composes_checks_and_saves_a_rainstorm_yellow_draft() {
    let mut desk = Desk::forecaster();
    assert!(desk.shows(t().pick_first));
    desk.pick_rain_yellow();
    assert!(desk.shows("2 个乡镇"), "two townships counted");
    assert!(desk.shows(t().recipients_unknown));
    // The central's counts arrive: the chosen groups (leaders, informants) of the chosen
    // townships count, the others do not; an empty list says so.
    desk.send(Event::Warnings(WarningEvent::RecipientCounts(Vec::new())));
    desk.harness.run();
    assert!(desk.shows(t().recipients_none_kept));
    desk.send(Event::Warnings(WarningEvent::RecipientCounts(vec![
        kept("350423101", Group::TownshipLeaders, 3, 0),
        kept("350423101", Group::Informants, 12, 11),
        kept("350423106", Group::TeaEnterprises, 5, 4),
        kept("350423100", Group::Informants, 9, 9),
        kept("county", Group::County, 4, 0),
    ])));
    desk.harness.run();
    assert!(desk.shows("接收人：15 人 · 11 个村（居）"));
    // 林畲镇 has no leaders or informants on the list: each empty group blocks by name.
    assert!(desk.shows("接收组 林畲镇乡镇领导 没有成员"));
    desk.send(Event::Warnings(WarningEvent::RecipientCounts(vec![
        kept("350423101", Group::TownshipLeaders, 3, 0),
        kept("350423101", Group::Informants, 12, 11),
        kept("350423106", Group::TownshipLeaders, 2, 0),
        kept("350423106", Group::Informants, 7, 7),
    ])));
    desk.harness.run();
    assert!(desk.shows("接收人：24 人 · 18 个村（居）"));
    assert!(!desk.shows("没有成员"));
    // No township chosen yet is not "nobody in the chosen groups".
    desk.click("清空");
    assert!(desk.shows("接收人：0 人 · 0 个村（居）"));
    assert!(!desk.shows(t().recipients_nobody));
    desk.click("嵩溪镇");
    desk.click("林畲镇");
    assert!(desk.shows("接收人：24 人 · 18 个村（居）"));
    // The forecast is still a placeholder: the SMS shows the gap and the finding blocks.
    let gap = expected_sms("【预计未来……小时……，请注意防范。】");
    assert!(desk.shows(&format!(
        "{} 条 · {} UTF-16 单位",
        sms::segment_count(&gap),
        sms::utf16_units(&gap)
    )));
    assert!(desk.shows("“预报内容”尚未填写"));
    assert!(desk.shows(t().blocked_reason));
    desk.write_forecast();
    let sms_text = expected_sms(FORECAST);
    assert!(desk.shows(&format!(
        "{} 条 · {} UTF-16 单位",
        sms::segment_count(&sms_text),
        sms::utf16_units(&sms_text)
    )));
    assert!(
        !desk.shows("尚未填写"),
        "the block is gone once the forecast is written"
    );
    assert!(!desk.shows(t().blocked_reason));
    assert!(desk.shows(t().no_findings));
    desk.commands();
    desk.click(t().save_draft);
    let commands = desk.commands();
    let [Command::Warnings(WarningCommand::SaveDraft(draft))] = &commands[..] else {
        panic!("{commands:?}");
    };
    assert_eq!(draft.content.signal, "rainstorm");
    assert_eq!(draft.content.level, Level::Yellow);
    assert_eq!(
        draft
            .content
            .area
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        ["350423101", "350423106"]
    );
    assert_eq!(
        draft.content.texts[&wxdesk::domain::warning::checks::Channel::Sms],
        sms_text
    );
    assert!(!draft.content.practice);
    desk.click(t().submit);
    assert!(matches!(
        &desk.commands()[..],
        [Command::Warnings(WarningCommand::Submit(d))] if d.id == draft.id
    ));
    // The backend reports the drafts it keeps; a new composition starts blank, and the draft
    // reopens exactly as saved.
    desk.send(Event::Warnings(WarningEvent::DraftsLoaded(vec![
        draft.clone(),
    ])));
    desk.click(t().new_composition);
    assert!(desk.shows(t().pick_first));
    desk.click("本机草稿（1）");
    desk.click(t().open);
    assert!(desk.shows(&sms_text));
    desk.click(t().drop_draft);
    assert_eq!(
        desk.commands(),
        [Command::Warnings(WarningCommand::DropDraft(draft.id))]
    );
    assert!(desk.shows(t().pick_first));
}

#[test]
fn practice_mode_shows_its_banner_and_marks_the_text() {
    let mut desk = Desk::forecaster();
    assert!(!desk.shows(t().practice_banner));
    desk.click(t().practice_toggle);
    assert!(desk.shows(t().practice_banner));
    desk.pick_rain_yellow();
    desk.write_forecast();
    assert!(desk.shows("【清流气象】【演练】清流县气象台"));
    desk.click(t().save_draft);
    let commands = desk.commands();
    assert!(
        matches!(&commands[..], [Command::Warnings(WarningCommand::SaveDraft(d))] if d.content.practice),
        "{commands:?}"
    );
}

#[test]
fn with_the_central_unreachable_the_desk_says_not_yet_sent_and_hands_over_the_cap_file() {
    let mut desk = Desk::forecaster();
    desk.pick_rain_yellow();
    desk.write_forecast();
    desk.send(Event::Warnings(WarningEvent::Refused {
        code: "unreachable".into(),
        message: "中心不可达".into(),
        offline: true,
    }));
    desk.harness.run();
    assert!(desk.shows(t().not_sent));
    desk.commands();
    desk.click(t().save_cap);
    let commands = desk.commands();
    let [Command::Warnings(WarningCommand::SaveCapFile { name, xml })] = &commands[..] else {
        panic!("{commands:?}");
    };
    assert_eq!(name, "35042341600000_20261127143000.xml");
    assert!(xml.contains("<status>Actual</status>") && xml.contains("350423106"));
    desk.click(t().copy_text);
    assert!(desk.shows(t().copied));
}

/// One of each lifecycle refusal.
fn lifecycle_errors() -> Vec<wxdesk::domain::warning::lifecycle::LifecycleError> {
    use wxdesk::domain::warning::Action;
    use wxdesk::domain::warning::lifecycle::{LifecycleError as E, WarningState};
    vec![
        E::IssueFollows {
            follows: "w1".into(),
        },
        E::AlreadyInForce {
            signal: "rainstorm".into(),
            id: "w1".into(),
        },
        E::NothingFollowed {
            action: Action::Lift,
        },
        E::NotInForce {
            id: "w1".into(),
            state: WarningState::Expired,
        },
        E::SignalChanged {
            from: "rainstorm".into(),
            to: "gale".into(),
        },
        E::LevelDoesNotFit {
            action: Action::Upgrade,
            from: Level::Red,
            to: Level::Blue,
        },
        E::AreaEnlarged {
            added: vec!["350423106".into()],
        },
        E::LiftOutsideArea {
            outside: vec!["350423106".into()],
        },
        E::EmptyArea,
    ]
}

/// Every fixed text and every finding's reason draws with the bundled fonts (a missing glyph
/// panics), in both languages.
#[test]
fn every_composer_text_renders() {
    use wxdesk::console::ui::warnings::composer::reasons;
    use wxdesk::domain::warning::checks::{Channel, Finding};
    let findings = [
        Finding::UnfilledPlaceholder {
            field: "guidance.0".into(),
        },
        Finding::MissingExpiry,
        Finding::ExpiryNotAfterIssue {
            issued_at: "a".into(),
            expires_at: "b".into(),
        },
        Finding::ExpiryPassed {
            expires_at: "b".into(),
        },
        Finding::IssueTooFarInPast {
            minutes: 40,
            limit_minutes: 30,
        },
        Finding::IssueTooFarInFuture {
            minutes: 40,
            limit_minutes: 30,
        },
        Finding::SmsTooLong {
            units: 300,
            parts: 5,
            max_parts: 4,
        },
        Finding::BannedWord {
            channel: Channel::Loudspeaker,
            word: "绝对".into(),
        },
        Finding::NoRecipientGroups,
        Finding::EmptyRecipientGroup {
            group: "county:all".into(),
        },
        Finding::ChannelTooLong {
            channel: Channel::WecomMarkdown,
            bytes: 5000,
            limit: 4096,
        },
        Finding::TemplateFieldTooLong {
            field: "thing3".into(),
            chars: 21,
            limit: 20,
        },
        Finding::ObservationsBelowLevel {
            drafted: Level::Orange,
            supported: Some(Level::Blue),
        },
        Finding::ObservationsBelowLevel {
            drafted: Level::Orange,
            supported: None,
        },
    ];
    for language in [Language::Zh, Language::En] {
        let mut lines: Vec<String> = text::text(language)
            .all()
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        lines.extend(
            findings
                .iter()
                .map(|f| format!("× ！{}", reasons::reason(language, f))),
        );
        let refusals = lifecycle_errors();
        lines.extend(
            refusals
                .iter()
                .map(|e| reasons::lifecycle_reason(language, e)),
        );
        let mut harness = Harness::builder()
            .with_size(egui::vec2(1600.0, 2000.0))
            .with_context_setup(fonts::install)
            .build_ui(move |ui| {
                for line in &lines {
                    ui.label(line);
                }
            });
        harness.run();
    }
}

/// A released 暴雨黄色 over 嵩溪镇 in force; 继续发布 takes its type, level and area, and
/// adding a township asks for the confirmation the record keeps.
#[test]
fn a_follow_up_is_prefilled_from_the_record_in_force() {
    use std::collections::{BTreeMap, BTreeSet};
    use wxdesk::domain::warning::Action;
    use wxdesk::domain::warning::approval::{DraftState, SignOff};
    use wxdesk::protocol::warnings::{WarningContent, WarningRecord};
    let mut desk = Desk::forecaster();
    let issued = afternoon().plus_ms(-3_600_000);
    let content = WarningContent {
        action: Action::Issue,
        follows: None,
        signal: "rainstorm".into(),
        level: Level::Yellow,
        area: BTreeSet::from(["350423101".to_string()]),
        enlarge_confirmed: false,
        issued_at: issued,
        expires_at: Some(issued.plus_ms(6 * 3_600_000)),
        texts: BTreeMap::new(),
        template_fields: BTreeMap::new(),
        recipient_groups: BTreeSet::from(["county:all".to_string()]),
        practice: false,
    };
    let sign = SignOff {
        by: "supervisor".into(),
        pin: content.pin(),
        alone: false,
    };
    let record = WarningRecord {
        id: "w1".into(),
        pin: content.pin(),
        content,
        drafter: "forecaster".into(),
        state: DraftState::Sent(sign),
        steps: Vec::new(),
        cap_identifier: Some("35042341600000_20261127133000".into()),
        released_at: Some(issued),
        replaced_by: None,
    };
    desk.send(Event::Warnings(WarningEvent::RecordsChanged(vec![record])));
    desk.harness.run();
    assert!(desk.shows("跟进 暴雨黄色 · w1"));
    desk.click("继续发布");
    assert!(desk.shows("继续发布暴雨黄色预警信号"));
    assert!(desk.shows("1 个乡镇"));
    assert!(!desk.shows(t().enlarge_confirm));
    desk.click("林畲镇");
    assert!(
        desk.shows(t().enlarge_confirm),
        "a larger area must be confirmed"
    );
    desk.write_forecast();
    desk.commands();
    desk.click(t().save_draft);
    let commands = desk.commands();
    let [Command::Warnings(WarningCommand::SaveDraft(d))] = &commands[..] else {
        panic!("{commands:?}");
    };
    assert_eq!(d.content.action, Action::Continue);
    assert_eq!(d.content.follows.as_deref(), Some("w1"));
    let cap = &d.content.texts[&wxdesk::domain::warning::checks::Channel::Cap];
    assert!(cap.contains("<msgType>Update</msgType>"), "{cap}");
    assert!(cap.contains("35042341600000_20261127133000"));
}

#[test]
fn a_township_is_picked_and_dropped_by_its_seat_on_the_map() {
    use wxdesk::console::ui::warnings::composer::build::county_outline;
    use wxdesk::console::ui::warnings::composer::seat_map::Fit;
    let mut desk = Desk::forecaster();
    desk.click("暴雨");
    let map = desk.harness.get_by_label(t().seat_map);
    map.scroll_to_me();
    desk.harness.run();
    let rect = desk.harness.get_by_label(t().seat_map).rect();
    let fit = Fit::new(county_outline(), rect).expect("the county outline");
    let net = network();
    let songxi = net.townships.iter().find(|t| t.name == "嵩溪镇").unwrap();
    let seat = fit.point(songxi.seat);
    let chosen = |desk: &Desk| desk.harness.state().view().warnings.composer.draft.clone();
    for want in [true, false] {
        for pressed in [true, false] {
            desk.harness.event(egui::Event::PointerButton {
                pos: seat,
                button: egui::PointerButton::Primary,
                pressed,
                modifiers: egui::Modifiers::NONE,
            });
        }
        desk.harness.run();
        let draft = chosen(&desk).expect("a composition");
        let code = songxi.code.to_string();
        assert_eq!(
            draft.townships.contains(&code),
            want,
            "after a click: {want}"
        );
        assert_eq!(draft.townships.len(), usize::from(want));
    }
}
