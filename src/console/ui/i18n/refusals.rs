//! The central's refusals in the reader's language: each code of the registry
//! ([`crate::domain::refusal::Code`]) has a Chinese and an English template here, filled from
//! the refusal's parameters (times in Beijing time, elements, roles and capabilities by their
//! names). The central's own English `message` is never shown: a code this console does not
//! know (from a newer central), or one whose parameters did not all come, is said generically
//! with the code.

use crate::console::messages::Trouble;
use crate::console::ui::i18n::{Language, capability_name, element_name, role_name, source_name};
use crate::domain::access::{Capability, Role};
use crate::domain::refusal::CodedRefusal;
use crate::domain::refusal::{Code, Param, Params, fill};
use crate::domain::{Element, Source, Timestamp};

/// The Chinese and English templates of `code` (`{name}` marks a parameter): one line a code.
#[rustfmt::skip]
fn templates(code: Code) -> (&'static str, &'static str) {
    use Code as C;
    match code {
        C::BadRequest => ("中心无法读取此请求（参数格式有误）", "The central could not read this request (a parameter is malformed)"),
        C::InvalidBody => ("请求内容不是此接口接受的格式", "The request's content is not what this route takes"),
        C::UnsupportedMediaType => ("请求内容须为 JSON 格式", "The request's content must be JSON"),
        C::PayloadTooLarge => ("请求内容过大，请分批发送", "The request is too large; send it in smaller parts"),
        C::NotFound => ("中心没有此项：{path}", "The central has nothing at {path}"),
        C::MethodNotAllowed => ("中心不接受对 {path} 的 {method} 请求", "The central does not accept {method} at {path}"),
        C::Internal => ("中心处理请求时出错，详情见中心日志", "The central failed while answering; its log says why"),
        C::DatabaseUnwritable => ("中心数据库暂时无法写入，本次未作任何更改；查看数据不受影响", "The central's database cannot be written now, so nothing was changed; reading still works"),
        C::ShuttingDown => ("中心正在关闭，请稍后再试", "The central is shutting down; try again later"),
        C::RequestTimeout => ("中心在 {seconds} 秒内未能完成处理；若是修改，请先确认是否已生效再重试，或缩小查询范围", "The central gave up after {seconds} s; check whether a change took effect before repeating it, or ask for less"),
        C::TooManyStreams => ("已打开 {open} 个实时连接，达到每个用户的上限（{max} 个），请先关闭一个", "{open} live connections are open, the most one user may hold ({max}); close one first"),
        C::StreamsFull => ("中心的实时连接已满（{max} 个），请稍后再试", "The central serves its most live connections ({max}); try again later"),
        C::Unauthorized => ("请先登录", "Please log in first"),
        C::SessionEnded => ("会话已过期、已退出或被撤销", "The session expired, was logged out or was revoked"),
        C::DeviceKeyUnknown => ("设备密钥无效或已被撤销", "This device key is unknown or revoked"),
        C::AccountGone => ("您的账户已不存在", "Your account no longer exists"),
        C::Forbidden => ("此操作需要“{capability}”权限，您的角色“{role}”没有此权限", "This needs the “{capability}” capability, which your role “{role}” does not have"),
        C::PeopleOnly => ("此操作只供登录的用户使用，设备密钥不能使用", "This is for signed-in people, not device keys"),
        C::PasswordChangeRequired => ("您使用的是一次性密码，请先设置自己的密码", "You logged in with a one-time password: choose your own password first"),
        C::InvalidCredentials => ("用户名或密码错误（连续 {max_failures} 次错误将锁定账户 {lock_minutes} 分钟）", "Wrong user name or password (after {max_failures} failures in a row the account is locked for {lock_minutes} minutes)"),
        C::CurrentPasswordWrong => ("当前密码不正确", "The current password is wrong"),
        C::AccountLocked => ("连续登录失败次数过多，账户已锁定至 {until}；系统管理员重置密码可立即解锁", "Too many failed logins: the account is locked until {until}; an administrator's password reset unlocks it now"),
        C::AccountDisabled => ("此账户已停用，请联系系统管理员", "This account is disabled; ask an administrator"),
        C::TooManyLogins => ("本机登录失败次数过多，请 {retry_seconds} 秒后再试", "Too many failed logins from this address; try again in {retry_seconds} s"),
        C::PasswordTooShort => ("新密码至少需要 {min} 个字符", "The new password needs at least {min} characters"),
        C::PasswordTooLong => ("新密码最多 {max} 个字符", "The new password may have at most {max} characters"),
        C::PasswordCommon => ("这是最常见的密码之一，猜密码的人会最先尝试，请换一个", "This is one of the most common passwords, the first a guesser tries; choose another"),
        C::PasswordLikeUsername => ("密码不能是用户名（加上数字或符号也不行）", "The password must not be your user name (adding digits or symbols does not help)"),
        C::PasswordLikeBureau => ("密码不能是本局名称（加上数字或符号也不行）", "The password must not be the bureau's name (adding digits or symbols does not help)"),
        C::PasswordUnchanged => ("新密码不能与当前密码相同", "The new password must differ from the current one"),
        C::InvalidUsername => ("用户名“{text}”不合规：须为 2–32 个字符，以小写字母开头，只含小写字母、数字、“.”“_”“-”", "User name “{text}” breaks the rules: 2–32 characters, starting with a lower-case letter, only lower-case letters, digits, '.', '_' or '-'"),
        C::InvalidDisplayName => ("显示名须为 1–{max} 个字符，不能全是空格，不能含控制字符", "The display name must be 1–{max} characters, not all spaces, without control characters"),
        C::InvalidRole => ("“{text}”不是用户账户可用的角色", "“{text}” is not a role of user accounts"),
        C::UnknownUser => ("没有用户“{username}”", "There is no user “{username}”"),
        C::UnknownDevice => ("设备“{name}”没有有效的密钥", "Device “{name}” has no active key"),
        C::UserExists => ("用户“{username}”已存在", "User “{username}” already exists"),
        C::LastAdministrator => ("“{username}”是最后一位启用的系统管理员，请先指定另一位系统管理员", "“{username}” is the last enabled administrator; make another user an administrator first"),
        C::InvalidStationId => ("“{text}”不是有效的站号", "“{text}” is not a station id"),
        C::UnknownStation => ("站点 {station} 不在中心的站网中", "Station {station} is not in the central's network"),
        C::UnknownElement => ("未知要素“{code}”", "Unknown element “{code}”"),
        C::InvalidTime => ("时间参数 {name} 的值“{text}”格式不正确", "Time parameter {name} is not a time: “{text}”"),
        C::RangeReversed => ("开始时间 {from} 须早于结束时间 {to}", "The start {from} must be before the end {to}"),
        C::RangeTooLong => ("时间范围超过 {max_days} 天，单次查询最多 {max_days} 天，请分段查询", "The range is longer than {max_days} days, the most one request serves; ask for it {max_days} days at a time"),
        C::OutOfBounds => ("参数 {name} 的值 {value} 须在 1 到 {max} 之间", "{name} = {value} must be between 1 and {max}"),
        C::InvalidCursor => ("同步位置“{text}”无效", "“{text}” is not a sync position this central gave"),
        C::CursorAhead => ("同步位置 {cursor} 超出中心最新的变更 {head}：中心的数据库已更换，将从头同步", "Sync position {cursor} is beyond the central's newest change {head}: its database was replaced; syncing starts over"),
        C::CursorExpired => ("中心只保留 {oldest} 之后的变更：本台将从快照重新同步", "The central keeps changes from {oldest} on only: this desk starts again from a snapshot"),
        C::UpdateRequired => ("需要更新 wxdesk：本台使用协议 {desk}，中心使用协议 {central}，请安装新版", "Update required: this desk speaks protocol {desk}, the central protocol {central}; install the new wxdesk"),
        C::UnknownFormat => ("未知的文件格式“{text}”（可用：micaps1、micaps3、csv）", "Unknown file format “{text}” (micaps1, micaps3 or csv)"),
        C::SourceNotPermitted => ("无权提交来源为“{source}”的数据（可提交：{allowed}），本批数据未保存", "You may not submit data of source “{source}” (you may: {allowed}); nothing was stored"),
        C::ImportRefused => ("文件 {file} 被拒收（{reason}），文件中的数据均未导入", "File {file} was refused ({reason}); nothing of it was imported"),
        C::UnreadableLine => ("该行无法按文件格式读取", "the line cannot be read in the file's format"),
        C::NoStationInNetwork => ("文件中没有本站网的站点（站网外站点 {count} 个：{stations}）", "no station of the file is in the network ({count} stations outside it: {stations})"),
        C::RecordMalformed => ("记录格式不正确", "The record is malformed"),
        C::RecordBadTime => ("记录时间“{text}”格式不正确", "The record's time “{text}” is not a time"),
        C::TimeInFuture => ("时间 {time} 比中心时钟超前 {ahead_s} 秒", "time {time} is {ahead_s} s ahead of the central's clock"),
        C::TimeTooOld => ("时间 {time} 早于 1950 年", "time {time} is before 1950"),
        C::NotANumber => ("{element}：{found} 不是数值", "{element}: {found} is not a number"),
        C::OutOfRange => ("{element}：{value} 超出物理范围 {min}–{max} {unit}", "{element}: {value} is outside the physical range {min}–{max} {unit}"),
        C::ValueConflict => ("{station} 站 {time} 的{element} {posted} 与已存的 {stored} 不同；保留已存值（不接受更正）", "{element} of {station} at {time}: {posted} differs from the stored {stored}; the stored value is kept (corrections are not accepted)"),
        C::NoValues => ("记录中没有任何数值（全部缺测）", "The record has no values (all missing)"),
        C::NoteEmpty => ("说明不能为空：请写明正在做什么", "The note must not be empty: say what is being done"),
        C::NoteTooLong => ("说明有 {chars} 个字符，最多 {max} 个", "The note has {chars} characters; at most {max}"),
        C::EndNotAfterStart => ("结束时间 {to} 须晚于开始时间 {from}", "The end {to} must be after the start {from}"),
        C::StartTooFarAhead => ("开始时间 {from} 比现在晚一天以上", "The start {from} is more than a day from now"),
        C::NothingToChange => ("没有要修改的内容：请给出结束时间或说明", "Nothing to change: give the end or the note"),
        C::InvalidRecipient => ("接收人的 {field} 不合规则：姓名 1–32 字，手机须为大陆手机号，乡镇须为本县乡镇（或县级）且与分组相符，至少一种接收方式", "The recipient's {field} breaks its rule: a name of 1–32 characters, a mainland mobile number, a township of this county (or county) fitting the group, at least one channel"),
        C::UnknownRecipient => ("没有编号为 {id} 的预警接收人", "There is no recipient {id}"),
        C::RecipientChanged => ("接收人 {id} 已被他人修改（现为第 {version} 版），请重新读取", "Recipient {id} was changed by someone else (now version {version}); read it again"),
        C::PhoneTaken => ("该手机号已属于接收人 {id}", "The phone number belongs to recipient {id} already"),
        C::RecipientsFileUnreadable => ("无法读取该 {format} 文件", "The body is not a readable {format} file"),
        C::InvalidDevice => ("设备档案中的 {field} 不合规", "The device record's {field} breaks its rule"),
        C::DeviceNamesUnknown => ("设备档案引用的{field} {value} 不存在", "The device names {field} {value}, which does not exist here"),
        C::UnknownDeviceId => ("设备档案中没有 {device}", "There is no device {device} in the registry"),
        C::DeviceExists => ("设备 {device} 已登记，请修改而非重复登记", "Device {device} is registered already; change it instead"),
        C::StationTaken => ("站号 {station} 已被占用，请另选", "Station id {station} is taken; choose another"),
        C::InvalidVisit => ("维护记录中的 {field} {value} 有误：须为本站已登记的设备、不超过 20 个更换件、关于该设备的未关闭告警", "The visit's {field} {value} does not hold: a registered device of the window's station, at most 20 parts, open alarms about the device"),
        C::UnknownAlarm => ("没有未关闭的告警 {id}", "There is no open alarm {id}"),
        C::NotAssignable => (
            "不能把告警指派给“{username}”：只能指派给在用的技术保障人员",
            "{username} cannot be given alarms: only an enabled technician can",
        ),
        C::UnknownRelay => ("设备 {device} 没有 {channel} 号继电器", "Device {device} has no relay {channel}"),
        C::RelayReasonRequired => ("开启{class}类继电器须填写原因", "Switching a {class} relay on needs a reason"),
        C::InterlockRefused => (
            "联锁“{interlock}”拒绝：{station} {element} 须 {condition}，当前读数 {value}（{why}）",
            "Interlock {interlock} refused: {station} {element} must be {condition}, reading {value} ({why})",
        ),
        C::UnknownProposal => ("没有自动化建议 {id}", "No automation proposal {id}"),
        C::ProposalDecided => ("建议 {id} 已处理（{state}）", "Proposal {id} is {state} already"),
        C::CommandIdTaken => ("指令编号 {command} 已被占用", "Command id {command} is taken"),
        C::UnknownCommand => ("没有继电器指令 {command}", "No relay command {command}"),
        C::CommandNotCancellable => (
            "指令 {command} 当前为 {state}，只有排队中的指令可以取消",
            "Command {command} is {state}: only a queued command can be cancelled",
        ),
        C::UnknownWindow => ("没有编号为 {id} 的维护时段", "There is no maintenance window {id}"),
        C::UnknownWarning => ("没有预警记录 {id}", "There is no warning {id}"),
        C::WarningNotNow => ("预警当前状态为“{state}”，不能执行“{event}”", "Cannot {event} a warning that is {state}"),
        C::ApproverIsDrafter => ("起草人不能审核自己起草的预警，须由值班领导审核", "The drafter cannot approve their own warning; a supervisor must"),
        C::NotDrafter => ("只有起草此预警的预报员可以这样做", "Only the forecaster who drafted this warning may do that"),
        C::CommentRequired => ("退回须填写意见", "A return needs a comment"),
        C::ResendReasonRequired => ("确认重发须填写理由：接收人可能收到两次", "A resend needs a reason: its recipients may get it twice"),
        C::ResendNamesNobody => ("请选择要重发的接收人", "Name the recipients to resend to"),
        C::AloneNotAllowed => ("按本局规定，此时“{action}”不能由值班预报员单独签发", "By the bureau's rule, {action} may not be signed by the forecaster alone now"),
        C::ContentChanged => ("预警内容在您查看（或审核）之后已改动，请重新查看", "The warning changed after you saw it (or after approval); look at it again"),
        C::FollowsUnknown => ("所跟进的预警 {id} 不是已发布的预警", "Warning {id}, which this follows, is not a released warning"),
        C::IssueFollows => ("新发布的预警不能跟进预警 {follows}", "A new issue cannot follow warning {follows}"),
        C::AlreadyInForce => ("{signal}预警 {id} 正在生效：请继续、变更、升级、降级或解除它", "{signal} warning {id} is in force: follow it instead"),
        C::NothingFollowed => ("“{action}”须指明所跟进的预警", "{action} must name the warning it follows"),
        C::NotInForce => ("预警 {id} 已{state}，不再生效", "Warning {id} is {state}, no longer in force"),
        C::SignalChanged => ("跟进预警不能把{from}改为{to}", "A follow-up of {from} cannot be {to}"),
        C::LevelDoesNotFit => ("“{action}”不能从{from}变为{to}", "{action} cannot go from {from} to {to}"),
        C::AreaEnlarged => ("影响区域扩大（新增 {added}），须确认扩大区域", "The area grows by {added}; confirm the enlargement"),
        C::LiftOutsideArea => ("解除范围 {outside} 不在原预警区域内", "A lift cannot cover {outside}, outside the warning"),
        C::EmptyArea => ("未选择影响区域", "No area chosen"),
        C::UnknownTownship => ("{code} 不是本县的乡镇", "{code} is not a township of this county"),
        C::UnknownSignal => ("未知的预警信号类型“{signal}”", "Unknown signal type “{signal}”"),
        C::UnfilledPlaceholder => ("“{field}”尚未填写", "“{field}” still needs editing"),
        C::MissingExpiry => ("预警须有失效时间", "The warning needs an expiry"),
        C::ExpiryNotAfterIssue => ("失效时间 {expires_at} 不晚于发布时间 {issued_at}", "The expiry {expires_at} is not after the issue time {issued_at}"),
        C::ExpiryPassed => ("失效时间 {expires_at} 已过", "The expiry {expires_at} has passed"),
        C::IssueTooFarInPast => ("发布时间早于现在 {minutes} 分钟，最多允许 {limit_minutes} 分钟", "The issue time is {minutes} min ago; at most {limit_minutes} min"),
        C::IssueTooFarInFuture => ("发布时间晚于现在 {minutes} 分钟，最多允许 {limit_minutes} 分钟", "The issue time is {minutes} min ahead; at most {limit_minutes} min"),
        C::SmsTooLong => ("短信共 {units} 字，需 {parts} 条，最多允许 {max_parts} 条", "The SMS has {units} characters and needs {parts} parts; at most {max_parts}"),
        C::BannedWord => ("{channel}文本含有禁用词“{word}”", "The {channel} text contains the banned word “{word}”"),
        C::NoRecipientGroups => ("请至少选择一个接收群组", "Choose at least one recipient group"),
        C::EmptyRecipientGroup => ("接收群组“{group}”没有成员", "Recipient group “{group}” is empty"),
        C::ChannelTooLong => ("{channel}文本共 {bytes} 字节，最多 {limit} 字节", "The {channel} text has {bytes} bytes; at most {limit}"),
        C::TemplateFieldTooLong => ("模板字段“{field}”有 {chars} 个字，最多 {limit} 个", "Template field “{field}” has {chars} characters; at most {limit}"),
    }
}

/// What went wrong, in `language`: the central's refusal said from its code, or the desk's
/// own words.
pub fn trouble(language: Language, trouble: &Trouble) -> String {
    match trouble {
        Trouble::Refused(refused) => refusal(language, refused),
        Trouble::Other(text) => text.clone(),
    }
}

/// A refusal from the central, in `language`.
pub fn refusal(language: Language, refusal: &CodedRefusal) -> String {
    say(language, &refusal.code, &refusal.params)
}

/// The refusal with `code` and `params`, in `language`.
pub fn say(language: Language, code: &str, params: &Params) -> String {
    let Some(known) = Code::parse(code) else {
        return unknown(language, code);
    };
    if known == Code::ImportRefused {
        return import_refused(language, params);
    }
    filled(language, known, params).unwrap_or_else(|| unknown(language, code))
}

/// The template of `code` filled from `params`, or `None` if a parameter is missing.
fn filled(language: Language, code: Code, params: &Params) -> Option<String> {
    let (zh, en) = templates(code);
    let template = match language {
        Language::Zh => zh,
        Language::En => en,
    };
    let text = fill(template, params, |name, value| param(language, name, value));
    (!text.contains('{')).then_some(text)
}

/// A refused file: which file, which line, and why (the reason's own code, filled from the
/// same parameters). A line the format reader could not read is said with the reader's words
/// in English only: they are English and have no code.
fn import_refused(language: Language, params: &Params) -> String {
    let text = |name: &str| params.get(name).map(ToString::to_string);
    let file = text("file").unwrap_or_default();
    let reason = text("reason")
        .and_then(|code| Code::parse(&code))
        .filter(|&code| code != Code::ImportRefused);
    let reason = match (language, reason, text("detail")) {
        (Language::En, Some(Code::UnreadableLine), Some(detail)) => Some(detail),
        (_, reason, _) => reason.and_then(|code| filled(language, code, params)),
    };
    let line = params.get("line");
    match (language, line, reason) {
        (Language::Zh, Some(line), Some(why)) => {
            format!("文件 {file} 第 {line} 行：{why}；整个文件均未导入")
        }
        (Language::Zh, None, Some(why)) => format!("文件 {file}：{why}；整个文件均未导入"),
        (Language::Zh, Some(line), None) => {
            format!("文件 {file} 第 {line} 行被拒收，整个文件均未导入")
        }
        (Language::Zh, None, None) => format!("文件 {file} 被拒收，整个文件均未导入"),
        (Language::En, Some(line), Some(why)) => {
            format!("File {file}, line {line}: {why}; nothing of the file was imported")
        }
        (Language::En, None, Some(why)) => {
            format!("File {file}: {why}; nothing of the file was imported")
        }
        (Language::En, Some(line), None) => {
            format!("File {file} was refused at line {line}; nothing of it was imported")
        }
        (Language::En, None, None) => {
            format!("File {file} was refused; nothing of it was imported")
        }
    }
}

/// A code this console does not know: said with the code, never with the central's English.
fn unknown(language: Language, code: &str) -> String {
    match language {
        Language::Zh => format!("中心拒绝了请求（代码 {code}）"),
        Language::En => format!("The central refused the request (code {code})"),
    }
}

/// One parameter as the reader reads it: times in Beijing time (as everywhere in the console), codes of elements, roles,
/// capabilities and sources by their names.
fn param(language: Language, name: &str, value: &Param) -> String {
    let Param::Text(text) = value else {
        return value.to_string();
    };
    let named = match name {
        "element" => text
            .parse::<Element>()
            .ok()
            .map(|e| element_name(language, e).to_owned()),
        "role" => Role::parse(text)
            .ok()
            .map(|r| role_name(language, r).to_owned()),
        "capability" => Capability::parse(text)
            .ok()
            .map(|c| capability_name(language, c).to_owned()),
        "source" => serde_json::from_value::<Source>(serde_json::Value::String(text.clone()))
            .ok()
            .map(|s| source_name(language, s).to_owned()),
        "why" => interlock_cause(language, text).map(str::to_owned),
        "state" => command_state(language, text).map(str::to_owned),
        _ => None,
    };
    named
        .or_else(|| Timestamp::parse_rfc3339(text).ok().map(beijing))
        .unwrap_or_else(|| text.clone())
}

/// Why an interlock refused, in words.
fn interlock_cause(language: Language, code: &str) -> Option<&'static str> {
    let zh = language == Language::Zh;
    Some(match code {
        "out_of_bound" if zh => "超出限值",
        "out_of_bound" => "out of bounds",
        "stale" if zh => "读数过旧",
        "stale" => "too old",
        "missing" if zh => "无读数",
        "missing" => "no reading",
        _ => return None,
    })
}

/// A relay command's state, in words (`sending`: being handed over this moment).
fn command_state(language: Language, code: &str) -> Option<&'static str> {
    match (language, code) {
        (Language::Zh, "sending") => Some("正在发送"),
        (_, "sending") => Some("being sent"),
        (Language::Zh, code) => {
            crate::domain::relays::CommandState::parse(code).map(|s| s.name_zh())
        }
        _ => None,
    }
}

/// A time as the console writes times: Beijing time, to the minute.
fn beijing(t: Timestamp) -> String {
    t.beijing().format("%Y-%m-%d %H:%M").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::refusal::Refusal;

    /// A plausible value for each parameter name the registry uses.
    fn example(name: &str) -> Param {
        match name {
            "from" | "to" | "time" | "until" => Param::from("2026-12-07T02:05:00Z"),
            "element" => Param::from("RHU"),
            "role" => Param::from("duty_forecaster"),
            "capability" => Param::from("manage_users"),
            "source" => Param::from("manual"),
            "reason" => Param::from("time_in_future"),
            "value" | "stored" | "posted" | "min" | "max" => Param::Num(12.5),
            "station" => Param::from("58819"),
            "unit" => Param::from("%"),
            "text" | "code" | "found" | "path" | "method" | "file" | "username" | "name"
            | "stations" | "allowed" => Param::from("x1"),
            _ => Param::Int(31),
        }
    }

    fn every_refusal() -> Vec<CodedRefusal> {
        Code::ALL
            .iter()
            .map(|&code| {
                let refusal = code
                    .params()
                    .iter()
                    .fold(Refusal::new(code), |r, &name| r.with(name, example(name)));
                let mut coded = CodedRefusal::from(&refusal);
                if code == Code::ImportRefused {
                    // The reason's own parameters come along, and the line at fault.
                    for name in ["time", "ahead_s", "line"] {
                        coded.params.insert(name.to_owned(), example(name));
                    }
                }
                coded
            })
            .collect()
    }

    /// Three or more ASCII words in a row: an English phrase.
    fn english_phrase(text: &str) -> Option<&str> {
        text.split(|c: char| !c.is_ascii()).find(|part| {
            part.split(|c: char| !c.is_ascii_alphabetic())
                .filter(|word| word.len() > 1)
                .count()
                >= 3
        })
    }

    #[test]
    fn every_code_is_said_in_both_languages_with_its_params() {
        for coded in every_refusal() {
            for language in [Language::Zh, Language::En] {
                let text = refusal(language, &coded);
                assert!(!text.is_empty(), "{}", coded.code);
                assert!(!text.contains('{'), "{} {language:?}: {text}", coded.code);
                assert!(
                    !text.contains("代码") && !text.contains("(code"),
                    "{} said generically: {text}",
                    coded.code
                );
            }
            let zh = refusal(Language::Zh, &coded);
            assert!(
                english_phrase(&zh).is_none(),
                "{}: English in Chinese: {zh}",
                coded.code
            );
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{zh}"
            );
            for (name, value) in &coded.params {
                if let Param::Int(n) = value
                    && name != "line"
                {
                    assert!(
                        zh.contains(&n.to_string()),
                        "{}: {name} not said: {zh}",
                        coded.code
                    );
                }
            }
        }
    }

    #[test]
    fn each_template_uses_exactly_the_declared_params() {
        for &code in Code::ALL {
            let (zh, en) = templates(code);
            for template in [zh, en] {
                let mut named = Vec::new();
                let mut rest = template;
                while let Some(open) = rest.find('{') {
                    let close = rest[open..].find('}').expect("closed") + open;
                    named.push(&rest[open + 1..close]);
                    rest = &rest[close + 1..];
                }
                named.sort_unstable();
                named.dedup();
                let mut declared = code.params().to_vec();
                declared.sort_unstable();
                assert_eq!(named, declared, "{code}: {template}");
            }
        }
    }

    #[test]
    fn parameters_are_said_as_the_reader_reads_them() {
        let refusal_of = |r: Refusal| CodedRefusal::from(&r);
        let cases = [
            (
                refusal_of(Refusal::new(Code::RangeTooLong).with("max_days", 31_u32)),
                "时间范围超过 31 天，单次查询最多 31 天，请分段查询",
            ),
            (
                refusal_of(
                    Refusal::new(Code::OutOfRange)
                        .with("element", "RHU")
                        .with("value", 130.0)
                        .with("min", 0.0)
                        .with("max", 100.0)
                        .with("unit", "%"),
                ),
                "相对湿度：130 超出物理范围 0–100 %",
            ),
            (
                refusal_of(
                    Refusal::new(Code::EndNotAfterStart)
                        .with(
                            "from",
                            Timestamp::parse_rfc3339("2026-12-07T02:00:00Z").unwrap(),
                        )
                        .with(
                            "to",
                            Timestamp::parse_rfc3339("2026-12-07T01:00:00Z").unwrap(),
                        ),
                ),
                "结束时间 2026-12-07 09:00 须晚于开始时间 2026-12-07 10:00",
            ),
            (
                refusal_of(
                    Refusal::new(Code::Forbidden)
                        .with("capability", "manage_users")
                        .with("role", "duty_forecaster"),
                ),
                "此操作需要“管理用户”权限，您的角色“值班预报员”没有此权限",
            ),
        ];
        for (coded, expected) in cases {
            assert_eq!(refusal(Language::Zh, &coded), expected);
        }
    }

    #[test]
    fn an_unknown_code_or_missing_param_is_said_generically_never_in_the_centrals_english() {
        let newer = CodedRefusal {
            code: "relay_offline".into(),
            params: Params::new(),
        };
        assert_eq!(
            refusal(Language::Zh, &newer),
            "中心拒绝了请求（代码 relay_offline）"
        );
        assert_eq!(
            refusal(Language::En, &newer),
            "The central refused the request (code relay_offline)"
        );
        let short = CodedRefusal {
            code: "range_too_long".into(),
            params: Params::new(),
        };
        assert_eq!(
            refusal(Language::Zh, &short),
            "中心拒绝了请求（代码 range_too_long）"
        );
    }

    #[test]
    fn a_refused_file_names_its_line_and_why() {
        let coded = CodedRefusal {
            code: "import_refused".into(),
            params: [
                ("file", Param::from("rain.txt")),
                ("reason", Param::from("unreadable_line")),
                ("line", Param::Int(775)),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        };
        assert_eq!(
            refusal(Language::Zh, &coded),
            "文件 rain.txt 第 775 行：该行无法按文件格式读取；整个文件均未导入"
        );
        assert_eq!(
            refusal(Language::En, &coded),
            "File rain.txt, line 775: the line cannot be read in the file's format; nothing of the file was imported"
        );
        // The reader's English words, when they come, are for the English reader only.
        let mut detailed = coded.clone();
        detailed
            .params
            .insert("detail".to_owned(), Param::from("\"2x.9\" is not a number"));
        assert_eq!(
            refusal(Language::Zh, &detailed),
            "文件 rain.txt 第 775 行：该行无法按文件格式读取；整个文件均未导入"
        );
        assert_eq!(
            refusal(Language::En, &detailed),
            "File rain.txt, line 775: \"2x.9\" is not a number; nothing of the file was imported"
        );
    }
}
