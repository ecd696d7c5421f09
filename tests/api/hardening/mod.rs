//! Hostile input, floods, outbound safety, faults, crashes and secrets: what a gateway on the
//! public internet meets, each asserted by what a user would notice.

mod admin_tokens;
mod catalogue;
mod crash;
mod egress;
mod fair_share;
mod faults;
mod floods;
mod relay_faults;
mod secrets;
mod slow_clients;
mod support;
