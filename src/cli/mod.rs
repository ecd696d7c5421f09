//! The operator CLI: talks to a running gateway's admin API (`OMNIGATE_URL`, `OMNIGATE_TOKEN`).
//! Every API operation has a command. Tables for people by default, `--json` for scripts. Exit
//! codes: 0 done, 1 the gateway refused the request (4xx), 2 bad usage, 3 the gateway could not
//! be reached or failed (5xx).

mod agents;
mod channels;
mod client;
mod commands;
mod destinations;
pub mod sink;
mod table;
mod tail;

use clap::{Args, Subcommand};

pub use client::ExitCode;

/// Where the gateway is and how to authenticate.
#[derive(Args, Debug, Clone)]
pub struct Target {
    /// The gateway's base URL (`--url` in `destinations add` is the helpdesk's).
    #[arg(
        id = "gateway",
        long = "gateway",
        value_name = "URL",
        global = true,
        env = "OMNIGATE_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub url: String,
    /// An admin token (or a helpdesk token for replies).
    #[arg(long, global = true, env = "OMNIGATE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Print the API's JSON instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum ChannelCmd {
    /// Register a channel: `--provider naver_talktalk --name Shop --credential account_id=wc8b1i --credential send_api_key=...`
    Add {
        #[arg(long)]
        provider: String,
        #[arg(long)]
        name: String,
        /// A credential as key=value (repeat for each).
        #[arg(long = "credential", value_parser = key_value)]
        credentials: Vec<(String, String)>,
    },
    /// List every channel with its state and webhook URL(s).
    List,
    /// One channel: state, brand key, chat URL, masked credentials, webhook URL(s).
    Show { id: String },
    /// Change a channel's name, credentials (`--credential k=v`; `k=` removes one) or settings.
    Update {
        id: String,
        #[arg(long)]
        name: Option<String>,
        /// A credential as key=value (repeat for each); an empty value removes the field.
        #[arg(long = "credential", value_parser = key_value)]
        credentials: Vec<(String, String)>,
        /// The settings, as a JSON object (replaces the stored settings).
        #[arg(long)]
        settings: Option<String>,
    },
    /// Delete a channel: its webhook URL stops working at once.
    Delete { id: String },
    /// Every state change of a channel, oldest first.
    History { id: String },
    /// Request approval: prints the webhook URL(s) to paste into the provider.
    RequestApproval { id: String },
    /// Issue a new webhook key: prints the new URL(s); the old ones work for the grace period.
    RotateKey {
        id: String,
        /// Seconds the old URL(s) keep working (0: at once; default 24 hours).
        #[arg(long)]
        grace_seconds: Option<u64>,
    },
    /// Approve a pending channel: its held webhooks are forwarded.
    Approve { id: String },
    /// Reject a pending channel, with the reason.
    Reject {
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// Disconnect an approved channel (withdraw it on the provider side too).
    Revoke {
        id: String,
        #[arg(long)]
        reason: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum DestinationCmd {
    /// Register a helpdesk: a webhook endpoint (prints its signing secret once), or with
    /// `--kind chatwoot` a Chatwoot API-channel inbox (prints the callback URL for the inbox).
    Add {
        /// The helpdesk endpoint's URL (webhook destinations), or `--url URL`.
        #[arg(id = "endpoint", value_name = "URL", required_unless_present_any = ["kind", "endpoint_flag"])]
        url: Option<String>,
        /// The same as the positional URL.
        #[arg(
            long = "url",
            id = "endpoint_flag",
            value_name = "URL",
            conflicts_with = "endpoint"
        )]
        url_flag: Option<String>,
        /// `webhook` (the default), `chatwoot`, `nats`, `redis_stream` or `amqp`.
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(crate::kinds::names()))]
        kind: Option<String>,
        /// Each kind's own flags, one line per kind that has some.
        #[command(flatten)]
        chatwoot: Box<crate::helpdesk::chatwoot::cli::ChatwootArgs>,
        /// Event types (repeatable): `*`, `message.received`, `message.*`, ...
        #[arg(long = "event-type", default_value = "*")]
        event_types: Vec<String>,
        /// Only these channels (repeatable); none means all.
        #[arg(long = "channel")]
        channels: Vec<String>,
        #[arg(long)]
        include_raw: bool,
    },
    /// List destinations (never their secrets).
    List,
    /// One destination (secrets masked; a Chatwoot inbox's callback URL).
    Show { id: String },
    /// Change what a destination receives, or where it is.
    Update {
        id: String,
        /// The helpdesk endpoint's new URL.
        #[arg(long)]
        url: Option<String>,
        /// Event types (repeatable); replaces the list.
        #[arg(long = "event-type")]
        event_types: Vec<String>,
        /// Only these channels (repeatable); replaces the list.
        #[arg(long = "channel")]
        channels: Vec<String>,
        /// Send to every channel again (clears `--channel`).
        #[arg(long, conflicts_with = "channels")]
        all_channels: bool,
        #[arg(long)]
        include_raw: Option<bool>,
    },
    /// Delete a destination: nothing more is sent to it.
    Delete { id: String },
    /// Stop sending to a destination.
    Disable { id: String },
    /// Send to a destination again; prints how many events arrived while it was disabled.
    Enable { id: String },
    /// Send a signed test event now and show what the destination answered.
    Test { id: String },
    /// A Chatwoot destination's new callback URL; the old one is refused at once.
    RotateCallbackSecret { id: String },
}

#[derive(Subcommand, Debug)]
pub enum EventCmd {
    /// Stored events, newest last, e.g. `--conversation cnv_...`.
    List {
        #[arg(long)]
        channel: Option<String>,
        #[arg(long)]
        conversation: Option<String>,
        #[arg(long = "type")]
        event_type: Option<String>,
        /// 1 to 500.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// One event, as the helpdesk receives it.
    Show {
        id: String,
        /// Add the provider's original body.
        #[arg(long)]
        include_raw: bool,
    },
    /// Follow new events as they are stored.
    Tail {
        #[arg(long)]
        channel: Option<String>,
        #[arg(long = "type")]
        event_type: Option<String>,
        /// Stop after this many events (default: follow until interrupted).
        #[arg(long)]
        count: Option<usize>,
    },
}

#[derive(Subcommand, Debug)]
pub enum DeliveryCmd {
    /// List deliveries, e.g. the dead letters with `--status dead`.
    List {
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        destination: Option<String>,
    },
    /// One delivery: status, attempts, last error.
    Show { id: String },
    /// Queue a dead delivery again.
    Retry { id: String },
}

#[derive(Subcommand, Debug)]
pub enum TokenCmd {
    /// Create a token (printed once): `--role helpdesk` may only relay replies.
    Create {
        #[arg(long, value_parser = ["helpdesk", "admin"], default_value = "helpdesk")]
        role: String,
        #[arg(long)]
        label: String,
    },
    /// List tokens (never their values).
    List,
    /// Revoke a token.
    Delete { id: String },
}

#[derive(Subcommand, Debug)]
pub enum MessageCmd {
    /// Where a relayed reply stands.
    Show { id: String },
}

#[derive(Subcommand, Debug)]
pub enum ClientCmd {
    /// Channels and their approval states.
    #[command(subcommand)]
    Channels(ChannelCmd),
    /// Helpdesk destinations.
    #[command(subcommand)]
    Destinations(DestinationCmd),
    /// Stored events.
    #[command(subcommand)]
    Events(EventCmd),
    /// Deliveries to destinations.
    #[command(subcommand)]
    Deliveries(DeliveryCmd),
    /// API tokens.
    #[command(subcommand)]
    Tokens(TokenCmd),
    /// Agents: capacity, availability, working hours.
    #[command(subcommand)]
    Agents(agents::AgentCmd),
    /// Teams of agents.
    #[command(subcommand)]
    Teams(agents::TeamCmd),
    /// Relay a reply to the visitor of a conversation (a text, or `--content` JSON).
    Reply {
        /// The conversation's id (`cnv_...`, in each event's `data.conversation.id`).
        conversation: String,
        /// The text to send.
        #[arg(required_unless_present = "content")]
        text: Option<String>,
        /// Any reply content as JSON, e.g. '{"type":"typing_on"}'.
        #[arg(long, conflicts_with = "text")]
        content: Option<String>,
        /// Sent as `Idempotency-Key`: the same key never sends twice.
        #[arg(long)]
        idempotency_key: Option<String>,
    },
    /// Relayed replies.
    #[command(subcommand)]
    Messages(MessageCmd),
    /// What each provider can do, and the credentials its channels take.
    Providers,
    /// Send a time range of stored events to a destination again.
    Replay {
        destination: String,
        #[arg(long)]
        since: String,
        #[arg(long)]
        until: Option<String>,
    },
}

fn key_value(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.to_string()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("expected key=value, got {s:?}"))
}

/// Runs a client command and returns the process exit code.
pub fn run(target: Target, cmd: ClientCmd) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("omnigate: {e}");
            return ExitCode::Unavailable;
        }
    };
    runtime.block_on(commands::run(target, cmd))
}
