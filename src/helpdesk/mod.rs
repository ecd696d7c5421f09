//! Helpdesk destinations that write into a helpdesk's own objects through its API, rather than
//! receiving signed webhooks: the forwarder hands them one delivery at a time, with the same
//! lanes, order, retries, dead letters and replays as a webhook destination.

pub mod chatwoot;
