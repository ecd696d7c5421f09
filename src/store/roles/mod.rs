//! The store contract by role: each consumer names the narrowest role it needs, and each
//! record type lives next to the role that stores it.

mod agents;
mod channels;
mod deliveries;
mod destinations;
mod events;
mod links;
mod replies;
mod tokens;

pub use agents::*;
pub use channels::*;
pub use deliveries::*;
pub use destinations::*;
pub use events::*;
pub use links::*;
pub use replies::*;
pub use tokens::*;
