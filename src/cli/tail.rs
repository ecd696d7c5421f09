//! `omnigate events tail`: follows `GET /v1/events/stream` and prints each new event; when the
//! connection drops it reconnects with `Last-Event-ID`, so nothing stored meanwhile is missed.

use std::time::Duration;

use serde_json::Value;

use super::client::{q, Client, ExitCode};
use super::table::render;
use super::Target;

/// How long to wait before reconnecting to a stream that ended.
const RECONNECT: Duration = Duration::from_secs(1);

pub async fn tail(
    target: &Target,
    c: &Client,
    channel: Option<String>,
    event_type: Option<String>,
    count: Option<usize>,
    columns: &[(&str, &str)],
) -> Result<(), ExitCode> {
    let mut filters = Vec::new();
    filters.extend(channel.map(|ch| format!("channel={}", q(&ch))));
    filters.extend(event_type.map(|t| format!("type={}", q(&t))));
    let path = format!("/v1/events/stream?{}", filters.join("&"));
    let mut last: Option<String> = None;
    let mut printed = 0usize;
    loop {
        let mut resp = c.open_stream(&path, last.as_deref()).await?;
        if printed == 0 && last.is_none() && !target.json {
            // The stream starts after the newest stored event once it has answered.
            println!("{}", render(&[], columns));
        }
        let mut lines = Lines::default();
        loop {
            let chunk = match resp.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) | Err(_) => break,
            };
            for (id, data) in lines.push(&chunk) {
                let Ok(item) = serde_json::from_str::<Value>(&data) else {
                    continue;
                };
                last = Some(id);
                if target.json {
                    println!("{item}");
                } else {
                    let text = render(&[item], columns);
                    println!("{}", text.lines().nth(1).unwrap_or_default());
                }
                printed += 1;
                if count.is_some_and(|n| printed >= n) {
                    return Ok(());
                }
            }
        }
        eprintln!("omnigate: the event stream closed; reconnecting");
        tokio::time::sleep(RECONNECT).await;
    }
}

/// Reassembles server-sent events from chunks: yields (id, data) per complete event.
#[derive(Default)]
struct Lines {
    /// Bytes of an unfinished line (a chunk may end inside a character).
    pending: Vec<u8>,
    id: String,
    data: String,
}

impl Lines {
    fn push(&mut self, chunk: &[u8]) -> Vec<(String, String)> {
        self.pending.extend_from_slice(chunk);
        let mut out = Vec::new();
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
            let bytes: Vec<u8> = self.pending.drain(..=end).collect();
            let line = String::from_utf8_lossy(&bytes);
            let line = line.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                if !self.data.is_empty() {
                    out.push((self.id.clone(), std::mem::take(&mut self.data)));
                }
            } else if let Some(id) = line.strip_prefix("id:") {
                self.id = id.trim_start().to_string();
            } else if let Some(data) = line.strip_prefix("data:") {
                if !self.data.is_empty() {
                    self.data.push('\n');
                }
                self.data.push_str(data.trim_start());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::Lines;

    #[test]
    fn events_split_across_chunks_come_out_whole_and_comments_are_skipped() {
        let mut lines = Lines::default();
        assert!(lines.push(b": keep-alive\n\nid: evt_1\nda").is_empty());
        let got = lines.push("ta: {\"a\":\"\u{d55c}".as_bytes().split_at(12).0);
        assert!(got.is_empty());
        let rest = &"ta: {\"a\":\"\u{d55c}\"}\n\nid: evt_2\ndata: {}\n\n".as_bytes()[12..];
        let got = lines.push(rest);
        assert_eq!(
            got,
            vec![
                ("evt_1".to_string(), "{\"a\":\"\u{d55c}\"}".to_string()),
                ("evt_2".to_string(), "{}".to_string())
            ]
        );
    }
}
