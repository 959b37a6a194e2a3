//! The WeChat channels against the double of `wechat_double` on 127.0.0.1: the WeCom robot
//! (content intact, paced 20 a minute per robot, 45009 a retry, a bad key refused without the
//! key), the template message (token fetched, reused, renewed; a stale token renewed and the
//! message resent exactly once; refusals named), and the callback (job end → receipt, bad
//! signature rejected). No secret reaches an error or a log line.

mod callback;
mod robot;
mod template;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;
use wxdesk::domain::Timestamp;
use wxdesk::domain::outbox::OutboxState;
use wxdesk::domain::time::{ManualClock, SharedClock};
use wxdesk::store::central::SqliteCentralStore;
use wxdesk::store::central::outbox::OutboxRow;

use crate::support;

/// The WeChat fixtures (tests/data/wechat, with provenance).
fn fixtures() -> Value {
    serde_json::from_str(include_str!("../data/wechat/fixtures.json")).unwrap()
}

/// A clock standing at the suite's `NOW`.
fn clock() -> Arc<ManualClock> {
    ManualClock::new(support::now())
}

/// `clock` as the channels take it.
fn shared(clock: &Arc<ManualClock>) -> SharedClock {
    let shared: SharedClock = clock.clone();
    shared
}

/// An outbox row being sent (as the dispatcher hands it to a provider).
fn row(id: i64, kind: &str, payload: &impl Serialize) -> OutboxRow {
    OutboxRow {
        id,
        idem_key: format!("warning-7_v1_recipient-{id}_{kind}"),
        kind: kind.to_owned(),
        payload: serde_json::to_string(payload).unwrap(),
        state: OutboxState::Sending,
        attempt: 1,
        lease_owner: Some("test".to_owned()),
        lease_until: None,
        due_at: Timestamp(0),
        provider_id: None,
        last_error: None,
        created_at: Timestamp(0),
        updated_at: Timestamp(0),
        resent: None,
    }
}

/// A migrated central database in `dir`.
fn fresh_db(dir: &Path) -> PathBuf {
    let path = dir.join("central.sqlite");
    let network = wxdesk::assets::qingliu_network().unwrap();
    let qc = wxdesk::assets::qc_config().unwrap();
    drop(SqliteCentralStore::open(&path, &network, qc).unwrap());
    path
}

/// Fails if any of `secrets` is in `text` or in any log line so far.
fn assert_hidden(text: &str, secrets: &[&str]) {
    let logs = support::captured_logs();
    for secret in secrets {
        assert!(!text.contains(secret), "{secret:?} in {text:?}");
        assert!(!logs.contains(secret), "{secret:?} in the logs");
    }
}
