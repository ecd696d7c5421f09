//! The console's languages (English, Korean, Japanese): chosen by the `lang` query parameter
//! (the switcher's links, remembered in a cookie), else that cookie, else the browser's
//! `Accept-Language`; each language's messages are one flat JSON file compiled into the binary.

use std::collections::HashMap;
use std::sync::OnceLock;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::HttpRequest;

pub const COOKIE: &str = "omnigate_lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Ko,
    Ja,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Ko, Lang::Ja];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ko => "ko",
            Lang::Ja => "ja",
        }
    }

    /// The language's own name, as the switcher shows it.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Ko => "한국어",
            Lang::Ja => "日本語",
        }
    }

    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.code() == primary)
    }

    fn source(self) -> &'static str {
        match self {
            Lang::En => include_str!("locales/en.json"),
            Lang::Ko => include_str!("locales/ko.json"),
            Lang::Ja => include_str!("locales/ja.json"),
        }
    }

    /// The message under `key`; English where this language lacks it (a test keeps them
    /// complete), `?` where English lacks it too.
    pub fn t(self, key: &str) -> &'static str {
        catalog(self)
            .get(key)
            .or_else(|| catalog(Lang::En).get(key))
            .map(String::as_str)
            .unwrap_or("?")
    }

    /// The language a request asks for, and whether it asked through `lang` (then remembered).
    pub fn of(req: &HttpRequest) -> (Lang, bool) {
        let asked =
            actix_web::web::Query::<HashMap<String, String>>::from_query(req.query_string())
                .ok()
                .and_then(|q| q.get("lang").and_then(|l| Lang::parse(l)));
        if let Some(lang) = asked {
            return (lang, true);
        }
        let remembered = req.cookie(COOKIE).and_then(|c| Lang::parse(c.value()));
        let lang = remembered.unwrap_or_else(|| {
            req.headers()
                .get("accept-language")
                .and_then(|v| v.to_str().ok())
                .map(accepted)
                .unwrap_or(Lang::En)
        });
        (lang, false)
    }

    /// The cookie that remembers this choice.
    pub fn cookie(self) -> Cookie<'static> {
        let mut cookie = Cookie::build(COOKIE, self.code())
            .path("/console")
            .http_only(true)
            .same_site(SameSite::Strict)
            .finish();
        cookie.set_max_age(actix_web::cookie::time::Duration::days(365));
        cookie
    }
}

/// The best of our languages in an `Accept-Language` value (`ko-KR,ko;q=0.9,en;q=0.8`).
fn accepted(header: &str) -> Lang {
    let mut best: Option<(f32, Lang)> = None;
    for part in header.split(',') {
        let mut pieces = part.split(';');
        let Some(lang) = pieces.next().and_then(Lang::parse) else {
            continue;
        };
        let q = pieces
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        if q > 0.0 && best.map_or(true, |(b, _)| q > b) {
            best = Some((q, lang));
        }
    }
    best.map_or(Lang::En, |(_, l)| l)
}

fn catalog(lang: Lang) -> &'static HashMap<String, String> {
    static CATALOGS: OnceLock<Vec<HashMap<String, String>>> = OnceLock::new();
    let all = CATALOGS.get_or_init(|| {
        Lang::ALL
            .iter()
            .map(|l| serde_json::from_str(l.source()).unwrap_or_default())
            .collect()
    });
    let index = Lang::ALL.iter().position(|l| *l == lang).unwrap_or(0);
    &all[index]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_message_and_nothing_else() {
        let english: Vec<&String> = {
            let mut keys: Vec<&String> = catalog(Lang::En).keys().collect();
            keys.sort();
            keys
        };
        assert!(!english.is_empty(), "the English catalog parses");
        for lang in [Lang::Ko, Lang::Ja] {
            let parsed: HashMap<String, String> =
                serde_json::from_str(lang.source()).expect("the catalog is JSON");
            let mut keys: Vec<&String> = parsed.keys().collect();
            keys.sort();
            assert_eq!(keys, english, "{}", lang.code());
        }
    }

    #[test]
    fn accept_language_picks_the_preferred_language_we_have() {
        assert_eq!(accepted("ko-KR,ko;q=0.9,en-US;q=0.8"), Lang::Ko);
        assert_eq!(accepted("fr-FR,ja;q=0.5,en;q=0.4"), Lang::Ja);
        assert_eq!(accepted("en;q=0.2, ja;q=0.7"), Lang::Ja);
        assert_eq!(accepted("de, fr"), Lang::En);
        assert_eq!(accepted("ko;q=0"), Lang::En);
        assert_eq!(accepted(""), Lang::En);
    }
}
