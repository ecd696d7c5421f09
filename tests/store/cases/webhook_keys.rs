//! Webhook keys: retired with the channel's approval, rotated with a grace period; events held
//! before a rejection never go out.

use omnigate::domain::channel::Transition;
use omnigate::domain::ids::ChannelId;
use omnigate::store::{AppendOutcome, StoreError};

use super::{channel, claim, drain_lane, event, message_destination, ms, now, transition, S};

async fn found(s: &S, key: &str) -> Option<ChannelId> {
    s.channel_by_webhook_key(key).await.unwrap().map(|c| c.id)
}

pub async fn rejection_and_revocation_retire_the_webhook_key(s: S) {
    let ch = s.create_channel(channel()).await.unwrap();
    let first = transition(&s, &ch.id, Transition::RequestApproval).await;
    let k1 = first.webhook_key.clone().expect("a key with the request");
    let rejected = transition(&s, &ch.id, Transition::Reject).await;
    assert_eq!(rejected.webhook_key, None);
    assert_eq!(
        found(&s, &k1).await,
        None,
        "a rejected channel's key is retired"
    );

    let again = transition(&s, &ch.id, Transition::RequestApproval).await;
    let k2 = again.webhook_key.clone().expect("a new key");
    assert_ne!(k2, k1, "asking again brings a new key, not the old one");
    assert_eq!(found(&s, &k2).await, Some(ch.id.clone()));
    assert_eq!(found(&s, &k1).await, None);

    transition(&s, &ch.id, Transition::Approve).await;
    let revoked = transition(&s, &ch.id, Transition::Revoke).await;
    assert_eq!(revoked.webhook_key, None);
    assert_eq!(
        found(&s, &k2).await,
        None,
        "a revoked channel's key is retired"
    );
    let third = transition(&s, &ch.id, Transition::RequestApproval).await;
    let k3 = third.webhook_key.expect("a new key");
    assert!(k3 != k1 && k3 != k2);
}

pub async fn a_rotated_key_works_for_its_grace_period_only(s: S) {
    let ch = s.create_channel(channel()).await.unwrap();
    assert!(
        matches!(
            s.rotate_webhook_key(&ch.id, "never-issued".into(), now() + ms(60_000))
                .await,
            Err(StoreError::InvalidTransition { .. })
        ),
        "an unverified channel has no key to rotate"
    );
    assert!(matches!(
        s.rotate_webhook_key(
            &"chn_missing".into(),
            "never-issued".into(),
            now() + ms(60_000)
        )
        .await,
        Err(StoreError::NotFound)
    ));
    let k1 = transition(&s, &ch.id, Transition::RequestApproval)
        .await
        .webhook_key
        .unwrap();
    transition(&s, &ch.id, Transition::Approve).await;

    let k2 = omnigate::ids::webhook_key();
    let rotated = s
        .rotate_webhook_key(&ch.id, k2.clone(), now() + ms(60_000))
        .await
        .unwrap();
    assert_eq!(rotated.webhook_key.as_deref(), Some(k2.as_str()));
    assert_eq!(found(&s, &k2).await, Some(ch.id.clone()));
    assert_eq!(
        found(&s, &k1).await,
        Some(ch.id.clone()),
        "in its grace period"
    );

    // A second rotation retires the key still in its grace, and one without grace the current.
    let k3 = omnigate::ids::webhook_key();
    s.rotate_webhook_key(&ch.id, k3.clone(), now() - ms(1))
        .await
        .unwrap();
    assert_eq!(found(&s, &k1).await, None);
    assert_eq!(found(&s, &k2).await, None, "no grace: refused at once");
    assert_eq!(found(&s, &k3).await, Some(ch.id.clone()));

    // A grace period ends by itself.
    let k4 = omnigate::ids::webhook_key();
    s.rotate_webhook_key(&ch.id, k4.clone(), now() + ms(300))
        .await
        .unwrap();
    assert_eq!(found(&s, &k3).await, Some(ch.id.clone()));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while found(&s, &k3).await.is_some() {
        assert!(
            std::time::Instant::now() < deadline,
            "the grace period never ended"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(found(&s, &k4).await, Some(ch.id.clone()));

    // Revocation retires both keys.
    let k5 = omnigate::ids::webhook_key();
    s.rotate_webhook_key(&ch.id, k5.clone(), now() + ms(60_000))
        .await
        .unwrap();
    transition(&s, &ch.id, Transition::Revoke).await;
    assert_eq!(found(&s, &k4).await, None);
    assert_eq!(found(&s, &k5).await, None);
}

pub async fn events_held_before_a_rejection_are_never_forwarded(s: S) {
    let dst = message_destination(&s).await;
    let ch = s.create_channel(channel()).await.unwrap();
    transition(&s, &ch.id, Transition::RequestApproval).await;
    let since = now() - ms(5_000);
    let out = s
        .append(
            &ch.id,
            vec![event("cnv_x", 1, None), event("cnv_x", 2, None)],
        )
        .await
        .unwrap();
    assert_eq!(out, vec![AppendOutcome::Held, AppendOutcome::Held]);
    transition(&s, &ch.id, Transition::Reject).await;
    transition(&s, &ch.id, Transition::RequestApproval).await;
    assert_eq!(
        s.append(&ch.id, vec![event("cnv_x", 3, None)])
            .await
            .unwrap(),
        vec![AppendOutcome::Held]
    );
    transition(&s, &ch.id, Transition::Approve).await;
    let lanes = claim(&s, now(), &dst.id).await;
    assert_eq!(lanes.len(), 1);
    assert_eq!(
        drain_lane(&s, &lanes[0]).await,
        vec![3],
        "only what was held since the last request"
    );
    // Nor does a replay send them.
    let until = now() + ms(5_000);
    assert_eq!(s.replay(&dst.id, since, until).await.unwrap(), 1);
    let lanes = claim(&s, now(), &dst.id).await;
    assert_eq!(drain_lane(&s, &lanes[0]).await, vec![3]);
}
