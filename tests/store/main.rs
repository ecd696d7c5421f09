//! The store conformance suite: every case runs unchanged against the embedded engine and the
//! redis engine (the Redis at `REDIS_URL`, each test under its own key prefix).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cases;
mod harness;
#[path = "../api/process.rs"]
mod process;

/// Runs a case against both engines.
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod on_embedded {
            $(
                #[tokio::test]
                async fn $name() {
                    let h = crate::harness::embedded().await;
                    crate::cases::$name(h.store.clone()).await;
                }
            )*
        }
        mod on_redis {
            $(
                #[tokio::test]
                async fn $name() {
                    let h = crate::harness::redis().await;
                    crate::cases::$name(h.store.clone()).await;
                }
            )*
        }
    };
}

conformance!(
    a_follower_starts_after_the_newest_event_and_sees_only_later_ones,
    append_stores_once_per_provider_id,
    held_events_are_released_in_order_on_approval,
    a_lane_delivers_in_event_order_and_is_leased_to_one_worker,
    a_claim_takes_each_destinations_lanes_within_its_share,
    a_destination_without_room_never_hides_anothers_lanes,
    retries_wait_for_their_time,
    dead_letters_are_retried_and_replayed,
    deleting_a_destination_kills_its_queue_and_links,
    helpdesk_links_keep_the_first_value_unless_replaced,
    a_gone_destination_is_disabled_and_its_lanes_wait,
    a_disabled_destination_knows_since_when_and_what_it_missed,
    replies_go_out_one_at_a_time_per_conversation,
    a_reply_keeps_its_origin_and_old_replies_read_theirs_from_the_key,
    channels_follow_their_state_machine,
    tokens_are_kept_hashed_and_listed,
    events_are_listed_by_filter_and_page,
    patching_a_destination_keeps_a_concurrent_gone_disable,
    a_channel_approved_meanwhile_is_not_deleted,
    channel_patches_neither_revive_nor_undo,
    rejection_and_revocation_retire_the_webhook_key,
    a_rotated_key_works_for_its_grace_period_only,
    events_held_before_a_rejection_are_never_forwarded,
    chatwoot_destinations_stored_without_a_callback_secret_get_one,
    a_pending_event_goes_to_every_filter_in_its_place_and_is_filled_in_once,
    a_held_pending_event_is_released_to_every_filter,
    channels_and_destinations_are_listed_in_pages,
    agents_keep_external_ids_unique_and_are_listed_in_creation_order,
    teams_list_only_agents_and_lose_a_deleted_one,
    concurrent_agent_changes_are_all_kept_and_one_external_id_wins,
);

mod redis_only;
mod replicas;
