//! The parts of `provider_event.detail` shared by every Naver event, and the conversion of the
//! typed per-event detail structs into the JSON map the event model carries.
//!
//! Naming rule for every detail shape in this crate: a field copied from Naver keeps Naver's
//! name (`inflow`, `echoedEvent`, `noReflectBot`), so a helpdesk developer can look it up in
//! Naver's docs; a field omnigate derives is snake_case (`closed_by`, `thread_owner`). Only
//! documented fields are copied; anything else Naver adds stays in the raw body the gateway
//! keeps, so a new field never changes what a helpdesk already relies on.

use serde::Serialize;
use serde_json::{Map, Value};

use super::fields;

/// Fields Naver attaches to many events without documenting them (§3 of the provider notes).
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct Common {
    /// `options.mobile`: undocumented; most likely whether the user (or agent) is on mobile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mobile: Option<bool>,
    /// `options.noReflectBot`: undocumented, meaning unknown; kept for the helpdesk's logs.
    #[serde(rename = "noReflectBot", skip_serializing_if = "Option::is_none")]
    pub no_reflect_bot: Option<bool>,
    /// Top-level `partner`: the TalkTalk account id, removed from live traffic in 2018 but still
    /// in the docs' examples.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner: Option<String>,
}

impl Common {
    pub fn read(obj: &Map<String, Value>, options: &Map<String, Value>) -> Self {
        Common {
            mobile: fields::flag_at(options, "mobile"),
            no_reflect_bot: fields::flag_at(options, "noReflectBot"),
            partner: fields::text_at(obj, "partner"),
        }
    }
}

/// Serializes a typed detail struct into the event's detail map.
pub fn to_map<T: Serialize>(detail: &T) -> Map<String, Value> {
    // The detail structs hold only strings, numbers, booleans and JSON values, which always
    // serialize; the fallback exists so that this can never be a panic.
    match serde_json::to_value(detail) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}
