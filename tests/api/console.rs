//! The web console's sessions over HTTP: a token is exchanged for a sealed, HttpOnly,
//! SameSite=Strict cookie; the cookie works on the admin API with the token's role; a change
//! made with it needs the page's CSRF token and the gateway's own origin; signing out ends it.

use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use serde_json::json;

use crate::helpers::*;

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// Signs in with `token`; returns the answer's status, its headers and the session cookie
/// (`name=value`) it set, if any.
async fn sign_in(app: &TestApp, token: &str) -> (u16, HeaderMap, Option<String>) {
    let resp = browser()
        .post(format!("{}/console/sign-in", app.base))
        .header("origin", app.base.clone())
        .form(&[("token", token), ("next", "/console/events")])
        .send()
        .await
        .unwrap();
    let cookie = resp
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("omnigate_session="))
        .map(|c| c.split(';').next().unwrap().to_string());
    (resp.status().as_u16(), resp.headers().clone(), cookie)
}

/// The CSRF token a console page carries.
async fn csrf_of_page(app: &TestApp, cookie: &str) -> String {
    let page = browser()
        .get(format!("{}/console/events", app.base))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let start = html
        .find("name=\"csrf-token\" content=\"")
        .expect("a CSRF meta tag")
        + 27;
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

#[tokio::test]
async fn signing_in_sets_a_strict_http_only_expiring_cookie_that_never_holds_the_token() {
    let app = spawn_app().await;
    let (status, headers, cookie) = sign_in(&app, TOKEN).await;
    assert_eq!(status, 303);
    assert_eq!(headers[LOCATION], "/console/events");
    let set = headers[SET_COOKIE].to_str().unwrap();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=28800"] {
        assert!(set.contains(flag), "{flag} in {set}");
    }
    assert!(!set.contains("Secure"), "plain HTTP on loopback: {set}");
    let cookie = cookie.unwrap();
    assert!(
        !cookie.contains(TOKEN) && !cookie.contains(&TOKEN[4..20]),
        "{cookie}"
    );
}

#[tokio::test]
async fn the_cookie_is_secure_when_the_console_is_reached_over_https() {
    let app = spawn_with(|s| s.server.public_url = "https://omnigate.example.com".into()).await;
    let (_, headers, _) = sign_in(&app, TOKEN).await;
    let set = headers[SET_COOKIE].to_str().unwrap();
    assert!(set.contains("Secure"), "{set}");
}

#[tokio::test]
async fn a_wrong_token_is_refused_on_the_form_and_sets_no_cookie() {
    let app = spawn_app().await;
    let (status, _, cookie) = sign_in(&app, "ogt_not-a-token").await;
    assert_eq!((status, cookie), (401, None));
    let page = browser()
        .post(format!("{}/console/sign-in", app.base))
        .header("accept-language", "ja,en;q=0.5")
        .form(&[("token", "ogt_not-a-token")])
        .send()
        .await
        .unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains("このトークンは無効です。"), "{html}");
    assert!(html.contains("aria-invalid=\"true\""), "{html}");
}

#[tokio::test]
async fn a_session_uses_the_api_with_its_tokens_role_and_changes_need_the_csrf_token() {
    let app = spawn_app().await;
    let (_, _, cookie) = sign_in(&app, TOKEN).await;
    let cookie = cookie.unwrap();
    let api = |method: reqwest::Method, path: &str| {
        browser()
            .request(method, format!("{}{path}", app.base))
            .header("cookie", cookie.clone())
    };
    let listed = api(reqwest::Method::GET, "/v1/channels")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 200);

    let body = json!({"provider": "naver_talktalk", "name": "Shop",
                      "credentials": {"account_id": "wc8b1i", "send_api_key": SEND_API_KEY}});
    let without = api(reqwest::Method::POST, "/v1/channels")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(without.status(), 403);
    let problem: serde_json::Value = without.json().await.unwrap();
    assert_eq!(problem["code"], "csrf_rejected");

    let csrf = csrf_of_page(&app, &cookie).await;
    let elsewhere = api(reqwest::Method::POST, "/v1/channels")
        .header("x-csrf-token", csrf.clone())
        .header("origin", "http://attacker.example")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 403);
    let (_, listed) = app.get("/v1/channels").await;
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        0,
        "nothing was created"
    );

    let created = api(reqwest::Method::POST, "/v1/channels")
        .header("x-csrf-token", csrf)
        .header("origin", app.base.clone())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
}

#[tokio::test]
async fn a_helpdesk_session_reads_events_but_not_the_admin_api() {
    let app = spawn_app().await;
    let (_, minted) = app
        .post("/v1/tokens", json!({"role": "helpdesk", "label": "desk"}))
        .await;
    let (status, _, cookie) = sign_in(&app, minted["token"].as_str().unwrap()).await;
    assert_eq!(status, 303);
    let cookie = cookie.unwrap();
    let get = |path: &str| {
        browser()
            .get(format!("{}{path}", app.base))
            .header("cookie", cookie.clone())
            .send()
    };
    assert_eq!(get("/v1/events").await.unwrap().status(), 200);
    assert_eq!(get("/v1/channels").await.unwrap().status(), 403);
    assert_eq!(get("/console/events").await.unwrap().status(), 200);
}

#[tokio::test]
async fn signing_out_and_retiring_the_token_each_end_the_session() {
    let app = spawn_app().await;
    let (_, minted) = app
        .post("/v1/tokens", json!({"role": "admin", "label": "operator"}))
        .await;
    let token = minted["token"].as_str().unwrap().to_string();
    let (_, _, cookie) = sign_in(&app, &token).await;
    let cookie = cookie.unwrap();
    let page = |cookie: String| {
        browser()
            .get(format!("{}/console/events", app.base))
            .header("cookie", cookie)
            .send()
    };
    assert_eq!(page(cookie.clone()).await.unwrap().status(), 200);

    // Signing out without the page's CSRF token is refused; with it, the cookie is cleared.
    let forged = browser()
        .post(format!("{}/console/sign-out", app.base))
        .header("cookie", cookie.clone())
        .form(&[("csrf", "guess")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let csrf = csrf_of_page(&app, &cookie).await;
    let out = browser()
        .post(format!("{}/console/sign-out", app.base))
        .header("cookie", cookie.clone())
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    let cleared = out.headers()[SET_COOKIE].to_str().unwrap();
    assert!(cleared.starts_with("omnigate_session=;"), "{cleared}");

    // A retired token's sessions end at once.
    let (_, _, second) = sign_in(&app, &token).await;
    let second = second.unwrap();
    assert_eq!(page(second.clone()).await.unwrap().status(), 200);
    let id = minted["id"].as_str().unwrap();
    let (status, _) = app
        .call(reqwest::Method::DELETE, &format!("/v1/tokens/{id}"), None)
        .await;
    assert_eq!(status, 204);
    let after = page(second).await.unwrap();
    assert_eq!(after.status(), 303);
    assert!(after.headers()[LOCATION]
        .to_str()
        .unwrap()
        .starts_with("/console/sign-in"));
}

#[tokio::test]
async fn pages_speak_the_browsers_language_until_the_switcher_chooses_another() {
    let app = spawn_app().await;
    let get = |query: &str, cookie: Option<&str>| {
        let mut req = browser()
            .get(format!("{}/console/sign-in{query}", app.base))
            .header("accept-language", "ko-KR,ko;q=0.9,en;q=0.8");
        if let Some(c) = cookie {
            req = req.header("cookie", c.to_string());
        }
        req.send()
    };
    let korean = get("", None).await.unwrap().text().await.unwrap();
    assert!(korean.contains("<html lang=\"ko\">") && korean.contains("<h1>로그인</h1>"));
    let switched = get("?lang=ja", None).await.unwrap();
    let remembered = switched.headers()[SET_COOKIE].to_str().unwrap().to_string();
    assert!(remembered.starts_with("omnigate_lang=ja"), "{remembered}");
    let japanese = switched.text().await.unwrap();
    assert!(japanese.contains("<h1>サインイン</h1>"), "{japanese}");
    let cookie = remembered.split(';').next().unwrap();
    let still = get("", Some(cookie)).await.unwrap().text().await.unwrap();
    assert!(still.contains("<html lang=\"ja\">"), "{still}");
}

#[tokio::test]
async fn a_page_without_a_session_sends_the_browser_to_sign_in_and_back() {
    let app = spawn_app().await;
    let resp = browser()
        .get(format!("{}/console/events?type=message.received", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(
        resp.headers()[LOCATION],
        "/console/sign-in?next=%2Fconsole%2Fevents%3Ftype%3Dmessage.received"
    );
    // Never to another site after signing in.
    let resp = browser()
        .post(format!("{}/console/sign-in", app.base))
        .form(&[("token", TOKEN), ("next", "//attacker.example/console")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()[LOCATION], "/console");
}
