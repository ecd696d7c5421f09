//! The Redis key schema, in one place. Every key is `<prefix>:<family>[:<part>…]`, so one
//! Redis can hold several installations (and test runs) side by side. The Rust side builds
//! keys only through [`Keys`]; the Lua scripts receive the prefix as `ARGV[1]` and build the
//! same keys with `k(family, part…)` from `lua/common.lua` (`patch.lua` gets the family as
//! `ARGV[2]`, from [`CHANNEL`] or [`DESTINATION`]).
//!
//! | key | type | meaning | scripts |
//! |---|---|---|---|
//! | `ch:<channel>` | hash | a channel | append, transition, delete_channel, patch, rotate_key |
//! | `channels` | zset | channel ids by listing order | delete_channel |
//! | `chkey:<webhook key>` | string (a rotated-out key: PX its grace) | the channel a webhook key belongs to | transition, delete_channel, rotate_key |
//! | `chhist:<channel>` | list | a channel's state changes (JSON) | transition |
//! | `tok:<hash>` | hash | an API token (role, label, id) | — |
//! | `tokid:<token id>` | string | the hash of a token id | — |
//! | `tokens` | zset | token ids by listing order | — |
//! | `listing-order` | string | the counter behind every listing order | — |
//! | `dst:<destination>` | hash | a destination | common (fan-out), claim_lanes, next_due, record_attempt, replay, delete_destination, patch |
//! | `dsts` | zset | destination ids by listing order | common (fan-out), delete_destination |
//! | `seq` | string | the event sequence counter | common (insert_event) |
//! | `ev:<event>` | hash | an event | append, common, transition, replay |
//! | `events` | zset | event ids by sequence | common |
//! | `events:ch:<channel>` | zset | a channel's event ids by sequence | common |
//! | `events:cv:<conversation>` | zset | a conversation's event ids by sequence | common |
//! | `events:rcv` | zset | event ids by reception time (ms) | common, replay |
//! | `held:<channel>` | zset | a pending channel's held event ids by sequence | common, transition |
//! | `dedup:<channel>:<provider id>` | string (PX ttl) | a provider id seen in the de-duplication window | common |
//! | `cv:<conversation>` | hash | a conversation's channel and provider reference | append |
//! | `dlseq` | string | the delivery id counter | common (new_delivery_id) |
//! | `dl:<delivery>` | hash | a delivery | common, record_attempt, retry_delivery, delete_destination |
//! | `dls` | zset | every delivery id | common |
//! | `dls:dst:<destination>` | zset | a destination's delivery ids | common |
//! | `dls:queued` | set | queued delivery ids | common, record_attempt, retry_delivery, delete_destination |
//! | `dls:dead` | set | dead delivery ids | record_attempt, retry_delivery, delete_destination |
//! | `lq:<destination>\|<lane>` | zset | a lane's queued delivery ids by event sequence | common, record_attempt, retry_delivery, delete_destination |
//! | `dlanes:<destination>` | set | a destination's lanes (`<destination>\|<lane>`) | common, retry_delivery, delete_destination |
//! | `ldue:<destination>` | zset | a destination's lanes by due time (ms; a leased lane's: when its lease ends) | common, claim_lanes, next_due, retry_delivery, delete_destination, split_lanes |
//! | `lanes` | zset | every lane by due time, as earlier versions kept them; moved into `ldue:*` at start | split_lanes |
//! | `lease` | hash | lane → fencing token of its holder | common, claim_lanes, record_attempt, retry_delivery, settle_lane, delete_destination |
//! | `fence` | string | the fencing token counter | claim_lanes |
//! | `msgseq` | string | the relayed message counter | queue_message |
//! | `msg:<message>` | hash | a relayed message | queue_message, claim_messages, record_message, append (echo) |
//! | `msgs:cv:<conversation>` | zset | a conversation's message ids | queue_message |
//! | `msgidem:<conversation>:<idempotency key>` | string | the message an idempotency key made | queue_message |
//! | `msgopen:<conversation>` | zset | a conversation's unsettled messages in order | queue_message, claim_messages, record_message |
//! | `msgdue` | zset | queued message ids by due time (ms) | queue_message, claim_messages, record_message |
//! | `msgsending` | zset | message ids being sent, by lease end (ms) | claim_messages, record_message |
//! | `link:<destination>:<kind>` | hash | helpdesk link key → value | put_link, delete_destination |
//! | `linkv:<destination>:<kind>` | hash | helpdesk link value → key | put_link, delete_destination |
//! | `linkkinds:<destination>` | set | the link kinds a destination has | put_link, delete_destination |
//! | `agt:<agent>` | hash | an agent: `record` (JSON), `version`, `ext` | put_agent, delete_agent, put_team |
//! | `agents` | zset | agent ids by listing order | put_agent, delete_agent |
//! | `agtext:<external id>` | string | the agent an external id belongs to | put_agent, delete_agent |
//! | `agttm:<agent>` | set | the teams an agent is in | put_team, delete_team, delete_agent |
//! | `tm:<team>` | hash | a team: `record` (JSON), `version` | put_team, delete_team |
//! | `teams` | zset | team ids by listing order | put_team, delete_team |
//! | `tmm:<team>` | list | a team's members in order | put_team, delete_team, delete_agent |

/// The family of channel hashes, as `patch.lua` takes it.
pub const CHANNEL: &str = "ch";
/// The family of destination hashes, as `patch.lua` takes it.
pub const DESTINATION: &str = "dst";

/// Builds the keys of one installation (one prefix).
pub struct Keys {
    prefix: String,
}

impl Keys {
    pub fn new(prefix: &str) -> Keys {
        Keys {
            prefix: prefix.trim_end_matches(':').to_string(),
        }
    }

    /// The prefix every script receives as `ARGV[1]`.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn join(&self, parts: &[&str]) -> String {
        let mut k = self.prefix.clone();
        for p in parts {
            k.push(':');
            k.push_str(p);
        }
        k
    }

    pub fn channel(&self, id: &str) -> String {
        self.join(&[CHANNEL, id])
    }

    pub fn channels(&self) -> String {
        self.join(&["channels"])
    }

    pub fn channel_by_webhook_key(&self, webhook_key: &str) -> String {
        self.join(&["chkey", webhook_key])
    }

    pub fn channel_history(&self, id: &str) -> String {
        self.join(&["chhist", id])
    }

    pub fn token(&self, hash: &str) -> String {
        self.join(&["tok", hash])
    }

    pub fn token_id(&self, id: &str) -> String {
        self.join(&["tokid", id])
    }

    pub fn tokens(&self) -> String {
        self.join(&["tokens"])
    }

    pub fn listing_order(&self) -> String {
        self.join(&["listing-order"])
    }

    pub fn destination(&self, id: &str) -> String {
        self.join(&[DESTINATION, id])
    }

    pub fn destinations(&self) -> String {
        self.join(&["dsts"])
    }

    pub fn event(&self, id: &str) -> String {
        self.join(&["ev", id])
    }

    pub fn events(&self) -> String {
        self.join(&["events"])
    }

    pub fn channel_events(&self, channel_id: &str) -> String {
        self.join(&["events", "ch", channel_id])
    }

    pub fn conversation_events(&self, conversation_id: &str) -> String {
        self.join(&["events", "cv", conversation_id])
    }

    pub fn conversation(&self, id: &str) -> String {
        self.join(&["cv", id])
    }

    pub fn delivery(&self, id: &str) -> String {
        self.join(&["dl", id])
    }

    pub fn deliveries(&self) -> String {
        self.join(&["dls"])
    }

    pub fn destination_deliveries(&self, destination_id: &str) -> String {
        self.join(&["dls", "dst", destination_id])
    }

    pub fn queued_deliveries(&self) -> String {
        self.join(&["dls", "queued"])
    }

    pub fn dead_deliveries(&self) -> String {
        self.join(&["dls", "dead"])
    }

    /// The queue of one lane, named by [`lane_member`].
    pub fn lane_queue(&self, lane_member: &str) -> String {
        self.join(&["lq", lane_member])
    }

    /// A destination's lanes by due time; a leased lane's score is when its lease ends.
    pub fn lanes_due(&self, destination_id: &str) -> String {
        self.join(&["ldue", destination_id])
    }

    /// Lane → the fencing token of the claim that holds it.
    pub fn leases(&self) -> String {
        self.join(&["lease"])
    }

    pub fn message(&self, id: &str) -> String {
        self.join(&["msg", id])
    }

    pub fn conversation_messages(&self, conversation_id: &str) -> String {
        self.join(&["msgs", "cv", conversation_id])
    }

    pub fn messages_due(&self) -> String {
        self.join(&["msgdue"])
    }

    pub fn messages_sending(&self) -> String {
        self.join(&["msgsending"])
    }

    pub fn link(&self, destination_id: &str, kind: &str) -> String {
        self.join(&["link", destination_id, kind])
    }

    pub fn agent(&self, id: &str) -> String {
        self.join(&["agt", id])
    }

    pub fn agents(&self) -> String {
        self.join(&["agents"])
    }

    pub fn agent_by_external_id(&self, external_id: &str) -> String {
        self.join(&["agtext", external_id])
    }

    pub fn agent_teams(&self, id: &str) -> String {
        self.join(&["agttm", id])
    }

    pub fn team(&self, id: &str) -> String {
        self.join(&["tm", id])
    }

    pub fn teams(&self) -> String {
        self.join(&["teams"])
    }

    pub fn team_members(&self, id: &str) -> String {
        self.join(&["tmm", id])
    }

    pub fn link_by_value(&self, destination_id: &str, kind: &str) -> String {
        self.join(&["linkv", destination_id, kind])
    }
}

/// How a lane is named inside the `ldue:*`, `lease` and `dlanes:*` keys (and in `lq:*`):
/// `<destination>|<lane>`, as `common.lua` builds it.
pub fn lane_member(destination_id: &str, lane: &str) -> String {
    format!("{destination_id}|{lane}")
}

/// The destination and lane of a [`lane_member`].
pub fn parse_lane_member(member: &str) -> Option<(&str, &str)> {
    member.split_once('|')
}
