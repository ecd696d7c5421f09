//! Identifiers and unguessable keys. Ids are prefixed (`chn_`, `dst_`, `evt_`, `dlv_`, `cnv_`)
//! so a pasted id says what it is; event and delivery ids are time-ordered (UUIDv7). Each kind
//! has its type in `crate::domain::ids`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::domain::ids::*;

fn time_ordered(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::now_v7().simple())
}

pub fn channel_id() -> ChannelId {
    ChannelId::from(format!("chn_{}", uuid::Uuid::new_v4().simple()))
}

pub fn destination_id() -> DestinationId {
    DestinationId::from(format!("dst_{}", uuid::Uuid::new_v4().simple()))
}

pub fn agent_id() -> String {
    format!("agt_{}", uuid::Uuid::new_v4().simple())
}

pub fn team_id() -> String {
    format!("tm_{}", uuid::Uuid::new_v4().simple())
}

pub fn token_id() -> TokenId {
    TokenId::from(format!("tok_{}", uuid::Uuid::new_v4().simple()))
}

pub fn message_id() -> MessageId {
    time_ordered("msg").into()
}

pub fn event_id() -> EventId {
    time_ordered("evt").into()
}

pub fn delivery_id() -> DeliveryId {
    time_ordered("dlv").into()
}

/// A conversation id is a pure function of (channel, provider conversation key), so every
/// replica and every restart derives the same one without coordination.
pub fn conversation_id(channel_id: &ChannelId, provider_ref: &str) -> ConversationId {
    let mut h = Sha256::new();
    h.update(channel_id.as_bytes());
    h.update([0u8]);
    h.update(provider_ref.as_bytes());
    let digest = h.finalize();
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("cnv_{hex}").into()
}

/// `n` random bytes from the OS generator, base64url without padding.
pub fn random_token(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The secret part of a webhook URL: 256 bits.
pub fn webhook_key() -> String {
    random_token(32)
}

/// A stable, non-secret per-channel key (Naver's brand key).
pub fn channel_key() -> String {
    format!("brk_{}", random_token(12))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversation_ids_are_stable_per_channel_and_key() {
        assert_eq!(
            conversation_id(&"chn_a".into(), "u1"),
            conversation_id(&"chn_a".into(), "u1")
        );
        assert_ne!(
            conversation_id(&"chn_a".into(), "u1"),
            conversation_id(&"chn_b".into(), "u1")
        );
        assert_ne!(
            conversation_id(&"chn_a".into(), "u1"),
            conversation_id(&"chn_a".into(), "u2")
        );
        assert!(conversation_id(&"chn_a".into(), "u1").starts_with("cnv_"));
    }

    #[test]
    fn webhook_keys_are_long_and_distinct() {
        let (a, b) = (webhook_key(), webhook_key());
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
    }
}
