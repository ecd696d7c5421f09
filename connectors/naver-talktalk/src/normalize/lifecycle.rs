//! Conversation lifecycle and follow events: `open`, `leave` and `friend`.

use omnigate_connector_core::EventType;
use serde::Serialize;

use super::detail::to_map;
use super::fields::{flag_at, text_at};
use super::messages::EchoMeta;
use super::{Envelope, Mapped, Outcome};

/// `conversation.opened` detail: how the user arrived, and who they are as far as `open` says.
#[derive(Debug, Serialize)]
pub struct OpenDetail {
    /// `button` (a link or button, with `referer`), `list` (the TalkTalk chat list; may only be
    /// a re-read of history) or `none` (URL typed in).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inflow: Option<String>,
    /// The page the user came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referer: Option<String>,
    /// The `from` query parameter of the chat link, e.g. a product number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Whether the user is already a friend of the account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub friend: Option<bool>,
    /// Under 14: collecting personal data needs a guardian's consent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub under14: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub under19: Option<bool>,
    /// Whether the user has unread messages from the business side.
    #[serde(rename = "unreadMessage", skip_serializing_if = "Option::is_none")]
    pub unread_message: Option<bool>,
}

/// `conversation.closed` detail, for the user's `leave` and for the partner's (an `echo` with
/// `echoedEvent: "leave"`).
#[derive(Debug, Serialize)]
pub struct CloseDetail {
    /// `user` (the visitor pressed 나가기) or `partner` (the business side did).
    pub closed_by: &'static str,
    /// For a partner close, the echo fields (`echoedEvent`, `managerNickname`, ...).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub echo: Option<EchoMeta>,
}

/// `contact.subscribed` / `contact.unsubscribed` detail.
#[derive(Debug, Serialize)]
pub struct FriendDetail {
    /// `on` or `off`, as Naver sent it.
    pub set: &'static str,
}

pub fn open(env: &Envelope<'_>) -> Outcome {
    let o = env.options;
    let detail = OpenDetail {
        inflow: text_at(o, "inflow"),
        referer: text_at(o, "referer"),
        from: text_at(o, "from"),
        friend: flag_at(o, "friend"),
        under14: flag_at(o, "under14"),
        under19: flag_at(o, "under19"),
        unread_message: flag_at(o, "unreadMessage"),
    };
    Ok(Mapped::new(EventType::ConversationOpened, to_map(&detail)))
}

pub fn leave(_env: &Envelope<'_>) -> Outcome {
    let detail = CloseDetail {
        closed_by: "user",
        echo: None,
    };
    Ok(Mapped::new(EventType::ConversationClosed, to_map(&detail)))
}

/// The partner pressed 나가기 in Partner Center: Naver reports it as an echo of `leave`. The
/// business side ended the chat, which is what `conversation.closed` means to a helpdesk.
pub fn partner_leave(echo: EchoMeta) -> Outcome {
    let detail = CloseDetail {
        closed_by: "partner",
        echo: Some(echo),
    };
    Ok(Mapped::new(EventType::ConversationClosed, to_map(&detail)))
}

pub fn friend(env: &Envelope<'_>) -> Outcome {
    // The event type depends on the value, so a value we do not know cannot be guessed at.
    let (event_type, set) = match env.options.get("set").and_then(|v| v.as_str()) {
        Some("on") => (EventType::ContactSubscribed, "on"),
        Some("off") => (EventType::ContactUnsubscribed, "off"),
        _ => return Err("friend event without options.set \"on\" or \"off\"".into()),
    };
    Ok(Mapped::new(event_type, to_map(&FriendDetail { set })))
}
