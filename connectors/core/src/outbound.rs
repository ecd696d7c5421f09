//! The reply content a helpdesk sends through the relay, one model for every provider. Each
//! connector declares which types it accepts and checks them against its own limits.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::reply::ReplyError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuickReply {
    pub title: String,
    pub code: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Button {
    /// Sends `code` back as a postback when tapped.
    Text { title: String, code: String },
    /// Opens a URL.
    Link {
        title: String,
        url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mobile_url: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Card {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    #[serde(default)]
    pub buttons: Vec<Button>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum OutboundContent {
    Text {
        text: String,
        #[serde(default)]
        quick_replies: Vec<QuickReply>,
    },
    /// An image by URL; with `upload: true` the provider's upload API is used first where it
    /// has one. Or an id the provider already holds.
    Image {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        image_id: Option<String>,
        #[serde(default)]
        upload: bool,
        #[serde(default)]
        quick_replies: Vec<QuickReply>,
    },
    /// Cards with buttons (Naver: composite content).
    Cards {
        cards: Vec<Card>,
        #[serde(default)]
        quick_replies: Vec<QuickReply>,
    },
    TypingOn,
    TypingOff,
    /// Hand the conversation to the provider's human agents.
    HandoverPass,
    /// Take the conversation back from them.
    HandoverTake,
}

impl OutboundContent {
    /// Parses the relay's `content` object; a shape error is `invalid_content`.
    pub fn parse(content: &Value) -> Result<OutboundContent, ReplyError> {
        OutboundContent::deserialize(content)
            .map_err(|e| ReplyError::new("invalid_content", format!("content: {e}")))
    }

    /// The type name, as in the `type` field.
    pub fn kind(&self) -> &'static str {
        match self {
            OutboundContent::Text { .. } => "text",
            OutboundContent::Image { .. } => "image",
            OutboundContent::Cards { .. } => "cards",
            OutboundContent::TypingOn => "typing_on",
            OutboundContent::TypingOff => "typing_off",
            OutboundContent::HandoverPass => "handover_pass",
            OutboundContent::HandoverTake => "handover_take",
        }
    }

    /// The text of a reply for a provider that takes plain text only (`provider` names it in
    /// the refusals): quick replies and other types are refused rather than silently dropped,
    /// and so is blank text.
    pub fn text_only(content: &Value, provider: &str) -> Result<String, ReplyError> {
        match OutboundContent::parse(content)? {
            OutboundContent::Text {
                text,
                quick_replies,
            } => {
                if text.trim().is_empty() {
                    return Err(ReplyError::new("empty_text", "text must not be empty"));
                }
                if !quick_replies.is_empty() {
                    return Err(ReplyError::new(
                        "quick_replies_not_supported",
                        format!("{provider} replies are plain text; quick replies cannot be sent"),
                    ));
                }
                Ok(text)
            }
            other => Err(ReplyError::new(
                "content_type_not_supported",
                format!("{provider} replies can be text only, not {}", other.kind()),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn contents_parse_from_their_documented_shapes() {
        let t = OutboundContent::parse(&json!({"type": "text", "text": "hi"})).unwrap();
        assert_eq!(
            t,
            OutboundContent::Text {
                text: "hi".into(),
                quick_replies: vec![]
            }
        );
        let c = OutboundContent::parse(&json!({"type": "cards", "cards": [{"title": "A", "buttons": [{"type": "link", "title": "Go", "url": "https://x"}]}]})).unwrap();
        assert_eq!(c.kind(), "cards");
        assert_eq!(
            OutboundContent::parse(&json!({"type": "typing_on"})).unwrap(),
            OutboundContent::TypingOn
        );
    }

    #[test]
    fn text_only_takes_non_blank_text_and_refuses_the_rest_by_rule() {
        let ok = json!({"type": "text", "text": "Ships today"});
        assert_eq!(
            OutboundContent::text_only(&ok, "Example").as_deref(),
            Ok("Ships today")
        );
        let code = |c: Value| OutboundContent::text_only(&c, "Example").unwrap_err().code;
        assert_eq!(code(json!({"type": "text", "text": " "})), "empty_text");
        assert_eq!(
            code(
                json!({"type": "text", "text": "a", "quick_replies": [{"title": "Y", "code": "y"}]})
            ),
            "quick_replies_not_supported"
        );
        assert_eq!(
            code(json!({"type": "image", "url": "https://x/a.png"})),
            "content_type_not_supported"
        );
        assert_eq!(code(json!({"type": "video"})), "invalid_content");
    }

    #[test]
    fn unknown_types_and_fields_are_invalid_content() {
        for bad in [
            json!({"type": "video"}),
            json!({"type": "text"}),
            json!({"type": "text", "text": "x", "colour": 1}),
            json!("text"),
        ] {
            assert_eq!(
                OutboundContent::parse(&bad).unwrap_err().code,
                "invalid_content",
                "{bad}"
            );
        }
    }
}
