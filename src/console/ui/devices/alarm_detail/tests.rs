use super::*;
use crate::console::ui::i18n::Language;
use crate::domain::Timestamp;

fn zhang() -> Vec<Assignee> {
    vec![Assignee {
        username: "zhang".into(),
        display_name: "张伟".into(),
    }]
}

fn event(what: &str, by: &str, text: &str) -> AlarmEvent {
    AlarmEvent {
        at: Timestamp(0),
        what: what.into(),
        by: by.into(),
        text: text.into(),
    }
}

#[test]
fn people_are_named_as_the_central_lists_them_and_the_central_is_itself() {
    let t = text::text(Language::Zh);
    for (by, said) in [
        ("central", "中心"),
        ("user:zhang", "张伟（zhang）"),
        ("user:li", "li"),
        ("device:sim", "device:sim"),
    ] {
        assert_eq!(who(by, &zhang(), t), said, "{by}");
    }
}

#[test]
fn each_event_of_the_timeline_is_said_in_words() {
    let t = text::text(Language::Zh);
    for (what, text, said) in [
        ("raised", "", "告警"),
        ("raised_again", "", "再次告警"),
        ("cleared", "", "恢复"),
        ("regrouped", "3 → 5", "涉及设备数：3 → 5"),
        ("acknowledged", "", "确认"),
        ("assigned", "zhang", "指派给 张伟（zhang）"),
        ("commented", "基站停电", "备注：基站停电"),
        (
            "escalated",
            "on-call technician alerted",
            "已通知值班技术员",
        ),
        ("closed", "maintenance window 12", "关闭：维护记录 #12"),
        (
            "closed",
            "explained by incident incident:township:350423105",
            "关闭：归入事件 incident:township:350423105",
        ),
        ("closed", "", "关闭"),
        ("reopened", "", "reopened"),
        ("reopened", "why", "reopened：why"),
    ] {
        let words = event_words(&event(what, "central", text), &zhang(), t);
        assert_eq!(words, said, "{what} {text}");
    }
}

#[test]
fn english_says_the_same_events() {
    let t = text::text(Language::En);
    let words = event_words(&event("closed", "central", "maintenance window 3"), &[], t);
    assert_eq!(words, "Closed: maintenance window #3");
    assert_eq!(
        kind_words(AlarmKind::Incident, t),
        "devices silent together"
    );
}
