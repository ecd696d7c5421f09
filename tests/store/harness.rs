//! Opens each engine on fresh storage.

use std::sync::Arc;

use omnigate::config::{RedisSettings, Synchronous};
use omnigate::crypto::Cipher;
use omnigate::store::embedded::EmbeddedStore;
use omnigate::store::redis::RedisStore;
use omnigate::store::Store;
use tempfile::TempDir;

pub struct Harness {
    pub store: Arc<dyn Store>,
    pub _dir: TempDir,
    /// The Redis key prefix to remove afterwards.
    pub prefix: Option<String>,
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(prefix) = &self.prefix {
            forget_prefix(prefix);
        }
    }
}

/// Deletes a test's keys from the shared Redis.
pub fn forget_prefix(prefix: &str) {
    let Ok(client) = redis::Client::open(redis_url()) else {
        return;
    };
    let Ok(mut conn) = client.get_connection() else {
        return;
    };
    let keys: Vec<String> = match redis::cmd("KEYS")
        .arg(format!("{prefix}:*"))
        .query(&mut conn)
    {
        Ok(keys) => keys,
        Err(_) => return,
    };
    for chunk in keys.chunks(500) {
        let _: Result<(), _> = redis::cmd("DEL").arg(chunk).query(&mut conn);
    }
}

pub fn cipher() -> Cipher {
    Cipher::new(&[7u8; 32])
}

pub async fn embedded() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path(), Synchronous::Normal, cipher()).unwrap();
    Harness {
        store: Arc::new(store),
        _dir: dir,
        prefix: None,
    }
}

pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// Settings for a fresh key prefix on the Redis at `REDIS_URL`.
pub fn redis_settings() -> RedisSettings {
    RedisSettings {
        url: redis_url(),
        key_prefix: format!("ogtest:{}", uuid::Uuid::new_v4().simple()),
        ..RedisSettings::default()
    }
}

pub async fn redis_with(settings: &RedisSettings) -> (Arc<RedisStore>, TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = RedisStore::open(settings, dir.path(), cipher())
        .await
        .expect("Redis answers at REDIS_URL");
    (store, dir)
}

pub async fn redis() -> Harness {
    let settings = redis_settings();
    let (store, dir) = redis_with(&settings).await;
    Harness {
        store,
        _dir: dir,
        prefix: Some(settings.key_prefix),
    }
}
