//! The embedded schema, versioned with SQLite's `user_version`. Migrations run at start, in
//! order, each in its own transaction, so an existing data directory upgrades in place.
//! Never edit a released migration: append a new one.

use rusqlite::Connection;

const MIGRATIONS: &[&str] = &[
    // 1: channels, destinations, events, deliveries and the lane queue.
    r#"
    CREATE TABLE api_tokens (
        hash TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        label TEXT NOT NULL,
        created_ms INTEGER NOT NULL
    );
    CREATE TABLE channels (
        id TEXT PRIMARY KEY,
        provider TEXT NOT NULL,
        name TEXT NOT NULL,
        credentials BLOB NOT NULL,
        settings TEXT NOT NULL,
        state TEXT NOT NULL,
        state_reason TEXT,
        webhook_key TEXT UNIQUE,
        channel_key TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL
    );
    CREATE TABLE channel_transitions (
        id INTEGER PRIMARY KEY,
        channel_id TEXT NOT NULL,
        from_state TEXT NOT NULL,
        to_state TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        actor TEXT NOT NULL,
        reason TEXT
    );
    CREATE INDEX channel_transitions_channel ON channel_transitions(channel_id, id);
    CREATE TABLE destinations (
        id TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        secret BLOB NOT NULL,
        event_types TEXT NOT NULL,
        channels TEXT NOT NULL,
        include_raw INTEGER NOT NULL,
        enabled INTEGER NOT NULL,
        disabled_reason TEXT,
        created_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL
    );
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        channel_id TEXT,
        conversation_id TEXT,
        type TEXT NOT NULL,
        dedup_key TEXT,
        held INTEGER NOT NULL DEFAULT 0,
        received_ms INTEGER NOT NULL,
        envelope TEXT NOT NULL,
        raw BLOB
    );
    CREATE UNIQUE INDEX events_dedup ON events(channel_id, dedup_key) WHERE dedup_key IS NOT NULL;
    CREATE INDEX events_channel ON events(channel_id, seq);
    CREATE INDEX events_conversation ON events(conversation_id, seq);
    CREATE INDEX events_type ON events(type, seq);
    CREATE INDEX events_held ON events(channel_id, seq) WHERE held = 1;
    CREATE INDEX events_received ON events(received_ms);
    CREATE TABLE deliveries (
        id TEXT PRIMARY KEY,
        event_seq INTEGER NOT NULL,
        event_id TEXT NOT NULL,
        event_type TEXT NOT NULL,
        destination_id TEXT NOT NULL,
        conversation_id TEXT,
        lane TEXT NOT NULL,
        status TEXT NOT NULL,
        queued INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_ms INTEGER,
        last_status_code INTEGER,
        last_error TEXT,
        created_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL,
        delivered_ms INTEGER
    );
    CREATE INDEX deliveries_lane ON deliveries(destination_id, lane, event_seq) WHERE queued = 1;
    CREATE INDEX deliveries_status ON deliveries(status, id);
    CREATE INDEX deliveries_destination ON deliveries(destination_id, id);
    CREATE TABLE delivery_attempts (
        id INTEGER PRIMARY KEY,
        delivery_id TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        status_code INTEGER,
        error TEXT,
        duration_ms INTEGER NOT NULL
    );
    CREATE INDEX delivery_attempts_delivery ON delivery_attempts(delivery_id);
    CREATE TABLE lanes (
        destination_id TEXT NOT NULL,
        lane TEXT NOT NULL,
        next_attempt_ms INTEGER NOT NULL,
        PRIMARY KEY (destination_id, lane)
    ) WITHOUT ROWID;
    CREATE INDEX lanes_due ON lanes(next_attempt_ms);
    "#,
    // 2: conversations (for the relay), relayed messages, token ids.
    r#"
    CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        channel_id TEXT NOT NULL,
        provider_ref TEXT NOT NULL,
        created_ms INTEGER NOT NULL
    );
    INSERT OR IGNORE INTO conversations (id, channel_id, provider_ref, created_ms)
        SELECT conversation_id, channel_id,
               json_extract(envelope, '$.data.conversation.provider_ref'), MIN(received_ms)
        FROM events
        WHERE conversation_id IS NOT NULL AND channel_id IS NOT NULL
          AND json_extract(envelope, '$.data.conversation.provider_ref') IS NOT NULL
        GROUP BY conversation_id;
    CREATE TABLE messages (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        conversation_id TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        idempotency_key TEXT,
        content TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        steps TEXT NOT NULL DEFAULT '[]',
        next_attempt_ms INTEGER NOT NULL,
        error_code TEXT,
        error_message TEXT,
        echo_event_id TEXT,
        created_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL,
        finished_ms INTEGER
    );
    CREATE UNIQUE INDEX messages_idempotency ON messages(conversation_id, idempotency_key)
        WHERE idempotency_key IS NOT NULL;
    CREATE INDEX messages_open ON messages(conversation_id, seq) WHERE status IN ('queued', 'sending');
    CREATE INDEX messages_due ON messages(next_attempt_ms) WHERE status = 'queued';
    CREATE INDEX messages_conversation ON messages(conversation_id, seq);
    ALTER TABLE api_tokens ADD COLUMN id TEXT;
    UPDATE api_tokens SET id = 'tok_' || lower(hex(randomblob(16))) WHERE id IS NULL;
    CREATE UNIQUE INDEX api_tokens_id ON api_tokens(id);
    "#,
    // 3: destination kinds (a sealed JSON of the kind's settings) and helpdesk links.
    r#"
    ALTER TABLE destinations ADD COLUMN kind TEXT NOT NULL DEFAULT 'webhook';
    ALTER TABLE destinations ADD COLUMN kind_settings BLOB;
    CREATE TABLE helpdesk_links (
        destination_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        PRIMARY KEY (destination_id, kind, key)
    ) WITHOUT ROWID;
    CREATE INDEX helpdesk_links_value ON helpdesk_links(destination_id, kind, value);
    "#,
    // 4: the id of the request that brought an event or a reply in, sent on with it.
    r#"
    ALTER TABLE events ADD COLUMN request_id TEXT;
    ALTER TABLE messages ADD COLUMN request_id TEXT;
    "#,
    // 5: events are found by conversation, channel and type through the separate event index
    // (`index.rs`), built off the ingest path; these indexes cost every stored event a write.
    r#"
    DROP INDEX events_conversation;
    DROP INDEX events_channel;
    DROP INDEX events_type;
    "#,
    // 6: a reply's origin, the helpdesk destination that queued it (NULL: the API). Replies
    // queued before it fall back to their idempotency key (`domain::reply::ReplyOrigin::stored`).
    r#"
    ALTER TABLE messages ADD COLUMN origin_destination TEXT;
    "#,
    // 7: a rotated webhook key keeps working until `previous_key_until_ms`; events held while
    // a channel was pending and then rejected are set apart (`held = 2`), never forwarded.
    r#"
    ALTER TABLE channels ADD COLUMN previous_webhook_key TEXT;
    ALTER TABLE channels ADD COLUMN previous_key_until_ms INTEGER;
    CREATE UNIQUE INDEX channels_previous_webhook_key ON channels(previous_webhook_key);
    "#,
    // 8: when a destination was disabled, so enabling it can offer the replay from then.
    r#"
    ALTER TABLE destinations ADD COLUMN disabled_ms INTEGER;
    "#,
    // 9: a claim reads each destination's due lanes on their own, so the lanes of destinations
    // without room never hide another's.
    r#"
    CREATE INDEX lanes_destination_due ON lanes(destination_id, next_attempt_ms);
    "#,
    // 10: agents and teams (routing). A record is its JSON; what is looked up has a column.
    r#"
    CREATE TABLE agents (
        id TEXT PRIMARY KEY,
        external_id TEXT UNIQUE,
        record TEXT NOT NULL,
        created_ms INTEGER NOT NULL
    );
    CREATE TABLE teams (
        id TEXT PRIMARY KEY,
        record TEXT NOT NULL,
        created_ms INTEGER NOT NULL
    );
    CREATE TABLE team_members (
        team_id TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        PRIMARY KEY (team_id, agent_id)
    ) WITHOUT ROWID;
    CREATE INDEX team_members_agent ON team_members(agent_id);
    "#,
];

/// The schema version this build writes.
pub const CURRENT: i64 = MIGRATIONS.len() as i64;

/// Brings the database up to [`CURRENT`]; refuses a database written by a newer build.
pub fn run(conn: &mut Connection) -> anyhow::Result<i64> {
    run_up_to(conn, CURRENT)
}

/// Applies the migrations up to `target` (tests use it to build an older database).
pub fn run_up_to(conn: &mut Connection, target: i64) -> anyhow::Result<i64> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > CURRENT {
        anyhow::bail!(
            "the data directory has schema version {version}, newer than this build's {CURRENT}; \
             run a newer omnigate"
        );
    }
    let wanted = target.clamp(0, CURRENT) as usize;
    let mut applied = Vec::new();
    for (i, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .take(wanted)
        .skip(version as usize)
    {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
        applied.push(i + 1);
    }
    // One line for a whole upgrade: a first start applies every migration at once.
    if let (Some(first), Some(last)) = (applied.first(), applied.last()) {
        tracing::info!(from = first - 1, to = last, "applied schema migrations");
    }
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_once_and_refuse_newer_databases() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(run(&mut conn).unwrap(), CURRENT);
        assert_eq!(run(&mut conn).unwrap(), CURRENT, "running twice is a no-op");
        conn.pragma_update(None, "user_version", CURRENT + 1)
            .unwrap();
        assert!(run(&mut conn).is_err());
    }
}
