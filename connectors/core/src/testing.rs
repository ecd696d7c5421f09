//! Test helpers for connector crates and the gateway (feature `testing`): a connector on one
//! channel (the declared example credentials unless a test sets its own), requests built the
//! way the gateway builds them, genuine requests signed through the connector's own
//! `sign_request`, fixture loading from the crate's `tests/fixtures`, and the checks every
//! connector's declarations must pass.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::connector::{ChannelContext, Connector, InboundRequest, SignedRequest, VerifyError};
use crate::credentials::secret_names;
use crate::event::NormalizedEvent;

/// The receive time tests run at, in seconds since the epoch (late 2026).
pub const NOW: i64 = 1_795_170_000;

/// The client address requests come from (TEST-NET-3).
pub const SOURCE_IP: &str = "203.0.113.5";

/// The object inside `v`; empty when `v` is not an object.
pub fn map(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

/// An event's provider detail as one JSON value, for `assert_eq!` against `json!`.
pub fn detail(e: &NormalizedEvent) -> Value {
    Value::Object(e.provider_event.detail.clone())
}

/// The folder of a connector crate under `connectors/`, by provider id (`zendesk_sunshine`
/// lives in `connectors/zendesk-sunshine`); the registry's tests hold every crate to it.
pub fn crate_dir(provider: &str) -> String {
    provider.replace('_', "-")
}

/// Every file under `dir` (recursively, sorted by path), as (path relative to `dir`, bytes).
pub fn files_under(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            if path.is_dir() {
                collect(root, &path, out);
            } else if let Ok(bytes) = std::fs::read(&path) {
                let name = path.strip_prefix(root).unwrap_or(&path);
                out.push((name.to_string_lossy().into_owned(), bytes));
            }
        }
    }
    let mut out = Vec::new();
    collect(dir, dir, &mut out);
    out
}

/// A connector under test on one channel.
pub struct Kit<'c> {
    pub connector: &'c dyn Connector,
    /// The crate's `tests/fixtures` folder.
    pub fixtures: PathBuf,
    pub credentials: Map<String, Value>,
    pub settings: Map<String, Value>,
    /// The receive time, in seconds.
    pub now: i64,
}

impl<'c> Kit<'c> {
    /// `connector` on a channel with its example credentials and no settings, reading fixtures
    /// from `{crate_root}/tests/fixtures` (pass `env!("CARGO_MANIFEST_DIR")`).
    pub fn new(connector: &'c dyn Connector, crate_root: &str) -> Self {
        Kit {
            connector,
            fixtures: Path::new(crate_root).join("tests").join("fixtures"),
            credentials: connector.example_credentials(),
            settings: Map::new(),
            now: NOW,
        }
    }

    pub fn with_credentials(mut self, credentials: impl Into<Value>) -> Self {
        self.credentials = map(credentials.into());
        self
    }

    /// The same channel with one credential set (or replaced).
    pub fn with_credential(mut self, field: &str, value: impl Into<Value>) -> Self {
        self.credentials.insert(field.to_string(), value.into());
        self
    }

    /// The same channel without one credential.
    pub fn without_credential(mut self, field: &str) -> Self {
        self.credentials.remove(field);
        self
    }

    pub fn with_settings(mut self, settings: impl Into<Value>) -> Self {
        self.settings = map(settings.into());
        self
    }

    /// The receive time, in seconds since the epoch.
    pub fn at(mut self, now: i64) -> Self {
        self.now = now;
        self
    }

    /// A fixture file's bytes.
    pub fn fixture_bytes(&self, name: &str) -> Vec<u8> {
        let path = self.fixtures.join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// Every fixture of the crate, as (name, bytes).
    pub fn all_fixtures(&self) -> Vec<(String, Vec<u8>)> {
        files_under(&self.fixtures)
    }

    /// The genuine request for `body` on this channel, signed through the connector.
    pub fn signed(&self, body: &[u8]) -> SignedRequest {
        self.connector
            .sign_request(&self.credentials, body, self.now)
            .unwrap_or_else(|| panic!("{} cannot sign this body", self.connector.provider()))
    }

    /// The headers of the genuine request for `body`.
    pub fn signed_headers(&self, body: &[u8]) -> Vec<(String, String)> {
        self.signed(body).headers
    }

    fn run<T>(
        &self,
        topic: Option<&str>,
        headers: &[(String, String)],
        body: &[u8],
        f: impl FnOnce(&InboundRequest<'_>, &ChannelContext<'_>) -> T,
    ) -> T {
        let channel = ChannelContext {
            credentials: &self.credentials,
            settings: &self.settings,
        };
        let req = InboundRequest {
            topic,
            headers,
            body,
            source_ip: SOURCE_IP.parse::<IpAddr>().ok(),
            received_at: self.now,
        };
        f(&req, &channel)
    }

    /// Verifies a request as the gateway would, from [`SOURCE_IP`] at the kit's time.
    pub fn verify(
        &self,
        topic: Option<&str>,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<(), VerifyError> {
        self.run(topic, headers, body, |r, c| self.connector.verify(r, c))
    }

    /// Normalizes a request as the gateway would after verifying it.
    pub fn normalize(
        &self,
        topic: Option<&str>,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Vec<NormalizedEvent> {
        self.run(topic, headers, body, |r, c| self.connector.normalize(r, c))
    }

    /// Signs `body`, checks that it verifies, and normalizes it: what a genuine webhook becomes.
    pub fn receive(&self, topic: Option<&str>, body: &[u8]) -> Vec<NormalizedEvent> {
        let signed = self.signed(body);
        if let Err(e) = self.verify(topic, &signed.headers, &signed.body) {
            panic!("a genuinely signed request was refused: {e}");
        }
        let events = self.normalize(topic, &signed.headers, &signed.body);
        assert!(!events.is_empty(), "a webhook always yields an event");
        events
    }

    /// The one event a genuine request for `body` becomes (fails when it is not exactly one).
    pub fn receive_one(&self, topic: Option<&str>, body: &[u8]) -> NormalizedEvent {
        one(self.receive(topic, body), "the body")
    }

    /// The events a fixture becomes, received genuinely on the bare URL.
    pub fn fixture(&self, name: &str) -> Vec<NormalizedEvent> {
        self.receive(None, &self.fixture_bytes(name))
    }

    /// The one event a fixture becomes (fails when it is not exactly one).
    pub fn single(&self, name: &str) -> NormalizedEvent {
        one(self.fixture(name), name)
    }

    /// The one event a fixture becomes when posted to `/hooks/{key}/{topic}`.
    pub fn single_on(&self, topic: &str, name: &str) -> NormalizedEvent {
        one(self.receive(Some(topic), &self.fixture_bytes(name)), name)
    }
}

fn one(mut events: Vec<NormalizedEvent>, name: &str) -> NormalizedEvent {
    assert_eq!(events.len(), 1, "{name} yields one event");
    events.remove(0)
}

/// What every connector's declarations must satisfy, as a list of broken rules (empty: all
/// hold): its example credentials validate, each required field is required, the secret fields
/// are exactly the declared secrets, topics come from the capabilities, a relaying connector
/// names an API base and content types, and a signed example verifies.
pub fn declaration_problems(connector: &dyn Connector) -> Vec<String> {
    let id = connector.provider();
    let mut problems = Vec::new();
    let fields = connector.credential_fields();
    let example = connector.example_credentials();
    if let Err(e) = connector.validate_credentials(&example) {
        problems.push(format!("{id}: the example credentials are refused: {e}"));
    }
    for field in fields.iter().filter(|f| f.required) {
        let mut without = example.clone();
        without.remove(field.name);
        if connector.validate_credentials(&without).is_ok() {
            problems.push(format!(
                "{id}: {} is declared required but may be left out",
                field.name
            ));
        }
    }
    for (i, field) in fields.iter().enumerate() {
        if fields[..i].iter().any(|f| f.name == field.name) {
            problems.push(format!("{id}: {} is declared twice", field.name));
        }
        if field.help.is_empty() || field.where_to_find.is_empty() {
            problems.push(format!(
                "{id}: {} lacks help or where to find it",
                field.name
            ));
        }
    }
    let mut declared = secret_names(fields);
    let mut masked = connector.secret_fields().to_vec();
    declared.sort_unstable();
    masked.sort_unstable();
    if declared != masked {
        problems.push(format!(
            "{id}: secret_fields {masked:?} differ from the declared secrets {declared:?}"
        ));
    }
    if connector.topics() != connector.capabilities().topics {
        problems.push(format!("{id}: topics() differs from capabilities().topics"));
    }
    let caps = connector.capabilities();
    if caps.replies && (connector.default_api_base().is_empty() || caps.content_types.is_empty()) {
        problems.push(format!(
            "{id}: relays replies without a default API base or content types"
        ));
    }
    let body = br#"{"probe":true}"#;
    if let Some(signed) = connector.sign_request(&example, body, NOW) {
        let channel = ChannelContext {
            credentials: &example,
            settings: &Map::new(),
        };
        let req = InboundRequest {
            topic: connector.topics().first().copied(),
            headers: &signed.headers,
            body: &signed.body,
            source_ip: SOURCE_IP.parse::<IpAddr>().ok(),
            received_at: NOW,
        };
        if let Err(e) = connector.verify(&req, &channel) {
            problems.push(format!("{id}: its own signed request is refused: {e}"));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connector::ConfigError;
    use crate::credentials::{CredentialField, FieldKind};
    use crate::event::NormalizedEvent;

    /// A connector whose declarations contradict each other in every checked way.
    struct Contradictory;

    const FIELDS: &[CredentialField] = &[CredentialField {
        name: "token",
        required: true,
        kind: FieldKind::Secret,
        help: "A token.",
        where_to_find: "",
        example: "tok",
    }];

    impl Connector for Contradictory {
        fn provider(&self) -> &'static str {
            "contradictory"
        }
        fn credential_fields(&self) -> &'static [CredentialField] {
            FIELDS
        }
        fn secret_fields(&self) -> &'static [&'static str] {
            &[]
        }
        fn topics(&self) -> &'static [&'static str] {
            &["a"]
        }
        fn validate_credentials(&self, _: &Map<String, Value>) -> Result<(), ConfigError> {
            Ok(())
        }
        fn validate_settings(&self, _: &Map<String, Value>) -> Result<(), ConfigError> {
            Ok(())
        }
        fn verify(
            &self,
            _: &InboundRequest<'_>,
            _: &ChannelContext<'_>,
        ) -> Result<(), VerifyError> {
            Err(VerifyError::BadSignature)
        }
        fn normalize(
            &self,
            _: &InboundRequest<'_>,
            _: &ChannelContext<'_>,
        ) -> Vec<NormalizedEvent> {
            Vec::new()
        }
    }

    #[test]
    fn contradictory_declarations_are_each_reported() {
        let problems = declaration_problems(&Contradictory);
        for expected in [
            "token is declared required but may be left out",
            "token lacks help or where to find it",
            "secret_fields [] differ from the declared secrets [\"token\"]",
            "topics() differs from capabilities().topics",
            "its own signed request is refused",
        ] {
            assert!(
                problems.iter().any(|p| p.contains(expected)),
                "{expected} in {problems:#?}"
            );
        }
        assert_eq!(problems.len(), 5, "{problems:#?}");
    }

    #[test]
    fn a_crate_folder_is_the_provider_id_with_dashes() {
        assert_eq!(crate_dir("zendesk_sunshine"), "zendesk-sunshine");
        assert_eq!(crate_dir("crisp"), "crisp");
    }
}
