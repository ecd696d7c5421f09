//! Layered configuration: `config/default.toml`, then `config/{OMNIGATE_ENV}.toml`, then
//! `OMNIGATE__SECTION__KEY` environment variables.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::domain::secret::{ExposeSecret, SecretString};

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub server: ServerSettings,
    pub store: StoreSettings,
    #[serde(default)]
    pub admin: AdminSettings,
    #[serde(default)]
    pub secrets: SecretSettings,
    pub delivery: DeliverySettings,
    pub relay: RelaySettings,
    /// Per-provider settings, by provider id (`providers.naver_talktalk.api_base`).
    #[serde(default)]
    pub providers: std::collections::HashMap<String, ProviderSettings>,
    #[serde(default)]
    pub log: LogSettings,
    #[serde(default)]
    pub security: SecuritySettings,
    #[serde(default)]
    pub redis: RedisSettings,
    #[serde(default)]
    pub console: ConsoleSettings,
}

/// The web console (`[console]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ConsoleSettings {
    /// How long a console session lasts after signing in.
    #[serde(with = "humantime_serde_compat")]
    pub session_ttl: Duration,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        ConsoleSettings {
            session_ttl: Duration::from_secs(8 * 3600),
        }
    }
}

/// Outbound safety and flood control (`[security]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct SecuritySettings {
    /// Lets destinations, Chatwoot base URLs and provider API bases reach loopback, private,
    /// link-local and metadata addresses. Off: those are refused (server-side request forgery).
    pub allow_private_destinations: bool,
    /// Inward addresses that may be called while `allow_private_destinations` is off: a
    /// helpdesk on the internal network, without opening every private address. Entries are an
    /// address with a port (`10.0.0.5:443`, `[fd00::5]:8443`) or a network on any port
    /// (`10.0.0.0/24`). In the environment, a comma-separated list.
    pub private_destination_allowlist: Vec<String>,
    /// Sustained webhooks per second per webhook key; 0 turns the limit off.
    pub webhook_rate_per_second: u32,
    /// Webhooks one key may send at once above the sustained rate.
    pub webhook_burst: u32,
    /// Sustained admin API requests per second per token; 0 turns the limit off.
    pub api_rate_per_second: u32,
    /// Requests one token may make at once above the sustained rate.
    pub api_burst: u32,
    /// Failed admin API authentications per minute per source address; 0 turns the limit off.
    pub auth_failures_per_minute: u32,
    /// Failures one address may make at once before it is throttled.
    pub auth_failure_burst: u32,
    /// Largest total size of a request's headers, in bytes; larger is 431.
    pub max_header_bytes: usize,
    /// How long a channel's webhook key keeps working after `rotate-key` issued a new one.
    #[serde(with = "humantime_serde_compat")]
    pub webhook_key_grace: Duration,
}

impl Default for SecuritySettings {
    fn default() -> Self {
        SecuritySettings {
            allow_private_destinations: false,
            private_destination_allowlist: Vec::new(),
            webhook_rate_per_second: 200,
            webhook_burst: 1000,
            api_rate_per_second: 100,
            api_burst: 200,
            auth_failures_per_minute: 30,
            auth_failure_burst: 20,
            max_header_bytes: 32 * 1024,
            webhook_key_grace: Duration::from_secs(24 * 3600),
        }
    }
}

/// The `redis` store engine: replicas sharing one Redis.
#[derive(Debug, Clone, Deserialize)]
pub struct RedisSettings {
    pub url: String,
    /// Every key starts with `{key_prefix}:`, so installations can share a Redis.
    pub key_prefix: String,
    /// How long a provider id is remembered for de-duplication.
    #[serde(with = "humantime_serde_compat")]
    pub dedup_ttl: Duration,
    /// How long a Redis call may take before the replica treats Redis as unreachable.
    #[serde(with = "humantime_serde_compat")]
    pub timeout: Duration,
}

impl Default for RedisSettings {
    fn default() -> Self {
        RedisSettings {
            url: "redis://127.0.0.1:6379".into(),
            key_prefix: "omnigate".into(),
            dedup_ttl: Duration::from_secs(7 * 24 * 3600),
            timeout: Duration::from_secs(2),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ProviderSettings {
    /// The provider API base URL; empty: the connector's default.
    #[serde(default)]
    pub api_base: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RelaySettings {
    /// Delay before each attempt of a provider call; its length is the number of attempts.
    #[serde(with = "humantime_list")]
    pub retry_schedule: Vec<Duration>,
    /// Each non-zero delay is spread by up to this fraction either way.
    pub jitter: f64,
    #[serde(with = "humantime_serde_compat")]
    pub request_timeout: Duration,
    /// Channels sending in parallel (each channel sends one call at a time).
    pub concurrency: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    #[serde(default)]
    pub public_url: String,
    pub max_body_bytes: usize,
    #[serde(default)]
    pub trust_forwarded_for: bool,
    #[serde(with = "humantime_serde_compat")]
    pub shutdown_timeout: Duration,
    /// A bearer token `/metrics` asks for; empty: `/metrics` is open (bind the port to your
    /// monitoring only).
    #[serde(default)]
    pub metrics_token: SecretString,
    /// How long a client may take to send a request's head (408 after it).
    #[serde(
        default = "default_header_read_timeout",
        with = "humantime_serde_compat"
    )]
    pub header_read_timeout: Duration,
    /// How long a client may take to send a request's body once the head is in (408).
    #[serde(default = "default_body_read_timeout", with = "humantime_serde_compat")]
    pub body_read_timeout: Duration,
    /// Requests one source address may have open at once (429 beyond).
    #[serde(default = "default_max_requests_per_source")]
    pub max_requests_per_source: usize,
    /// Connections each worker thread serves at once; more wait in the accept queue.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
}

fn default_header_read_timeout() -> Duration {
    Duration::from_secs(5)
}

fn default_body_read_timeout() -> Duration {
    Duration::from_secs(10)
}

fn default_max_requests_per_source() -> usize {
    256
}

fn default_max_connections() -> usize {
    10_000
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    Embedded,
    Redis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Synchronous {
    Full,
    Normal,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StoreSettings {
    pub kind: StoreKind,
    pub path: PathBuf,
    pub synchronous: Synchronous,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct AdminSettings {
    #[serde(default)]
    pub token: SecretString,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SecretSettings {
    #[serde(default)]
    pub master_key: SecretString,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DeliverySettings {
    #[serde(with = "humantime_list")]
    pub retry_schedule: Vec<Duration>,
    pub jitter: f64,
    #[serde(with = "humantime_serde_compat")]
    pub request_timeout: Duration,
    pub concurrency: usize,
    #[serde(with = "humantime_serde_compat")]
    pub max_retry_after: Duration,
    /// How long a claimed conversation stays reserved beyond one request timeout; with several
    /// replicas, how soon another one takes over the conversations of a replica that died.
    #[serde(default = "default_lease_margin", with = "humantime_serde_compat")]
    pub lease_margin: Duration,
    /// The most conversations of one destination delivered at once; unset: an eighth of
    /// `concurrency` (at least 1), so that destinations that hang hold at most that many
    /// workers each and the others keep theirs.
    #[serde(default)]
    pub per_destination_concurrency: Option<usize>,
    /// Timeouts or connection failures in a row after which a destination's circuit breaker
    /// opens: nothing is sent to it for `breaker_cooldown`, then one conversation probes it.
    #[serde(default = "default_breaker_failures")]
    pub breaker_failures: u32,
    #[serde(default = "default_breaker_cooldown", with = "humantime_serde_compat")]
    pub breaker_cooldown: Duration,
}

impl DeliverySettings {
    /// `per_destination_concurrency`, or its default.
    pub fn per_destination(&self) -> usize {
        self.per_destination_concurrency
            .unwrap_or(self.concurrency / 8)
            .clamp(1, self.concurrency.max(1))
    }
}

fn default_breaker_failures() -> u32 {
    5
}

fn default_breaker_cooldown() -> Duration {
    Duration::from_secs(30)
}

fn default_lease_margin() -> Duration {
    Duration::from_secs(30)
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    #[serde(default)]
    pub format: LogFormat,
    #[serde(default = "default_level")]
    pub level: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            format: LogFormat::Text,
            level: default_level(),
        }
    }
}

fn default_level() -> String {
    "info".into()
}

impl ServerSettings {
    /// The base of generated webhook URLs, without a trailing slash.
    /// Whether [`ServerSettings::public_base`] would be an unspecified address (`0.0.0.0`,
    /// `::`): `server.public_url` is unset and the gateway listens on every interface, so a URL
    /// built from it reaches nobody.
    pub fn public_base_unreachable(&self) -> bool {
        self.public_url.trim().is_empty()
            && self
                .host
                .trim_matches(|c| c == '[' || c == ']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_unspecified())
    }

    pub fn public_base(&self) -> String {
        if self.public_url.trim().is_empty() {
            format!("http://{}:{}", self.host, self.port)
        } else {
            self.public_url.trim().trim_end_matches('/').to_string()
        }
    }
}

impl Settings {
    /// The API base for a provider: configured, or the connector's default.
    pub fn api_base<'a>(&'a self, provider: &str, default: &'a str) -> &'a str {
        self.providers
            .get(provider)
            .map(|p| p.api_base.trim())
            .filter(|b| !b.is_empty())
            .unwrap_or(default)
    }

    /// Loads the layers from `dir` (normally `./config`) and the process environment.
    pub fn load(dir: &Path) -> Result<Settings, config::ConfigError> {
        let env_name = std::env::var("OMNIGATE_ENV").unwrap_or_default();
        let mut builder = config::Config::builder()
            .add_source(config::File::from_str(
                include_str!("../config/default.toml"),
                config::FileFormat::Toml,
            ))
            .add_source(config::File::from(dir.join("default.toml")).required(false));
        if !env_name.is_empty() {
            builder = builder.add_source(
                config::File::from(dir.join(format!("{env_name}.toml"))).required(true),
            );
        }
        let settings: Settings = builder
            .add_source(
                config::Environment::with_prefix("OMNIGATE")
                    .prefix_separator("__")
                    .separator("__")
                    .list_separator(",")
                    .with_list_parse_key("delivery.retry_schedule")
                    .with_list_parse_key("relay.retry_schedule")
                    .with_list_parse_key("security.private_destination_allowlist")
                    .try_parsing(true),
            )
            .build()?
            .try_deserialize()?;
        settings.validate()?;
        Ok(settings)
    }

    /// The built-in defaults alone (no files, no environment): a base for tests and tools.
    pub fn defaults() -> Result<Settings, config::ConfigError> {
        config::Config::builder()
            .add_source(config::File::from_str(
                include_str!("../config/default.toml"),
                config::FileFormat::Toml,
            ))
            .build()?
            .try_deserialize()
    }

    /// The `OMNIGATE__...` variables in the environment that name no setting: a misspelled
    /// one (`OMNIGATE__SERVER__PROT`) would otherwise be ignored without a word.
    pub fn unknown_env_vars() -> Vec<String> {
        let Ok(defaults) = config::Config::builder()
            .add_source(config::File::from_str(
                include_str!("../config/default.toml"),
                config::FileFormat::Toml,
            ))
            .build()
        else {
            return Vec::new();
        };
        let mut unknown: Vec<String> = std::env::vars_os()
            .filter_map(|(k, _)| k.into_string().ok())
            .filter(|k| !names_a_setting(&defaults, k))
            .collect();
        unknown.sort();
        unknown
    }

    fn validate(&self) -> Result<(), config::ConfigError> {
        let bad = |m: &str| Err(config::ConfigError::Message(m.to_string()));
        if self.delivery.retry_schedule.is_empty() {
            return bad("delivery.retry_schedule needs at least one entry");
        }
        if !(0.0..=1.0).contains(&self.delivery.jitter) {
            return bad("delivery.jitter must be between 0 and 1");
        }
        if !(0.0..=1.0).contains(&self.relay.jitter) {
            return bad("relay.jitter must be between 0 and 1");
        }
        if self.relay.retry_schedule.is_empty() || self.relay.concurrency == 0 {
            return bad(
                "relay.retry_schedule needs an entry and relay.concurrency must be at least 1",
            );
        }
        if self.delivery.concurrency == 0 {
            return bad("delivery.concurrency must be at least 1");
        }
        if self.delivery.per_destination_concurrency == Some(0)
            || self.delivery.breaker_failures == 0
        {
            return bad(
                "delivery.per_destination_concurrency and delivery.breaker_failures must be at least 1",
            );
        }
        if self.store.kind == StoreKind::Redis
            && self.secrets.master_key.expose_secret().trim().is_empty()
        {
            return bad("the redis store needs secrets.master_key, the same on every replica");
        }
        if let Some(weak) = weak_admin_token(self.admin.token.expose_secret().trim()) {
            return Err(config::ConfigError::Message(format!(
                "admin.token (OMNIGATE__ADMIN__TOKEN) is too weak: {weak}"
            )));
        }
        if self.server.max_requests_per_source == 0 || self.server.max_connections == 0 {
            return bad(
                "server.max_requests_per_source and server.max_connections must be at least 1",
            );
        }
        if self.console.session_ttl.is_zero() {
            return bad("console.session_ttl must be longer than 0s");
        }
        if self.server.max_body_bytes == 0 {
            return bad("server.max_body_bytes must be at least 1");
        }
        if self.security.max_header_bytes == 0 {
            return bad("security.max_header_bytes must be at least 1");
        }
        for entry in &self.security.private_destination_allowlist {
            if let Err(e) = entry.parse::<crate::egress::Allowed>() {
                return Err(config::ConfigError::Message(format!(
                    "security.private_destination_allowlist: {e}"
                )));
            }
        }
        if !self.security.allow_private_destinations {
            let egress = crate::egress::Egress::from_settings(&self.security);
            for (provider, p) in &self.providers {
                if crate::egress::literal_refused(p.api_base.trim(), &egress) {
                    return Err(config::ConfigError::Message(format!(
                        "providers.{provider}.api_base is a private address; set \
                         security.allow_private_destinations = true to allow it"
                    )));
                }
            }
        }
        let public = self.server.public_base();
        if !(public.starts_with("http://") || public.starts_with("https://")) {
            return bad("server.public_url must start with http:// or https://");
        }
        Ok(())
    }
}

/// Whether an environment variable is not one of ours, or names a setting that exists: a key
/// of the defaults, or `providers.<id>.api_base` (providers have no defaults).
fn names_a_setting(defaults: &config::Config, var: &str) -> bool {
    let Some(rest) = var.strip_prefix("OMNIGATE__") else {
        return true;
    };
    let path: Vec<String> = rest.split("__").map(str::to_ascii_lowercase).collect();
    match path.as_slice() {
        [section, _, key] if section == "providers" => key == "api_base",
        _ => defaults
            .get::<config::Value>(&path.join("."))
            .is_ok_and(|v| !matches!(v.kind, config::ValueKind::Table(_))),
    }
}

/// Shortest configured admin token accepted, and the fewest different characters in it: a
/// guessable operator-chosen value (`a`, `changeme`, `adminadminadmin…`) is refused at start.
const ADMIN_TOKEN_MIN_CHARS: usize = 24;
const ADMIN_TOKEN_MIN_DISTINCT: usize = 10;

/// Why a configured admin token is too weak to start with, if it is (empty: none configured).
pub fn weak_admin_token(token: &str) -> Option<String> {
    if token.is_empty() {
        return None;
    }
    let chars = token.chars().count();
    let distinct = token
        .chars()
        .collect::<std::collections::HashSet<_>>()
        .len();
    (chars < ADMIN_TOKEN_MIN_CHARS || distinct < ADMIN_TOKEN_MIN_DISTINCT).then(|| {
        format!(
            "it needs at least {ADMIN_TOKEN_MIN_CHARS} characters with at least \
             {ADMIN_TOKEN_MIN_DISTINCT} different ones (has {chars} and {distinct}); generate \
             one with `openssl rand -hex 32`, or leave it empty to have one generated"
        )
    })
}

/// Durations written as `10s`, `5m`, `2h`.
mod humantime_serde_compat {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let s = String::deserialize(d)?;
        humantime::parse_duration(s.trim()).map_err(serde::de::Error::custom)
    }
}

/// A list of durations, from a TOML array or a comma-separated environment variable.
mod humantime_list {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Duration>, D::Error> {
        let items = Vec::<String>::deserialize(d)?;
        items
            .iter()
            .map(|s| humantime::parse_duration(s.trim()).map_err(serde::de::Error::custom))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The only test in this crate that touches the process environment.
    #[test]
    fn environment_variables_override_nested_keys_and_lists() {
        std::env::set_var(
            "OMNIGATE__PROVIDERS__NAVER_TALKTALK__API_BASE",
            "http://127.0.0.1:9/naver",
        );
        std::env::set_var("OMNIGATE__RELAY__RETRY_SCHEDULE", "0s,250ms,1m");
        std::env::set_var("OMNIGATE__SERVER__PORT", "9191");
        std::env::set_var("OMNIGATE__SERVER__PROT", "9191");
        let unknown = Settings::unknown_env_vars();
        // A loopback API base is refused until private destinations are allowed.
        let refused = Settings::load(Path::new("config"));
        // ... unless the allowlist names it (a comma-separated list in the environment).
        std::env::set_var(
            "OMNIGATE__SECURITY__PRIVATE_DESTINATION_ALLOWLIST",
            "10.1.0.0/16,127.0.0.1:9",
        );
        let allowlisted = Settings::load(Path::new("config"));
        std::env::set_var(
            "OMNIGATE__SECURITY__PRIVATE_DESTINATION_ALLOWLIST",
            "helpdesk.internal:443",
        );
        let misnamed = Settings::load(Path::new("config"));
        std::env::remove_var("OMNIGATE__SECURITY__PRIVATE_DESTINATION_ALLOWLIST");
        std::env::set_var("OMNIGATE__SECURITY__ALLOW_PRIVATE_DESTINATIONS", "true");
        let loaded = Settings::load(Path::new("config"));
        for key in [
            "OMNIGATE__PROVIDERS__NAVER_TALKTALK__API_BASE",
            "OMNIGATE__RELAY__RETRY_SCHEDULE",
            "OMNIGATE__SERVER__PORT",
            "OMNIGATE__SERVER__PROT",
            "OMNIGATE__SECURITY__ALLOW_PRIVATE_DESTINATIONS",
        ] {
            std::env::remove_var(key);
        }
        // Only the misspelled one is reported; list keys and provider sections are settings.
        assert_eq!(unknown, vec!["OMNIGATE__SERVER__PROT".to_string()]);
        let refused = refused.expect_err("a private API base is refused by default");
        assert!(refused
            .to_string()
            .contains("providers.naver_talktalk.api_base"));
        let allowlisted = allowlisted.expect("an allowlisted API base loads");
        assert_eq!(
            allowlisted.security.private_destination_allowlist,
            vec!["10.1.0.0/16".to_string(), "127.0.0.1:9".to_string()]
        );
        let misnamed = misnamed.expect_err("an allowlist entry must be an address or a network");
        assert!(misnamed
            .to_string()
            .contains("security.private_destination_allowlist: \"helpdesk.internal:443\""));
        let s = loaded.expect("loads");
        assert!(s.security.allow_private_destinations);
        assert_eq!(
            s.api_base("naver_talktalk", "unused"),
            "http://127.0.0.1:9/naver"
        );
        assert_eq!(
            s.relay.retry_schedule,
            vec![
                Duration::ZERO,
                Duration::from_millis(250),
                Duration::from_secs(60)
            ]
        );
        assert_eq!(s.server.port, 9191);
        assert_eq!(s.server.public_base(), "http://127.0.0.1:9191");
        // Without an override, the connector's own default is the API base.
        let crisp = crate::connectors::Registry::default()
            .get("crisp")
            .expect("crisp is registered")
            .default_api_base();
        assert_eq!(s.api_base("crisp", crisp), "https://api.crisp.chat");
        assert!(!s.providers.contains_key("crisp"));
    }
}
