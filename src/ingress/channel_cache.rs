//! Webhook-key lookups for the ingress, cached briefly. Every webhook needs its channel, and
//! reading and decrypting it per request costs more than the rest of the lookup; channel
//! changes through this gateway clear the cache at once, and entries expire after a few
//! seconds for changes made elsewhere. A stale entry can never store events for a channel that
//! stopped taking webhooks: the store re-checks the state inside the write.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::domain::channel::Channel;
use crate::store::{Store, StoreResult};

const TTL: Duration = Duration::from_secs(2);

#[derive(Default)]
pub struct ChannelCache {
    entries: Mutex<HashMap<String, (Instant, Arc<Channel>)>>,
}

impl ChannelCache {
    pub async fn by_webhook_key(
        &self,
        store: &dyn Store,
        key: &str,
    ) -> StoreResult<Option<Arc<Channel>>> {
        if let Ok(entries) = self.entries.lock() {
            if let Some((at, channel)) = entries.get(key) {
                if at.elapsed() < TTL {
                    return Ok(Some(channel.clone()));
                }
            }
        }
        let Some(channel) = store.channel_by_webhook_key(key).await? else {
            return Ok(None);
        };
        let channel = Arc::new(channel);
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|_, (at, _)| at.elapsed() < TTL);
            entries.insert(key.to_string(), (Instant::now(), channel.clone()));
        }
        Ok(Some(channel))
    }

    /// Forgets everything: called after any channel change.
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}
