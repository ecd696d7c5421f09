//! Stream destinations: the `nats` (JetStream), `redis_stream` and `amqp` (RabbitMQ) kinds
//! publish the envelope a webhook destination receives to a broker a data team runs, with the
//! same guarantees: an event counts as delivered only once the broker confirmed it (a JetStream
//! publish ack, Redis' reply to `XADD`, an AMQP publisher confirm); anything else is retried on
//! the destination's schedule, one event of a conversation at a time.
//!
//! Shared here, written once: the message (body and headers, [`message`]), the subject and key
//! templates ([`template`]), the settings every broker kind has ([`settings`]), the cached
//! connection per destination ([`links`]) and the attempt that ties them together
//! ([`attempt`]). Each broker is one file with its client crate: [`nats`], [`redis_stream`],
//! [`amqp`].

pub mod amqp;
mod attempt;
pub mod kind;
pub mod links;
pub mod message;
pub mod nats;
pub mod redis_stream;
pub mod settings;
pub mod template;

pub use links::Links;
