//! Domain types shared by the HTTP layer, the store and the forwarder.

pub mod channel;
pub mod destination;
pub mod envelope;
pub mod ids;
pub mod reply;
pub mod secret;
pub mod time;
