//! 叫应 end to end on the desk: an orange warning released on a central that calls by SMS at
//! the npm `smpp` SMSC on 127.0.0.1; the duty forecaster's desk opens the 叫应 board; 王镇长
//! answers from his handset (a mobile-originated `deliver_sm`) and the desk shows his line
//! answered by SMS reply, nobody else's; the rest stay silent, and when the central's clock
//! passes ten minutes their lines go to the duty desk and the desk rings.

use std::time::Duration;

use wxdesk::domain::access::Role;
use wxdesk::domain::callout::Stage;
use wxdesk::domain::time::{MINUTE_MS, ManualClock};
use wxdesk::protocol::callout::CalloutBoard;

use crate::callout::{call_sms, keep_people, release};
use crate::smpp::peer::Smsc;
use crate::support::{TestCentral, now};
use crate::ui_warnings_e2e::Desk;
use crate::warning_dispatch::sms_settings;

/// `id`'s board as the desk last read it.
fn board<'a>(desk: &'a Desk, id: &str) -> Option<&'a CalloutBoard> {
    let callout = &desk.harness.state().state().warnings.callout;
    callout.board.as_ref().filter(|b| b.warning == id)
}

#[test]
fn a_leaders_sms_reply_closes_his_line_and_silence_escalates_to_the_desk() {
    let Some(mut smsc) = Smsc::start(&[]) else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let settings = sms_settings(&smsc);
    let central = rt.block_on(TestCentral::start_with(
        wxdesk::central::DEFAULT_KEEP_ALIVE,
        |config| {
            config.channels = settings;
            config.dispatch_tick = Duration::from_millis(50);
        },
    ));
    let ids = rt.block_on(keep_people(&central));
    let wang = ids[2];
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(now());
    let mut desk = Desk::signed_in(&rt, &central, Role::DutyForecaster, dir.path(), &clock);
    let id = rt.block_on(release(&central, "rainstorm", "orange"));

    desk.until_released(&id);
    desk.click("预警发布");
    desk.click("叫应");
    desk.until("four lines called", |d| {
        board(d, &id).is_some_and(|b| b.lines.len() == 4)
    });
    assert!(desk.shows("已应 0/4"));
    assert!(desk.shows("王镇长"));

    // His handset answers the call SMS it got: the SMSC hands a reply only to a bound link.
    assert_eq!(
        call_sms(&smsc, 4).len(),
        4,
        "the four call SMS reached the SMSC"
    );
    smsc.send_mo("8613800000003", "收到，马上布置");
    desk.until("his line answered", |d| {
        board(d, &id).is_some_and(|b| b.answered == 1)
    });
    let answered: Vec<u64> = board(&desk, &id)
        .unwrap()
        .lines
        .iter()
        .filter(|l| l.change.answered_at.is_some())
        .map(|l| l.change.recipient)
        .collect();
    assert_eq!(answered, [wang], "his line and only his");
    assert!(desk.shows("已应 1/4"));
    assert!(desk.shows("短信回复"));

    let rings = desk.harness.state().alarm().rings();
    central.clock.advance(10 * MINUTE_MS);
    desk.until("the silent lines at the duty desk", |d| {
        board(d, &id).is_some_and(|b| {
            b.lines
                .iter()
                .filter(|l| l.change.answered_at.is_none())
                .all(|l| l.change.stage == Stage::Desk)
        })
    });
    assert!(desk.shows("已转值班台"));
    assert!(
        desk.harness.state().alarm().rings() > rings,
        "an escalation rings at the desk"
    );
}
