//! A typed summary of Naver's rich messages: `compositeContent` cards and button lists.
//!
//! These reach the webhook as echoes of what the business sent (its bot, or an agent), and the
//! event model has no card content type. The summary keeps what a helpdesk shows an agent
//! (titles, descriptions, the image, each button's label and code or link) under Naver's own
//! field names; `image.imageUrl` is lifted to `imageUrl`.

use serde::Serialize;
use serde_json::{Map, Value};

use super::fields::{object, text_at};

#[derive(Debug, Default, Serialize)]
pub struct Composite {
    #[serde(rename = "compositeList")]
    pub composite_list: Vec<Card>,
}

impl Composite {
    pub fn is_empty(&self) -> bool {
        self.composite_list.is_empty()
    }
}

/// One card of a composite (several make a carousel).
#[derive(Debug, Serialize)]
pub struct Card {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(rename = "imageUrl", skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    #[serde(rename = "elementList", skip_serializing_if = "Vec::is_empty")]
    pub element_list: Vec<Element>,
    #[serde(rename = "buttonList", skip_serializing_if = "Vec::is_empty")]
    pub button_list: Vec<Button>,
}

/// One row of a card's `elementList` (type `LIST`).
#[derive(Debug, Serialize)]
pub struct Element {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(rename = "subDescription", skip_serializing_if = "Option::is_none")]
    pub sub_description: Option<String>,
    #[serde(rename = "imageUrl", skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub button: Option<Button>,
}

/// A button: `TEXT` (sends `title` with `code`), `LINK`, `OPTION` (opens `buttonList`), `PAY`,
/// or a `TIME` / `CALENDAR` / `TIMEINTERVAL` component.
#[derive(Debug, Serialize)]
pub struct Button {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What the bot receives back as `textContent.code` when the user taps it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(rename = "mobileUrl", skip_serializing_if = "Option::is_none")]
    pub mobile_url: Option<String>,
    /// A `PAY` button's `paymentInfo.merchantPayKey`, which the later `pay_complete` carries
    /// back in `paymentResult.merchantPayKey`.
    #[serde(rename = "merchantPayKey", skip_serializing_if = "Option::is_none")]
    pub merchant_pay_key: Option<String>,
    /// A `PAY` button's `payKey`, the other form the docs show.
    #[serde(rename = "payKey", skip_serializing_if = "Option::is_none")]
    pub pay_key: Option<String>,
    /// An `OPTION` button's children. Naver allows one level; deeper levels are not read.
    #[serde(rename = "buttonList", skip_serializing_if = "Vec::is_empty")]
    pub button_list: Vec<Button>,
}

/// Summarizes a `compositeContent` object.
pub fn summarize(c: &Map<String, Value>) -> Composite {
    let cards = objects(c, "compositeList").map(card).collect();
    Composite {
        composite_list: cards,
    }
}

/// The `quickReply.buttonList` of any content object, when it has one.
pub fn quick_replies(content: &Map<String, Value>) -> Option<Vec<Button>> {
    let reply = object(content, "quickReply")?;
    let buttons: Vec<Button> = objects(reply, "buttonList").map(|b| button(b, 1)).collect();
    (!buttons.is_empty()).then_some(buttons)
}

/// The object items of an array member; anything else in the array is skipped.
fn objects<'a>(
    parent: &'a Map<String, Value>,
    key: &str,
) -> impl Iterator<Item = &'a Map<String, Value>> {
    parent
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
}

fn card(c: &Map<String, Value>) -> Card {
    Card {
        title: text_at(c, "title"),
        description: text_at(c, "description"),
        image_url: object(c, "image").and_then(|i| text_at(i, "imageUrl")),
        element_list: object(c, "elementList")
            .map(|list| objects(list, "data").map(element).collect())
            .unwrap_or_default(),
        button_list: objects(c, "buttonList").map(|b| button(b, 1)).collect(),
    }
}

fn element(e: &Map<String, Value>) -> Element {
    Element {
        title: text_at(e, "title"),
        description: text_at(e, "description"),
        sub_description: text_at(e, "subDescription"),
        image_url: object(e, "image").and_then(|i| text_at(i, "imageUrl")),
        button: object(e, "button").map(|b| button(b, 0)),
    }
}

/// Reads a button; `depth` is how many levels of `OPTION` children may still be read, so a
/// hostile nesting costs nothing.
fn button(b: &Map<String, Value>, depth: u8) -> Button {
    // Buttons are `{type, data: {...}}` since 2017; the older flat form kept the fields beside
    // `type`, so fall back to the button itself.
    let data = object(b, "data").unwrap_or(b);
    let pay = object(data, "paymentInfo");
    Button {
        kind: text_at(b, "type"),
        title: text_at(data, "title").or_else(|| text_at(data, "text")),
        code: text_at(data, "code"),
        url: text_at(data, "url"),
        mobile_url: text_at(data, "mobileUrl"),
        merchant_pay_key: pay.and_then(|p| text_at(p, "merchantPayKey")),
        pay_key: text_at(data, "payKey"),
        button_list: if depth > 0 {
            objects(data, "buttonList")
                .map(|child| button(child, depth - 1))
                .collect()
        } else {
            Vec::new()
        },
    }
}
