//! The CLI's flags for a `chatwoot` destination (`omnigate destinations add --kind chatwoot`).

use clap::Args;
use serde_json::{json, Value};

/// A Chatwoot destination's settings (`destinations add --kind chatwoot`).
#[derive(Args, Debug)]
pub struct ChatwootArgs {
    /// Chatwoot's base URL, e.g. https://chatwoot.example.com.
    #[arg(long)]
    pub base_url: Option<String>,
    #[arg(long)]
    pub account_id: Option<u64>,
    /// The API-channel inbox's id.
    #[arg(long)]
    pub inbox_id: Option<u64>,
    /// A Chatwoot user's access token (better in the environment than on the command line).
    #[arg(long, env = "CHATWOOT_API_ACCESS_TOKEN", hide_env_values = true)]
    pub api_access_token: Option<String>,
    /// The inbox's webhook secret, which signs its callbacks (Chatwoot 4.13+).
    #[arg(long, env = "CHATWOOT_INBOX_SECRET", hide_env_values = true)]
    pub inbox_secret: Option<String>,
    /// Accept unsigned callbacks (Chatwoot before 4.13; keep the callback URL private).
    #[arg(long)]
    pub allow_unsigned_callbacks: bool,
}

impl ChatwootArgs {
    /// The body fields of the flags given (only those, so the gateway names a missing or
    /// misplaced field).
    pub fn body_fields(&self) -> Vec<(&'static str, Value)> {
        [
            ("base_url", json!(self.base_url)),
            ("account_id", json!(self.account_id)),
            ("inbox_id", json!(self.inbox_id)),
            ("api_access_token", json!(self.api_access_token)),
            ("inbox_secret", json!(self.inbox_secret)),
            (
                "allow_unsigned_callbacks",
                json!(self.allow_unsigned_callbacks.then_some(true)),
            ),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_null())
        .collect()
    }
}
