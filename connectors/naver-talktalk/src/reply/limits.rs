//! Naver's documented limits (text length, cards, buttons, titles, image formats), checked
//! before a reply is queued so a violation is a 422 naming the limit and nothing is sent.

use omnigate_connector_core::{Button, Card, OutboundContent, QuickReply, ReplyError};
use serde_json::Value;

const TEXT_MAX: usize = 10_000;
const CARDS_MAX: usize = 10;
const CARD_TITLE_MAX: usize = 200;
const CARD_DESCRIPTION_MAX: usize = 1000;
const BUTTONS_MAX: usize = 10;
const BUTTON_TITLE_MAX: usize = 18;
const CODE_MAX: usize = 1000;
const QUICK_REPLY_TITLE_MAX: usize = 10;
const IMAGE_FORMATS: [&str; 4] = ["jpg", "jpeg", "png", "gif"];

fn too_long(code: &'static str, what: &str, max: usize, s: &str) -> Result<(), ReplyError> {
    let n = s.chars().count();
    if n > max {
        return Err(ReplyError::new(
            code,
            format!("{what} is {n} characters; Naver allows at most {max}"),
        ));
    }
    Ok(())
}

fn check_url(what: &str, url: &str) -> Result<(), ReplyError> {
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() > "https://".len()
        && !url.chars().any(char::is_whitespace);
    if !ok {
        return Err(ReplyError::new(
            "invalid_url",
            format!("{what} must be an http(s) URL"),
        ));
    }
    Ok(())
}

/// Naver takes JPG, JPEG, PNG and GIF. A URL whose path names another extension is refused;
/// one without an extension is left to Naver.
fn check_image_url(url: &str) -> Result<(), ReplyError> {
    check_url("the image URL", url)?;
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let last = path.rsplit('/').next().unwrap_or("");
    if let Some((_, ext)) = last.rsplit_once('.') {
        let ext = ext.to_ascii_lowercase();
        if !IMAGE_FORMATS.contains(&ext.as_str()) {
            return Err(ReplyError::new(
                "image_format_not_supported",
                format!("Naver accepts JPG, JPEG, PNG or GIF images, not .{ext}"),
            ));
        }
    }
    Ok(())
}

fn check_quick_replies(items: &[QuickReply]) -> Result<(), ReplyError> {
    for q in items {
        too_long(
            "quick_reply_title_too_long",
            "a quick reply title",
            QUICK_REPLY_TITLE_MAX,
            &q.title,
        )?;
        too_long(
            "button_code_too_long",
            "a quick reply code",
            CODE_MAX,
            &q.code,
        )?;
    }
    Ok(())
}

fn check_button(b: &Button) -> Result<(), ReplyError> {
    match b {
        Button::Text { title, code } => {
            too_long(
                "button_title_too_long",
                "a button title",
                BUTTON_TITLE_MAX,
                title,
            )?;
            too_long("button_code_too_long", "a button code", CODE_MAX, code)
        }
        Button::Link {
            title,
            url,
            mobile_url,
        } => {
            too_long(
                "button_title_too_long",
                "a button title",
                BUTTON_TITLE_MAX,
                title,
            )?;
            check_url("a link button's url", url)?;
            mobile_url
                .as_deref()
                .map_or(Ok(()), |u| check_url("a link button's mobile_url", u))
        }
    }
}

fn check_card(c: &Card) -> Result<(), ReplyError> {
    if c.title.is_none() && c.description.is_none() && c.image_url.is_none() {
        return Err(ReplyError::new(
            "empty_card",
            "a card needs a title, a description or an image",
        ));
    }
    if let Some(t) = &c.title {
        too_long("card_title_too_long", "a card title", CARD_TITLE_MAX, t)?;
    }
    if let Some(d) = &c.description {
        too_long(
            "card_description_too_long",
            "a card description",
            CARD_DESCRIPTION_MAX,
            d,
        )?;
    }
    if let Some(u) = &c.image_url {
        check_image_url(u)?;
    }
    if c.buttons.len() > BUTTONS_MAX {
        return Err(ReplyError::new(
            "too_many_buttons",
            format!(
                "a card has {} buttons; Naver allows at most {BUTTONS_MAX}",
                c.buttons.len()
            ),
        ));
    }
    c.buttons.iter().try_for_each(check_button)
}

pub fn validate(content: &Value) -> Result<OutboundContent, ReplyError> {
    let parsed = OutboundContent::parse(content)?;
    match &parsed {
        OutboundContent::Text {
            text,
            quick_replies,
        } => {
            if text.trim().is_empty() {
                return Err(ReplyError::new("empty_text", "text must not be empty"));
            }
            too_long("text_too_long", "the text", TEXT_MAX, text)?;
            check_quick_replies(quick_replies)?;
        }
        OutboundContent::Image {
            url,
            image_id,
            upload,
            quick_replies,
        } => {
            match (url, image_id) {
                (Some(u), None) => check_image_url(u)?,
                (None, Some(id)) if !id.is_empty() && !upload => {}
                _ => {
                    return Err(ReplyError::new(
                        "invalid_content",
                        "an image needs either url (optionally with upload: true) or image_id",
                    ))
                }
            }
            check_quick_replies(quick_replies)?;
        }
        OutboundContent::Cards {
            cards,
            quick_replies,
        } => {
            if cards.is_empty() || cards.len() > CARDS_MAX {
                return Err(ReplyError::new(
                    "too_many_cards",
                    format!("{} cards; Naver takes 1 to {CARDS_MAX}", cards.len()),
                ));
            }
            cards.iter().try_for_each(check_card)?;
            check_quick_replies(quick_replies)?;
        }
        _ => {}
    }
    Ok(parsed)
}
