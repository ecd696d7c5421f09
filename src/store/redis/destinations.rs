//! Destinations: hashes with the signing secret and a kind's settings sealed with the master
//! key, filters as JSON arrays (the fan-out script reads them).

use crate::domain::ids::DestinationId;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use redis::AsyncCommands;

use crate::domain::destination::{Destination, DestinationKind};
use crate::store::{DestinationPatch, StoreError, StoreResult};

use super::{required, required_int, text, Fields, RedisStore};
use crate::domain::secret::{ExposeSecret, SecretString};
use crate::domain::time::Timestamp;
use crate::store::Destinations;
use async_trait::async_trait;

fn open(st: &RedisStore, f: &Fields, field: &str) -> Option<Vec<u8>> {
    let sealed = B64.decode(text(f, field)?).ok()?;
    st.cipher.open(&sealed).ok()
}

fn json<T: serde::Serialize>(v: &T) -> StoreResult<String> {
    Ok(serde_json::to_string(v).map_err(|e| anyhow::anyhow!(e))?)
}

fn json_list<T: serde::de::DeserializeOwned>(s: Option<String>) -> Vec<T> {
    s.and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default()
}

fn from_fields(st: &RedisStore, f: &Fields) -> StoreResult<Destination> {
    let id: DestinationId = required(f, "destination", "id")?.into();
    let secret = open(st, f, "secret")
        .and_then(|s| String::from_utf8(s).ok())
        .ok_or_else(|| {
            anyhow::anyhow!("destination {id}: signing secret unreadable (wrong master key?)")
        })?;
    let name = text(f, "kind").unwrap_or_else(|| "webhook".into());
    let settings = match text(f, "kind_settings") {
        Some(_) => Some(open(st, f, "kind_settings").ok_or_else(|| {
            anyhow::anyhow!("destination {id}: {name} settings unreadable (wrong master key?)")
        })?),
        None => None,
    };
    let kind = DestinationKind::from_stored(&name, settings.as_deref())
        .map_err(|e| anyhow::anyhow!("destination {id}: {name} settings unreadable: {e}"))?;
    Ok(Destination {
        url: required(f, "destination", "url")?,
        secret: SecretString::from(secret),
        event_types: json_list(text(f, "event_types")),
        channels: json_list(text(f, "channels")),
        include_raw: text(f, "include_raw").as_deref() == Some("1"),
        enabled: text(f, "enabled").as_deref() == Some("1"),
        disabled_reason: text(f, "disabled_reason"),
        disabled_at: text(f, "disabled_ms")
            .and_then(|ms| ms.parse().ok())
            .map(Timestamp::from_millis),
        created_at: Timestamp::from_millis(required_int(f, "destination", "created_ms")?),
        updated_at: Timestamp::from_millis(required_int(f, "destination", "updated_ms")?),
        kind,
        id,
    })
}

pub async fn get(st: &RedisStore, id: &str) -> StoreResult<Option<Destination>> {
    match st.hgetall(st.keys.destination(id)).await? {
        Some(f) => from_fields(st, &f).map(Some),
        None => Ok(None),
    }
}

pub async fn list(st: &RedisStore) -> StoreResult<Vec<Destination>> {
    let ids: Vec<String> = st.ok(st.conn().zrange(st.keys.destinations(), 0, -1).await)?;
    let keys = ids.iter().map(|id| st.keys.destination(id)).collect();
    st.hgetall_many(keys)
        .await?
        .iter()
        .map(|f| from_fields(st, f))
        .collect()
}

pub async fn page(
    st: &RedisStore,
    after: Option<&str>,
    limit: usize,
) -> StoreResult<Vec<Destination>> {
    let ids = super::channels::page_ids(st, st.keys.destinations(), after, limit).await?;
    let keys = ids.iter().map(|id| st.keys.destination(id)).collect();
    st.hgetall_many(keys)
        .await?
        .iter()
        .map(|f| from_fields(st, f))
        .collect()
}

/// The kind's name and its settings, sealed: they hold credentials.
fn kind_fields(st: &RedisStore, d: &Destination) -> StoreResult<Vec<(&'static str, String)>> {
    let (name, plain) = d.kind.to_stored().map_err(|e| anyhow::anyhow!(e))?;
    let mut fields = vec![("kind", name.to_string())];
    if let Some(plain) = plain {
        fields.push(("kind_settings", B64.encode(st.cipher.seal(&plain)?)));
    }
    Ok(fields)
}

/// Every field of a destination as written (times aside).
fn fields_of(st: &RedisStore, d: &Destination) -> StoreResult<Vec<(&'static str, String)>> {
    let mut fields = vec![
        ("id", d.id.to_string()),
        ("url", d.url.clone()),
        (
            "secret",
            B64.encode(st.cipher.seal(d.secret.expose_secret().as_bytes())?),
        ),
        ("event_types", json(&d.event_types)?),
        ("channels", json(&d.channels)?),
        ("include_raw", if d.include_raw { "1" } else { "0" }.into()),
        ("enabled", if d.enabled { "1" } else { "0" }.into()),
    ];
    fields.extend(kind_fields(st, d)?);
    Ok(fields)
}

pub async fn insert(st: &RedisStore, d: &Destination) -> StoreResult<()> {
    let now = Timestamp::now().millis();
    let mut fields = fields_of(st, d)?;
    fields.push(("created_ms", now.to_string()));
    fields.push(("updated_ms", now.to_string()));
    let order = st.next_listing_order().await?;
    let r: Result<(), _> = redis::pipe()
        .atomic()
        .hset_multiple(st.keys.destination(&d.id), &fields)
        .ignore()
        .zadd(st.keys.destinations(), &d.id, order)
        .ignore()
        .query_async(&mut st.conn())
        .await;
    st.ok(r)
}

/// Writes only the fields the patch names: a concurrent change of another field (the
/// forwarder disabling a destination that answered 410) is kept.
pub async fn update(
    st: &RedisStore,
    id: &str,
    patch: DestinationPatch,
) -> StoreResult<Destination> {
    let mut d = get(st, id).await?.ok_or(StoreError::NotFound)?;
    let was_enabled = d.enabled;
    let named = patch.clone();
    // Enabling wakes the forwarder even when the copy read was enabled: the forwarder may
    // have disabled it since.
    let wake = patch.apply(&mut d) || named.enabled == Some(true);
    let flag = |on: bool| if on { "1" } else { "0" }.to_string();
    let now = Timestamp::now().millis();
    let mut set = vec![("updated_ms", now.to_string())];
    let mut remove = Vec::new();
    if named.url.is_some() {
        set.push(("url", d.url.clone()));
    }
    if named.event_types.is_some() {
        set.push(("event_types", json(&d.event_types)?));
    }
    if named.channels.is_some() {
        set.push(("channels", json(&d.channels)?));
    }
    if named.include_raw.is_some() {
        set.push(("include_raw", flag(d.include_raw)));
    }
    if named.enabled.is_some() {
        set.push(("enabled", flag(d.enabled)));
        match &d.disabled_reason {
            Some(reason) => set.push(("disabled_reason", reason.clone())),
            None => remove.push("disabled_reason"),
        }
        // Disabled now: from now on; still disabled: since when it was; enabled: never.
        if d.enabled {
            remove.push("disabled_ms");
        } else if was_enabled {
            set.push(("disabled_ms", now.to_string()));
        }
    }
    if named.kind.is_some() {
        set.extend(kind_fields(st, &d)?);
    }
    st.patch(super::keys::DESTINATION, id, &set, &remove)
        .await?;
    if wake {
        st.notify.notify_one();
    }
    get(st, id).await?.ok_or(StoreError::NotFound)
}

#[async_trait]
impl Destinations for RedisStore {
    async fn create_destination(&self, destination: Destination) -> StoreResult<Destination> {
        insert(self, &destination).await?;
        get(self, &destination.id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn get_destination(&self, id: &DestinationId) -> StoreResult<Option<Destination>> {
        get(self, id).await
    }

    async fn list_destinations(&self) -> StoreResult<Vec<Destination>> {
        list(self).await
    }

    async fn list_destinations_page(
        &self,
        after: Option<DestinationId>,
        limit: usize,
    ) -> StoreResult<Vec<Destination>> {
        page(self, after.as_deref(), limit).await
    }

    async fn update_destination(
        &self,
        id: &DestinationId,
        patch: DestinationPatch,
    ) -> StoreResult<Destination> {
        update(self, id, patch).await
    }

    async fn delete_destination(&self, id: &DestinationId) -> StoreResult<()> {
        let r = self
            .scripts
            .delete_destination
            .arg(self.keys.prefix())
            .arg(id)
            .arg(Timestamp::now().millis())
            .invoke_async::<()>(&mut self.conn())
            .await;
        self.ok(r)
    }
}
