//! Live-chat routing: who may be offered a conversation. Today this room holds the agents
//! and teams (`agents`) and their working hours (`hours`), kept by the store's `Agents` role and
//! managed through `/v1/agents` and `/v1/teams`. Channels are not routed yet: every event goes
//! to every matching destination as before.

pub mod agents;
pub mod hours;
