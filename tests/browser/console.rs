//! The web console in a real browser: signing in, the live events view, the language
//! switcher, and a change forged by another site's page.

use fantoccini::Locator;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{naver_text, post_hook, spawn_app, TestApp, TOKEN};
use crate::support::Browser;

/// Clicks the element `css` finds.
async fn click(browser: &Browser, css: &str) {
    let element = browser.client.find(Locator::Css(css)).await;
    element
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
}

/// Opens the console and signs in with the admin token through the form.
async fn signed_in(app: &TestApp) -> Browser {
    let browser = Browser::start().await;
    browser.open(&format!("{}/console", app.base)).await;
    let token = browser.client.find(Locator::Id("token")).await.unwrap();
    token.send_keys(TOKEN).await.unwrap();
    click(&browser, "main form button[type=submit]").await;
    browser
        .until(
            10,
            "the live events page",
            "return document.getElementById('live') !== null",
        )
        .await;
    browser
}

#[tokio::test]
async fn an_operator_signs_in_sees_a_webhook_arrive_live_and_signs_out() {
    let app = spawn_app().await;
    let (_channel, hook) = app.approved_naver_channel().await;
    let browser = signed_in(&app).await;
    // The token is nowhere the page's scripts can reach.
    let stored = browser
        .run(
            "return document.cookie + JSON.stringify(localStorage) + JSON.stringify(sessionStorage)",
        )
        .await;
    assert!(!stored.as_str().unwrap().contains(TOKEN), "{stored}");
    browser
        .until(
            10,
            "the stream to connect",
            "return document.getElementById('live-status').textContent.startsWith('Live')",
        )
        .await;

    post_hook(
        &hook,
        naver_text("visitor-1", "안녕하세요, 주문 문의입니다"),
    )
    .await;
    let row = browser
        .until(
            10,
            "the webhook's event in the live view",
            "const r = document.querySelector('#live tbody tr'); return r && r.textContent",
        )
        .await;
    let row = row.as_str().unwrap();
    assert!(row.contains("message.received"), "{row}");
    assert!(row.contains("안녕하세요, 주문 문의입니다"), "{row}");
    // Still the same page: nothing reloaded it.
    let marked = browser.run("window.notReloaded = true; return 1").await;
    assert_eq!(marked, 1);
    post_hook(&hook, naver_text("visitor-1", "second message")).await;
    browser
        .until(10, "the second event on top", "const r = document.querySelector('#live tbody tr'); return r && r.textContent.includes('second message') && window.notReloaded === true")
        .await;
    browser.screenshot("console-live-events").await;

    // An event's page shows its envelope and the provider's original body.
    click(&browser, "#live tbody tr:last-child a").await;
    let shown = browser
        .until(10, "the event's page", "const p = document.querySelectorAll('pre.json'); return p.length === 2 && [p[0].textContent, p[1].textContent]")
        .await;
    assert!(
        shown[0].as_str().unwrap().contains("\"message.received\""),
        "{shown}"
    );
    assert!(
        shown[1]
            .as_str()
            .unwrap()
            .contains("\"inputType\": \"typing\""),
        "{shown}"
    );

    click(&browser, ".sign-out button").await;
    browser
        .until(
            10,
            "the sign-in page",
            "return document.getElementById('token') !== null",
        )
        .await;
    browser.open(&format!("{}/console/events", app.base)).await;
    let url = browser.client.current_url().await.unwrap();
    assert_eq!(url.path(), "/console/sign-in", "signed out: {url}");
    browser.close().await;
}

#[tokio::test]
async fn the_language_switcher_changes_and_remembers_the_language() {
    let app = spawn_app().await;
    let browser = signed_in(&app).await;
    let heading = "return document.querySelector('h1').textContent";
    assert_eq!(browser.run(heading).await, "Live events");
    click(&browser, "a[hreflang=ko]").await;
    browser
        .until(
            10,
            "the Korean page",
            "return document.documentElement.lang === 'ko'",
        )
        .await;
    assert_eq!(browser.run(heading).await, "실시간 이벤트");
    // Remembered on the next page without asking again.
    browser.open(&format!("{}/console/events", app.base)).await;
    assert_eq!(browser.run(heading).await, "실시간 이벤트");
    click(&browser, "a[hreflang=ja]").await;
    browser
        .until(
            10,
            "the Japanese page",
            "return document.documentElement.lang === 'ja'",
        )
        .await;
    assert_eq!(browser.run(heading).await, "ライブイベント");
    browser.close().await;
}

#[tokio::test]
async fn a_change_forged_by_another_sites_page_is_refused() {
    let app = spawn_app().await;
    let (channel, _) = app.approved_naver_channel().await;
    // Another origin (another port: the same site for cookies, so the cookie goes along).
    let evil = MockServer::start().await;
    let page = format!(
        r#"<!doctype html><html lang="en"><head><title>prize</title></head><body>
<form id="f" method="post" action="{}/v1/channels/{channel}/revoke">
<input name="reason" value="forged"></form>
<script>document.getElementById('f').submit();</script></body></html>"#,
        app.base
    );
    Mock::given(method("GET"))
        .and(path("/prize"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(page, "text/html; charset=utf-8"))
        .mount(&evil)
        .await;
    let browser = signed_in(&app).await;
    browser.open(&format!("{}/prize", evil.uri())).await;
    let answer = browser
        .until(
            10,
            "the gateway's answer to the forged form",
            "return location.pathname.endsWith('/revoke') && document.body.textContent",
        )
        .await;
    assert!(
        answer.as_str().unwrap().contains("csrf_rejected"),
        "{answer}"
    );
    let (_, shown) = app.get(&format!("/v1/channels/{channel}")).await;
    assert_eq!(shown["state"], "approved", "the channel was not revoked");
    browser.close().await;
}
