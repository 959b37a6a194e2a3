//! Every refusal the central can send, as a stable [`Code`] with named [`Params`]: the one
//! registry. The central builds its error bodies and per-record refusals only from a `Code`, so
//! it cannot send one that is not listed here; the console says each one in the user's
//! language from its code and parameters (`console::ui::i18n::refusals`), never from the
//! central's English sentence, which is for logs and curl users.
//!
//! Each code declares the names of its parameters and an English template (`{name}` marks a
//! parameter); the central's `message` for a refusal built only from a code is that template
//! filled in.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::Timestamp;

macro_rules! codes {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident = $code:literal [$($param:literal),*] $english:literal;
    )*) => {
        /// A stable code of a refusal the central sends (`ApiError::error`, a record's refusal).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Code {
            /// Every code, in registry order.
            pub const ALL: &[Self] = &[$(Self::$variant),*];

            /// The code as the API writes it (`range_too_long`).
            pub const fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $code,)* }
            }

            /// The names of the parameters a refusal with this code carries.
            pub const fn params(self) -> &'static [&'static str] {
                match self { $(Self::$variant => &[$($param),*],)* }
            }

            /// The English template: `{name}` marks a parameter.
            pub const fn english(self) -> &'static str {
                match self { $(Self::$variant => $english,)* }
            }
        }
    };
}

codes! {
    // Requests the API could not read.
    /// 400: a query string or path the route could not read.
    BadRequest = "bad_request" [] "the request could not be read; the API is described at /api/v1/openapi.json";
    /// 400: a body that is not JSON, or not the shape the route takes.
    InvalidBody = "invalid_body" [] "the body is not what this route takes (see /api/v1/openapi.json)";
    /// 415: a JSON route sent a body without `Content-Type: application/json`.
    UnsupportedMediaType = "unsupported_media_type" [] "send the body as JSON, with Content-Type: application/json";
    /// 413: a body (or a batch of records) over the route's limit.
    PayloadTooLarge = "payload_too_large" [] "the request is larger than this route takes; send less at a time";
    /// 404: no route for this path.
    NotFound = "not_found" ["path"] "nothing at {path}";
    /// 405: a known path asked with a method it does not serve.
    MethodNotAllowed = "method_not_allowed" ["method", "path"] "{path} does not accept {method}";
    // The central's own state.
    /// 500: the central failed (its log says why).
    Internal = "internal" [] "the central failed while answering; see its log";
    /// 503: the database cannot be written now; reads still work.
    DatabaseUnwritable = "database_unwritable" [] "the central's database cannot be written now, so nothing was changed; reading still works";
    /// 503: the central is shutting down.
    ShuttingDown = "shutting_down" [] "the central is shutting down";
    /// 503: the central gave up answering after its time limit.
    RequestTimeout = "request_timeout" ["seconds"] "the central gave up answering after {seconds} s; check before repeating a change, or ask for less";
    /// 429: this user or device holds the most live streams it may.
    TooManyStreams = "too_many_streams" ["open", "max"] "{open} live streams are already open, the most one user or device may hold ({max}); close one first";
    /// 503: the central serves the most live streams it can.
    StreamsFull = "streams_full" ["max"] "the central is serving {max} live streams, its most; try again later";
    // Who is asking.
    /// 401: no usable `Authorization: Bearer` token.
    Unauthorized = "unauthorized" [] "log in first: this route needs an Authorization: Bearer token";
    /// 401: the session expired, was logged out or revoked.
    SessionEnded = "session_ended" [] "your session has ended (expired, logged out or revoked); log in again";
    /// 401: the device key is unknown or revoked.
    DeviceKeyUnknown = "device_key_unknown" [] "this device key is unknown or revoked";
    /// 401: the session's account no longer exists.
    AccountGone = "account_gone" [] "your account is gone";
    /// 403: the caller's role lacks the route's capability.
    Forbidden = "forbidden" ["capability", "role"] "requires the {capability} capability; you are {role}";
    /// 403: a route for people, called with a device key.
    PeopleOnly = "people_only" [] "device keys have no user session; this route is for people";
    /// 403: the user must replace a one-time password first.
    PasswordChangeRequired = "password_change_required" [] "you logged in with a one-time password: choose your own password first";
    /// 401 at login: wrong user name or password (which is not said).
    InvalidCredentials = "invalid_credentials" ["max_failures", "lock_minutes"] "wrong user name or password (after {max_failures} failures in a row an account is locked for {lock_minutes} minutes)";
    /// 403 at a password change: the current password given is wrong.
    CurrentPasswordWrong = "current_password_wrong" [] "the current password is wrong";
    /// 403 at login: locked after too many failures.
    AccountLocked = "account_locked" ["until"] "too many failed logins: this account is locked until {until}; an administrator can unlock it by resetting the password";
    /// 403 at login: an administrator disabled the account.
    AccountDisabled = "account_disabled" [] "this account is disabled; ask an administrator";
    /// 429 at login: too many failures from this address.
    TooManyLogins = "too_many_logins" ["retry_seconds"] "too many failed logins from your address; try again in {retry_seconds} s";
    // Password rules (`crate::domain::access::PasswordRefusal`).
    /// 400: shorter than the rules allow.
    PasswordTooShort = "password_too_short" ["min"] "the password must have at least {min} characters";
    /// 400: longer than the rules allow.
    PasswordTooLong = "password_too_long" ["max"] "the password must have at most {max} characters";
    /// 400: one of the most common passwords.
    PasswordCommon = "password_common" [] "this password is one of the most common ones, which guessers try first; choose another";
    /// 400: the user name with digits or punctuation added.
    PasswordLikeUsername = "password_like_username" [] "the password must not be the user name (digits or punctuation added do not help)";
    /// 400: the bureau's name with digits or punctuation added.
    PasswordLikeBureau = "password_like_bureau" [] "the password must not be the bureau's name (digits or punctuation added do not help)";
    /// 400: the new password is the current one.
    PasswordUnchanged = "password_unchanged" [] "the new password must differ from the current one";
    // Users and devices.
    /// 400: a user name that breaks the rules.
    InvalidUsername = "invalid_username" ["text"] "user name {text} must be 2–32 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter";
    /// 400: a display name that breaks the rules.
    InvalidDisplayName = "invalid_display_name" ["max"] "the display name must be 1–{max} characters, not all spaces, without control characters";
    /// 400: not a role a user account may have.
    InvalidRole = "invalid_role" ["text"] "{text} is not a role of user accounts";
    /// 404: no such user.
    UnknownUser = "unknown_user" ["username"] "no user {username}";
    /// 404: no active key for that device.
    UnknownDevice = "unknown_device" ["name"] "no active key for device {name}";
    /// 409: the user name is taken.
    UserExists = "user_exists" ["username"] "user {username} already exists";
    /// 409: the change would leave no enabled administrator.
    LastAdministrator = "last_administrator" ["username"] "{username} is the last enabled administrator; make another user an administrator first";
    // Queries.
    /// 400: not a station id.
    InvalidStationId = "invalid_station_id" ["text"] "{text} is not a station id";
    /// 404: a station id not in the network.
    UnknownStation = "unknown_station" ["station"] "station {station} is not in this central's network";
    /// 400: not an element code.
    UnknownElement = "unknown_element" ["code"] "unknown element \"{code}\"";
    /// 400: a time that is not RFC 3339.
    InvalidTime = "invalid_time" ["name", "text"] "{name}=\"{text}\" is not RFC 3339 (e.g. 2026-11-27T10:00:00Z)";
    /// 400: a range whose start is after its end.
    RangeReversed = "range_reversed" ["from", "to"] "from ({from}) is not before to ({to})";
    /// 400: a range longer than one request serves.
    RangeTooLong = "range_too_long" ["max_days"] "the range is longer than {max_days} days, the most one series request serves; ask for it {max_days} days at a time";
    /// 400: a count parameter out of its bounds.
    OutOfBounds = "out_of_bounds" ["name", "value", "max"] "{name}={value} must be between 1 and {max}";
    /// 400: a cursor that cannot be one.
    InvalidCursor = "invalid_cursor" ["text"] "{text} is not a cursor this central gave";
    /// 409: a cursor beyond the newest change: another change log.
    CursorAhead = "cursor_ahead" ["cursor", "head"] "cursor {cursor} is beyond this central's newest change {head}: sync again from the start";
    /// 410: a cursor older than the change log the central keeps: bootstrap from a snapshot.
    CursorExpired = "cursor_expired" ["oldest"] "the change log no longer reaches back to this cursor (it keeps changes from {oldest} on); start again from a snapshot";
    /// 426: a desk speaking an older protocol than the central serves.
    UpdateRequired = "update_required" ["desk", "central"] "update required: this desk speaks protocol {desk}, the central serves protocol {central}; install the new wxdesk";
    /// 400: not a file format the central reads.
    UnknownFormat = "unknown_format" ["text"] "unknown file format {text}";
    // Observations and imports.
    /// 403: a batch claims a source the caller may not claim.
    SourceNotPermitted = "source_not_permitted" ["source", "allowed"] "the batch claims source {source}, which this caller may not claim (it may claim: {allowed}); nothing was stored";
    /// 422: a file refused as a whole; `reason` is the code of why (`unreadable_line`,
    /// `time_in_future`, `value_conflict`, `no_station_in_network` …), whose parameters come
    /// along, with `line` when one line is at fault (and, for `unreadable_line`, the format
    /// reader's English words in `detail`).
    ImportRefused = "import_refused" ["file", "reason"] "{file} was refused ({reason}); nothing of the file was imported";
    /// A line the file's format reader could not read (its words are in the message).
    UnreadableLine = "unreadable_line" [] "the line cannot be read in the file's format";
    /// A file none of whose stations is in the network.
    NoStationInNetwork = "no_station_in_network" ["count", "stations"] "no station of this file is in the network; stations outside it: {count} ({stations})";
    /// A record that is not an object of the documented shape.
    RecordMalformed = "record_malformed" [] "the record is malformed";
    /// A record's time that is not RFC 3339.
    RecordBadTime = "record_bad_time" ["text"] "time {text} is not RFC 3339";
    /// A record time ahead of the central's clock.
    TimeInFuture = "time_in_future" ["time", "ahead_s"] "time {time} is {ahead_s} s in the future";
    /// A record time before automatic observation existed.
    TimeTooOld = "time_too_old" ["time"] "time {time} is before 1950";
    /// A value that is not a number.
    NotANumber = "not_a_number" ["element", "found"] "{element}: {found} is not a number";
    /// A value outside what the instrument can report.
    OutOfRange = "out_of_range" ["element", "value", "min", "max", "unit"] "{element}: {value} is outside the physical range {min}..={max} {unit}";
    /// A value that differs from the one already stored for that time.
    ValueConflict = "value_conflict" ["element", "station", "time", "stored", "posted"] "{element} of {station} at {time}: {posted} differs from the stored {stored}; the stored value is kept (corrections are not accepted)";
    /// A record with no values.
    NoValues = "no_values" [] "the record has no values (all missing)";
    // Maintenance windows.
    /// 400: an empty note.
    NoteEmpty = "note_empty" [] "the note must not be empty: say what is being done";
    /// 400: a note over the limit.
    NoteTooLong = "note_too_long" ["chars", "max"] "the note has {chars} characters; at most {max}";
    /// 400 (409 for a stored window): the end is not after the start.
    EndNotAfterStart = "end_not_after_start" ["from", "to"] "to ({to}) must be after from ({from})";
    /// 400: the start is more than a day ahead.
    StartTooFarAhead = "start_too_far_ahead" ["from"] "from ({from}) is more than a day after now";
    /// 400: an update that changes nothing.
    NothingToChange = "nothing_to_change" [] "nothing to change: give to (the end) and/or note";
    /// 404: no such maintenance window.
    UnknownWindow = "unknown_window" ["id"] "no maintenance window {id}";
    // Warnings (issue 11): the approval rules, the lifecycle and the pre-send checks.
    /// 404: no such warning record.
    UnknownWarning = "unknown_warning" ["id"] "no warning {id}";
    /// 409: the step does not apply to the record as it stands.
    WarningNotNow = "warning_not_now" ["event", "state"] "cannot {event} a warning that is {state}";
    /// 403: the drafter tried to approve their own warning.
    ApproverIsDrafter = "approver_is_drafter" [] "the drafter cannot approve their own warning; a supervisor must";
    /// 403: only the drafter may revise (or sign alone) a warning.
    NotDrafter = "not_drafter" [] "only the forecaster who drafted this warning may do that";
    /// 422: a return without a comment.
    CommentRequired = "comment_required" [] "a return needs a comment saying why";
    /// 422: a resend of messages whose outcome is unknown without a reason.
    ResendReasonRequired = "resend_reason_required" [] "a resend of messages whose outcome is unknown needs a reason: their recipients may get them twice";
    /// 422: a resend that names nobody.
    ResendNamesNobody = "resend_names_nobody" [] "name the recipients whose messages of unknown outcome are to be sent again";
    /// 403: the bureau's policy does not let the drafter sign this alone now.
    AloneNotAllowed = "alone_not_allowed" ["action"] "{action} may not be signed by the forecaster alone now (the bureau's policy)";
    /// 409: the pin given is not the record's: its content changed since it was seen.
    ContentChanged = "content_changed" [] "the warning's content changed after you saw it (or after approval); look at it again";
    /// 422: `follows` names a record that is not a released warning.
    FollowsUnknown = "follows_unknown" ["id"] "warning {id}, which this one follows, is not a released warning";
    /// 422: a new issue names a warning it follows.
    IssueFollows = "issue_follows" ["follows"] "a new issue cannot follow warning {follows}";
    /// 422: a warning of this type is in force: follow it instead.
    AlreadyInForce = "already_in_force" ["signal", "id"] "{signal} warning {id} is in force: continue, change, upgrade, downgrade or lift it";
    /// 422: a follow-up names nothing it follows.
    NothingFollowed = "nothing_followed" ["action"] "{action} must name the warning it follows";
    /// 422: the warning followed is no longer in force (409 for a 叫应 number asked of it).
    NotInForce = "not_in_force" ["id", "state"] "warning {id} is {state}, no longer in force";
    /// 422: a follow-up of another signal type.
    SignalChanged = "signal_changed" ["from", "to"] "a follow-up of {from} cannot be {to}";
    /// 422: the level does not fit the action.
    LevelDoesNotFit = "level_does_not_fit" ["action", "from", "to"] "{action} cannot go from {from} to {to}";
    /// 422: the area grows without the forecaster confirming it.
    AreaEnlarged = "area_enlarged" ["added"] "the area grows by {added} without confirmation";
    /// 422: a lift covering townships the warning does not.
    LiftOutsideArea = "lift_outside_area" ["outside"] "a lift cannot cover {outside}, which the warning does not";
    /// 422: no townships.
    EmptyArea = "empty_area" [] "the area is empty";
    /// 422: an area naming a township that is not the county's.
    UnknownTownship = "unknown_township" ["code"] "{code} is not a township of this county";
    /// 422: an unknown signal type.
    UnknownSignal = "unknown_signal" ["signal"] "unknown signal type {signal}";
    /// 422: a must-edit field is still empty.
    UnfilledPlaceholder = "unfilled_placeholder" ["field"] "the field {field} still needs editing";
    /// 422: a warning without an expiry.
    MissingExpiry = "missing_expiry" [] "the warning needs an expiry";
    /// 422: the expiry is not after the issue time.
    ExpiryNotAfterIssue = "expiry_not_after_issue" ["issued_at", "expires_at"] "the expiry {expires_at} is not after the issue time {issued_at}";
    /// 422: the expiry has passed.
    ExpiryPassed = "expiry_passed" ["expires_at"] "the expiry {expires_at} has passed";
    /// 422: the issue time is too far in the past.
    IssueTooFarInPast = "issue_too_far_in_past" ["minutes", "limit_minutes"] "the issue time is {minutes} min ago; at most {limit_minutes} min";
    /// 422: the issue time is too far ahead.
    IssueTooFarInFuture = "issue_too_far_in_future" ["minutes", "limit_minutes"] "the issue time is {minutes} min ahead; at most {limit_minutes} min";
    /// 422: the SMS needs more parts than allowed.
    SmsTooLong = "sms_too_long" ["units", "parts", "max_parts"] "the SMS has {units} characters and needs {parts} parts; at most {max_parts}";
    /// 422: a banned word in a channel's text.
    BannedWord = "banned_word" ["channel", "word"] "the {channel} text contains the banned word {word}";
    /// 422: no recipient group.
    NoRecipientGroups = "no_recipient_groups" [] "choose at least one recipient group";
    /// 422: an empty recipient group.
    EmptyRecipientGroup = "empty_recipient_group" ["group"] "recipient group {group} has nobody in it";
    /// 422: a channel's text over its byte limit.
    ChannelTooLong = "channel_too_long" ["channel", "bytes", "limit"] "the {channel} text has {bytes} bytes; at most {limit}";
    /// 422: a template field over its limit.
    TemplateFieldTooLong = "template_field_too_long" ["field", "chars", "limit"] "template field {field} has {chars} characters; at most {limit}";
    // Recipients (personal data: no parameter ever carries a name or a number).
    /// 400: a recipient field that breaks its rule.
    InvalidRecipient = "invalid_recipient" ["field"] "the recipient's {field} breaks its rule: a name of 1–32 characters, a mainland mobile number, a township of this county (or county) fitting the group, at least one channel";
    /// 404: no such recipient.
    UnknownRecipient = "unknown_recipient" ["id"] "no recipient {id}";
    /// 409: the recipient changed since the caller read it.
    RecipientChanged = "recipient_changed" ["id", "version"] "recipient {id} was changed by someone else (it is now at version {version}); read it again";
    /// 409: another recipient has the number.
    PhoneTaken = "phone_taken" ["id"] "the phone number belongs to recipient {id} already";
    /// 400: an import body that is not a readable CSV or .xlsx file.
    RecipientsFileUnreadable = "recipients_file_unreadable" ["format"] "the body is not a readable {format} file";
    // Devices.
    /// 400: a device record that breaks its rules.
    InvalidDevice = "invalid_device" ["field"] "the device record's {field} breaks its rule (see Device in /api/v1/openapi.json)";
    /// 400: a device record naming what does not exist.
    DeviceNamesUnknown = "device_names_unknown" ["field", "value"] "the device names {field} {value}, which does not exist here";
    /// 404: no device has the id.
    UnknownDeviceId = "unknown_device_id" ["device"] "no device {device} in the registry";
    /// 409: the device id is registered already.
    DeviceExists = "device_exists" ["device"] "device {device} is registered already; change it instead";
    /// 409: the station id belongs to another device or to the network.
    StationTaken = "station_taken" ["station"] "station id {station} is taken; choose another";
    /// 400: a maintenance visit's particulars that do not hold together.
    InvalidVisit = "invalid_visit" ["field", "value"] "the visit's {field} {value} does not hold: a registered device of the window's station, at most 20 parts, open alarms about the device";
    /// 404: no open alarm has the id.
    UnknownAlarm = "unknown_alarm" ["id"] "no open alarm {id}";
    /// 400: alarms go to enabled technicians only.
    NotAssignable = "not_assignable" ["username"] "{username} cannot be given alarms: only an enabled technician can";
    // Relays.
    /// 404: the device has no such relay.
    UnknownRelay = "unknown_relay" ["device", "channel"] "device {device} has no relay {channel}";
    /// 400: a high-impact relay switched on without a reason.
    RelayReasonRequired = "relay_reason_required" ["class"] "switching a {class} relay on needs a written reason";
    /// 409: an interlock refused the command (its reading is out of bounds, stale or missing).
    InterlockRefused = "interlock_refused" ["interlock", "station", "element", "condition", "value", "why"] "interlock {interlock} refused: {station} {element} must be {condition}, reading {value} ({why})";
    /// 409: the command id belongs to another command.
    CommandIdTaken = "command_id_taken" ["command"] "command id {command} is another command's; make a new id";
    /// 404: no command has the id.
    UnknownCommand = "unknown_command" ["command"] "no relay command {command}";
    /// 409: the command is no longer waiting (it is being sent, or it ended).
    CommandNotCancellable = "command_not_cancellable" ["command", "state"] "command {command} is {state}: only a queued command can be cancelled";
    /// 404: no proposal has the id.
    UnknownProposal = "unknown_proposal" ["id"] "no automation proposal {id}";
    /// 409: the proposal was decided already (or lapsed).
    ProposalDecided = "proposal_decided" ["id", "state"] "proposal {id} is {state} already";
}

impl Code {
    /// The code written `text`, if it is in the registry.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.as_str() == text)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One parameter's value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Param {
    /// A whole number (a count, a limit, a line).
    Int(i64),
    /// A measured value.
    Num(f64),
    /// Text (a name, a code, an RFC 3339 time).
    Text(String),
}

impl fmt::Display for Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Int(n) => write!(f, "{n}"),
            Self::Num(x) => write!(f, "{x}"),
            Self::Text(text) => f.write_str(text),
        }
    }
}

macro_rules! int_params {
    ($($t:ty),*) => {$(
        impl From<$t> for Param {
            fn from(n: $t) -> Self {
                Self::Int(i64::try_from(n).unwrap_or(i64::MAX))
            }
        }
    )*};
}
int_params!(i64, u64, usize, u32, u16);

impl From<f64> for Param {
    /// A whole value travels as a whole number (`130`, not `130.0`).
    fn from(x: f64) -> Self {
        const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
        let whole = x.fract() == 0.0 && x.abs() < EXACT;
        if whole {
            Self::Int(x as i64)
        } else {
            Self::Num(x)
        }
    }
}

impl From<&str> for Param {
    fn from(text: &str) -> Self {
        Self::Text(text.to_owned())
    }
}

impl From<String> for Param {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

impl From<Timestamp> for Param {
    fn from(time: Timestamp) -> Self {
        Self::Text(time.to_rfc3339())
    }
}

/// A refusal's parameters by name.
pub type Params = BTreeMap<String, Param>;

/// `template` with each `{name}` replaced by `render(name, value)` of that parameter; a name
/// without a parameter stays as written.
pub fn fill(template: &str, params: &Params, render: impl Fn(&str, &Param) -> String) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match params.get(name) {
                    Some(value) => out.push_str(&render(name, value)),
                    None => out.push_str(&rest[open..open + close + 2]),
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// A refusal: its code and parameters. What the store and the central's handlers return; the
/// API writes it as `{code, params}` (or `ApiError`'s `error` and `params`).
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// The code.
    pub code: Code,
    /// Its parameters, named as [`Code::params`] lists them.
    pub params: Params,
}

impl Refusal {
    /// A refusal with no parameters yet.
    pub fn new(code: Code) -> Self {
        Self {
            code,
            params: Params::new(),
        }
    }

    /// With parameter `name` (one that the code declares).
    #[must_use]
    pub fn with(mut self, name: &str, value: impl Into<Param>) -> Self {
        debug_assert!(
            self.code.params().contains(&name),
            "{} declares no parameter {name}",
            self.code
        );
        self.params.insert(name.to_owned(), value.into());
        self
    }

    /// The English sentence (the API's `message`, the log's words).
    pub fn english(&self) -> String {
        fill(self.code.english(), &self.params, |_, v| v.to_string())
    }
}

/// A refusal as the API writes it (a record's `refusals`) and as a client keeps it: a code of
/// the registry and its parameters. The code stays text, so a client can hold (and say
/// generically) a code of a newer central.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodedRefusal {
    /// Stable code (`out_of_range`).
    pub code: String,
    /// Its parameters by name (`{"element": "RHU", "value": 130, …}`).
    #[serde(default, skip_serializing_if = "Params::is_empty")]
    pub params: Params,
}

impl From<&Refusal> for CodedRefusal {
    fn from(refusal: &Refusal) -> Self {
        Self {
            code: refusal.code.as_str().to_owned(),
            params: refusal.params.clone(),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.english())
    }
}

impl From<&super::ObservationError> for Refusal {
    fn from(error: &super::ObservationError) -> Self {
        use super::ObservationError as E;
        match error {
            E::FromTheFuture { time, ahead_s } => Self::new(Code::TimeInFuture)
                .with("time", *time)
                .with("ahead_s", *ahead_s),
            E::TooOld(time) => Self::new(Code::TimeTooOld).with("time", *time),
            E::UnknownElement(code) => Self::new(Code::UnknownElement).with("code", code.as_str()),
            E::NotANumber { element, found } => Self::new(Code::NotANumber)
                .with("element", element.code())
                .with("found", found.as_str()),
            E::OutOfRange {
                element,
                value,
                min,
                max,
                unit,
            } => Self::new(Code::OutOfRange)
                .with("element", element.code())
                .with("value", *value)
                .with("min", *min)
                .with("max", *max)
                .with("unit", *unit),
        }
    }
}

impl From<&super::maintenance::WindowError> for Refusal {
    fn from(error: &super::maintenance::WindowError) -> Self {
        use super::maintenance::{MAX_NOTE_CHARS, WindowError as E};
        match error {
            E::EmptyNote => Self::new(Code::NoteEmpty),
            E::NoteTooLong(chars) => Self::new(Code::NoteTooLong)
                .with("chars", *chars)
                .with("max", MAX_NOTE_CHARS),
            E::EndNotAfterStart { from, to } => Self::new(Code::EndNotAfterStart)
                .with("from", *from)
                .with("to", *to),
            E::TooFarAhead { from, .. } => Self::new(Code::StartTooFarAhead).with("from", *from),
        }
    }
}

impl From<super::access::PasswordRefusal> for Refusal {
    fn from(refusal: super::access::PasswordRefusal) -> Self {
        use super::access::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, PasswordRefusal as P};
        match refusal {
            P::TooShort => Self::new(Code::PasswordTooShort).with("min", MIN_PASSWORD_CHARS),
            P::TooLong => Self::new(Code::PasswordTooLong).with("max", MAX_PASSWORD_CHARS),
            P::Common => Self::new(Code::PasswordCommon),
            P::LikeUsername => Self::new(Code::PasswordLikeUsername),
            P::LikeBureau => Self::new(Code::PasswordLikeBureau),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_parse_back() {
        let mut seen = std::collections::BTreeSet::new();
        for &code in Code::ALL {
            assert!(seen.insert(code.as_str()), "{code} twice");
            assert_eq!(Code::parse(code.as_str()), Some(code));
            assert!(
                code.as_str()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{code}"
            );
        }
        assert_eq!(Code::parse("no_such_code"), None);
    }

    #[test]
    fn every_english_template_uses_exactly_its_declared_params() {
        for &code in Code::ALL {
            let mut refusal = Refusal::new(code);
            for &name in code.params() {
                assert!(
                    code.english().contains(&format!("{{{name}}}")),
                    "{code}: {name} unused"
                );
                refusal = refusal.with(name, "X");
            }
            assert!(
                !refusal.english().contains('{'),
                "{code}: {}",
                refusal.english()
            );
        }
    }

    #[test]
    fn password_refusals_keep_their_codes() {
        for refusal in crate::domain::access::PasswordRefusal::ALL {
            assert_eq!(Refusal::from(refusal).code.as_str(), refusal.code());
        }
    }

    #[test]
    fn fill_replaces_named_params_and_keeps_unknown_ones() {
        let params: Params = [("n".to_owned(), Param::Int(31))].into();
        let cases = [
            ("{n} days", "31 days"),
            ("at most {n}, asked {m}", "at most 31, asked {m}"),
            ("open { brace", "open { brace"),
            ("", ""),
        ];
        for (template, expected) in cases {
            assert_eq!(fill(template, &params, |_, v| v.to_string()), expected);
        }
    }

    #[test]
    fn params_travel_as_plain_json() {
        let params: Params = [
            ("max_days".to_owned(), Param::from(31_u64)),
            ("value".to_owned(), Param::from(130.5)),
            ("whole".to_owned(), Param::from(130.0)),
            ("station".to_owned(), Param::from("58819")),
        ]
        .into();
        let json = serde_json::to_value(&params).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"max_days": 31, "value": 130.5, "whole": 130, "station": "58819"})
        );
        assert_eq!(serde_json::from_value::<Params>(json).unwrap(), params);
    }
}
