//! The body of a `send` or `echo`: which of Naver's `*Content` objects it carries, what that
//! becomes in the event model, and the content-specific detail a helpdesk would otherwise lose.

use omnigate_connector_core::Content;
use serde::Serialize;
use serde_json::{Map, Value};

use super::composite::{self, Button, Composite};
use super::fields::{integer_at, object, string_at, text, text_at};

/// Longest unknown content key kept as `Unsupported.provider_type`.
const MAX_PROVIDER_TYPE_LEN: usize = 64;

/// Content-specific detail, flattened into the message detail.
#[derive(Debug, Default, Serialize)]
pub struct ContentDetail {
    /// `textContent.inputType`: `typing`, `button`, `sticker`, `vphone`, `product`, `time`,
    /// `calendar`, `timeInterval` (and `nameCard` on echoes), as Naver sent it.
    #[serde(rename = "inputType", skip_serializing_if = "Option::is_none")]
    pub input_type: Option<String>,
    /// The safe number of a `vphone` text (`"<number>,<yyyy-MM-dd>"`), parsed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vphone: Option<Vphone>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<FileInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marketing: Option<MarketingInfo>,
    /// A summary of a `compositeContent` (cards with buttons), which has no content type of
    /// its own in the event model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub composite: Option<Composite>,
    /// The quick-reply buttons offered with the message (echoes of the business's messages).
    #[serde(rename = "quickReplies", skip_serializing_if = "Option::is_none")]
    pub quick_replies: Option<Vec<Button>>,
}

/// A safe (virtual) phone number the user asked to be called on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Vphone {
    pub number: String,
    /// Expiry date, `yyyy-MM-dd`.
    pub expires: String,
}

#[derive(Debug, Serialize)]
pub struct ImageInfo {
    /// Pixel sizes; user images have been seen with these as strings, read as integers here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<i64>,
    /// An uploaded image's id, when the image came without a URL.
    #[serde(rename = "imageId", skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct FileInfo {
    /// When the download URL stops working (`yyyy-MM-dd`): fetch the file before then.
    #[serde(rename = "expireDate", skip_serializing_if = "Option::is_none")]
    pub expire_date: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct MarketingInfo {
    /// Naver's number of the bulk (marketing) message.
    #[serde(rename = "marketingMessageNo", skip_serializing_if = "Option::is_none")]
    pub marketing_message_no: Option<String>,
}

/// A message body and its detail.
pub struct Body {
    pub content: Content,
    pub detail: ContentDetail,
}

/// Reads the message body; `None` when the event carries no `*Content` object at all.
pub fn read(obj: &Map<String, Value>) -> Option<Body> {
    let text_c = object(obj, "textContent");
    let image_c = object(obj, "imageContent");
    let file_c = object(obj, "fileContent");
    let marketing_c = object(obj, "marketingContent");
    let composite_c = object(obj, "compositeContent");

    let mut detail = ContentDetail {
        input_type: text_c.and_then(|t| text_at(t, "inputType")),
        image: image_c.and_then(image_info),
        file: file_c.map(|f| FileInfo {
            expire_date: text_at(f, "expireDate"),
        }),
        marketing: marketing_c.map(|m| MarketingInfo {
            marketing_message_no: text_at(m, "marketingMessageNo"),
        }),
        composite: composite_c.map(composite::summarize),
        quick_replies: [text_c, image_c, composite_c]
            .into_iter()
            .flatten()
            .find_map(composite::quick_replies),
        ..ContentDetail::default()
    };

    let content = pick(obj, &mut detail)?;
    Some(Body { content, detail })
}

/// Exactly one content object is documented per event, but an echo of a file or marketing
/// message also carries an empty `textContent` (a bug Naver acknowledged), so the first object
/// that has something to show wins. A documented object with nothing usable in it counts as
/// absent; an undocumented `*Content` (say a future `videoContent`) is still reported as a
/// message, with `Unsupported` content.
fn pick(obj: &Map<String, Value>, detail: &mut ContentDetail) -> Option<Content> {
    if let Some(content) = object(obj, "textContent").and_then(|t| text_content(t, detail)) {
        return Some(content);
    }
    let image = object(obj, "imageContent");
    if let Some(url) = image.and_then(|i| string_at(i, "imageUrl")) {
        return Some(Content::Image { url, caption: None });
    }
    if let Some(file) = object(obj, "fileContent") {
        if let Some(url) = string_at(file, "downloadUrl") {
            let name = text_at(file, "fileName");
            return Some(Content::File { url, name });
        }
    }
    let marketing = object(obj, "marketingContent").and_then(|m| m.get("marketingText"));
    if let Some(text) = marketing.and_then(Value::as_str).filter(|t| !t.is_empty()) {
        return Some(Content::Text {
            text: text.to_string(),
        });
    }
    // An image sent by upload id has no URL to show, but it is still an image.
    let uploaded = detail.image.as_ref().is_some_and(|i| i.image_id.is_some());
    let unsupported = if uploaded {
        Some("imageContent")
    } else if detail.composite.as_ref().is_some_and(|c| !c.is_empty()) {
        Some("compositeContent")
    } else {
        obj.iter()
            .find(|(k, v)| k.ends_with("Content") && !KNOWN.contains(&k.as_str()) && v.is_object())
            .map(|(k, _)| k.as_str())
    };
    unsupported.map(|kind| Content::Unsupported {
        provider_type: kind.chars().take(MAX_PROVIDER_TYPE_LEN).collect(),
    })
}

/// The content objects Naver documents (or has been seen sending).
const KNOWN: [&str; 5] = [
    "textContent",
    "imageContent",
    "fileContent",
    "marketingContent",
    "compositeContent",
];

/// Text, sticker or postback from a `textContent`; `None` when it has neither text nor code.
fn text_content(t: &Map<String, Value>, detail: &mut ContentDetail) -> Option<Content> {
    let shown = t.get("text").and_then(Value::as_str).unwrap_or_default();
    let code = text(t.get("code"));
    if shown.is_empty() && code.is_none() {
        return None;
    }
    let input_type = detail.input_type.as_deref();
    if input_type == Some("vphone") {
        detail.vphone = vphone(shown);
    }
    Some(match (input_type, code) {
        // Stickers come as a fixed text ("스티커를 전송했습니다."); Naver exposes no sticker id.
        (Some("sticker"), _) => Content::Sticker {
            text: (!shown.is_empty()).then(|| shown.to_string()),
        },
        // A bot button, a quick reply, a composite selection or a time/calendar component
        // result: the code is what the bot asked to receive.
        (_, Some(payload)) => Content::Postback {
            text: shown.to_string(),
            payload,
        },
        _ => Content::Text {
            text: shown.to_string(),
        },
    })
}

fn image_info(i: &Map<String, Value>) -> Option<ImageInfo> {
    let info = ImageInfo {
        width: integer_at(i, "width"),
        height: integer_at(i, "height"),
        image_id: text_at(i, "imageId"),
    };
    let any = info.width.is_some() || info.height.is_some() || info.image_id.is_some();
    any.then_some(info)
}

/// Parses `"050719003814,2017-11-03"`. Anything else is left to the text alone.
pub fn vphone(text: &str) -> Option<Vphone> {
    let (number, expires) = text.split_once(',')?;
    let (number, expires) = (number.trim(), expires.trim());
    let number_ok = number.chars().any(|c| c.is_ascii_digit())
        && number.chars().all(|c| c.is_ascii_digit() || c == '-');
    let date_ok = expires.len() == 10
        && expires.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    (number_ok && date_ok).then(|| Vphone {
        number: number.to_string(),
        expires: expires.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_safe_number_text_parses_into_number_and_expiry() {
        assert_eq!(
            vphone("050719003814,2017-11-03"),
            Some(Vphone {
                number: "050719003814".into(),
                expires: "2017-11-03".into()
            })
        );
        assert_eq!(
            vphone(" 0507-1900-3814 , 2017-11-03 ")
                .map(|v| v.number)
                .as_deref(),
            Some("0507-1900-3814")
        );
        for bad in [
            "",
            "050719003814",
            "abc,2017-11-03",
            "0507,2017/11/03",
            "0507,2017-11-0",
            ",2017-11-03",
            "0507,２０17-11-03",
        ] {
            assert_eq!(vphone(bad), None, "{bad}");
        }
    }
}
