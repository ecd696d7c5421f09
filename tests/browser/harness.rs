//! The browser harness itself: a page served on loopback runs its scripts in chromium, the
//! test reads and clicks it, and a screenshot is kept.

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::Browser;

const PAGE: &str = r#"<!doctype html>
<html><head><title>harness</title></head>
<body>
<p id="state">loading</p>
<button id="go" onclick="document.getElementById('state').textContent = 'clicked'">go</button>
<script>document.getElementById('state').textContent = 'scripted';</script>
</body></html>"#;

#[tokio::test]
async fn a_page_on_loopback_runs_its_script_and_answers_a_click_in_chromium() {
    let site = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/page"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(PAGE, "text/html; charset=utf-8"))
        .mount(&site)
        .await;

    let browser = Browser::start().await;
    browser.open(&format!("{}/page", site.uri())).await;
    let state = browser
        .run("return document.getElementById('state').textContent")
        .await;
    assert_eq!(state, "scripted");

    browser
        .client
        .find(fantoccini::Locator::Id("go"))
        .await
        .expect("the button")
        .click()
        .await
        .expect("the click");
    let state = browser
        .until(
            5,
            "the click to change the text",
            "const t = document.getElementById('state').textContent; return t === 'clicked' && t",
        )
        .await;
    assert_eq!(state, "clicked");

    let shot = browser.screenshot("harness-clicked").await;
    let png = std::fs::read(&shot).expect("the screenshot is kept");
    assert_eq!(
        &png[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is a PNG",
        shot.display()
    );
    browser.close().await;
}
