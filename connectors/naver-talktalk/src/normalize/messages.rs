//! Messages: the user's `send` (`message.received`) and the `echo` of what the business side
//! sent to the user (`message.echo`), including the echo of a partner's `leave`.

use omnigate_connector_core::{Content, Direction, EventType, Message};
use serde::Serialize;
use serde_json::{Map, Value};

use super::content::{self, ContentDetail};
use super::detail::to_map;
use super::fields::{flag_at, integer_at, object, text_at};
use super::{lifecycle, Envelope, Mapped, Outcome};

/// Naver's `sourceId` / `threadOwnerId` value for the partner (its human agents).
const PARTNER_ID: i64 = 1;

/// Detail of `message.received` and `message.echo`.
#[derive(Debug, Serialize)]
pub struct MessageDetail {
    #[serde(flatten)]
    pub content: ContentDetail,
    /// `options.product`: the product the user asked about (`inputType: product`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<Product>,
    /// `standby: true` while a human agent owns the thread (after a handover): a bot must not
    /// answer. Naver omits it otherwise, and on button taps even during a handover.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub standby: Option<bool>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub echo: Option<EchoMeta>,
}

/// The product card a user came from (SmartStore / 쇼핑윈도 톡톡문의).
#[derive(Debug, Serialize)]
pub struct Product {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(rename = "mobileUrl", skip_serializing_if = "Option::is_none")]
    pub mobile_url: Option<String>,
    #[serde(rename = "thumbUrl", skip_serializing_if = "Option::is_none")]
    pub thumb_url: Option<String>,
    /// Display prices, e.g. `"19,900원"`.
    #[serde(rename = "currencyPrice", skip_serializing_if = "Option::is_none")]
    pub currency_price: Option<String>,
    #[serde(
        rename = "currencyMobilePrice",
        skip_serializing_if = "Option::is_none"
    )]
    pub currency_mobile_price: Option<String>,
}

/// What an echo says about who sent it and who owns the thread.
#[derive(Debug, Default, Serialize)]
pub struct EchoMeta {
    /// The event that was echoed: `send`, `product` (a product message), `leave` (the partner
    /// left), or values Naver has not documented.
    #[serde(rename = "echoedEvent", skip_serializing_if = "Option::is_none")]
    pub echoed_event: Option<String>,
    /// Who sent it: `1` is the partner (an agent), otherwise a bot's sequence number.
    #[serde(rename = "sourceId", skip_serializing_if = "Option::is_none")]
    pub source_id: Option<i64>,
    /// Who owns the thread: `1` is the partner, otherwise a bot's sequence number.
    #[serde(rename = "threadOwnerId", skip_serializing_if = "Option::is_none")]
    pub thread_owner_id: Option<i64>,
    /// The agent's display name.
    #[serde(rename = "managerNickname", skip_serializing_if = "Option::is_none")]
    pub manager_nickname: Option<String>,
    /// `partner` or `bot`, from `sourceId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sent_by: Option<&'static str>,
    /// `partner` or `bot`, from `threadOwnerId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread_owner: Option<&'static str>,
}

impl EchoMeta {
    fn read(env: &Envelope<'_>) -> Self {
        let o = env.options;
        let source_id = integer_at(o, "sourceId");
        let thread_owner_id = integer_at(o, "threadOwnerId");
        EchoMeta {
            echoed_event: text_at(env.obj, "echoedEvent"),
            source_id,
            thread_owner_id,
            manager_nickname: text_at(o, "managerNickname"),
            sent_by: source_id.map(party),
            thread_owner: thread_owner_id.map(party),
        }
    }
}

fn party(id: i64) -> &'static str {
    if id == PARTNER_ID {
        "partner"
    } else {
        "bot"
    }
}

pub fn send(env: &Envelope<'_>) -> Outcome {
    let Some(body) = content::read(env.obj) else {
        return Err(
            "send event without a usable textContent, imageContent or other content".into(),
        );
    };
    let detail = MessageDetail {
        content: body.detail,
        product: product(env.options),
        standby: flag_at(env.obj, "standby"),
        echo: None,
    };
    let message = Message {
        id: env.message_id.clone(),
        direction: Direction::Inbound,
        content: body.content,
        origin: None,
    };
    Ok(with_message(EventType::MessageReceived, message, &detail))
}

pub fn echo(env: &Envelope<'_>) -> Outcome {
    let meta = EchoMeta::read(env);
    if meta.echoed_event.as_deref() == Some("leave") {
        return lifecycle::partner_leave(meta);
    }
    let (content, content_detail) = match content::read(env.obj) {
        Some(body) => (body.content, body.detail),
        // A product message's echo is documented only by name; whatever it carries, the user
        // was shown a product card.
        None if meta.echoed_event.as_deref() == Some("product") => (
            Content::Unsupported {
                provider_type: "product".into(),
            },
            ContentDetail::default(),
        ),
        None => return Err("echo event without a usable content object".into()),
    };
    let detail = MessageDetail {
        content: content_detail,
        product: product(env.options),
        standby: None,
        echo: Some(meta),
    };
    let message = Message {
        id: env.message_id.clone(),
        direction: Direction::Outbound,
        content,
        // Naver echoes everything sent to the user from anywhere; the relay, not the connector,
        // knows which of those omnigate itself sent.
        origin: Some("provider".into()),
    };
    Ok(with_message(EventType::MessageEcho, message, &detail))
}

fn with_message(event_type: EventType, message: Message, detail: &MessageDetail) -> Mapped {
    let mut mapped = Mapped::new(event_type, to_map(detail));
    mapped.message = Some(message);
    mapped
}

fn product(options: &Map<String, Value>) -> Option<Product> {
    let p = object(options, "product")?;
    Some(Product {
        name: text_at(p, "name"),
        url: text_at(p, "url"),
        mobile_url: text_at(p, "mobileUrl"),
        thumb_url: text_at(p, "thumbUrl"),
        currency_price: text_at(p, "currencyPrice"),
        currency_mobile_price: text_at(p, "currencyMobilePrice"),
    })
}
