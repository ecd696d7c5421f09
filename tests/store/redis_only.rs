//! What only a shared store must promise: replicas never work one lane at once, and a worker
//! that lost its lease can no longer write.

use omnigate::domain::channel::Transition;
use omnigate::store::{AttemptRecord, AttemptResult, Store, StoreError};

use crate::harness::{redis_settings, redis_with};

fn now() -> i64 {
    chrono::Utc::now().timestamp_millis()
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

    let lanes = a.claim_lanes(now(), 10, now() + 300).await.unwrap();
    assert_eq!(lanes.len(), 1);
    let lane = lanes[0].clone();
    assert_eq!(lane.destination_id, dst.id);
    assert!(
        b.claim_lanes(now(), 10, now() + 60_000)
            .await
            .unwrap()
            .is_empty(),
        "another replica cannot take a leased lane"
    );
    let head_a = a.lane_head(&lane).await.unwrap().unwrap();
    // A stalls past its lease; B takes the lane over.
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let taken = b.claim_lanes(now(), 10, now() + 60_000).await.unwrap();
    assert_eq!(taken, vec![lane.clone()]);
    let late = a
        .record_attempt(AttemptRecord {
            lane: lane.clone(),
            delivery_id: head_a.delivery_id.clone(),
            result: AttemptResult::Delivered,
            status_code: Some(200),
            error: None,
            duration_ms: 1,
            hold_until_ms: Some(now() + 60_000),
            disable_destination: None,
        })
        .await;
    assert!(matches!(late, Err(StoreError::LeaseLost)), "{late:?}");
    a.settle_lane(&lane).await.unwrap();
    assert!(
        a.claim_lanes(now(), 10, now() + 60_000)
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
    assert_eq!(back.secret, "whsec_dGhlLXNpZ25pbmctc2VjcmV0LXZhbHVlLTAx");
    crate::harness::forget_prefix(&settings.key_prefix);
}
