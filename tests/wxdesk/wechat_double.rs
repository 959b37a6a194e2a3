//! A faithful double of the WeChat APIs the channels call, on 127.0.0.1:0, with the request
//! and answer shapes and error codes of `tests/data/wechat/fixtures.json`:
//!
//! - WeCom's robot webhook `POST /cgi-bin/webhook/send?key=` (93000 for an unknown key, 40008
//!   for another msgtype, 45009 past 20 a minute per key on the test's clock);
//! - the access token `GET /cgi-bin/token` (7200 s; a new token retires the previous one after
//!   five minutes' grace, as WeChat documents) and `POST /cgi-bin/stable_token` (the same
//!   token to every caller while it is valid, its remaining life as `expires_in`);
//! - the template send `POST /cgi-bin/message/template/send?access_token=` (40001 unknown
//!   token, 42001 expired, 40003 unknown openid, 43004 not following, 40037 unknown template,
//!   one message per openid and `client_msg_id`), with errcodes a test can queue;
//! - and the template job's end and a follower's text as the XML and signed query WeChat
//!   pushes.
//!
//! It records what it received and counts every request.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use sha1::Digest as _;
use wxdesk::central::channels::wechat::callback::CallbackQuery;
use wxdesk::domain::time::{Clock as _, ManualClock};

/// A robot's rate: this many a minute per key.
pub const ROBOT_PER_MINUTE: usize = 20;
/// An access token's life, in seconds.
pub const TOKEN_LIFE_S: i64 = 7200;
/// How long a retired token still works.
const TOKEN_GRACE_MS: i64 = 5 * 60_000;
/// The first msgid the double gives (the fixture's `send_ok`).
pub const FIRST_MSGID: i64 = 200_228_332;

/// One robot message the double accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct RobotMessage {
    /// The key it was sent with.
    pub key: String,
    /// The body as sent.
    pub body: Value,
}

/// One template message the double accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateMessage {
    /// The msgid it was given.
    pub msgid: i64,
    /// The body as sent.
    pub body: Value,
}

/// The double's counters and records.
#[derive(Debug, Default)]
pub struct Seen {
    /// Robot requests of any outcome.
    pub robot_requests: usize,
    /// Robot requests answered 45009.
    pub robot_rate_limited: usize,
    /// Robot messages accepted.
    pub robot_messages: Vec<RobotMessage>,
    /// Token requests of any outcome.
    pub token_requests: usize,
    /// Tokens issued, in order.
    pub tokens_issued: Vec<String>,
    /// Template send requests of any outcome.
    pub send_requests: usize,
    /// Each send request's errcode, in order.
    pub send_answers: Vec<i64>,
    /// Template messages accepted (a repeated `client_msg_id` is not one more).
    pub template_messages: Vec<TemplateMessage>,
}

#[derive(Debug)]
struct World {
    clock: Arc<ManualClock>,
    robot_keys: BTreeSet<String>,
    robot_sent: HashMap<String, VecDeque<i64>>,
    app_id: String,
    secret: String,
    /// Token → when it stops working (Unix ms).
    tokens: HashMap<String, i64>,
    /// The stable token, if one was issued.
    stable: Option<String>,
    followers: BTreeSet<String>,
    unfollowed: BTreeSet<String>,
    templates: BTreeSet<String>,
    sent_ids: HashMap<(String, String), i64>,
    queued_errors: VecDeque<i64>,
    next_msgid: i64,
    seen: Seen,
}

/// Who the double knows.
#[derive(Debug, Clone, Default)]
pub struct Accounts {
    /// Valid robot keys.
    pub robot_keys: Vec<String>,
    /// The account's `AppID`.
    pub app_id: String,
    /// The account's `AppSecret`.
    pub secret: String,
    /// Openids following the account.
    pub followers: Vec<String>,
    /// Openids that once followed and left (43004).
    pub unfollowed: Vec<String>,
    /// Template ids the account has.
    pub templates: Vec<String>,
}

/// The running double; stops when dropped.
pub struct WechatDouble {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    world: Arc<Mutex<World>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for WechatDouble {
    fn drop(&mut self) {
        self.server.abort();
    }
}

type Shared = Arc<Mutex<World>>;

impl WechatDouble {
    /// Starts the double for `accounts`, timed by `clock`.
    pub async fn start(accounts: Accounts, clock: Arc<ManualClock>) -> Self {
        let world = Arc::new(Mutex::new(World {
            clock,
            robot_keys: accounts.robot_keys.into_iter().collect(),
            robot_sent: HashMap::new(),
            app_id: accounts.app_id,
            secret: accounts.secret,
            tokens: HashMap::new(),
            stable: None,
            followers: accounts.followers.into_iter().collect(),
            unfollowed: accounts.unfollowed.into_iter().collect(),
            templates: accounts.templates.into_iter().collect(),
            sent_ids: HashMap::new(),
            queued_errors: VecDeque::new(),
            next_msgid: FIRST_MSGID,
            seen: Seen::default(),
        }));
        let app = Router::new()
            .route("/cgi-bin/webhook/send", post(robot_send))
            .route("/cgi-bin/token", get(token))
            .route("/cgi-bin/stable_token", post(stable_token))
            .route("/cgi-bin/message/template/send", post(template_send))
            .with_state(Arc::clone(&world));
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            base,
            world,
            server,
        }
    }

    fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap()
    }

    /// Reads what the double has seen.
    pub fn seen<T>(&self, read: impl FnOnce(&Seen) -> T) -> T {
        read(&self.world().seen)
    }

    /// The next template sends answer these errcodes, in order, before anything else.
    pub fn queue_errors(&self, errcodes: &[i64]) {
        self.world().queued_errors.extend(errcodes);
    }

    /// What WeChat pushes when the template job `msgid` ended with `status`, signed with the
    /// callback `token`: the query and the XML body.
    pub fn job_finished(&self, token: &str, msgid: i64, status: &str) -> (CallbackQuery, String) {
        let now_s = self.world().clock.now().0 / 1000;
        let xml = format!(
            "<xml><ToUserName><![CDATA[gh_7f083739789a]]></ToUserName>\
             <FromUserName><![CDATA[{}]]></FromUserName><CreateTime>{now_s}</CreateTime>\
             <MsgType><![CDATA[event]]></MsgType><Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event>\
             <MsgID>{msgid}</MsgID><Status><![CDATA[{status}]]></Status></xml>",
            self.world().followers.first().cloned().unwrap_or_default()
        );
        (signed_query(token, &now_s.to_string(), "1405369270"), xml)
    }
}

/// What WeChat pushes when follower `openid` writes `text` to the account at `at_s` (Unix
/// seconds: WeChat's `CreateTime`), signed with the callback `token`: the query and the XML.
/// Its `MsgId` follows from what was written, by whom and when: each message its own, and the
/// same push sent again (WeChat's retry) the same.
pub fn follower_text(token: &str, openid: &str, text: &str, at_s: i64) -> (CallbackQuery, String) {
    let digest = sha1::Sha1::digest(format!("{openid}\n{text}\n{at_s}"));
    let msg_id = u64::from_be_bytes(digest[..8].try_into().unwrap()) >> 8;
    let xml = format!(
        "<xml><ToUserName><![CDATA[gh_7f083739789a]]></ToUserName>\
         <FromUserName><![CDATA[{openid}]]></FromUserName><CreateTime>{at_s}</CreateTime>\
         <MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{text}]]></Content>\
         <MsgId>{msg_id}</MsgId></xml>"
    );
    (signed_query(token, &at_s.to_string(), "58301"), xml)
}

/// Pushes `xml` to the central's WeChat callback with the signed `query`, as WeChat does: the
/// status and the body answered.
pub async fn push_signed(
    central: &crate::support::TestCentral,
    query: &CallbackQuery,
    xml: &str,
) -> (u16, String) {
    let signed = [
        ("signature", query.signature.as_str()),
        ("timestamp", query.timestamp.as_str()),
        ("nonce", query.nonce.as_str()),
    ];
    push(central, &signed, xml).await
}

/// Pushes `xml` to the central's WeChat callback with `query` as given (signed or not).
pub async fn push(
    central: &crate::support::TestCentral,
    query: &[(&str, &str)],
    xml: &str,
) -> (u16, String) {
    let response = crate::support::client()
        .post(central.url("/channels/wechat/callback"))
        .query(query)
        .header("content-type", "text/xml")
        .body(xml.to_owned())
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// A callback query signed the way WeChat signs it (computed here with the `sha1` crate, not
/// the channel's function).
pub fn signed_query(token: &str, timestamp: &str, nonce: &str) -> CallbackQuery {
    let mut parts = [token, timestamp, nonce];
    parts.sort_unstable();
    let digest = sha1::Sha1::digest(parts.concat());
    CallbackQuery {
        signature: digest.iter().map(|b| format!("{b:02x}")).collect(),
        timestamp: timestamp.to_owned(),
        nonce: nonce.to_owned(),
        echostr: None,
    }
}

fn error(errcode: i64, errmsg: &str) -> Json<Value> {
    Json(json!({"errcode": errcode, "errmsg": errmsg}))
}

async fn robot_send(
    State(world): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
    Json(body): Json<Value>,
) -> Json<Value> {
    let mut guard = world.lock().unwrap();
    let world = &mut *guard;
    world.seen.robot_requests += 1;
    let key = query.get("key").cloned().unwrap_or_default();
    if !world.robot_keys.contains(&key) {
        // The fixture's bad_key body: it names neither the key nor anything secret.
        return error(
            93000,
            "invalid webhook url, hint: [1755605200056773468916791], from ip: 127.0.0.1, \
             more info at https://open.work.weixin.qq.com/devtool/query?e=93000",
        );
    }
    let msgtype = body["msgtype"].as_str().unwrap_or_default();
    if !matches!(msgtype, "text" | "markdown") || !body[msgtype]["content"].is_string() {
        return error(40008, "invalid message type");
    }
    let now = world.clock.now().0;
    let sent = world.robot_sent.entry(key.clone()).or_default();
    while sent.front().is_some_and(|&t| t + 60_000 <= now) {
        sent.pop_front();
    }
    if sent.len() >= ROBOT_PER_MINUTE {
        world.seen.robot_rate_limited += 1;
        return error(45009, "api freq out of limit");
    }
    sent.push_back(now);
    world.seen.robot_messages.push(RobotMessage { key, body });
    error(0, "ok")
}

async fn token(
    State(world): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
) -> Json<Value> {
    let mut world = world.lock().unwrap();
    world.seen.token_requests += 1;
    let arg = |name: &str| query.get(name).map(String::as_str).unwrap_or_default();
    if arg("grant_type") != "client_credential" {
        return error(40002, "invalid grant_type");
    }
    if arg("appid") != world.app_id {
        return error(40013, "invalid appid");
    }
    if arg("secret") != world.secret {
        return error(40125, "invalid appsecret");
    }
    let now = world.clock.now().0;
    for until in world.tokens.values_mut() {
        *until = (*until).min(now + TOKEN_GRACE_MS);
    }
    let token = format!("ACCESS_TOKEN_{}_{now}", world.seen.tokens_issued.len() + 1);
    world
        .tokens
        .insert(token.clone(), now + TOKEN_LIFE_S * 1000);
    world.seen.tokens_issued.push(token.clone());
    Json(json!({"access_token": token, "expires_in": TOKEN_LIFE_S}))
}

async fn stable_token(State(world): State<Shared>, Json(body): Json<Value>) -> Json<Value> {
    let mut world = world.lock().unwrap();
    world.seen.token_requests += 1;
    let arg = |name: &str| body[name].as_str().unwrap_or_default().to_owned();
    if arg("grant_type") != "client_credential" {
        return error(40002, "invalid grant_type");
    }
    if arg("appid") != world.app_id {
        return error(40013, "invalid appid");
    }
    if arg("secret") != world.secret {
        return error(40125, "invalid appsecret");
    }
    let now = world.clock.now().0;
    let force = body["force_refresh"].as_bool().unwrap_or(false);
    let current = world.stable.clone().and_then(|token| {
        let until = world.tokens.get(&token).copied().unwrap_or(now);
        (until > now && !force).then_some((token, until))
    });
    let (token, until) = current.unwrap_or_else(|| {
        let token = format!("STABLE_TOKEN_{}_{now}", world.seen.tokens_issued.len() + 1);
        let until = now + TOKEN_LIFE_S * 1000;
        world.tokens.insert(token.clone(), until);
        world.seen.tokens_issued.push(token.clone());
        world.stable = Some(token.clone());
        (token, until)
    });
    Json(json!({"access_token": token, "expires_in": (until - now) / 1000}))
}

async fn template_send(
    State(world): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
    Json(body): Json<Value>,
) -> Json<Value> {
    let mut world = world.lock().unwrap();
    world.seen.send_requests += 1;
    let answer = template_answer(&mut world, query.get("access_token"), body);
    let errcode = answer["errcode"].as_i64().unwrap_or(-1);
    world.seen.send_answers.push(errcode);
    Json(answer)
}

fn template_answer(world: &mut World, token: Option<&String>, body: Value) -> Value {
    let Some(token) = token else {
        return error(41001, "access_token missing").0;
    };
    let now = world.clock.now().0;
    match world.tokens.get(token) {
        None => {
            return error(
                40001,
                "invalid credential, access_token is invalid or not latest rid: 61bc2c8c-0c2bbd79-087c6495",
            )
            .0;
        }
        Some(&until) if until <= now => return error(42001, "access_token expired").0,
        Some(_) => {}
    }
    if let Some(errcode) = world.queued_errors.pop_front() {
        return error(errcode, "queued by the test").0;
    }
    let openid = body["touser"].as_str().unwrap_or_default().to_owned();
    if world.unfollowed.contains(&openid) {
        return error(43004, "require subscribe").0;
    }
    if !world.followers.contains(&openid) {
        return error(40003, "invalid openid").0;
    }
    let template_id = body["template_id"].as_str().unwrap_or_default();
    if !world.templates.contains(template_id) {
        return error(40037, "invalid template_id rid: 647861e7-232b69aa-0f7213be").0;
    }
    let client_msg_id = body["client_msg_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if let Some(&msgid) = world.sent_ids.get(&(openid.clone(), client_msg_id.clone())) {
        return json!({"errcode": 0, "errmsg": "ok", "msgid": msgid});
    }
    let msgid = world.next_msgid;
    world.next_msgid += 1;
    world.sent_ids.insert((openid, client_msg_id), msgid);
    world
        .seen
        .template_messages
        .push(TemplateMessage { msgid, body });
    json!({"errcode": 0, "errmsg": "ok", "msgid": msgid})
}
