use super::*;
use crate::domain::time::MINUTE_MS;
use crate::store::central::SqliteCentralStore;
use crate::store::central::outbox::SqliteOutbox;
use crate::store::central::tests::{fresh, now};

fn person(recipient: u64) -> NewLine {
    NewLine {
        recipient,
        duty: Duty::Head,
        township: None,
    }
}

fn reply(outbox: &SqliteOutbox, text: &str, minutes: i64) -> i64 {
    let message = InboundMessage {
        channel: "sms".into(),
        sender: "13800000007".into(),
        text: text.into(),
        at: now().plus_ms(minutes * MINUTE_MS),
        message_id: None,
    };
    outbox
        .record_inbound(&message, message.at)
        .unwrap()
        .expect("kept")
}

fn by_reply(inbound: i64) -> Answer {
    Answer {
        how: AnswerHow::SmsReply,
        at: now(),
        by: "王镇长".into(),
        said: "收到".into(),
        inbound: Some(inbound),
    }
}

fn to_apply(store: &SqliteCentralStore) -> Vec<String> {
    let replies = store.callout_replies_to_apply().unwrap();
    replies.into_iter().map(|r| r.message.text).collect()
}

#[test]
fn replies_to_apply_are_those_no_line_took_since_the_oldest_open_call() {
    let (dir, store) = fresh();
    let outbox = SqliteOutbox::open(&dir.path().join("central.sqlite")).unwrap();
    let early = reply(&outbox, "早", -1);
    assert!(
        to_apply(&store).is_empty(),
        "no line open: nothing to apply"
    );

    let lines = store
        .open_callout("w0001", "0001", &[person(7), person(8)], now())
        .unwrap();
    let (first, second) = (lines[0].line, lines[1].line);
    let taken = reply(&outbox, "收到", 1);
    reply(&outbox, "好的", 2);
    // The one from before the call is not for it.
    assert_eq!(to_apply(&store), ["收到", "好的"]);

    let answered = store
        .answer_callout(first, &by_reply(taken), now())
        .unwrap();
    assert!(answered.is_some());
    assert_eq!(to_apply(&store), ["好的"]);
    // A reply answers one line, however often it is applied.
    assert_eq!(
        store
            .answer_callout(second, &by_reply(taken), now())
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .answer_callout(second, &by_reply(early), now())
            .unwrap()
            .map(|c| c.line),
        Some(second)
    );
    assert!(to_apply(&store).is_empty(), "every line answered");
}

#[test]
fn a_line_answered_after_a_moment_was_open_at_it() {
    let (_dir, store) = fresh();
    let lines = store
        .open_callout("w0001", "0001", &[person(7), person(8)], now())
        .unwrap();
    let mut by_phone = by_reply(0);
    (by_phone.how, by_phone.inbound) = (AnswerHow::PhoneCall, None);
    by_phone.at = now().plus_ms(5 * MINUTE_MS);
    store
        .answer_callout(lines[1].line, &by_phone, by_phone.at)
        .unwrap()
        .expect("answered");
    let open_at = |minutes: i64| -> Vec<u64> {
        let at = now().plus_ms(minutes * MINUTE_MS);
        let open = store.callout_lines_open_at(at).unwrap();
        open.iter().map(|l| l.change.recipient).collect()
    };
    // (minutes after the call, recipients whose lines were open then)
    for (minutes, want) in [(4, vec![7, 8]), (5, vec![7]), (60, vec![7])] {
        assert_eq!(open_at(minutes), want, "{minutes} min");
    }
}
