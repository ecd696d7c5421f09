//! The Lua scripts that make multi-key changes atomic. Each is the shared prelude
//! (`lua/common.lua`) followed by its own body; `redis::Script` loads it once per server and
//! falls back to sending the source after a Redis restart (NOSCRIPT).

use redis::Script;

const COMMON: &str = include_str!("lua/common.lua");

fn script(body: &str) -> Script {
    Script::new(&format!("{COMMON}\n{body}"))
}

pub struct Scripts {
    pub append: Script,
    pub transition: Script,
    pub claim_lanes: Script,
    pub record_attempt: Script,
    pub settle_lane: Script,
    pub next_due: Script,
    pub split_lanes: Script,
    pub retry_delivery: Script,
    pub replay: Script,
    pub delete_destination: Script,
    pub put_link: Script,
    pub patch: Script,
    pub delete_channel: Script,
    pub rotate_key: Script,
    pub queue_message: Script,
    pub claim_messages: Script,
    pub record_message: Script,
    pub complete_enrichment: Script,
    pub put_agent: Script,
    pub delete_agent: Script,
    pub put_team: Script,
    pub delete_team: Script,
}

impl Scripts {
    pub fn new() -> Scripts {
        Scripts {
            append: script(include_str!("lua/append.lua")),
            transition: script(include_str!("lua/transition.lua")),
            claim_lanes: script(include_str!("lua/claim_lanes.lua")),
            record_attempt: script(include_str!("lua/record_attempt.lua")),
            settle_lane: script(include_str!("lua/settle_lane.lua")),
            next_due: script(include_str!("lua/next_due.lua")),
            split_lanes: script(include_str!("lua/split_lanes.lua")),
            retry_delivery: script(include_str!("lua/retry_delivery.lua")),
            replay: script(include_str!("lua/replay.lua")),
            delete_destination: script(include_str!("lua/delete_destination.lua")),
            put_link: script(include_str!("lua/put_link.lua")),
            patch: script(include_str!("lua/patch.lua")),
            delete_channel: script(include_str!("lua/delete_channel.lua")),
            rotate_key: script(include_str!("lua/rotate_key.lua")),
            queue_message: script(include_str!("lua/queue_message.lua")),
            claim_messages: script(include_str!("lua/claim_messages.lua")),
            record_message: script(include_str!("lua/record_message.lua")),
            complete_enrichment: script(include_str!("lua/complete_enrichment.lua")),
            put_agent: script(include_str!("lua/put_agent.lua")),
            delete_agent: script(include_str!("lua/delete_agent.lua")),
            put_team: script(include_str!("lua/put_team.lua")),
            delete_team: script(include_str!("lua/delete_team.lua")),
        }
    }
}
