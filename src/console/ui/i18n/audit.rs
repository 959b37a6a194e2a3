//! Audit entries' particulars in the reader's language: each [`AuditDetail`] code with its
//! parameters, times in Beijing time. Entries written before details were data (free text)
//! and codes from a newer central are shown as stored.

use crate::console::messages::StorageNote;
use crate::console::ui::i18n::Language;
use crate::domain::access::{Capability, Role};
use crate::domain::audit::{AuditDetail, Change, HeadRegression, KeyIssuer};
use crate::domain::refusal::Param;
use crate::domain::{Source, Timestamp};

/// The warning that the central's audit head went backwards.
pub fn audit_regressed(language: Language, regression: &HeadRegression) -> String {
    let (seen, _) = regression.seen;
    match (language, regression.now) {
        (Language::Zh, Some((now, _))) if now == seen => format!(
            "审计日志异常：中心站第 {seen} 条记录与本机此前所见不同，日志可能被改写。请在服务器上运行 wxdesk central audit-verify 核查。"
        ),
        (Language::Zh, now) => format!(
            "审计日志异常：本机曾见到第 {seen} 条记录，中心站现在只到第 {} 条，日志可能被截断或数据库被回滚。请在服务器上运行 wxdesk central audit-verify 核查。",
            now.map_or(0, |(seq, _)| seq)
        ),
        (Language::En, Some((now, _))) if now == seen => format!(
            "Audit log warning: the central's entry {seen} differs from the one this desk saw: the log may have been rewritten. Run wxdesk central audit-verify on the server."
        ),
        (Language::En, now) => format!(
            "Audit log warning: this desk saw entry {seen}, the central's log now ends at {}: it may have been cut back, or its database rolled back. Run wxdesk central audit-verify on the server.",
            now.map_or(0, |(seq, _)| seq)
        ),
    }
}

/// Where the session token was kept, or why it was not.
pub fn storage_note(language: Language, note: &StorageNote) -> String {
    match (language, note) {
        (Language::Zh, StorageNote::InFile(path)) => {
            format!("系统无密钥环：会话保存在 {}（仅本人可读）", path.display())
        }
        (Language::En, StorageNote::InFile(path)) => format!(
            "No system keyring: the session is kept in {} (readable only by you)",
            path.display()
        ),
        (Language::Zh, StorageNote::NotRemembered(why)) => {
            format!("无法记住会话（{why}）；重启后需要重新登录")
        }
        (Language::En, StorageNote::NotRemembered(why)) => format!(
            "The session could not be remembered ({why}); you will have to log in again after a restart"
        ),
    }
}

/// The particulars stored as `stored`, said in `language`.
pub fn audit_detail(language: Language, stored: &str) -> String {
    AuditDetail::parse(stored).map_or_else(|| stored.to_owned(), |d| detail(language, &d))
}

/// `2026-12-07 16:23`, Beijing time.
fn beijing(t: Timestamp) -> String {
    t.beijing().format("%Y-%m-%d %H:%M").to_string()
}

fn role(language: Language, code: &str) -> String {
    Role::parse(code).map_or_else(
        |_| code.to_owned(),
        |r| match language {
            Language::Zh => r.name_zh().to_owned(),
            Language::En => r.name_en().to_lowercase(),
        },
    )
}

fn capability(language: Language, code: &str) -> String {
    Capability::parse(code).map_or_else(
        |_| code.to_owned(),
        |c| match language {
            Language::Zh => c.name_zh().to_owned(),
            Language::En => c.name_en().to_lowercase(),
        },
    )
}

/// A source's name: 实时 / live.
pub fn source_name(language: Language, source: Source) -> &'static str {
    match (language, source) {
        (Language::Zh, Source::Live) => "实时",
        (Language::Zh, Source::Backfilled) => "补传",
        (Language::Zh, Source::Imported) => "导入",
        (Language::Zh, Source::Manual) => "人工录入",
        (Language::En, source) => source.code(),
    }
}

/// "；来自 10.0.0.7" / "; from 10.0.0.7", or nothing.
fn from(language: Language, address: Option<&String>) -> String {
    match (language, address) {
        (_, None) => String::new(),
        (Language::Zh, Some(a)) => format!("；来自 {a}"),
        (Language::En, Some(a)) => format!("; from {a}"),
    }
}

fn arrow<T>(change: &Change<T>, show: impl Fn(&T) -> String) -> String {
    format!("{} → {}", show(&change.before), show(&change.after))
}

fn end(language: Language, end: Option<Timestamp>) -> String {
    match (language, end) {
        (_, Some(t)) => beijing(t),
        (Language::Zh, None) => "进行中".to_owned(),
        (Language::En, None) => "ongoing".to_owned(),
    }
}

/// A relay command's particulars: what it set, how it stands, why, and how long it took.
fn relay_command(zh: bool, detail: &AuditDetail) -> String {
    let AuditDetail::RelayCommand {
        device,
        channel,
        target,
        state,
        reason,
        latency_ms,
        detail,
        ..
    } = detail
    else {
        return String::new();
    };
    let mut text = if zh {
        format!("{device} {channel} 号继电器 → {target}，{state}")
    } else {
        format!("{device} relay {channel} → {target}, {state}")
    };
    if let Some(ms) = latency_ms {
        text.push_str(&if zh {
            format!("，用时 {ms} ms")
        } else {
            format!(", {ms} ms")
        });
    }
    for said in [reason, detail].into_iter().flatten() {
        text.push_str(&if zh {
            format!("；{said}")
        } else {
            format!("; {said}")
        });
    }
    text
}

/// One detail, rendered.
fn detail(language: Language, detail: &AuditDetail) -> String {
    use AuditDetail as D;
    let zh = language == Language::Zh;
    match detail {
        D::NoSuchUser { from: a } if zh => format!("无此用户{}", from(language, a.as_ref())),
        D::NoSuchUser { from: a } => format!("no such user{}", from(language, a.as_ref())),
        D::AccountLocked { from: a } if zh => format!("账户已锁定{}", from(language, a.as_ref())),
        D::AccountLocked { from: a } => format!("account locked{}", from(language, a.as_ref())),
        D::WrongPassword { in_a_row, from: a } if zh => {
            format!(
                "密码错误（连续第 {in_a_row} 次）{}",
                from(language, a.as_ref())
            )
        }
        D::WrongPassword { in_a_row, from: a } => {
            format!(
                "wrong password ({in_a_row} in a row){}",
                from(language, a.as_ref())
            )
        }
        D::AccountDisabled { from: a } if zh => format!("账户已停用{}", from(language, a.as_ref())),
        D::AccountDisabled { from: a } => format!("account disabled{}", from(language, a.as_ref())),
        D::LockedAfterFailures {
            failures,
            minutes,
            from: a,
        } if zh => format!(
            "连续 {failures} 次失败：账户锁定 {minutes} 分钟{}",
            from(language, a.as_ref())
        ),
        D::LockedAfterFailures {
            failures,
            minutes,
            from: a,
        } => format!(
            "{failures} failed logins in a row: locked for {minutes} minutes{}",
            from(language, a.as_ref())
        ),
        D::LockedMeanwhile { from: a } if zh => format!(
            "密码正确，但其间其他失败尝试已锁定账户{}",
            from(language, a.as_ref())
        ),
        D::LockedMeanwhile { from: a } => format!(
            "right password, but other failed attempts locked the account meanwhile{}",
            from(language, a.as_ref())
        ),
        D::FailedLogins { .. } => failed_logins(language, detail),
        D::SessionStarted { .. } => session(language, detail),
        D::CurrentPasswordWrong if zh => "当前密码错误".to_owned(),
        D::CurrentPasswordWrong => "current password wrong".to_owned(),
        D::UserCreated {
            display_name,
            role: r,
        } if zh => {
            format!("{display_name}，角色：{}", role(language, r))
        }
        D::UserCreated {
            display_name,
            role: r,
        } => {
            format!("{display_name}, role: {}", role(language, r))
        }
        D::OneTimePasswordIssued { at_console } => one_time(language, *at_console),
        D::FirstAdministrator if zh => "尚无用户：创建首个管理员，使用一次性密码".to_owned(),
        D::FirstAdministrator => {
            "no users yet: first administrator with a one-time password".to_owned()
        }
        D::FirstAdministratorReissued if zh => {
            "首个管理员从未登录：本次启动发放新的一次性密码".to_owned()
        }
        D::FirstAdministratorReissued => {
            "first administrator never logged in: a new one-time password for this start".to_owned()
        }
        D::RoleChanged(change) => arrow(change, |r| role(language, r)),
        D::Renamed(change) => arrow(change, Clone::clone),
        D::SessionsEnded if zh => "会话已结束".to_owned(),
        D::SessionsEnded => "sessions ended".to_owned(),
        D::DeviceKeyIssued { by, may_import } => key_issued(language, *by, *may_import),
        D::RequiresCapability {
            capability: c,
            role: r,
        } if zh => {
            format!(
                "需要“{}”权限，调用者角色为{}",
                capability(language, c),
                role(language, r)
            )
        }
        D::RequiresCapability {
            capability: c,
            role: r,
        } => format!(
            "needs the “{}” capability; the caller is {}",
            capability(language, c),
            role(language, r)
        ),
        D::SourceNotPermitted { source } if zh => {
            format!(
                "无权将观测标为“{}”，整批拒收",
                source_name(language, *source)
            )
        }
        D::SourceNotPermitted { source } => format!(
            "may not label observations “{}”; batch refused",
            source_name(language, *source)
        ),
        D::MaintenanceRecorded { .. } | D::MaintenanceChanged { .. } => {
            maintenance(language, detail)
        }
        D::Device {
            device,
            kind,
            station,
        } => match (zh, station) {
            (true, Some(station)) => format!("设备 {device}（{kind}），站号 {station}"),
            (true, None) => format!("设备 {device}（{kind}）"),
            (false, Some(station)) => format!("device {device} ({kind}), station {station}"),
            (false, None) => format!("device {device} ({kind})"),
        },
        D::RelayCommand { .. } => relay_command(zh, detail),
        D::FileImported { .. } | D::FileRefused { .. } => file(language, detail),
        D::RecipientFields { fields } if zh => format!("字段：{}", fields.join("、")),
        D::RecipientFields { fields } => format!("fields: {}", fields.join(", ")),
        D::RecipientsImported {
            format,
            imported,
            refused,
        } if zh => format!("{format} 文件：导入 {imported} 人，拒收 {refused} 行"),
        D::RecipientsImported {
            format,
            imported,
            refused,
        } => format!("{format} file: {imported} imported, {refused} lines refused"),
        D::OnCallSet { day, recipients } => {
            let ids: Vec<String> = recipients.iter().map(u64::to_string).collect();
            match (zh, ids.is_empty()) {
                (true, true) => format!("{day} 值班：已清空"),
                (true, false) => format!("{day} 值班：接收人 {}", ids.join("、")),
                (false, true) => format!("on call on {day}: cleared"),
                (false, false) => format!("on call on {day}: recipients {}", ids.join(", ")),
            }
        }
        D::DeliveriesRetried { .. } | D::DeliveriesResent { .. } => deliveries(language, detail),
        D::CalloutLine {
            warning,
            line,
            recipient,
        } if zh => format!("预警 {warning} 叫应第 {line} 行（接收人 {recipient}）"),
        D::CalloutLine {
            warning,
            line,
            recipient,
        } => format!("warning {warning}, call line {line} (recipient {recipient})"),
        D::AuditKeyIntroduced { fingerprint } if zh => {
            format!("自此条起以密钥封存，密钥指纹 {fingerprint}")
        }
        D::AuditKeyIntroduced { fingerprint } => {
            format!("sealed with a key from this entry on; key fingerprint {fingerprint}")
        }
    }
}

/// A retry or resend of a warning's messages: how many, whose (ids), and why.
fn deliveries(language: Language, detail: &AuditDetail) -> String {
    let ids = |r: &[u64]| r.iter().map(u64::to_string).collect::<Vec<_>>().join(", ");
    let zh = language == Language::Zh;
    match detail {
        AuditDetail::DeliveriesRetried {
            requeued,
            skipped,
            recipients,
        } if zh => format!(
            "重新排队 {requeued} 条，跳过 {skipped} 条；接收人 {}",
            ids(recipients)
        ),
        AuditDetail::DeliveriesRetried {
            requeued,
            skipped,
            recipients,
        } => format!(
            "{requeued} requeued, {skipped} skipped; recipients {}",
            ids(recipients)
        ),
        AuditDetail::DeliveriesResent {
            how,
            reason,
            resent,
            skipped,
            recipients,
        } => {
            let policy = how == "policy";
            match (zh, policy) {
                (true, true) => format!(
                    "按级别策略重发 {resent} 条（{reason}）；接收人 {}",
                    ids(recipients)
                ),
                (true, false) => format!(
                    "经决定重发 {resent} 条，跳过 {skipped} 条，理由：{reason}；接收人 {}",
                    ids(recipients)
                ),
                (false, true) => format!(
                    "{resent} resent by the level policy ({reason}); recipients {}",
                    ids(recipients)
                ),
                (false, false) => format!(
                    "{resent} resent by decision, {skipped} skipped, reason: {reason}; recipients {}",
                    ids(recipients)
                ),
            }
        }
        _ => String::new(),
    }
}

fn failed_logins(language: Language, detail: &AuditDetail) -> String {
    let AuditDetail::FailedLogins {
        failures,
        refused,
        since,
        until,
        names,
    } = detail
    else {
        return String::new();
    };
    let (since, until) = (beijing(*since), beijing(*until));
    let tried = names.join(", ");
    match (language, names.is_empty()) {
        (Language::Zh, true) => {
            format!("{since} 至 {until}：{failures} 次登录失败，{refused} 次因过多被拒")
        }
        (Language::Zh, false) => format!(
            "{since} 至 {until}：{failures} 次登录失败，{refused} 次因过多被拒；尝试的用户名：{tried}"
        ),
        (Language::En, true) => {
            format!("{since} to {until}: {failures} failed logins, {refused} refused as too many")
        }
        (Language::En, false) => format!(
            "{since} to {until}: {failures} failed logins, {refused} refused as too many; names tried: {tried}"
        ),
    }
}

fn session(language: Language, detail: &AuditDetail) -> String {
    let AuditDetail::SessionStarted {
        until,
        one_time_password,
        from: a,
    } = detail
    else {
        return String::new();
    };
    let address = from(language, a.as_ref());
    match (language, one_time_password) {
        (Language::Zh, false) => format!("会话有效至 {}{address}", beijing(*until)),
        (Language::Zh, true) => {
            format!(
                "会话有效至 {}；一次性密码，须设置新密码{address}",
                beijing(*until)
            )
        }
        (Language::En, false) => format!("session until {}{address}", beijing(*until)),
        (Language::En, true) => format!(
            "session until {}; one-time password, must choose a new one{address}",
            beijing(*until)
        ),
    }
}

fn one_time(language: Language, at_console: bool) -> String {
    match (language, at_console) {
        (Language::Zh, false) => "已发放一次性密码；会话已结束；锁定已解除".to_owned(),
        (Language::Zh, true) => "在服务器控制台发放一次性密码；会话已结束；锁定已解除".to_owned(),
        (Language::En, false) => {
            "one-time password issued; sessions ended; lockout lifted".to_owned()
        }
        (Language::En, true) => {
            "one-time password issued at the server's console; sessions ended; lockout lifted"
                .to_owned()
        }
    }
}

fn key_issued(language: Language, by: KeyIssuer, may_import: bool) -> String {
    let (zh_by, en_by) = match by {
        KeyIssuer::Api => ("由管理员签发", "issued by an administrator"),
        KeyIssuer::Console => ("在服务器控制台签发", "issued at the server's console"),
        KeyIssuer::Start => (
            "启动时为内置模拟器签发",
            "issued at start for the built-in simulator",
        ),
    };
    match (language, may_import) {
        (Language::Zh, false) => format!("{zh_by}；可上传实时与补传观测"),
        (Language::Zh, true) => format!("{zh_by}；可上传实时与补传观测，并可导入"),
        (Language::En, false) => format!("{en_by}; may send live and backfilled observations"),
        (Language::En, true) => {
            format!("{en_by}; may send live and backfilled observations, and import")
        }
    }
}

fn maintenance(language: Language, detail: &AuditDetail) -> String {
    let zh = language == Language::Zh;
    match detail {
        AuditDetail::MaintenanceRecorded {
            station,
            start,
            end: e,
            note,
        } => {
            let span = format!("{} → {}", beijing(*start), end(language, *e));
            if zh {
                format!("站点 {station}，{span}：{note}")
            } else {
                format!("station {station}, {span}: {note}")
            }
        }
        AuditDetail::MaintenanceChanged {
            station,
            end: e,
            note,
        } => {
            let mut parts = Vec::new();
            if let Some(change) = e {
                let span = arrow(change, |t| end(language, *t));
                parts.push(if zh {
                    format!("结束时间 {span}")
                } else {
                    format!("end {span}")
                });
            }
            if let Some(change) = note {
                let notes = arrow(change, |n| format!("“{n}”"));
                parts.push(if zh {
                    format!("备注 {notes}")
                } else {
                    format!("note {notes}")
                });
            }
            if zh {
                format!("站点 {station}：{}", parts.join("；"))
            } else {
                format!("station {station}: {}", parts.join("; "))
            }
        }
        _ => String::new(),
    }
}

fn file(language: Language, detail: &AuditDetail) -> String {
    let zh = language == Language::Zh;
    match detail {
        AuditDetail::FileImported {
            format,
            records,
            imported,
            new_values,
            duplicate_values,
            outside_network,
        } => {
            if zh {
                format!(
                    "{format}：{records} 条记录，导入 {imported} 条（新值 {new_values}，已有 {duplicate_values}），站网外站点 {outside_network} 个"
                )
            } else {
                format!(
                    "{format}: {records} records; {imported} imported ({new_values} new values, {duplicate_values} already stored); {outside_network} stations outside the network"
                )
            }
        }
        AuditDetail::FileRefused {
            format,
            line,
            reason,
            cause,
        } => {
            let reason = match cause {
                Some(cause) => {
                    let params = cause
                        .params
                        .iter()
                        .map(|(name, value)| (name.clone(), Param::Text(value.clone())))
                        .collect();
                    super::refusals::say(language, &cause.code, &params)
                }
                None => reason.clone(),
            };
            let format = format.clone().unwrap_or_else(|| {
                (if zh {
                    "格式未识别"
                } else {
                    "format not detected"
                })
                .to_owned()
            });
            match (zh, line) {
                (true, Some(line)) => format!("{format}：拒收，第 {line} 行：{reason}"),
                (true, None) => format!("{format}：拒收：{reason}"),
                (false, Some(line)) => format!("{format}: refused, line {line}: {reason}"),
                (false, None) => format!("{format}: refused: {reason}"),
            }
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One of each code, with a time whose Beijing date differs from its UTC date.
    fn every_detail() -> Vec<AuditDetail> {
        let t = Timestamp::parse_rfc3339("2026-12-07T20:23:31.008Z").unwrap();
        let from = Some("10.0.0.7".to_owned());
        vec![
            AuditDetail::NoSuchUser { from: from.clone() },
            AuditDetail::AccountLocked { from: None },
            AuditDetail::WrongPassword {
                in_a_row: 3,
                from: from.clone(),
            },
            AuditDetail::AccountDisabled { from: None },
            AuditDetail::LockedAfterFailures {
                failures: 5,
                minutes: 15,
                from: from.clone(),
            },
            AuditDetail::LockedMeanwhile { from: None },
            AuditDetail::FailedLogins {
                failures: 10,
                refused: 190,
                since: t,
                until: t,
                names: vec!["admin".into(), "root".into()],
            },
            AuditDetail::SessionStarted {
                until: t,
                one_time_password: true,
                from,
            },
            AuditDetail::CurrentPasswordWrong,
            AuditDetail::UserCreated {
                display_name: "李娜".into(),
                role: "supervisor".into(),
            },
            AuditDetail::OneTimePasswordIssued { at_console: true },
            AuditDetail::FirstAdministrator,
            AuditDetail::FirstAdministratorReissued,
            AuditDetail::RoleChanged(Change {
                before: "leader".into(),
                after: "supervisor".into(),
            }),
            AuditDetail::Renamed(Change {
                before: "李娜".into(),
                after: "李娜娜".into(),
            }),
            AuditDetail::SessionsEnded,
            AuditDetail::DeviceKeyIssued {
                by: KeyIssuer::Start,
                may_import: true,
            },
            AuditDetail::RequiresCapability {
                capability: "manage_users".into(),
                role: "leader".into(),
            },
            AuditDetail::SourceNotPermitted {
                source: Source::Manual,
            },
            AuditDetail::MaintenanceRecorded {
                station: "708301".into(),
                start: t,
                end: None,
                note: "校准".into(),
            },
            AuditDetail::Device {
                device: "YR-AWS1".into(),
                kind: "GardenStation".into(),
                station: Some("YRG01".into()),
            },
            AuditDetail::RelayCommand {
                command: "c-0123456789".into(),
                device: "GH-01".into(),
                channel: 1,
                class: "ventilation".into(),
                target: "on".into(),
                state: "observed".into(),
                reason: None,
                latency_ms: Some(420),
                detail: None,
            },
            AuditDetail::MaintenanceChanged {
                station: "708301".into(),
                end: Some(Change {
                    before: None,
                    after: Some(t),
                }),
                note: Some(Change {
                    before: "a".into(),
                    after: "b".into(),
                }),
            },
            AuditDetail::FileImported {
                format: "micaps3".into(),
                records: 3,
                imported: 2,
                new_values: 2,
                duplicate_values: 0,
                outside_network: 1,
            },
            AuditDetail::FileRefused {
                format: None,
                line: Some(4),
                reason: "bad time".into(),
                cause: None,
            },
            AuditDetail::FileRefused {
                format: Some("micaps3".into()),
                line: Some(3),
                reason: "time 2026-12-08T00:00:00Z is 3600 s in the future".into(),
                cause: Some(crate::domain::audit::CodedCause {
                    code: "time_in_future".into(),
                    params: [
                        ("time".to_owned(), "2026-12-08T00:00:00Z".to_owned()),
                        ("ahead_s".to_owned(), "3600".to_owned()),
                    ]
                    .into(),
                }),
            },
            AuditDetail::AuditKeyIntroduced {
                fingerprint: "0123456789abcdef".into(),
            },
        ]
    }

    #[test]
    fn every_detail_code_renders_in_both_languages_in_beijing_time() {
        for d in every_detail() {
            let stored = d.to_stored();
            let zh = audit_detail(Language::Zh, &stored);
            let en = audit_detail(Language::En, &stored);
            assert!(!zh.is_empty() && !en.is_empty(), "{stored}");
            assert_ne!(zh, stored, "rendered, not shown raw: {stored}");
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "zh: {zh}"
            );
            assert!(
                !en.contains('：') && !en.contains('，') && !en.contains('（'),
                "en: {en}"
            );
            for text in [&zh, &en] {
                assert!(
                    !text.contains("2026-12-07T") && !text.contains(".008Z"),
                    "UTC: {text}"
                );
                // 20:23 UTC is 04:23 the next day in Beijing.
                if stored.contains("2026-12-07T20:23") {
                    assert!(text.contains("2026-12-08 04:23"), "Beijing time: {text}");
                }
            }
        }
        assert_eq!(
            audit_detail(Language::Zh, &every_detail()[13].to_stored()),
            format!(
                "{} → {}",
                Role::Leader.name_zh(),
                Role::Supervisor.name_zh()
            )
        );
        assert_eq!(
            audit_detail(Language::En, &every_detail()[7].to_stored()),
            "session until 2026-12-08 04:23; one-time password, must choose a new one; from 10.0.0.7"
        );
    }

    #[test]
    fn the_regression_warning_and_the_session_note_are_said_in_both_languages() {
        use crate::domain::audit::ChainHash;
        let seen = (12, ChainHash([1; 32]));
        for now in [
            Some((9, ChainHash([1; 32]))),
            Some((12, ChainHash([2; 32]))),
            None,
        ] {
            let regression = HeadRegression { seen, now };
            let zh = audit_regressed(Language::Zh, &regression);
            let en = audit_regressed(Language::En, &regression);
            assert!(
                zh.contains("第 12 条") && zh.contains("audit-verify"),
                "{zh}"
            );
            assert!(en.contains("entry 12") && !en.contains('：'), "{en}");
        }
        let note = StorageNote::InFile("/home/wang/.local/share/wxdesk/session".into());
        assert!(storage_note(Language::Zh, &note).starts_with("系统无密钥环"));
        assert!(storage_note(Language::En, &note).starts_with("No system keyring"));
    }

    #[test]
    fn a_refused_file_is_said_by_its_code_not_the_centrals_english() {
        let refused = every_detail()
            .into_iter()
            .find(|d| matches!(d, AuditDetail::FileRefused { cause: Some(_), .. }))
            .unwrap();
        let zh = detail(Language::Zh, &refused);
        assert!(zh.starts_with("micaps3：拒收，第 3 行："), "{zh}");
        assert!(!zh.contains("in the future"), "{zh}");
        let en = detail(Language::En, &refused);
        assert!(en.contains("refused, line 3"), "{en}");
    }

    #[test]
    fn free_text_of_older_entries_is_shown_as_stored() {
        let old = "session until 2026-12-07T08:23:31.008Z";
        assert_eq!(audit_detail(Language::Zh, old), old);
    }
}
