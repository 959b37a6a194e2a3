//! What a warnings URL answers: one CAP message, or a feed (Atom or RSS 2.0) whose entries
//! link to CAP messages, as public alert feeds publish them.

use roxmltree::{Document, Node};

use super::super::FormatError;
use super::{CapMessage, read, text, xml_error};

/// The Atom namespace.
const ATOM_NS: &str = "http://www.w3.org/2005/Atom";

/// A warnings URL's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Published {
    /// One CAP message (boxed: a message is ten times a link list's size).
    Message(Box<CapMessage>),
    /// A feed: the links of its entries, in feed order (relative links as written).
    Feed(Vec<String>),
}

/// Reads a URL's answer: a CAP 1.2 message, an Atom feed (each entry's CAP link: the one typed
/// `application/cap+xml`, else its first) or an RSS 2.0 feed (each item's `<link>`).
pub fn read_published(bytes: &[u8]) -> Result<Published, FormatError> {
    let text = text(bytes, "a feed")?;
    let doc = Document::parse(&text).map_err(|e| xml_error(&text, &e))?;
    let root = doc.root_element();
    match (root.tag_name().name(), root.tag_name().namespace()) {
        ("feed", Some(ATOM_NS)) => Ok(Published::Feed(atom_links(root))),
        ("rss", None) => Ok(Published::Feed(rss_links(root))),
        _ => read(bytes).map(|message| Published::Message(Box::new(message))),
    }
}

fn atom_links(feed: Node<'_, '_>) -> Vec<String> {
    let atom = |node: &Node<'_, '_>, name: &str| {
        node.is_element()
            && node.tag_name().name() == name
            && node.tag_name().namespace() == Some(ATOM_NS)
    };
    feed.children()
        .filter(|n| atom(n, "entry"))
        .filter_map(|entry| {
            let links: Vec<Node<'_, '_>> = entry.children().filter(|n| atom(n, "link")).collect();
            let cap = links
                .iter()
                .find(|l| l.attribute("type").is_some_and(|t| t.contains("cap")));
            cap.or(links.first())?.attribute("href").map(str::to_owned)
        })
        .collect()
}

fn rss_links(rss: Node<'_, '_>) -> Vec<String> {
    rss.children()
        .filter(|n| n.has_tag_name("channel"))
        .flat_map(|channel| channel.children().filter(|n| n.has_tag_name("item")))
        .filter_map(|item| {
            let link = item.children().find(|n| n.has_tag_name("link"))?;
            Some(link.text()?.trim().to_owned()).filter(|l| !l.is_empty())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feeds_list_their_cap_links_and_a_message_is_itself() {
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>福建</title>
            <entry><link rel="alternate" href="page.html"/><link type="application/cap+xml" href="cap/a.xml"/></entry>
            <entry><link href="https://example.gov.cn/b.xml"/></entry>
            <entry><title>no link</title></entry></feed>"#;
        let rss = "<rss version=\"2.0\"><channel><title>三明</title>\
            <item><link> c.xml </link></item><item><title>none</title></item></channel></rss>";
        let cases = [
            (atom, vec!["cap/a.xml", "https://example.gov.cn/b.xml"]),
            (rss, vec!["c.xml"]),
        ];
        for (text, links) in cases {
            let links = links.into_iter().map(str::to_owned).collect();
            assert_eq!(read_published(text.as_bytes()), Ok(Published::Feed(links)));
        }
        let message = include_bytes!("../../../tests/data/cap/v1dot2_appendix_adot2.xml");
        let Ok(Published::Message(alert)) = read_published(message) else {
            panic!("a CAP message");
        };
        assert_eq!(alert.identifier, "KSTO1055887203");
        let other = read_published(b"<html/>").unwrap_err();
        assert!(other.reason.contains("not a CAP 1.2 alert"), "{other}");
        let cut =
            read_published(b"<feed xmlns=\"http://www.w3.org/2005/Atom\">\n<entry>").unwrap_err();
        assert_eq!(cut.line, 2, "{cut}");
    }
}
