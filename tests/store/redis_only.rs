//! What only a shared store must promise: replicas never work one lane at once, a worker that
//! lost its lease can no longer write, and no secret is kept in clear under any key.

use omnigate::domain::channel::Transition;
use omnigate::domain::secret::ExposeSecret;
use omnigate::domain::time::Timestamp;
use omnigate::store::{
    AttemptRecord, AttemptResult, Channels, DeliveryQuery, DeliveryQueue, Destinations, EventLog,
    LaneShare, Store, StoreError,
};
use serde_json::{json, Value};

use crate::harness::{redis_settings, redis_url, redis_with};
use crate::process::{GatewayProcess, ADMIN_TOKEN as TOKEN};

fn now() -> Timestamp {
    Timestamp::now()
}

fn ms(n: u64) -> std::time::Duration {
    std::time::Duration::from_millis(n)
}

#[tokio::test]
async fn a_lane_taken_over_after_its_lease_fences_out_the_old_worker() {
    let settings = redis_settings();
    let (a, _da) = redis_with(&settings).await;
    let (b, _db) = redis_with(&settings).await;
    let ch = a
        .create_channel(crate::cases::test_channel())
        .await
        .unwrap();
    for t in [Transition::RequestApproval, Transition::Approve] {
        a.transition_channel(&ch.id, t, "op", None, omnigate::ids::event_id())
            .await
            .unwrap();
    }
    let dst = a
        .create_destination(crate::cases::test_destination(&["message.*"]))
        .await
        .unwrap();
    let events = (1..=3)
        .map(|n| crate::cases::test_event("cnv_f", n))
        .collect();
    a.append(&ch.id, events).await.unwrap();

    let lanes = a
        .claim_lanes(now(), 10, now() + ms(300), &LaneShare::unlimited())
        .await
        .unwrap();
    assert_eq!(lanes.len(), 1);
    let lane = lanes[0].clone();
    assert_eq!(lane.destination_id, dst.id);
    assert!(
        b.claim_lanes(now(), 10, now() + ms(60_000), &LaneShare::unlimited())
            .await
            .unwrap()
            .is_empty(),
        "another replica cannot take a leased lane"
    );
    let head_a = a.lane_head(&lane).await.unwrap().unwrap();
    // A stalls past its lease; B takes the lane over.
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let taken = b
        .claim_lanes(now(), 10, now() + ms(60_000), &LaneShare::unlimited())
        .await
        .unwrap();
    assert_eq!(taken, vec![lane.clone()]);
    let late = a
        .record_attempt(AttemptRecord {
            lane: lane.clone(),
            delivery_id: head_a.delivery_id.clone(),
            result: AttemptResult::Delivered,
            status_code: Some(200),
            error: None,
            duration_ms: 1,
            hold_until: Some(now() + ms(60_000)),
            disable_destination: None,
        })
        .await;
    assert!(matches!(late, Err(StoreError::LeaseLost)), "{late:?}");
    a.settle_lane(&lane).await.unwrap();
    assert!(
        a.claim_lanes(now(), 10, now() + ms(60_000), &LaneShare::unlimited())
            .await
            .unwrap()
            .is_empty(),
        "the fenced worker's settle does not free B's lane"
    );
    let b: std::sync::Arc<dyn Store> = b;
    assert_eq!(crate::cases::deliver_all(&b, &lane).await, vec![1, 2, 3]);
    crate::harness::forget_prefix(&settings.key_prefix);
}

#[tokio::test]
async fn secrets_are_sealed_in_redis() {
    let settings = redis_settings();
    let (s, _d) = redis_with(&settings).await;
    let ch = s
        .create_channel(crate::cases::test_channel())
        .await
        .unwrap();
    let mut dst = crate::cases::test_destination(&["*"]);
    dst.secret = "whsec_dGhlLXNpZ25pbmctc2VjcmV0LXZhbHVlLTAx".into();
    let dst = s.create_destination(dst).await.unwrap();
    let client = redis::Client::open(settings.url.as_str()).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    let mut everything = Vec::new();
    for key in [
        format!("{}:ch:{}", settings.key_prefix, ch.id),
        format!("{}:dst:{}", settings.key_prefix, dst.id),
    ] {
        let fields: Vec<Vec<u8>> = redis::cmd("HGETALL")
            .arg(&key)
            .query_async(&mut c)
            .await
            .unwrap();
        assert!(!fields.is_empty(), "{key} is where the engine keeps it");
        everything.extend(fields.into_iter().flatten());
    }
    for secret in ["s3cret-token", "whsec_dGhlLXNpZ25pbmctc2VjcmV0LXZhbHVlLTAx"] {
        assert!(
            !everything
                .windows(secret.len())
                .any(|w| w == secret.as_bytes()),
            "{secret} is stored in clear"
        );
    }
    // And they open again with the key every replica shares.
    let back = s.get_destination(&dst.id).await.unwrap().unwrap();
    assert_eq!(
        back.secret.expose_secret(),
        "whsec_dGhlLXNpZ25pbmctc2VjcmV0LXZhbHVlLTAx"
    );
    crate::harness::forget_prefix(&settings.key_prefix);
}

#[tokio::test]
async fn a_damaged_record_reads_as_an_error_not_as_defaults() {
    let settings = redis_settings();
    let (s, _d) = redis_with(&settings).await;
    let ch = s
        .create_channel(crate::cases::test_channel())
        .await
        .unwrap();
    for t in [Transition::RequestApproval, Transition::Approve] {
        s.transition_channel(&ch.id, t, "op", None, omnigate::ids::event_id())
            .await
            .unwrap();
    }
    s.create_destination(crate::cases::test_destination(&["message.*"]))
        .await
        .unwrap();
    s.append(&ch.id, vec![crate::cases::test_event("cnv_d", 1)])
        .await
        .unwrap();
    let query = DeliveryQuery {
        limit: 10,
        ..DeliveryQuery::default()
    };
    let all = s.list_deliveries(query.clone()).await.unwrap();
    assert_eq!(all.len(), 1);
    let delivery = &all[0];

    let client = redis::Client::open(settings.url.as_str()).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    let p = &settings.key_prefix;
    let _: () = redis::cmd("HSET")
        .arg(format!("{p}:dl:{}", delivery.id))
        .arg("status")
        .arg("lost")
        .query_async(&mut c)
        .await
        .unwrap();
    let read = s.get_delivery(&delivery.id).await;
    assert!(matches!(read, Err(StoreError::Internal(_))), "{read:?}");
    let listed = s.list_deliveries(query).await;
    assert!(matches!(listed, Err(StoreError::Internal(_))), "{listed:?}");

    let _: () = redis::cmd("HDEL")
        .arg(format!("{p}:ch:{}", ch.id))
        .arg("provider")
        .query_async(&mut c)
        .await
        .unwrap();
    let read = s.get_channel(&ch.id).await;
    assert!(matches!(read, Err(StoreError::Internal(_))), "{read:?}");
    crate::harness::forget_prefix(&settings.key_prefix);
}

/// Every value under `prefix`, whatever its type, as bytes.
async fn every_value(
    c: &mut redis::aio::MultiplexedConnection,
    prefix: &str,
) -> Vec<(String, Vec<u8>)> {
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}:*"))
        .query_async(c)
        .await
        .unwrap();
    let mut out = Vec::new();
    for key in keys {
        let kind: String = redis::cmd("TYPE").arg(&key).query_async(c).await.unwrap();
        let parts: Vec<Vec<u8>> = match kind.as_str() {
            "string" => vec![redis::cmd("GET").arg(&key).query_async(c).await.unwrap()],
            "hash" => redis::cmd("HGETALL")
                .arg(&key)
                .query_async(c)
                .await
                .unwrap(),
            "list" => redis::cmd("LRANGE")
                .arg(&key)
                .arg(0)
                .arg(-1)
                .query_async(c)
                .await
                .unwrap(),
            "set" => redis::cmd("SMEMBERS")
                .arg(&key)
                .query_async(c)
                .await
                .unwrap(),
            "zset" => redis::cmd("ZRANGE")
                .arg(&key)
                .arg(0)
                .arg(-1)
                .query_async(c)
                .await
                .unwrap(),
            "stream" => {
                let v: redis::Value = redis::cmd("XRANGE")
                    .arg(&key)
                    .arg("-")
                    .arg("+")
                    .query_async(c)
                    .await
                    .unwrap();
                vec![format!("{v:?}").into_bytes()]
            }
            // Gone since KEYS listed it.
            "none" => continue,
            other => panic!("{key} has a type this scan does not read: {other}"),
        };
        for p in parts {
            out.push((format!("{key} (value)"), p));
        }
        out.push((key.clone(), key.into_bytes()));
    }
    out
}

#[tokio::test]
async fn every_key_the_engine_writes_keeps_secrets_sealed() {
    const NAVER_KEY: &str = "ct_wc8b1i_SEALEDnaverSendKey4Z";
    const CW_TOKEN: &str = "SEALED-chatwoot-access-token-71";
    const CW_INBOX_SECRET: &str = "SEALED-chatwoot-inbox-secret-29";
    const ZD_SECRET: &str = "SEALED-sunshine-key-secret-55";
    let prefix = format!("ogtest:{}", uuid::Uuid::new_v4().simple());
    let dir = tempfile::tempdir().unwrap();
    let gw = GatewayProcess::builder()
        .data(dir.path())
        .redis(&redis_url(), &prefix)
        .spawn()
        .await;
    let http = reqwest::Client::new();
    let post = |path: &str, body: Value| {
        http.post(format!("{}{path}", gw.base))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
    };
    let created: Value = post(
        "/v1/destinations",
        json!({"kind": "chatwoot", "base_url": "https://chat.example.com", "account_id": 3,
               "inbox_id": 9, "api_access_token": CW_TOKEN, "inbox_secret": CW_INBOX_SECRET}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert!(created["id"].is_string(), "{created}");
    let webhook: Value = post(
        "/v1/destinations",
        json!({"url": "https://hooks.example.com/in"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let whsec = webhook["secret"].as_str().unwrap().to_string();
    let token: Value = post("/v1/tokens", json!({"role": "helpdesk", "label": "Acme"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let helpdesk_token = token["token"].as_str().unwrap().to_string();
    for (provider, credentials) in [
        (
            "naver_talktalk",
            json!({"account_id": "wc8b1i", "send_api_key": NAVER_KEY}),
        ),
        (
            "zendesk_sunshine",
            json!({"app_id": "6a1f0c2b9d4e8a7b3c5d1e2f", "key_id": "app_5f4eaef81e3dcc117c7ba48b",
                                    "key_secret": ZD_SECRET, "webhook_secret": ZD_SECRET}),
        ),
    ] {
        let ch: Value = post(
            "/v1/channels",
            json!({"provider": provider, "name": provider, "credentials": credentials}),
        )
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        let id = ch["id"].as_str().unwrap_or_else(|| panic!("{ch}"));
        let pending: Value = post(&format!("/v1/channels/{id}/approval-request"), json!({}))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        post(&format!("/v1/channels/{id}/approve"), json!({}))
            .await
            .unwrap();
        if provider == "naver_talktalk" {
            let hook = pending["webhook_url"].as_str().unwrap();
            let sent = http
                .post(hook)
                .header("content-type", "application/json")
                .body(
                    json!({"event": "send", "user": "u1", "textContent": {"text": "hi"}})
                        .to_string(),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(sent.status(), 200);
        }
    }

    // Stopped, so what is scanned is all it wrote.
    assert!(gw.terminate().await.success());
    let client = redis::Client::open(redis_url().as_str()).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    let everything = every_value(&mut c, &prefix).await;
    let dst_id = created["id"].as_str().unwrap();
    assert!(
        everything.iter().any(|(k, _)| k.contains(dst_id)),
        "the scan sees the Chatwoot destination ({} keys)",
        everything.len()
    );
    for secret in [
        NAVER_KEY,
        CW_TOKEN,
        CW_INBOX_SECRET,
        ZD_SECRET,
        &whsec,
        &helpdesk_token,
        TOKEN,
    ] {
        for (key, bytes) in &everything {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} is stored in clear in {key}"
            );
        }
    }
    crate::harness::forget_prefix(&prefix);
}

/// Lanes kept by an earlier version in the single `lanes` index are moved to their
/// destinations' indexes when a store opens, and are claimed from there.
#[tokio::test]
async fn lanes_of_the_single_index_are_moved_at_start() {
    let settings = redis_settings();
    let (a, _da) = redis_with(&settings).await;
    let ch = a
        .create_channel(crate::cases::test_channel())
        .await
        .unwrap();
    for t in [Transition::RequestApproval, Transition::Approve] {
        a.transition_channel(&ch.id, t, "op", None, omnigate::ids::event_id())
            .await
            .unwrap();
    }
    let dst = a
        .create_destination(crate::cases::test_destination(&["message.*"]))
        .await
        .unwrap();
    a.append(&ch.id, vec![crate::cases::test_event("cnv_m", 1)])
        .await
        .unwrap();
    // As an earlier version left it: the lane in `lanes`, no `ldue:<destination>`.
    let keys = omnigate::store::redis::keys::Keys::new(&settings.key_prefix);
    let mut c = redis::Client::open(redis_url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let due = keys.lanes_due(&dst.id);
    let old = format!("{}:lanes", settings.key_prefix);
    let _: () = redis::cmd("ZUNIONSTORE")
        .arg(&old)
        .arg(1)
        .arg(&due)
        .query_async(&mut c)
        .await
        .unwrap();
    let _: () = redis::cmd("DEL")
        .arg(&due)
        .query_async(&mut c)
        .await
        .unwrap();

    let (b, _db) = redis_with(&settings).await;
    let lanes = b
        .claim_lanes(now(), 10, now() + ms(60_000), &LaneShare::unlimited())
        .await
        .unwrap();
    assert_eq!(lanes.len(), 1, "{lanes:?}");
    assert_eq!(lanes[0].destination_id, dst.id);
    let left: i64 = redis::cmd("EXISTS")
        .arg(&old)
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(left, 0, "the single index is gone");
    crate::harness::forget_prefix(&settings.key_prefix);
}
