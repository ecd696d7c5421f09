//! Builds the application: store, admin token, HTTP server and forwarder, bound to its own
//! listener so tests can ask for port 0 and read the port back.

use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};
use anyhow::Context;
use tokio::sync::watch;

use crate::config::{Settings, StoreKind};
use crate::connectors::Registry;
use crate::crypto::{token_hash, Cipher};
use crate::domain::secret::ExposeSecret;
use crate::files::write_private_file;
use crate::forwarder::Forwarder;
use crate::http::{self, AdminTokens, AppState};
use crate::relay::Relay;
use crate::store::embedded::backup::Copied;
use crate::store::embedded::EmbeddedStore;
use crate::store::redis::RedisStore;
use crate::store::Store;

pub struct Application {
    port: u16,
    server: Server,
    store: Arc<dyn Store>,
    forwarder: Forwarder,
    relay: Relay,
    settings: Arc<Settings>,
}

/// Opens the configured store engine.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Arc<dyn Store>> {
    match settings.store.kind {
        StoreKind::Embedded => open_embedded(settings),
        StoreKind::Redis => {
            // Replicas share the Redis, so they must share the key (checked by the settings).
            let cipher = Cipher::load_or_create(
                settings.secrets.master_key.expose_secret(),
                &settings.store.path,
            )?;
            crate::files::create_private_dir(&settings.store.path)?;
            crate::files::private_database_files(&settings.store.path, &["redis-spool.db"])?;
            let store = RedisStore::open(&settings.redis, &settings.store.path, cipher)
                .await
                .context("opening the redis store (Redis must answer at start)")?;
            Ok(store)
        }
    }
}

fn open_embedded(settings: &Settings) -> anyhow::Result<Arc<dyn Store>> {
    let dir = &settings.store.path;
    crate::files::create_private_dir(dir)
        .with_context(|| format!("creating the data directory {}", dir.display()))?;
    if let Some(mode) = crate::files::permissive_dir(dir) {
        tracing::warn!(
            dir = %dir.display(),
            mode = format!("{mode:o}"),
            "the data directory is readable by other users; chmod 700 it"
        );
    }
    let cipher = Cipher::load_or_create(settings.secrets.master_key.expose_secret(), dir)?;
    crate::files::private_database_files(dir, &["omnigate.db", "omnigate-index.db"])?;
    let store = EmbeddedStore::open(dir, settings.store.synchronous, cipher)
        .with_context(|| format!("opening the embedded store in {}", dir.display()))?;
    Ok(Arc::new(store))
}

/// Lists the configured admin token in the store (so `/v1/tokens` shows it and it can be
/// retired), unless it was retired; forgets a previously configured one. Without one, on
/// first start generates a token, prints it once, keeps its hash in the store and the token
/// itself in a 0600 file in the data directory.
async fn bootstrap_admin(settings: &Settings, store: &dyn Store) -> anyhow::Result<AdminTokens> {
    let configured = settings.admin.token.expose_secret().trim();
    let hash = (!configured.is_empty()).then(|| token_hash(configured));
    if let Some(weak) = crate::config::weak_admin_token(configured) {
        anyhow::bail!("admin.token (OMNIGATE__ADMIN__TOKEN) is too weak: {weak}");
    }
    let current = hash.as_deref().map(http::configured_label);
    for stale in store.list_tokens().await? {
        let previous = stale.label.starts_with(http::CONFIGURED_LABEL)
            && stale.role == http::ROLE_ADMIN
            && Some(&stale.label) != current.as_ref();
        if previous {
            store.delete_token(&stale.id).await?;
        }
    }
    if let (Some(hash), Some(label)) = (&hash, &current) {
        match store.token_role(hash).await?.as_deref() {
            Some(http::ROLE_RETIRED) => tracing::warn!(
                "admin.token was retired through DELETE /v1/tokens and is refused; \
                 remove it from the configuration"
            ),
            Some(_) => {}
            None => store.put_token(hash, http::ROLE_ADMIN, label).await?,
        }
        return Ok(AdminTokens {
            configured_hash: Some(hash.clone()),
        });
    }
    if store.has_tokens(http::ROLE_ADMIN).await? {
        return Ok(AdminTokens::default());
    }
    let token = format!("ogt_{}", crate::ids::random_token(32));
    let path = settings.store.path.join("admin-token");
    if path.exists() {
        std::fs::remove_file(&path).with_context(|| format!("replacing {}", path.display()))?;
    }
    write_private_file(&path, &format!("{token}\n"))?;
    store
        .put_token(&token_hash(&token), http::ROLE_ADMIN, "bootstrap")
        .await?;
    println!(
        "omnigate: generated the admin token (shown once; also readable by this user in {}):\n{token}",
        path.display()
    );
    Ok(AdminTokens::default())
}

impl Application {
    pub async fn build(mut settings: Settings) -> anyhow::Result<Application> {
        // Installed before anything records, so no early count is lost.
        let _ = crate::telemetry::prometheus();
        let address = format!("{}:{}", settings.server.host, settings.server.port);
        let listener = TcpListener::bind(&address).with_context(|| format!("binding {address}"))?;
        let port = listener.local_addr()?.port();
        // With port 0 the OS chose the port: webhook URLs must name the real one.
        settings.server.port = port;
        if settings.server.public_base_unreachable() {
            tracing::warn!(
                host = %settings.server.host,
                "server.public_url is unset and the gateway listens on an unspecified address: \
                 it hands out no webhook or callback URL (they would be {}/..., which nobody can \
                 reach); set OMNIGATE__SERVER__PUBLIC_URL to the address providers reach this \
                 gateway at, e.g. https://omnigate.example.com, and restart",
                settings.server.public_base()
            );
        }
        let settings = Arc::new(settings);
        let store = open_store(&settings).await?;
        let tokens = bootstrap_admin(&settings, store.as_ref()).await?;
        // The store created the key file if there was none.
        let master = Cipher::load_or_create(
            settings.secrets.master_key.expose_secret(),
            &settings.store.path,
        )?;
        let sessions =
            crate::console::session::Sessions::new(&master, settings.console.session_ttl);
        crate::helpdesk::chatwoot::callback::give_callback_secrets(store.as_ref()).await?;
        let relay_wake = Arc::new(tokio::sync::Notify::new());
        let egress = crate::egress::Egress::from_settings(&settings.security);
        let client = crate::egress::client(&egress)?;
        let shares = Arc::new(crate::forwarder::Shares::from_settings(&settings.delivery));
        let state = web::Data::new(AppState {
            store: store.clone(),
            breakers: shares.clone(),
            settings: settings.clone(),
            registry: Registry::default(),
            tokens,
            relay_wake: relay_wake.clone(),
            helpdesk_client: client.clone(),
            channels: Default::default(),
            limits: http::Limits::new(&settings.security),
            sessions,
        });
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .wrap(actix_web::middleware::from_fn(http::guard))
                .wrap(actix_web::middleware::from_fn(http::slow_clients))
                .wrap(actix_web::middleware::from_fn(http::request_id))
                .wrap(tracing_actix())
                .configure(http::configure)
        })
        .client_request_timeout(settings.server.header_read_timeout)
        .max_connections(settings.server.max_connections)
        .listen(listener)?
        .shutdown_timeout(settings.server.shutdown_timeout.as_secs())
        .run();
        // One rate limiter per channel, shared by replies and enrichment calls.
        let limiters = crate::relay::Limiters::default();
        let enricher = crate::enrich::Enricher::new(
            store.clone(),
            settings.clone(),
            client.clone(),
            limiters.clone(),
        );
        let forwarder = Forwarder::new(
            store.clone(),
            client.clone(),
            &settings.delivery,
            egress,
            enricher,
            shares,
        );
        let relay = Relay::new(
            store.clone(),
            Registry::default(),
            settings.clone(),
            client,
            limiters,
            relay_wake,
        );
        tracing::info!(%address, port, "omnigate listening");
        Ok(Application {
            port,
            server,
            store,
            forwarder,
            relay,
            settings,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM/SIGINT; then stops accepting, lets in-flight requests and delivery
    /// attempts finish (up to `server.shutdown_timeout`), and flushes the store.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let (stop, stopped) = watch::channel(false);
        let forwarder = tokio::spawn(self.forwarder.run(stopped.clone()));
        let relay = tokio::spawn(self.relay.run(stopped));
        let served = self.server.await;
        tracing::info!("shutting down: finishing in-flight deliveries");
        let _ = stop.send(true);
        let both = async {
            let _ = forwarder.await;
            let _ = relay.await;
        };
        if tokio::time::timeout(self.settings.server.shutdown_timeout, both)
            .await
            .is_err()
        {
            tracing::warn!("work still in flight at the shutdown timeout; it stays queued");
        }
        self.store.close().await;
        tracing::info!("stopped");
        served.context("the HTTP server failed")
    }
}

fn tracing_actix() -> actix_web::middleware::Logger {
    // Method, path, status and time only: never a query string, and never a webhook key (it is
    // the secret of a provider's URL), so `/hooks/...` paths are logged with the key replaced.
    actix_web::middleware::Logger::new("%{method}xi %{path}xi %s %Dms request_id=%{x-request-id}o")
        .custom_request_replace("method", |req| req.method().to_string())
        .custom_request_replace("path", |req| redacted_path(req.path()))
}

/// The request path as logged: `/hooks/{key}` and `/hooks/{key}/{topic}` keep only the topic.
/// Any other path with a segment starting `hooks` (any case: `//hooks/KEY`, `/HOOKS/KEY`,
/// `/hooks//KEY`, `/hooks/x/../KEY`, `/hooks/KEY/`) is cut at that segment, since a key pasted
/// into a malformed URL is still a key. (Cheaper than asking the router for the matched
/// pattern, which re-matches every route.)
pub fn redacted_path(path: &str) -> String {
    if let Some(rest) = path.strip_prefix("/hooks/") {
        let parts: Vec<&str> = rest.split('/').collect();
        let plain = |s: &str| !s.is_empty() && s != "." && s != "..";
        match parts.as_slice() {
            [key] if plain(key) => return "/hooks/{key}".to_string(),
            [key, topic] if plain(key) && plain(topic) => {
                return format!("/hooks/{{key}}/{topic}");
            }
            _ => {}
        }
    }
    let mut kept = String::new();
    for segment in path.split('/').skip(1) {
        if segment.to_ascii_lowercase().starts_with("hooks") {
            return format!("{kept}/hooks/{{key}}/...");
        }
        kept.push('/');
        kept.push_str(segment);
    }
    path.to_string()
}

/// Applies migrations to the configured data directory and exits.
pub fn migrate(settings: &Settings) -> anyhow::Result<i64> {
    if settings.store.kind == StoreKind::Redis {
        anyhow::bail!("the redis store has no schema to migrate");
    }
    let _ = open_embedded(settings)?;
    Ok(crate::store::embedded::migrations::CURRENT)
}

/// `omnigate backup`: an online copy of the embedded store (see `store::embedded::backup`).
pub fn backup(settings: &Settings, file: &Path) -> anyhow::Result<Copied> {
    if settings.store.kind == StoreKind::Redis {
        anyhow::bail!(
            "the redis store is backed up by Redis itself (an RDB snapshot or AOF); see the \
             README's \"Data lifecycle\""
        );
    }
    crate::store::embedded::backup::backup(&settings.store.path, file)
}

/// `omnigate restore`: puts a backup into an empty data directory.
pub fn restore(settings: &Settings, file: &Path) -> anyhow::Result<Copied> {
    if settings.store.kind == StoreKind::Redis {
        anyhow::bail!(
            "the redis store is restored by Redis itself (from its RDB snapshot or AOF); see \
             the README's \"Data lifecycle\""
        );
    }
    crate::store::embedded::backup::restore(file, &settings.store.path)
}

pub fn data_dir(settings: &Settings) -> &Path {
    &settings.store.path
}

#[cfg(test)]
mod tests {
    use super::redacted_path;

    #[test]
    fn webhook_keys_never_reach_the_access_log() {
        assert_eq!(redacted_path("/hooks/s3cr3t"), "/hooks/{key}");
        assert_eq!(
            redacted_path("/hooks/s3cr3t/transcript"),
            "/hooks/{key}/transcript"
        );
        assert_eq!(redacted_path("/v1/channels/chn_1"), "/v1/channels/chn_1");
        for malformed in [
            "//hooks/s3cr3t",
            "/hooks//s3cr3t",
            "/HOOKS/s3cr3t",
            "/hooks/x/../s3cr3t",
            "/hooks/s3cr3t/",
            "/hooks/s3cr3t/x/y",
            "/hooks%2Fs3cr3t",
            "/v1/../hooks/s3cr3t",
        ] {
            let logged = redacted_path(malformed);
            assert!(!logged.contains("s3cr3t"), "{malformed} -> {logged}");
        }
    }

    #[test]
    fn chatwoot_callback_urls_reach_the_access_log_without_id_or_secret() {
        assert_eq!(
            redacted_path("/v1/helpdesks/chatwoot/hooks/dst_1/s3cr3t"),
            "/v1/helpdesks/chatwoot/hooks/{key}/..."
        );
    }
}
