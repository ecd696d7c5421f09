//! The admin API (`/v1`): channels, destinations, events, deliveries and tokens.

pub mod channels;
pub mod deliveries;
pub mod destination_test;
pub mod destinations;
pub mod event_stream;
pub mod events;
pub mod paging;
pub mod tokens;
