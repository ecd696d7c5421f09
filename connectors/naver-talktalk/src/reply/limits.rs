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

/// Naver's composite rule: at least one of title, description or element list, and at least
/// two of the five elements (title, description, image, element list, button list). A reply
/// has no element list, so a card needs a title or a description, and one more element.
fn check_card_elements(c: &Card) -> Result<(), ReplyError> {
    if c.title.is_none() && c.description.is_none() {
        return Err(ReplyError::new(
            "empty_card",
            "a card needs a title or a description",
        ));
    }
    let elements = [
        c.title.is_some(),
        c.description.is_some(),
        c.image_url.is_some(),
        !c.buttons.is_empty(),
    ];
    if elements.iter().filter(|present| **present).count() < 2 {
        return Err(ReplyError::new(
            "incomplete_card",
            "a card needs at least two of title, description, image and buttons",
        ));
    }
    Ok(())
}

fn check_card(c: &Card) -> Result<(), ReplyError> {
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
    c.buttons.iter().try_for_each(check_button)?;
    check_card_elements(c)
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

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::validate;

    /// A card of two elements (a title and a description), with `extra` merged in.
    fn card(extra: Value) -> Value {
        let mut c = json!({"title": "t", "description": "d"});
        if let (Some(c), Some(e)) = (c.as_object_mut(), extra.as_object()) {
            c.extend(e.clone());
        }
        c
    }

    fn cards(cards: Vec<Value>) -> Value {
        json!({"type": "cards", "cards": cards})
    }

    fn text_button(title: &str, code: &str) -> Value {
        json!({"type": "text", "title": title, "code": code})
    }

    /// Each documented limit as (content exactly at it, content one over it, the refusal code).
    /// Lengths are counted in characters, so a multi-byte character counts once.
    fn at_and_over() -> Vec<(Value, Value, &'static str)> {
        let s = |n: usize| "가".repeat(n);
        vec![
            (
                json!({"type": "text", "text": s(10_000)}),
                json!({"type": "text", "text": s(10_001)}),
                "text_too_long",
            ),
            (
                cards(vec![card(json!({})); 10]),
                cards(vec![card(json!({})); 11]),
                "too_many_cards",
            ),
            (
                cards(vec![card(json!({"title": s(200)}))]),
                cards(vec![card(json!({"title": s(201)}))]),
                "card_title_too_long",
            ),
            (
                cards(vec![card(json!({"description": s(1000)}))]),
                cards(vec![card(json!({"description": s(1001)}))]),
                "card_description_too_long",
            ),
            (
                cards(vec![card(
                    json!({"buttons": vec![text_button("b", "c"); 10]}),
                )]),
                cards(vec![card(
                    json!({"buttons": vec![text_button("b", "c"); 11]}),
                )]),
                "too_many_buttons",
            ),
            (
                cards(vec![card(json!({"buttons": [text_button(&s(18), "c")]}))]),
                cards(vec![card(json!({"buttons": [text_button(&s(19), "c")]}))]),
                "button_title_too_long",
            ),
            (
                cards(vec![card(
                    json!({"buttons": [{"type": "link", "title": s(18), "url": "https://x.test/"}]}),
                )]),
                cards(vec![card(
                    json!({"buttons": [{"type": "link", "title": s(19), "url": "https://x.test/"}]}),
                )]),
                "button_title_too_long",
            ),
            (
                cards(vec![card(json!({"buttons": [text_button("b", &s(1000))]}))]),
                cards(vec![card(json!({"buttons": [text_button("b", &s(1001))]}))]),
                "button_code_too_long",
            ),
            (
                json!({"type": "text", "text": "x", "quick_replies": [{"title": s(10), "code": "c"}]}),
                json!({"type": "text", "text": "x", "quick_replies": [{"title": s(11), "code": "c"}]}),
                "quick_reply_title_too_long",
            ),
            (
                json!({"type": "text", "text": "x", "quick_replies": [{"title": "q", "code": s(1000)}]}),
                json!({"type": "text", "text": "x", "quick_replies": [{"title": "q", "code": s(1001)}]}),
                "button_code_too_long",
            ),
        ]
    }

    #[test]
    fn every_limit_takes_a_value_exactly_at_it_and_refuses_one_over() {
        for (at, over, code) in at_and_over() {
            assert!(validate(&at).is_ok(), "at the limit: {code}");
            assert_eq!(validate(&over).unwrap_err().code, code);
        }
    }

    #[test]
    fn a_card_needs_a_title_or_description_and_two_elements() {
        let image = "https://x.test/a.png";
        let button = text_button("b", "c");
        let refused = [
            (json!({"image_url": image}), "empty_card"),
            (
                json!({"image_url": image, "buttons": [button]}),
                "empty_card",
            ),
            (json!({"buttons": [button]}), "empty_card"),
            (json!({"title": "t"}), "incomplete_card"),
            (json!({"description": "d"}), "incomplete_card"),
            (json!({"title": "t", "buttons": []}), "incomplete_card"),
        ];
        for (c, code) in refused {
            assert_eq!(
                validate(&cards(vec![c.clone()])).unwrap_err().code,
                code,
                "{c}"
            );
        }
        let accepted = [
            json!({"title": "t", "description": "d"}),
            json!({"title": "t", "image_url": image}),
            json!({"description": "d", "buttons": [button]}),
            json!({"title": "t", "description": "d", "image_url": image, "buttons": [button]}),
        ];
        for c in accepted {
            assert!(validate(&cards(vec![c.clone()])).is_ok(), "{c}");
        }
    }
}
