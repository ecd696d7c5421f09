//! Outbound safety: with `security.allow_private_destinations` off (the default), URLs that
//! reach loopback, private, link-local or metadata addresses are refused when registered and
//! are not called when delivering, and a provider API base pointing inward stops the gateway
//! from starting.

use serde_json::json;

use super::support::*;
use crate::helpers::*;

#[tokio::test]
async fn destinations_and_chatwoot_base_urls_may_not_point_inward() {
    let app = spawn_with(|s| s.security.allow_private_destinations = false).await;
    for url in [
        "http://127.0.0.1:9/in",
        "http://localhost:9/in",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:8080/in",
        "http://10.0.0.7/in",
        "http://2130706433/in",
    ] {
        let body = counted(&app, 422, "url_not_allowed", || {
            app.http
                .post(format!("{}/v1/destinations", app.base))
                .bearer_auth(TOKEN)
                .json(&json!({"url": url}))
                .send()
        })
        .await;
        assert_eq!(body["field"], "url", "{url}");
        // The answer says how to allow it: the setting, its environment variable, a restart.
        let detail = body["detail"].as_str().unwrap();
        for needed in [
            "security.allow_private_destinations",
            "OMNIGATE__SECURITY__ALLOW_PRIVATE_DESTINATIONS=true",
            "OMNIGATE_ENV=dev",
            "restart",
        ] {
            assert!(detail.contains(needed), "{needed} in {detail}");
        }
    }
    let body = counted(&app, 422, "url_not_allowed", || {
        app.http
            .post(format!("{}/v1/destinations", app.base))
            .bearer_auth(TOKEN)
            .json(
                &json!({"kind": "chatwoot", "base_url": "http://192.168.1.20:3000",
                          "account_id": 1, "inbox_id": 1, "api_access_token": "t",
                          "inbox_secret": "s"}),
            )
            .send()
    })
    .await;
    assert_eq!(body["field"], "base_url");
    // A public address is fine; changing it to an inward one is not.
    let (id, _) = app.destination("https://93.184.216.34/in", json!({})).await;
    let body = counted(&app, 422, "url_not_allowed", || {
        app.http
            .patch(format!("{}/v1/destinations/{id}", app.base))
            .bearer_auth(TOKEN)
            .json(&json!({"url": "http://127.0.0.1:6379/"}))
            .send()
    })
    .await;
    assert_eq!(body["field"], "url");
    let (_, d) = app.get(&format!("/v1/destinations/{id}")).await;
    assert_eq!(d["url"], "https://93.184.216.34/in", "unchanged");
    // A Chatwoot channel's own base URL is a provider API base chosen through the API.
    let body = counted(&app, 422, "url_not_allowed", || {
        app.http
            .post(format!("{}/v1/channels", app.base))
            .bearer_auth(TOKEN)
            .json(&json!({"provider": "chatwoot", "name": "Inward",
                          "credentials": {"base_url": "http://127.0.0.1:3000", "account_id": 7,
                                          "api_access_token": "t", "webhook_secret": "s"}}))
            .send()
    })
    .await;
    assert_eq!(body["field"], "credentials.base_url");
    let (_, channels) = app.get("/v1/channels").await;
    assert_eq!(channels["items"], json!([]));
    let (_, dests) = app.get("/v1/destinations").await;
    assert_eq!(dests["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_provider_api_base_pointing_inward_is_a_configuration_error() {
    let out = tokio::task::spawn_blocking(|| {
        std::process::Command::new(env!("CARGO_BIN_EXE_omnigate"))
            .arg("migrate")
            .env(
                "OMNIGATE__PROVIDERS__CRISP__API_BASE",
                "http://169.254.169.254",
            )
            .env(
                "OMNIGATE__STORE__PATH",
                std::env::temp_dir().join("omnigate-never-created"),
            )
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("providers.crisp.api_base"));
}

/// Destinations registered while private destinations were allowed, at a loopback address
/// literal (a webhook and a Chatwoot inbox), are not called once the gateway serves with them
/// forbidden: each delivery records why, and nothing reaches either one, nor the inward
/// attachment links of the message.
#[tokio::test]
async fn destinations_registered_while_private_ones_were_allowed_are_not_called_once_they_are_not()
{
    use wiremock::{matchers::any, Mock, MockServer, ResponseTemplate};

    use crate::fake_chatwoot::{FakeChatwoot, ACCESS_TOKEN, ACCOUNT, INBOX};

    let chatwoot = FakeChatwoot::start().await;
    let webhook = helpdesk_ok().await;
    // Listens on loopback: any request it sees is an attachment fetched from an inward address.
    let trap = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![0x89, b'P', b'N', b'G']))
        .mount(&trap)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let prefix = format!("ogtest:{}", uuid::Uuid::new_v4().simple());
    let gateway = || {
        on_suite_engine(GatewayProcess::builder(), &prefix)
            .data(dir.path())
            .port(port)
    };
    let gw = gateway().spawn().await;
    let (status, d) = gw
        .app()
        .post(
            "/v1/destinations",
            json!({"kind": "chatwoot", "base_url": chatwoot.uri(), "account_id": ACCOUNT,
                   "inbox_id": INBOX, "api_access_token": ACCESS_TOKEN,
                   "inbox_secret": "cw-inbox-secret-Xk29vLq8Rt5Yp3Nw"}),
        )
        .await;
    assert_eq!(status, 201, "{d}");
    let inbox = d["id"].as_str().unwrap().to_string();
    let (hooked, _) = gw
        .app()
        .destination(
            &format!("{}/in", webhook.uri()),
            json!({"event_types": ["message.received"]}),
        )
        .await;
    let (_, hook) = gw.app().approved_naver_channel().await;
    assert!(gw.terminate().await.success());
    let gw = gateway()
        .env("OMNIGATE__SECURITY__ALLOW_PRIVATE_DESTINATIONS", "false")
        .spawn()
        .await;
    let app = gw.app();

    let link = format!("{}/loopback.png", trap.uri());
    let body = naver("send", "u1", json!({"imageContent": {"imageUrl": link}}));
    assert_eq!(post_hook(&hook, body).await.status(), 200);
    for dst in [&hooked, &inbox] {
        let tried = eventually(20, "an attempt on record", || async {
            app.deliveries(&format!("destination={dst}"))
                .await
                .into_iter()
                .find(|d| d["event_type"] == "message.received" && d["attempts"] == 1)
        })
        .await;
        assert_ne!(tried["status"], "delivered", "{tried}");
        let error = tried["last_error"].as_str().unwrap_or_default();
        assert!(
            error.contains("127.0.0.1 is a loopback, private, link-local or reserved address")
                && error.contains("security.allow_private_destinations"),
            "{tried}"
        );
    }
    assert_eq!(webhook.received_requests().await.unwrap().len(), 0);
    assert_eq!(chatwoot.server.received_requests().await.unwrap().len(), 0);
    assert_eq!(
        trap.received_requests().await.unwrap().len(),
        0,
        "the loopback address was never fetched"
    );
}

/// A Chatwoot inbox on the internal network, named in `security.private_destination_allowlist`
/// while private destinations are forbidden: it is written to, and the attachment links of
/// messages that point at loopback, a private range and the metadata address are posted as
/// links, never fetched.
#[tokio::test]
async fn attachment_links_at_inward_addresses_are_posted_as_links_and_never_fetched() {
    use wiremock::{matchers::any, Mock, MockServer, ResponseTemplate};

    use crate::fake_chatwoot::{FakeChatwoot, ACCESS_TOKEN, ACCOUNT, INBOX};

    let chatwoot = FakeChatwoot::start().await;
    // Listens on loopback too: any request it sees is an attachment fetched from an inward
    // address.
    let trap = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![0x89, b'P', b'N', b'G']))
        .mount(&trap)
        .await;
    let inbox_address = chatwoot.uri().trim_start_matches("http://").to_string();
    // A process of its own, configured through the environment as an operator would.
    let (_gw, app) = own_gateway(&[
        ("OMNIGATE__SECURITY__ALLOW_PRIVATE_DESTINATIONS", "false"),
        (
            "OMNIGATE__SECURITY__PRIVATE_DESTINATION_ALLOWLIST",
            &inbox_address,
        ),
    ])
    .await;
    let (status, d) = app
        .post(
            "/v1/destinations",
            json!({"kind": "chatwoot", "base_url": chatwoot.uri(), "account_id": ACCOUNT,
                   "inbox_id": INBOX, "api_access_token": ACCESS_TOKEN,
                   "inbox_secret": "cw-inbox-secret-Xk29vLq8Rt5Yp3Nw"}),
        )
        .await;
    assert_eq!(status, 201, "the allowlisted inbox is accepted: {d}");
    // The trap's own address is not on the allowlist: it may not be a destination either.
    let (status, body) = app
        .post(
            "/v1/destinations",
            json!({"url": format!("{}/in", trap.uri())}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("url_not_allowed"))
    );
    assert!(body["detail"]
        .as_str()
        .unwrap()
        .contains("security.private_destination_allowlist"));
    let (_, hook) = app.approved_naver_channel().await;

    let links = [
        format!("{}/loopback.png", trap.uri()),
        "http://10.20.30.40/private.png".to_string(),
        "http://169.254.169.254/latest/meta-data/metadata.png".to_string(),
    ];
    for link in &links {
        let body = naver("send", "u1", json!({"imageContent": {"imageUrl": link}}));
        assert_eq!(post_hook(&hook, body).await.status(), 200);
    }
    let messages = eventually(20, "three Chatwoot messages", || async {
        let m = chatwoot.with(|s| s.messages.clone());
        (m.len() >= links.len()).then_some(m)
    })
    .await;
    assert_eq!(messages.len(), links.len(), "one message per webhook");
    for ((_, m), link) in messages.iter().zip(&links) {
        assert!(m.get("attachments").is_none(), "not attached: {m}");
        let text = m["content"].as_str().unwrap_or_default();
        assert!(text.contains(link.as_str()), "posted as a link: {m}");
    }
    assert_eq!(
        trap.received_requests().await.unwrap().len(),
        0,
        "the loopback address was never fetched"
    );
    chatwoot.assert_nothing_refused();
}
