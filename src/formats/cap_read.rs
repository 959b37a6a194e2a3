//! CAP 1.2 import: the city's and province's warnings as the bureau's receiving system drops
//! them, read into [`CapMessage`]s, and their signal type and level recognised against a
//! [`Catalogue`] ([`recognise`]).
//!
//! Bytes in (UTF-8 or GBK, as [`super::decode`] reads them); a whole message or the line of the
//! first thing wrong out. Only CAP 1.2 is read: a CAP 1.1 file or another XML document is
//! refused by name rather than half understood. Of a message with several `<info>` blocks (one
//! per language) the Chinese one is kept, else the first.

pub mod feed;

use std::borrow::Cow;

use roxmltree::{Document, Node};

use super::cap::{CAP_NS, CapReference};
use super::{FormatError, decode};
use crate::domain::time::Timestamp;
use crate::domain::warning::catalogue::{Catalogue, Level, SignalType};

/// The CAP 1.1 namespace, named in the refusal of such a file.
const CAP_1_1_NS: &str = "urn:oasis:names:tc:emergency:cap:1.1";

/// Larger files are refused unread: a CAP message with its signature is a few tens of kB.
pub const MAX_CAP_BYTES: usize = 1 << 20;

/// `msgType`: what a message does to the ones it references.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MsgType {
    /// A new warning.
    Alert,
    /// Replaces the messages it references.
    Update,
    /// Ends the messages it references.
    Cancel,
    /// Acknowledges a message (no warning of its own).
    Ack,
    /// Reports a rejected message (no warning of its own).
    Error,
}

impl MsgType {
    /// The name CAP writes.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Alert => "Alert",
            Self::Update => "Update",
            Self::Cancel => "Cancel",
            Self::Ack => "Ack",
            Self::Error => "Error",
        }
    }
}

/// `status`: real, or one of the kinds that are never in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// A real warning.
    Actual,
    /// An exercise (演练).
    Exercise,
    /// A message about the system.
    System,
    /// A technical test.
    Test,
    /// Not yet issued.
    Draft,
}

/// One `<info>` block: what the warning says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CapInfo {
    /// `event`, e.g. 暴雨.
    pub event: String,
    /// `headline`, e.g. 三明市气象台发布暴雨黄色预警信号 (empty when the file gives none).
    pub headline: String,
    /// `severity` as written (`Moderate`).
    pub severity: String,
    /// `expires`, when given.
    pub expires: Option<Timestamp>,
    /// `senderName`, when given.
    pub sender_name: Option<String>,
    /// `eventCode` pairs (`valueName`, `value`), in file order.
    pub event_codes: Vec<(String, String)>,
    /// `parameter` pairs, in file order.
    pub parameters: Vec<(String, String)>,
    /// Every `areaDesc`, joined with 、.
    pub area_desc: String,
}

/// A CAP 1.2 message as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapMessage {
    /// `identifier`.
    pub identifier: String,
    /// `sender` (an address or the issuer's code).
    pub sender: String,
    /// `sent`.
    pub sent: Timestamp,
    /// `status`.
    pub status: Status,
    /// `msgType`.
    pub msg_type: MsgType,
    /// `references`: the messages it updates or cancels.
    pub references: Vec<CapReference>,
    /// The Chinese `<info>`, else the first; none when the message has none.
    pub info: Option<CapInfo>,
}

/// Parameter names a sender's name may come under when `senderName` is absent.
const SENDER_PARAMETERS: [&str; 4] = ["senderName", "sender_name", "发布单位", "发布机构"];

impl CapMessage {
    /// Who issued it, for people: `senderName`, else a sender-name parameter, else `sender`.
    pub fn sender_name(&self) -> &str {
        let info = self.info.as_ref();
        info.and_then(|i| i.sender_name.as_deref())
            .or_else(|| {
                info?.parameters.iter().find_map(|(name, value)| {
                    SENDER_PARAMETERS
                        .contains(&name.as_str())
                        .then_some(value.as_str())
                })
            })
            .unwrap_or(&self.sender)
    }
}

/// Reads one CAP 1.2 message.
pub fn read(bytes: &[u8]) -> Result<CapMessage, FormatError> {
    let text = text(bytes, "a CAP message")?;
    let doc = Document::parse(&text).map_err(|e| xml_error(&text, &e))?;
    let root = doc.root_element();
    let line = |node: Node<'_, '_>| doc.text_pos_at(node.range().start).row as usize;
    let ns = root.tag_name().namespace().unwrap_or("");
    if root.tag_name().name() != "alert" || ns != CAP_NS {
        let what = if ns == CAP_1_1_NS {
            "a CAP 1.1 message; only CAP 1.2 is read".to_owned()
        } else {
            format!(
                "not a CAP 1.2 alert: the document is <{}> in namespace {ns:?}",
                root.tag_name().name()
            )
        };
        return Err(FormatError::new(line(root), what));
    }
    let fields = Fields { line: &line };
    let sent_node = fields.required(root, "sent")?;
    let status_node = fields.required(root, "status")?;
    let msg_type_node = fields.required(root, "msgType")?;
    Ok(CapMessage {
        identifier: text_of(fields.required(root, "identifier")?),
        sender: text_of(fields.required(root, "sender")?),
        sent: fields.time(sent_node)?,
        status: fields.status(status_node)?,
        msg_type: fields.msg_type(msg_type_node)?,
        references: match child(root, "references") {
            Some(node) => fields.references(node)?,
            None => Vec::new(),
        },
        info: chosen_info(root)
            .map(|node| fields.info(node))
            .transpose()?,
    })
}

/// The text of a document of at most [`MAX_CAP_BYTES`] (`what` it should be, for the refusal).
fn text<'b>(bytes: &'b [u8], what: &str) -> Result<Cow<'b, str>, FormatError> {
    if bytes.len() > MAX_CAP_BYTES {
        return Err(FormatError::new(
            1,
            format!("{} bytes is too large for {what}", bytes.len()),
        ));
    }
    decode(bytes)
}

/// A parser error with its line; one that ran off the end names the last line, since a
/// half-written file is the usual cause.
fn xml_error(text: &str, error: &roxmltree::Error) -> FormatError {
    use roxmltree::Error::{UnclosedRootNode, UnexpectedEndOfStream};
    if matches!(error, UnclosedRootNode | UnexpectedEndOfStream) && !text.trim().is_empty() {
        return FormatError::new(
            text.trim_end().lines().count(),
            format!("not well-formed XML: the file ends inside the document (cut off?): {error}"),
        );
    }
    FormatError::new(
        error.pos().row as usize,
        format!("not well-formed XML: {error}"),
    )
}

/// Reads elements of one document, naming their lines in errors.
struct Fields<'l> {
    line: &'l dyn Fn(Node<'_, '_>) -> usize,
}

impl Fields<'_> {
    fn required<'a, 'i>(
        &self,
        parent: Node<'a, 'i>,
        name: &str,
    ) -> Result<Node<'a, 'i>, FormatError> {
        child(parent, name).ok_or_else(|| {
            FormatError::new(
                (self.line)(parent),
                format!("<{}> has no <{name}>", parent.tag_name().name()),
            )
        })
    }

    fn fail(&self, node: Node<'_, '_>, what: &str) -> FormatError {
        let text = text_of(node);
        FormatError::new(
            (self.line)(node),
            format!(
                "<{}> {}: {what}",
                node.tag_name().name(),
                super::quoted(&text)
            ),
        )
    }

    fn time(&self, node: Node<'_, '_>) -> Result<Timestamp, FormatError> {
        Timestamp::parse_rfc3339(&text_of(node))
            .map_err(|_| self.fail(node, "not a time like 2026-12-06T16:30:00+08:00"))
    }

    fn status(&self, node: Node<'_, '_>) -> Result<Status, FormatError> {
        Ok(match text_of(node).as_str() {
            "Actual" => Status::Actual,
            "Exercise" => Status::Exercise,
            "System" => Status::System,
            "Test" => Status::Test,
            "Draft" => Status::Draft,
            _ => return Err(self.fail(node, "not a CAP status")),
        })
    }

    fn msg_type(&self, node: Node<'_, '_>) -> Result<MsgType, FormatError> {
        Ok(match text_of(node).as_str() {
            "Alert" => MsgType::Alert,
            "Update" => MsgType::Update,
            "Cancel" => MsgType::Cancel,
            "Ack" => MsgType::Ack,
            "Error" => MsgType::Error,
            _ => return Err(self.fail(node, "not a CAP message type")),
        })
    }

    /// `sender,identifier,sent` triples separated by spaces.
    fn references(&self, node: Node<'_, '_>) -> Result<Vec<CapReference>, FormatError> {
        text_of(node)
            .split_whitespace()
            .map(|triple| {
                let parts: Vec<&str> = triple.split(',').collect();
                let sent = parts.get(2).and_then(|t| Timestamp::parse_rfc3339(t).ok());
                match (parts.as_slice(), sent) {
                    ([sender, identifier, _], Some(sent)) => Ok(CapReference {
                        sender: (*sender).to_owned(),
                        identifier: (*identifier).to_owned(),
                        sent,
                    }),
                    _ => Err(self.fail(node, "each reference is sender,identifier,sent")),
                }
            })
            .collect()
    }

    fn info(&self, node: Node<'_, '_>) -> Result<CapInfo, FormatError> {
        let text = |name| child(node, name).map(text_of).unwrap_or_default();
        let areas: Vec<String> = children(node, "area")
            .filter_map(|area| child(area, "areaDesc").map(text_of))
            .filter(|desc| !desc.is_empty())
            .collect();
        Ok(CapInfo {
            event: text("event"),
            headline: text("headline"),
            severity: text("severity"),
            expires: child(node, "expires").map(|n| self.time(n)).transpose()?,
            sender_name: child(node, "senderName")
                .map(text_of)
                .filter(|name| !name.is_empty()),
            event_codes: pairs(node, "eventCode"),
            parameters: pairs(node, "parameter"),
            area_desc: areas.join("、"),
        })
    }
}

/// The CAP child element `name` of `parent`.
fn child<'a, 'i>(parent: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    children(parent, name).next()
}

fn children<'a, 'i>(parent: Node<'a, 'i>, name: &str) -> impl Iterator<Item = Node<'a, 'i>> {
    parent.children().filter(move |n| {
        n.is_element() && n.tag_name().name() == name && n.tag_name().namespace() == Some(CAP_NS)
    })
}

/// An element's text with runs of white space (a wrapped line) made one space.
fn text_of(node: Node<'_, '_>) -> String {
    let text: String = (node.descendants().filter(Node::is_text))
        .filter_map(|n| n.text())
        .collect();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `valueName`/`value` pairs of the `name` children.
fn pairs(parent: Node<'_, '_>, name: &str) -> Vec<(String, String)> {
    children(parent, name)
        .map(|pair| {
            let part = |n| child(pair, n).map(text_of).unwrap_or_default();
            (part("valueName"), part("value"))
        })
        .collect()
}

/// The Chinese `<info>` (language `zh…`), else the first.
fn chosen_info<'a, 'i>(alert: Node<'a, 'i>) -> Option<Node<'a, 'i>> {
    let chinese = children(alert, "info").find(|info| {
        child(*info, "language").is_some_and(|l| text_of(l).to_ascii_lowercase().starts_with("zh"))
    });
    chinese.or_else(|| child(alert, "info"))
}

/// A signal type and level recognised in a message; either may be unknown.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Recognised<'c> {
    /// The catalogue's type.
    pub signal: Option<&'c SignalType>,
    /// The colour.
    pub level: Option<Level>,
}

/// The signal and level `info` announces: from a CMA type+level code (`0202`) or the national
/// event code (`11B03`) among its event codes, else from `event` naming a type (暴雨, 暴雨预警),
/// else from the headline (…发布暴雨黄色预警信号). The level comes from the code, else from the
/// last colour the headline or event puts before 预警 (an upgrade names the new one last).
pub fn recognise<'c>(catalogue: &'c Catalogue, info: &CapInfo) -> Recognised<'c> {
    let mut found = Recognised::default();
    for (_, value) in &info.event_codes {
        if let Some((signal, level)) = by_cma_code(catalogue, value) {
            return Recognised {
                signal: Some(signal),
                level: Some(level),
            };
        }
        found.signal = found.signal.or_else(|| {
            (catalogue.signals.iter()).find(|s| s.national_event_code == value.as_str())
        });
    }
    found.signal = found.signal.or_else(|| by_event(catalogue, &info.event));
    if found.signal.is_none() && info.event.is_empty() {
        found.signal = by_headline(catalogue, &info.headline);
    }
    found.level = level_in(&info.headline).or_else(|| level_in(&info.event));
    found
}

/// `0202` → 暴雨, 黄色.
fn by_cma_code<'c>(catalogue: &'c Catalogue, code: &str) -> Option<(&'c SignalType, Level)> {
    if code.len() != 4 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (kind, level) = code.split_at(2);
    let level = Level::ALL.into_iter().find(|l| l.cma_code() == level)?;
    let signal = catalogue.signals.iter().find(|s| s.cma_type_code == kind)?;
    Some((signal, level))
}

/// `event` naming a type: 暴雨, 暴雨预警 or 暴雨预警信号.
fn by_event<'c>(catalogue: &'c Catalogue, event: &str) -> Option<&'c SignalType> {
    let name = event.trim();
    let name = name.strip_suffix("信号").unwrap_or(name);
    let name = name.strip_suffix("预警").unwrap_or(name);
    catalogue.signals.iter().find(|s| s.zh == name)
}

/// A headline naming type and colour (`暴雨黄色预警`) at its start or after a verb, so that
/// 雷雨大风黄色预警 (a provincial type) is not taken for 大风.
fn by_headline<'c>(catalogue: &'c Catalogue, headline: &str) -> Option<&'c SignalType> {
    catalogue.signals.iter().find(|signal| {
        Level::ALL.into_iter().any(|level| {
            let phrase = format!("{}{}预警", signal.zh, level.zh());
            headline.match_indices(&phrase).any(|(at, _)| {
                let before = &headline[..at];
                before.is_empty()
                    || ["发布", "解除", "为", "将"]
                        .iter()
                        .any(|verb| before.ends_with(verb))
            })
        })
    })
}

/// The colour written last before 预警 (`…黄色预警信号升级为橙色预警信号` → 橙色).
fn level_in(text: &str) -> Option<Level> {
    Level::ALL
        .into_iter()
        .filter_map(|level| {
            text.rfind(&format!("{}预警", level.zh()))
                .map(|at| (at, level))
        })
        .max_by_key(|(at, _)| *at)
        .map(|(_, level)| level)
}

#[cfg(test)]
mod tests;
