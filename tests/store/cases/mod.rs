//! The cases, written against the `Store` trait alone.

use std::sync::Arc;

use omnigate::domain::channel::{Channel, ChannelState, Transition};
use omnigate::domain::destination::{Destination, DestinationKind};
use omnigate::domain::ids::ChannelId;
use omnigate::domain::reply::ReplyOrigin;
use omnigate::domain::secret::{CredentialMap, ExposeSecret};
use omnigate::domain::time::Timestamp;
use omnigate::store::{
    AppendOutcome, AttemptRecord, AttemptResult, DeliveryQuery, DeliveryStatus, DestinationPatch,
    EventQuery, Lane, LaneShare, MessageProgress, MessageStatus, NewEvent, RelayedMessage, Store,
    StoreError,
};
use serde_json::json;

mod agents;
mod callback_secrets;
mod enrichment;
mod following;
mod listing_pages;
mod races;
mod webhook_keys;
pub use agents::*;
pub use callback_secrets::*;
pub use enrichment::*;
pub use following::*;
pub use listing_pages::*;
pub use races::*;
pub use webhook_keys::*;

type S = Arc<dyn Store>;

pub fn now() -> Timestamp {
    Timestamp::now()
}

pub fn ms(n: u64) -> std::time::Duration {
    std::time::Duration::from_millis(n)
}

pub fn test_channel() -> Channel {
    channel()
}

pub fn test_destination(event_types: &[&str]) -> Destination {
    destination(event_types)
}

pub fn test_event(conversation: &str, n: u32) -> NewEvent {
    event(conversation, n, None)
}

pub async fn deliver_all(s: &S, lane: &Lane) -> Vec<u64> {
    drain_lane(s, lane).await
}

fn channel() -> Channel {
    Channel {
        id: omnigate::ids::channel_id(),
        provider: "naver_talktalk".into(),
        name: "Shop".into(),
        credentials: CredentialMap::boxed(
            json!({"authorization": "s3cret-token"})
                .as_object()
                .unwrap()
                .clone(),
        ),
        settings: json!({"partner": "p"}).as_object().unwrap().clone(),
        state: ChannelState::Unverified,
        state_reason: None,
        webhook_key: None,
        channel_key: omnigate::ids::random_token(16),
        created_at: Timestamp::default(),
        updated_at: Timestamp::default(),
    }
}

fn destination(event_types: &[&str]) -> Destination {
    Destination {
        id: omnigate::ids::destination_id(),
        url: "http://127.0.0.1:9/hook".into(),
        secret: "whsec_c2VjcmV0LXNpZ25pbmcta2V5LTAxMjM0NTY3".into(),
        event_types: event_types.iter().map(|s| s.to_string()).collect(),
        channels: Vec::new(),
        include_raw: false,
        enabled: true,
        disabled_reason: None,
        disabled_at: None,
        created_at: Timestamp::default(),
        updated_at: Timestamp::default(),
        kind: DestinationKind::Webhook,
    }
}

fn event(conversation: &str, n: u32, dedup: Option<&str>) -> NewEvent {
    NewEvent {
        id: omnigate::ids::event_id(),
        event_type: "message.received".into(),
        conversation_id: Some(conversation.into()),
        conversation_ref: Some(format!("ref-{conversation}")),
        dedup_key: dedup.map(str::to_string),
        envelope: json!({"type": "message.received", "n": n}),
        raw: Some(Arc::new(format!("raw {n}").into_bytes())),
        request_id: Some(format!("req-{n}")),
    }
}

async fn transition(s: &S, id: &ChannelId, t: Transition) -> Channel {
    s.transition_channel(id, t, "operator", None, omnigate::ids::event_id())
        .await
        .unwrap()
        .0
}

async fn approved_channel(s: &S) -> Channel {
    let ch = s.create_channel(channel()).await.unwrap();
    transition(s, &ch.id, Transition::RequestApproval).await;
    transition(s, &ch.id, Transition::Approve).await
}

async fn message_destination(s: &S) -> Destination {
    s.create_destination(destination(&["message.*"]))
        .await
        .unwrap()
}

/// Claims every due lane of `destination`.
async fn claim(s: &S, at: Timestamp, destination: &str) -> Vec<Lane> {
    s.claim_lanes(at, 100, at + ms(60_000), &LaneShare::unlimited())
        .await
        .unwrap()
        .into_iter()
        .filter(|l| l.destination_id == destination)
        .collect()
}

fn record(lane: &Lane, delivery: &str, result: AttemptResult, hold: bool) -> AttemptRecord {
    AttemptRecord {
        lane: lane.clone(),
        delivery_id: delivery.into(),
        result,
        status_code: Some(200),
        error: None,
        duration_ms: 3,
        hold_until: hold.then(|| now() + ms(60_000)),
        disable_destination: None,
    }
}

/// Delivers a lane's queue in order, returning the `n` of each event delivered.
async fn drain_lane(s: &S, lane: &Lane) -> Vec<u64> {
    let mut seen = Vec::new();
    while let Some(job) = s.lane_head(lane).await.unwrap() {
        let n = job.envelope["n"].as_u64().unwrap_or(999);
        // The id of the request that brought a webhook's event in travels with its delivery.
        if job.envelope["type"] == "message.received" {
            assert_eq!(job.request_id, Some(format!("req-{n}")));
        }
        seen.push(n);
        s.record_attempt(record(
            lane,
            &job.delivery_id,
            AttemptResult::Delivered,
            true,
        ))
        .await
        .unwrap();
    }
    s.settle_lane(lane).await.unwrap();
    seen
}

pub async fn append_stores_once_per_provider_id(s: S) {
    let ch = approved_channel(&s).await;
    let dst = message_destination(&s).await;
    let first = event("cnv_a", 1, Some("msg-1"));
    let again = event("cnv_a", 1, Some("msg-1"));
    let other = event("cnv_a", 2, Some("msg-2"));
    let out = s
        .append(&ch.id, vec![first.clone(), again, other])
        .await
        .unwrap();
    assert_eq!(
        out,
        vec![
            AppendOutcome::Stored,
            AppendOutcome::Duplicate,
            AppendOutcome::Stored
        ]
    );
    // The same event stored again (a retried write) is a duplicate too.
    assert_eq!(
        s.append(&ch.id, vec![first.clone()]).await.unwrap(),
        vec![AppendOutcome::Duplicate]
    );
    let stored = s.get_event(&first.id).await.unwrap().expect("stored");
    assert_eq!(stored.raw.as_deref(), Some(&b"raw 1"[..]));
    assert_eq!(stored.conversation_id.as_deref(), Some("cnv_a"));
    assert_eq!(stored.channel_id.as_deref(), Some(ch.id.as_str()));
    let deliveries = s
        .list_deliveries(DeliveryQuery {
            destination: Some(dst.id.clone()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(deliveries.len(), 2, "one delivery per stored event");
    assert!(deliveries
        .iter()
        .all(|d| d.status == DeliveryStatus::Pending));
    let conv = s
        .conversation(&"cnv_a".into())
        .await
        .unwrap()
        .expect("remembered");
    assert_eq!(conv.provider_ref, "ref-cnv_a");
    assert_eq!(conv.channel_id, ch.id);
    assert_eq!(s.queue_stats().await.unwrap().queued_deliveries, 2);
    // A revoked channel takes nothing.
    transition(&s, &ch.id, Transition::Revoke).await;
    assert!(matches!(
        s.append(&ch.id, vec![event("cnv_a", 3, None)]).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn held_events_are_released_in_order_on_approval(s: S) {
    let dst = message_destination(&s).await;
    let ch = s.create_channel(channel()).await.unwrap();
    let pending = transition(&s, &ch.id, Transition::RequestApproval).await;
    assert!(pending.webhook_key.is_some());
    let out = s
        .append(
            &ch.id,
            vec![event("cnv_h", 1, None), event("cnv_h", 2, None)],
        )
        .await
        .unwrap();
    assert_eq!(out, vec![AppendOutcome::Held, AppendOutcome::Held]);
    assert!(
        claim(&s, now(), &dst.id).await.is_empty(),
        "nothing queued while held"
    );
    let approved = transition(&s, &ch.id, Transition::Approve).await;
    assert_eq!(approved.webhook_key, pending.webhook_key, "the URL stays");
    assert_eq!(
        s.append(&ch.id, vec![event("cnv_h", 3, None)])
            .await
            .unwrap(),
        vec![AppendOutcome::Stored]
    );
    let lanes = claim(&s, now(), &dst.id).await;
    assert_eq!(lanes.len(), 1);
    assert_eq!(drain_lane(&s, &lanes[0]).await, vec![1, 2, 3]);
    let by_key = s
        .channel_by_webhook_key(approved.webhook_key.as_deref().unwrap())
        .await
        .unwrap()
        .expect("found by key");
    assert_eq!(by_key.id, ch.id);
    assert_eq!(
        by_key.credentials.expose_secret()["authorization"],
        "s3cret-token"
    );
}

pub async fn a_lane_delivers_in_event_order_and_is_leased_to_one_worker(s: S) {
    let ch = approved_channel(&s).await;
    let dst = message_destination(&s).await;
    let mut batch = Vec::new();
    for n in 1..=5 {
        batch.push(event("cnv_x", n, None));
        batch.push(event("cnv_y", 10 + n, None));
    }
    s.append(&ch.id, batch).await.unwrap();
    let lanes = claim(&s, now(), &dst.id).await;
    assert_eq!(lanes.len(), 2, "one lane per conversation");
    assert!(
        claim(&s, now(), &dst.id).await.is_empty(),
        "a leased lane is not handed out twice"
    );
    for lane in &lanes {
        let seen = drain_lane(&s, lane).await;
        let expected: Vec<u64> = if lane.lane == "cnv_x" {
            (1..=5).collect()
        } else {
            (11..=15).collect()
        };
        assert_eq!(seen, expected);
    }
    assert!(s.next_due().await.unwrap().is_none(), "every lane is empty");
    let delivered = s
        .list_deliveries(DeliveryQuery {
            status: Some(DeliveryStatus::Delivered),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(delivered.len(), 10);
    assert!(delivered
        .iter()
        .all(|d| d.delivered_at.is_some() && d.attempts == 1));
}

pub async fn a_claim_takes_each_destinations_lanes_within_its_share(s: S) {
    let ch = approved_channel(&s).await;
    let busy = message_destination(&s).await;
    let idle = message_destination(&s).await;
    let batch = (1..=4)
        .map(|n| event(&format!("cnv_{n}"), n, None))
        .collect();
    s.append(&ch.id, batch).await.unwrap();
    let share = LaneShare {
        per_destination: 3,
        busy: [(busy.id.clone(), 2)].into_iter().collect(),
    };
    let claimed = s
        .claim_lanes(now(), 100, now() + ms(60_000), &share)
        .await
        .unwrap();
    let of = |d: &str| claimed.iter().filter(|l| l.destination_id == d).count();
    assert_eq!(of(&busy.id), 1, "room for one more beside its two busy");
    assert_eq!(of(&idle.id), 3, "the share, not every due lane");
    let rest = s
        .claim_lanes(now(), 100, now() + ms(60_000), &LaneShare::unlimited())
        .await
        .unwrap();
    assert_eq!(rest.len(), 4, "the lanes passed over stayed due: {rest:?}");
    assert!(rest.iter().all(|l| !claimed.contains(l)));
}

/// However many lanes a destination without room has due (more than any fixed window a claim
/// could scan), another destination's due lane is claimed.
pub async fn a_destination_without_room_never_hides_anothers_lanes(s: S) {
    let crowded_channel = approved_channel(&s).await;
    let quiet_channel = approved_channel(&s).await;
    let only = |ch: &Channel| {
        let mut d = destination(&["message.*"]);
        d.channels = vec![ch.id.clone()];
        d
    };
    let crowded = s.create_destination(only(&crowded_channel)).await.unwrap();
    let quiet = s.create_destination(only(&quiet_channel)).await.unwrap();
    for chunk in 0..21 {
        let batch = (0..500)
            .map(|n| event(&format!("cnv_{chunk}_{n}"), n, None))
            .collect();
        s.append(&crowded_channel.id, batch).await.unwrap();
    }
    // The quiet lane is due after every crowded one.
    let last = now();
    while now() <= last + ms(1) {
        tokio::task::yield_now().await;
    }
    s.append(&quiet_channel.id, vec![event("cnv_quiet", 1, None)])
        .await
        .unwrap();
    let share = LaneShare {
        per_destination: 4,
        busy: [(crowded.id.clone(), 4)].into_iter().collect(),
    };
    let claimed = s
        .claim_lanes(now() + ms(1_000), 10, now() + ms(60_000), &share)
        .await
        .unwrap();
    assert_eq!(
        claimed,
        vec![Lane {
            destination_id: quiet.id.clone(),
            lane: claimed.first().map(|l| l.lane.clone()).unwrap_or_default(),
        }],
        "only the quiet destination's one lane: {claimed:?}"
    );
    let crowded_room = LaneShare {
        per_destination: 4,
        busy: Default::default(),
    };
    let next = s
        .claim_lanes(now() + ms(1_000), 10, now() + ms(60_000), &crowded_room)
        .await
        .unwrap();
    assert_eq!(next.len(), 4, "the crowded destination's share: {next:?}");
    assert!(next.iter().all(|l| l.destination_id == crowded.id));
}

pub async fn retries_wait_for_their_time(s: S) {
    let ch = approved_channel(&s).await;
    let dst = message_destination(&s).await;
    s.append(
        &ch.id,
        vec![event("cnv_r", 1, None), event("cnv_r", 2, None)],
    )
    .await
    .unwrap();
    let t0 = now();
    let lane = claim(&s, t0, &dst.id).await.remove(0);
    let job = s.lane_head(&lane).await.unwrap().unwrap();
    let at = t0 + ms(5_000);
    let mut rec = record(&lane, &job.delivery_id, AttemptResult::Retry { at }, false);
    rec.status_code = Some(503);
    rec.error = Some("http_503".into());
    assert_eq!(s.record_attempt(rec).await.unwrap(), Some(at));
    s.settle_lane(&lane).await.unwrap();
    let d = s.get_delivery(&job.delivery_id).await.unwrap().unwrap();
    assert_eq!(d.status, DeliveryStatus::Failed);
    assert_eq!(d.attempts, 1);
    assert_eq!(d.last_status_code, Some(503));
    assert_eq!(d.last_error.as_deref(), Some("http_503"));
    assert_eq!(s.next_due().await.unwrap(), Some(at));
    assert!(
        claim(&s, t0 + ms(1_000), &dst.id).await.is_empty(),
        "not due yet"
    );
    let lane = claim(&s, at + ms(1), &dst.id).await.remove(0);
    let head = s.lane_head(&lane).await.unwrap().unwrap();
    assert_eq!(
        head.delivery_id, job.delivery_id,
        "the failed head still goes first"
    );
    assert_eq!(head.attempts, 1);
    assert_eq!(drain_lane(&s, &lane).await, vec![1, 2]);
}

pub async fn dead_letters_are_retried_and_replayed(s: S) {
    let ch = approved_channel(&s).await;
    let dst = message_destination(&s).await;
    let since = now() - ms(5_000);
    s.append(&ch.id, vec![event("cnv_d", 1, None)])
        .await
        .unwrap();
    let lane = claim(&s, now(), &dst.id).await.remove(0);
    let job = s.lane_head(&lane).await.unwrap().unwrap();
    s.record_attempt(record(&lane, &job.delivery_id, AttemptResult::Dead, false))
        .await
        .unwrap();
    s.settle_lane(&lane).await.unwrap();
    let dead = s.get_delivery(&job.delivery_id).await.unwrap().unwrap();
    assert_eq!(dead.status, DeliveryStatus::Dead);
    assert_eq!(s.queue_stats().await.unwrap().dead_deliveries, 1);
    let retried = s.retry_delivery(&job.delivery_id).await.unwrap();
    assert_eq!(retried.status, DeliveryStatus::Pending);
    assert_eq!(retried.attempts, 0);
    assert!(matches!(
        s.retry_delivery(&job.delivery_id).await,
        Err(StoreError::DeliveryQueued)
    ));
    assert!(matches!(
        s.retry_delivery(&"dlv_missing".into()).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(s.queue_stats().await.unwrap().dead_deliveries, 0);
    let lane = claim(&s, now(), &dst.id).await.remove(0);
    assert_eq!(drain_lane(&s, &lane).await, vec![1]);
    // Replay: a new delivery for every stored event in the window that the filters take.
    let until = now() + ms(5_000);
    let n = s.replay(&dst.id, since, until).await.unwrap();
    assert_eq!(n, 1, "the message event, not the channel's state changes");
    let lane = claim(&s, now(), &dst.id).await.remove(0);
    assert_eq!(drain_lane(&s, &lane).await, vec![1]);
    assert!(matches!(
        s.replay(&"dst_missing".into(), since, until).await,
        Err(StoreError::NotFound)
    ));
    s.update_destination(
        &dst.id,
        DestinationPatch {
            enabled: Some(false),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(matches!(
        s.replay(&dst.id, since, until).await,
        Err(StoreError::DestinationDisabled)
    ));
}

pub async fn deleting_a_destination_kills_its_queue_and_links(s: S) {
    let ch = approved_channel(&s).await;
    let dst = message_destination(&s).await;
    s.append(&ch.id, vec![event("cnv_z", 1, None)])
        .await
        .unwrap();
    assert!(s
        .put_link(&dst.id, "contact", "k1", "42", false)
        .await
        .unwrap());
    let queued = s
        .list_deliveries(DeliveryQuery {
            destination: Some(dst.id.clone()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    s.delete_destination(&dst.id).await.unwrap();
    assert!(s.get_destination(&dst.id).await.unwrap().is_none());
    let d = s.get_delivery(&queued[0].id).await.unwrap().unwrap();
    assert_eq!(d.status, DeliveryStatus::Dead);
    assert_eq!(d.last_error.as_deref(), Some("destination_deleted"));
    assert!(s.link(&dst.id, "contact", "k1").await.unwrap().is_none());
    assert!(s
        .link_by_value(&dst.id, "contact", "42")
        .await
        .unwrap()
        .is_none());
    assert!(s.next_due().await.unwrap().is_none());
    assert!(matches!(
        s.delete_destination(&dst.id).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn helpdesk_links_keep_the_first_value_unless_replaced(s: S) {
    let dst = s.create_destination(destination(&["*"])).await.unwrap();
    assert!(s
        .put_link(&dst.id, "conversation", "cnv_1", "7", false)
        .await
        .unwrap());
    assert!(!s
        .put_link(&dst.id, "conversation", "cnv_1", "8", false)
        .await
        .unwrap());
    assert_eq!(
        s.link(&dst.id, "conversation", "cnv_1")
            .await
            .unwrap()
            .as_deref(),
        Some("7")
    );
    assert_eq!(
        s.link_by_value(&dst.id, "conversation", "7")
            .await
            .unwrap()
            .as_deref(),
        Some("cnv_1")
    );
    assert!(s
        .put_link(&dst.id, "conversation", "cnv_1", "9", true)
        .await
        .unwrap());
    assert_eq!(
        s.link(&dst.id, "conversation", "cnv_1")
            .await
            .unwrap()
            .as_deref(),
        Some("9")
    );
    assert!(s
        .link_by_value(&dst.id, "conversation", "7")
        .await
        .unwrap()
        .is_none());
    assert!(
        s.link(&dst.id, "contact", "cnv_1").await.unwrap().is_none(),
        "kinds are apart"
    );
}

pub async fn a_gone_destination_is_disabled_and_its_lanes_wait(s: S) {
    let ch = approved_channel(&s).await;
    let dst = message_destination(&s).await;
    s.append(
        &ch.id,
        vec![event("cnv_g", 1, None), event("cnv_g", 2, None)],
    )
    .await
    .unwrap();
    let lane = claim(&s, now(), &dst.id).await.remove(0);
    let job = s.lane_head(&lane).await.unwrap().unwrap();
    let mut rec = record(&lane, &job.delivery_id, AttemptResult::Dead, false);
    rec.status_code = Some(410);
    rec.disable_destination = Some("the destination answered 410 Gone".into());
    s.record_attempt(rec).await.unwrap();
    s.settle_lane(&lane).await.unwrap();
    let d = s.get_destination(&dst.id).await.unwrap().unwrap();
    assert!(!d.enabled);
    assert_eq!(
        d.disabled_reason.as_deref(),
        Some("the destination answered 410 Gone")
    );
    assert!(
        claim(&s, now(), &dst.id).await.is_empty(),
        "a disabled destination's lanes wait"
    );
    assert!(s.next_due().await.unwrap().is_none());
    let d = s
        .update_destination(
            &dst.id,
            DestinationPatch {
                enabled: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(d.enabled && d.disabled_reason.is_none());
    let lane = claim(&s, now(), &dst.id).await.remove(0);
    assert_eq!(drain_lane(&s, &lane).await, vec![2]);
}

/// Events arriving while a destination is disabled are not queued for it; the destination
/// remembers since when it is disabled (an operator's disable or a 410), and the replay from
/// then can be counted before it is made.
pub async fn a_disabled_destination_knows_since_when_and_what_it_missed(s: S) {
    let ch = approved_channel(&s).await;
    let dst = message_destination(&s).await;
    assert_eq!(dst.disabled_at, None);
    let patch = |enabled| DestinationPatch {
        enabled: Some(enabled),
        ..Default::default()
    };
    let disabled = s.update_destination(&dst.id, patch(false)).await.unwrap();
    let since = disabled.disabled_at.expect("the moment it was disabled");
    // Disabling again, or changing it meanwhile, keeps the first moment.
    let again = s.update_destination(&dst.id, patch(false)).await.unwrap();
    assert_eq!(again.disabled_at, Some(since));
    let renamed = s
        .update_destination(
            &dst.id,
            DestinationPatch {
                url: Some("https://elsewhere.example.com/in".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.disabled_at, Some(since));

    s.append(
        &ch.id,
        vec![event("cnv_m", 1, None), event("cnv_m", 2, None)],
    )
    .await
    .unwrap();
    let enabled = s.update_destination(&dst.id, patch(true)).await.unwrap();
    assert_eq!(enabled.disabled_at, None);
    assert!(
        claim(&s, now(), &dst.id).await.is_empty(),
        "nothing was queued while it was disabled"
    );
    let until = now() + ms(1_000);
    let missed = s.count_replay(&dst.id, since, until).await.unwrap();
    assert_eq!(missed, 2);
    assert!(
        claim(&s, now(), &dst.id).await.is_empty(),
        "counting queues nothing"
    );
    assert_eq!(s.replay(&dst.id, since, until).await.unwrap(), 2);
    let lane = claim(&s, now(), &dst.id).await.remove(0);
    assert_eq!(drain_lane(&s, &lane).await, vec![1, 2]);

    // A 410 records the moment too.
    s.append(&ch.id, vec![event("cnv_n", 3, None)])
        .await
        .unwrap();
    let lane = claim(&s, now(), &dst.id).await.remove(0);
    let job = s.lane_head(&lane).await.unwrap().unwrap();
    let mut rec = record(&lane, &job.delivery_id, AttemptResult::Dead, false);
    rec.disable_destination = Some("the destination answered 410 Gone".into());
    s.record_attempt(rec).await.unwrap();
    s.settle_lane(&lane).await.unwrap();
    let gone = s.get_destination(&dst.id).await.unwrap().unwrap();
    let gone_since = gone.disabled_at.expect("a 410 records when");
    assert!(gone_since >= since);
}

fn reply(conversation: &str, channel: &str, text: &str, key: Option<&str>) -> RelayedMessage {
    RelayedMessage {
        id: omnigate::ids::message_id(),
        conversation_id: conversation.into(),
        channel_id: channel.into(),
        idempotency_key: key.map(str::to_string),
        content: json!({"type": "text", "text": text}),
        status: MessageStatus::Queued,
        attempts: 0,
        steps: Vec::new(),
        error: None,
        echo_event_id: None,
        next_attempt_at: None,
        created_at: Timestamp::default(),
        updated_at: Timestamp::default(),
        finished_at: None,
        request_id: Some(format!("req-{text}")),
        origin: Default::default(),
    }
}

pub async fn a_reply_keeps_its_origin_and_old_replies_read_theirs_from_the_key(s: S) {
    let ch = approved_channel(&s).await;
    let helpdesk = ReplyOrigin::Helpdesk {
        destination_id: "dst_7".into(),
    };
    let mut from_helpdesk = reply("cnv_h", &ch.id, "one", Some("k-h"));
    from_helpdesk.origin = helpdesk.clone();
    let (queued, _) = s.queue_message(from_helpdesk).await.unwrap();
    assert_eq!(queued.origin, helpdesk);
    let (from_api, _) = s
        .queue_message(reply("cnv_h", &ch.id, "two", None))
        .await
        .unwrap();
    assert_eq!(from_api.origin, ReplyOrigin::Api);
    // Queued before origins were stored: only the key says which destination it came from.
    let (old, _) = s
        .queue_message(reply("cnv_h", &ch.id, "three", Some("chatwoot:dst_3:91:0")))
        .await
        .unwrap();
    let read = s.get_message(&old.id).await.unwrap().unwrap();
    assert_eq!(
        read.origin,
        ReplyOrigin::Helpdesk {
            destination_id: "dst_3".into()
        }
    );
    let read = s.get_message(&queued.id).await.unwrap().unwrap();
    assert_eq!(read.origin, helpdesk);
}

pub async fn replies_go_out_one_at_a_time_per_conversation(s: S) {
    let ch = approved_channel(&s).await;
    let dst = message_destination(&s).await;
    let (first, fresh) = s
        .queue_message(reply("cnv_m", &ch.id, "one", Some("k-1")))
        .await
        .unwrap();
    assert!(fresh);
    let (same, fresh) = s
        .queue_message(reply("cnv_m", &ch.id, "one", Some("k-1")))
        .await
        .unwrap();
    assert!(!fresh, "the idempotency key returns the first reply");
    assert_eq!(same.id, first.id);
    let (second, _) = s
        .queue_message(reply("cnv_m", &ch.id, "two", None))
        .await
        .unwrap();
    let (other, _) = s
        .queue_message(reply("cnv_o", &ch.id, "three", None))
        .await
        .unwrap();
    assert_eq!(s.queue_stats().await.unwrap().queued_replies, 3);
    let claimed = s.claim_messages(now() + ms(1), 10).await.unwrap();
    let mut ids: Vec<&str> = claimed.iter().map(|m| m.id.as_str()).collect();
    ids.sort();
    let mut expected = vec![first.id.as_str(), other.id.as_str()];
    expected.sort();
    assert_eq!(
        ids, expected,
        "only the oldest open reply of each conversation"
    );
    assert!(s
        .claim_messages(now() + ms(1), 10)
        .await
        .unwrap()
        .is_empty());
    s.record_message(
        &first.id,
        MessageProgress::Retry {
            at: now() + ms(60_000),
            code: "timeout".into(),
            message: "no answer".into(),
        },
    )
    .await
    .unwrap();
    let m = s.get_message(&first.id).await.unwrap().unwrap();
    assert_eq!((m.status, m.attempts), (MessageStatus::Queued, 1));
    assert_eq!(m.error.as_ref().unwrap()["code"], "timeout");
    assert!(
        s.claim_messages(now() + ms(1), 10)
            .await
            .unwrap()
            .is_empty(),
        "the second waits behind the first's retry"
    );
    let due = s
        .next_message_due()
        .await
        .unwrap()
        .expect("replies are queued");
    assert_eq!(first.request_id.as_deref(), Some("req-one"));
    assert!(
        due <= now(),
        "the second reply is due, waiting for its turn"
    );
    let claimed = s.claim_messages(now() + ms(61_000), 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].id, first.id);
    let outcome = NewEvent {
        id: omnigate::ids::event_id(),
        event_type: "message.delivered".into(),
        conversation_id: Some("cnv_m".into()),
        conversation_ref: None,
        dedup_key: None,
        envelope: json!({"type": "message.delivered", "n": 100}),
        raw: None,
        request_id: None,
    };
    s.record_message(&first.id, MessageProgress::Delivered { event: outcome })
        .await
        .unwrap();
    let m = s.get_message(&first.id).await.unwrap().unwrap();
    assert_eq!(m.status, MessageStatus::Delivered);
    assert!(m.finished_at.is_some() && m.error.is_none());
    let claimed = s.claim_messages(now() + ms(61_000), 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].id, second.id);
    // The outcome event is forwarded in the conversation's lane.
    let lane = claim(&s, now(), &dst.id).await.remove(0);
    assert_eq!(lane.lane, "cnv_m");
    assert_eq!(drain_lane(&s, &lane).await, vec![100]);
}

pub async fn channels_follow_their_state_machine(s: S) {
    let ch = s.create_channel(channel()).await.unwrap();
    assert_eq!(ch.state, ChannelState::Unverified);
    assert!(matches!(
        s.transition_channel(
            &ch.id,
            Transition::Approve,
            "op",
            None,
            omnigate::ids::event_id()
        )
        .await,
        Err(StoreError::InvalidTransition { .. })
    ));
    let approved = approved_channel(&s).await;
    assert!(matches!(
        s.delete_channel(&approved.id).await,
        Err(StoreError::ChannelApproved)
    ));
    let (revoked, from) = s
        .transition_channel(
            &approved.id,
            Transition::Revoke,
            "op",
            Some("abuse".into()),
            omnigate::ids::event_id(),
        )
        .await
        .unwrap();
    assert_eq!(from, Some(ChannelState::Approved));
    assert_eq!(revoked.state_reason.as_deref(), Some("abuse"));
    let history = s.channel_history(&approved.id).await.unwrap();
    let states: Vec<ChannelState> = history.iter().map(|h| h.state).collect();
    assert_eq!(
        states,
        vec![
            ChannelState::Pending,
            ChannelState::Approved,
            ChannelState::Revoked
        ]
    );
    assert_eq!(history[2].reason.as_deref(), Some("abuse"));
    let updated = s
        .update_channel(
            &ch.id,
            omnigate::store::ChannelPatch {
                name: Some("Renamed".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.name, "Renamed");
    assert_eq!(
        updated.credentials.expose_secret()["authorization"],
        "s3cret-token"
    );
    let listed: Vec<ChannelId> = s
        .list_channels()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(listed, vec![ch.id.clone(), approved.id.clone()]);
    s.delete_channel(&approved.id).await.unwrap();
    assert!(s.get_channel(&approved.id).await.unwrap().is_none());
    assert!(s
        .channel_by_webhook_key(approved.webhook_key.as_deref().unwrap())
        .await
        .unwrap()
        .is_none());
    // State changes are events of the channel's own lane.
    let changes = s
        .list_events(EventQuery {
            channel: Some(ch.id.clone()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(changes.is_empty(), "an unverified channel changed no state");
}

pub async fn tokens_are_kept_hashed_and_listed(s: S) {
    assert!(!s.has_tokens("admin").await.unwrap());
    s.put_token("hash-a", "admin", "bootstrap").await.unwrap();
    s.put_token("hash-a", "admin", "again").await.unwrap();
    s.create_token(&"tok_1".into(), "hash-b", "helpdesk", "Acme")
        .await
        .unwrap();
    assert!(s.has_tokens("admin").await.unwrap());
    assert_eq!(
        s.token_role("hash-b").await.unwrap().as_deref(),
        Some("helpdesk")
    );
    assert!(s.token_role("hash-c").await.unwrap().is_none());
    let listed = s.list_tokens().await.unwrap();
    assert_eq!(
        listed.len(),
        2,
        "putting the same hash twice keeps one token"
    );
    assert!(listed.iter().any(|t| t.id == "tok_1" && t.label == "Acme"));
    s.delete_token(&"tok_1".into()).await.unwrap();
    assert!(s.token_role("hash-b").await.unwrap().is_none());
    assert!(matches!(
        s.delete_token(&"tok_1".into()).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn events_are_listed_by_filter_and_page(s: S) {
    let ch = approved_channel(&s).await;
    let mut batch = Vec::new();
    for n in 1..=7 {
        batch.push(event(
            if n % 2 == 0 { "cnv_even" } else { "cnv_odd" },
            n,
            None,
        ));
    }
    s.append(&ch.id, batch).await.unwrap();
    let odd = s
        .list_events(EventQuery {
            conversation: Some("cnv_odd".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    let ns: Vec<u64> = odd
        .iter()
        .map(|e| e.envelope["n"].as_u64().unwrap())
        .collect();
    assert_eq!(ns, vec![1, 3, 5, 7]);
    let page = s
        .list_events(EventQuery {
            channel: Some(ch.id.clone()),
            event_type: Some("message.received".into()),
            limit: 3,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.len(), 3);
    let next = s
        .list_events(EventQuery {
            channel: Some(ch.id.clone()),
            event_type: Some("message.received".into()),
            after_seq: Some(page[2].seq),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    let ns: Vec<u64> = next
        .iter()
        .map(|e| e.envelope["n"].as_u64().unwrap())
        .collect();
    assert_eq!(ns, vec![4, 5, 6, 7]);
    let changes = s
        .list_events(EventQuery {
            channel: Some(ch.id.clone()),
            event_type: Some("channel.state_changed".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(changes.len(), 2, "pending, then approved");
}
