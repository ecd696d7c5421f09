//! Read-then-write operations racing the writers they could undo. Each case runs the
//! operations concurrently, many times over, and checks that no interleaving loses a change:
//! an engine must make each operation atomic, not merely correct when run alone.

use futures_util::future::join_all;
use omnigate::domain::channel::{ChannelState, Transition};
use omnigate::store::{AttemptResult, ChannelPatch, DestinationPatch, StoreError};
use serde_json::json;

use super::{approved_channel, channel, claim, event, message_destination, now, record, S};

const ROUNDS: usize = 25;

/// Lets the other side of a race run first for `n` scheduler turns.
async fn yields(n: usize) {
    for _ in 0..n {
        tokio::task::yield_now().await;
    }
}

/// A `PATCH {url}` never re-enables a destination that answered 410 Gone meanwhile.
pub async fn patching_a_destination_keeps_a_concurrent_gone_disable(s: S) {
    let ch = approved_channel(&s).await;
    for round in 0..ROUNDS {
        let dst = message_destination(&s).await;
        s.append(&ch.id, vec![event(&format!("cnv_r{round}"), 1, None)])
            .await
            .unwrap();
        let lane = claim(&s, now(), &dst.id).await.remove(0);
        let job = s.lane_head(&lane).await.unwrap().unwrap();
        let mut gone = record(&lane, &job.delivery_id, AttemptResult::Dead, false);
        gone.status_code = Some(410);
        gone.disable_destination = Some("the destination answered 410 Gone".into());
        let patches = (0..8).map(|i| {
            let s = s.clone();
            let id = dst.id.clone();
            async move {
                s.update_destination(
                    &id,
                    DestinationPatch {
                        url: Some(format!("http://127.0.0.1:9/hook/{i}")),
                        ..Default::default()
                    },
                )
                .await
                .map(|_| ())
            }
        });
        let disable = {
            let s = s.clone();
            async move { s.record_attempt(gone).await.map(|_| ()) }
        };
        let (patched, disabled) = tokio::join!(join_all(patches), disable);
        disabled.unwrap();
        assert!(patched.iter().all(Result::is_ok), "{patched:?}");
        let d = s.get_destination(&dst.id).await.unwrap().unwrap();
        assert!(
            !d.enabled,
            "round {round}: a URL change re-enabled a gone destination"
        );
        assert_eq!(
            d.disabled_reason.as_deref(),
            Some("the destination answered 410 Gone")
        );
        assert!(d.url.starts_with("http://127.0.0.1:9/hook/"));
    }
}

/// Deleting and approving a pending channel at once: exactly one of them wins, and an approved
/// channel is never deleted.
pub async fn a_channel_approved_meanwhile_is_not_deleted(s: S) {
    for round in 0..ROUNDS {
        let ch = s.create_channel(channel()).await.unwrap();
        s.transition_channel(
            &ch.id,
            Transition::RequestApproval,
            "op",
            None,
            omnigate::ids::event_id(),
        )
        .await
        .unwrap();
        // The rounds vary which side is polled first and how many scheduler turns each waits,
        // so they cover both orders and the interleavings between.
        let delete = async {
            yields(round % 3).await;
            s.delete_channel(&ch.id).await
        };
        let approve = async {
            yields((round / 3) % 3).await;
            s.transition_channel(
                &ch.id,
                Transition::Approve,
                "op",
                None,
                omnigate::ids::event_id(),
            )
            .await
        };
        let (deleted, approved) = if round % 2 == 0 {
            tokio::join!(delete, approve)
        } else {
            let (approved, deleted) = tokio::join!(approve, delete);
            (deleted, approved)
        };
        let now = s.get_channel(&ch.id).await.unwrap();
        match (deleted, approved) {
            (Ok(()), Err(StoreError::NotFound)) => assert!(now.is_none(), "round {round}"),
            (Err(StoreError::ChannelApproved), Ok((approved, Some(ChannelState::Pending)))) => {
                assert_eq!(approved.state, ChannelState::Approved);
                assert_eq!(now.map(|c| c.state), Some(ChannelState::Approved));
            }
            (deleted, approved) => {
                panic!(
                    "round {round}: delete {deleted:?} and approve {approved:?} both took effect"
                )
            }
        }
    }
}

/// Patching a channel while it is deleted never brings it back, and two patches of different
/// fields both stay.
pub async fn channel_patches_neither_revive_nor_undo(s: S) {
    for round in 0..ROUNDS {
        let ch = s.create_channel(channel()).await.unwrap();
        let rename = ChannelPatch {
            name: Some(format!("Shop {round}")),
            ..Default::default()
        };
        let (renamed, deleted) = tokio::join!(
            s.update_channel(&ch.id, rename.clone()),
            s.delete_channel(&ch.id)
        );
        deleted.unwrap();
        assert!(
            matches!(renamed, Ok(_) | Err(StoreError::NotFound)),
            "round {round}: {renamed:?}"
        );
        assert!(
            s.get_channel(&ch.id).await.unwrap().is_none(),
            "round {round}: a patch revived a deleted channel"
        );
        assert!(s
            .list_channels()
            .await
            .unwrap()
            .iter()
            .all(|c| c.id != ch.id));

        let ch = s.create_channel(channel()).await.unwrap();
        let settings = ChannelPatch {
            settings: Some(json!({"partner": round}).as_object().unwrap().clone()),
            ..Default::default()
        };
        let (a, b, c) = tokio::join!(
            s.update_channel(&ch.id, rename),
            s.update_channel(&ch.id, settings),
            s.transition_channel(
                &ch.id,
                Transition::RequestApproval,
                "op",
                None,
                omnigate::ids::event_id()
            )
        );
        a.unwrap();
        b.unwrap();
        c.unwrap();
        let now = s.get_channel(&ch.id).await.unwrap().unwrap();
        assert_eq!(now.name, format!("Shop {round}"), "round {round}");
        assert_eq!(now.settings["partner"], json!(round), "round {round}");
        assert_eq!(now.state, ChannelState::Pending, "round {round}");
        assert!(now.webhook_key.is_some());
        s.delete_channel(&ch.id).await.unwrap();
    }
}
