//! The admin API (`/v1`): channels, destinations, events, deliveries, tokens, and the agents
//! and teams of routing.

pub mod agent_views;
pub mod agents;
pub mod channels;
pub mod deliveries;
pub mod destination_test;
pub mod destinations;
pub mod event_stream;
pub mod events;
pub mod paging;
pub mod teams;
pub mod tokens;
