//! An incremental parser for server-sent events (the `text/event-stream` format of the HTML
//! standard), fed with whatever byte chunks the network delivers.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseItem {
    /// An event with data.
    Event {
        /// The `id:` field, if the event (or an earlier one) set it.
        id: Option<String>,
        /// The `event:` field; `message` when absent.
        event: String,
        /// The `data:` lines joined with `\n`.
        data: String,
    },
    /// A comment line (`: …`): servers send these as keep-alives.
    Comment,
}

/// Parser state between chunks.
#[derive(Debug, Default)]
pub struct SseParser {
    /// Bytes of an incomplete line (a chunk may end mid-line, even mid-character).
    partial: Vec<u8>,
    event: Option<String>,
    data: Option<String>,
    last_id: Option<String>,
}

impl SseParser {
    /// Feeds a chunk; returns the items it completed. Lines end with LF or CRLF.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<SseItem> {
        let mut items = Vec::new();
        self.partial.extend_from_slice(chunk);
        while let Some(end) = self.partial.iter().position(|&b| b == b'\n') {
            let mut line: Vec<u8> = self.partial.drain(..=end).collect();
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            if let Some(item) = self.line(&String::from_utf8_lossy(&line)) {
                items.push(item);
            }
        }
        items
    }

    fn line(&mut self, line: &str) -> Option<SseItem> {
        if line.is_empty() {
            let event = self.event.take();
            let data = self.data.take()?;
            return Some(SseItem::Event {
                id: self.last_id.clone(),
                event: event.unwrap_or_else(|| "message".to_owned()),
                data,
            });
        }
        if line.starts_with(':') {
            return Some(SseItem::Comment);
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => self.event = Some(value.to_owned()),
            "data" => match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            },
            "id" if !value.contains('\0') => self.last_id = Some(value.to_owned()),
            _ => {} // `retry` and unknown fields are ignored, as the standard says
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: Option<&str>, event: &str, data: &str) -> SseItem {
        SseItem::Event {
            id: id.map(str::to_owned),
            event: event.to_owned(),
            data: data.to_owned(),
        }
    }

    #[test]
    fn parses_the_standard_cases() {
        let cases: [(&str, Vec<SseItem>); 7] = [
            ("data: hello\n\n", vec![event(None, "message", "hello")]),
            (
                "id: 7\nevent: change\ndata: {}\n\n",
                vec![event(Some("7"), "change", "{}")],
            ),
            ("data: a\ndata: b\n\n", vec![event(None, "message", "a\nb")]),
            (
                "data:no-space\r\n\r\n",
                vec![event(None, "message", "no-space")],
            ),
            (": keep-alive\n\n", vec![SseItem::Comment]),
            ("event: change\n\n", vec![]), // no data: nothing dispatched
            (
                "retry: 1000\ndata: x\n\n",
                vec![event(None, "message", "x")],
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(
                SseParser::default().feed(input.as_bytes()),
                expected,
                "{input:?}"
            );
        }
    }

    #[test]
    fn survives_any_chunking_including_mid_character() {
        let input = "id: 1\nevent: change\ndata: 清流 58819\n\nid: 2\ndata: 嵩溪\n\n".as_bytes();
        let whole = SseParser::default().feed(input);
        for split in 0..input.len() {
            let mut parser = SseParser::default();
            let mut items = parser.feed(&input[..split]);
            items.extend(parser.feed(&input[split..]));
            assert_eq!(items, whole, "split at {split}");
        }
        assert_eq!(whole[1], event(Some("2"), "message", "嵩溪"));
    }

    #[test]
    fn the_last_id_carries_over() {
        let items = SseParser::default().feed(b"id: 5\ndata: a\n\ndata: b\n\n");
        assert_eq!(items[1], event(Some("5"), "message", "b"));
    }
}
