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
    let (store, dir) = redis_with(&redis_settings()).await;
    Harness { store, _dir: dir }
}
