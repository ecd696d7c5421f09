//! Thin events: stored awaiting enrichment, queued for every destination of the channel
//! whatever its type filter (the type is not known yet), and filled in once.

use omnigate::domain::envelope::PENDING_ENRICHMENT;
use omnigate::store::{DeliveryQuery, EventQuery, StoreError};
use serde_json::json;

use super::*;

fn pending(conversation: &str, n: u32) -> NewEvent {
    let mut e = event(conversation, n, None);
    e.event_type = PENDING_ENRICHMENT.into();
    e.envelope = json!({"type": "provider.unrecognized", "n": n});
    e
}

async fn types_queued_for(s: &S, destination: &str) -> Vec<String> {
    let mut all = s
        .list_deliveries(DeliveryQuery {
            destination: Some(destination.into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    all.sort_by(|a, b| a.id.cmp(&b.id));
    all.into_iter().map(|d| d.event_type).collect()
}

pub async fn a_pending_event_goes_to_every_filter_in_its_place_and_is_filled_in_once(s: S) {
    let ch = approved_channel(&s).await;
    let messages = message_destination(&s).await;
    let conversations = s
        .create_destination(destination(&["conversation.*"]))
        .await
        .unwrap();
    let thin = pending("cnv_e", 1);
    let out = s
        .append(&ch.id, vec![thin.clone(), event("cnv_e", 2, None)])
        .await
        .unwrap();
    assert_eq!(out, vec![AppendOutcome::Stored, AppendOutcome::Stored]);
    assert_eq!(
        types_queued_for(&s, &messages.id).await,
        [PENDING_ENRICHMENT, "message.received"]
    );
    assert_eq!(
        types_queued_for(&s, &conversations.id).await,
        [PENDING_ENRICHMENT],
        "queued while its type is unknown"
    );

    let filled = json!({"type": "message.received", "n": 1, "text": "hi"});
    assert!(s
        .complete_enrichment(&thin.id, "message.received", filled.clone())
        .await
        .unwrap());
    let again = json!({"type": "message.echo", "n": 1});
    assert!(
        !s.complete_enrichment(&thin.id, "message.echo", again)
            .await
            .unwrap(),
        "the first filling-in counts"
    );
    assert!(matches!(
        s.complete_enrichment(&"evt_nope".into(), "message.received", json!({}))
            .await,
        Err(StoreError::NotFound)
    ));

    let stored = s.get_event(&thin.id).await.unwrap().unwrap();
    assert_eq!(stored.event_type, "message.received");
    assert_eq!(stored.envelope, filled);
    assert_eq!(
        types_queued_for(&s, &messages.id).await,
        ["message.received", "message.received"]
    );
    assert_eq!(
        types_queued_for(&s, &conversations.id).await,
        ["message.received"]
    );
    let listed = s
        .list_events(EventQuery {
            conversation: Some("cnv_e".into()),
            event_type: Some("message.received".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(listed.len(), 2);
    // The lane hands out the filled-in event first, in its place.
    let lanes = claim(&s, now(), &messages.id).await;
    assert_eq!(lanes.len(), 1);
    let head = s.lane_head(&lanes[0]).await.unwrap().unwrap();
    assert_eq!(head.envelope, filled);
}

pub async fn a_held_pending_event_is_released_to_every_filter(s: S) {
    let conversations = s
        .create_destination(destination(&["conversation.*"]))
        .await
        .unwrap();
    let ch = s.create_channel(channel()).await.unwrap();
    transition(&s, &ch.id, Transition::RequestApproval).await;
    let out = s.append(&ch.id, vec![pending("cnv_p", 1)]).await.unwrap();
    assert_eq!(out, vec![AppendOutcome::Held]);
    transition(&s, &ch.id, Transition::Approve).await;
    assert_eq!(
        types_queued_for(&s, &conversations.id)
            .await
            .into_iter()
            .filter(|t| t != "channel.state_changed")
            .collect::<Vec<_>>(),
        [PENDING_ENRICHMENT]
    );
}
