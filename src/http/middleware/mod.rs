//! What runs around every handler: request ids, flood control and header limits, and the
//! bearer-token extractors.

pub mod auth;
pub mod auth_failures;
pub mod guard;
pub mod request_id;
pub mod slow_clients;
