//! Every destination kind, one line each in [`KINDS`]. A kind is a variant of
//! [`DestinationKind`], a [`Deliverer`], and a settings module implementing [`Kind`]: the
//! admin API and the CLI dispatch on it by name and know nothing of any kind's fields.

use serde_json::{Map, Value};
use utoipa::openapi::schema::{ObjectBuilder, Schema};
use utoipa::openapi::RefOr;
use utoipa::PartialSchema;

use crate::domain::destination::{Destination, DestinationKind, FieldError};
use crate::forwarder::Deliverer;

/// Every kind; `webhook` is the default.
const KINDS: &[&dyn Kind] = &[
    &crate::forwarder::webhook_settings::WebhookKind,
    &crate::helpdesk::chatwoot::settings::ChatwootKind,
    &crate::sinks::nats::KIND,
    &crate::sinks::redis_stream::KIND,
    &crate::sinks::amqp::KIND,
];

/// The kind a body names when it names none.
pub const DEFAULT: &str = "webhook";

/// A new or changed destination's kind, with where its deliveries go.
pub struct Made {
    pub kind: DestinationKind,
    /// The destination's `url`: where deliveries go (checked against the egress rules).
    pub url: String,
    /// The body field that named it, for the egress refusal.
    pub target_field: &'static str,
}

/// What the admin API and the CLI need of a destination kind.
pub trait Kind: Sync {
    fn name(&self) -> &'static str;
    /// The body fields it takes, besides those every destination has (`event_types`,
    /// `channels`, `include_raw`, `enabled`).
    fn fields(&self) -> &'static [&'static str];
    /// Those of its fields where an explicit `null` means something (removes a value).
    fn nullable_fields(&self) -> &'static [&'static str] {
        &[]
    }
    /// How it receives events.
    fn deliverer(&self) -> &'static dyn Deliverer;
    /// Whether a helpdesk calls the gateway back (its URL must then be reachable).
    fn has_callback(&self) -> bool {
        false
    }
    /// Whether the destination's signing secret is shown once on creation (it signs webhooks).
    fn shows_signing_secret(&self) -> bool {
        false
    }
    /// Whether `POST /v1/destinations/{id}/test` can send it a signed test event.
    fn takes_test_events(&self) -> bool {
        false
    }
    /// A new destination of this kind from its fields (only this kind's fields are given).
    fn create(&self, fields: &Map<String, Value>) -> Result<Made, FieldError>;
    /// `current` with the given fields changed; `None`: nothing of the kind changes.
    fn update(
        &self,
        current: &DestinationKind,
        fields: &Map<String, Value>,
    ) -> Result<Option<Made>, FieldError>;
    /// What it adds to the destination's answer, at the top level (secrets masked).
    fn shown(&self, _d: &Destination, _public_base: &str) -> Map<String, Value> {
        Map::new()
    }
    /// The settings with a new callback secret; `None`: the kind has no callback.
    fn rotate_callback_secret(&self, _kind: &DestinationKind) -> Option<DestinationKind> {
        None
    }
}

pub fn by_name(name: &str) -> Option<&'static dyn Kind> {
    KINDS.iter().copied().find(|k| k.name() == name)
}

/// The kind of a stored destination.
pub fn of(d: &Destination) -> &'static dyn Kind {
    by_name(d.kind_name()).unwrap_or(KINDS[0])
}

/// Every kind's name, for the CLI's choices and error messages.
pub fn names() -> Vec<&'static str> {
    KINDS.iter().map(|k| k.name()).collect()
}

/// Which kind takes a body field (`None`: no kind does).
pub fn owner_of(field: &str) -> Option<&'static dyn Kind> {
    KINDS.iter().copied().find(|k| k.fields().contains(&field))
}

/// The kinds' body fields as one documented object (each kind's fields, flattened into the
/// create and update bodies).
pub struct KindFields;

impl PartialSchema for KindFields {
    fn schema() -> RefOr<Schema> {
        let mut all = ObjectBuilder::new();
        for schema in [
            crate::forwarder::webhook_settings::WebhookFields::schema(),
            crate::helpdesk::chatwoot::settings::ChatwootFields::schema(),
            crate::sinks::kind::StreamFields::schema(),
        ] {
            if let RefOr::T(Schema::Object(o)) = schema {
                for (name, property) in o.properties {
                    all = all.property(name, property);
                }
            }
        }
        all.into()
    }
}

impl utoipa::ToSchema for KindFields {}

/// What the kinds add to a destination's answer, as one documented object.
pub struct KindViews;

impl PartialSchema for KindViews {
    fn schema() -> RefOr<Schema> {
        let mut all = ObjectBuilder::new();
        for schema in [
            crate::helpdesk::chatwoot::settings::ChatwootView::schema(),
            crate::sinks::kind::StreamView::schema(),
        ] {
            if let RefOr::T(Schema::Object(o)) = schema {
                for (name, property) in o.properties {
                    all = all.property(name, property);
                }
            }
        }
        all.into()
    }
}

impl utoipa::ToSchema for KindViews {}
