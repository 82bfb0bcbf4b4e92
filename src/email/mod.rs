//! Email: composing messages from templates, the transport (SMTP or .eml files), and the
//! outbox worker that sends what actions queued.

pub mod compose;
pub mod inbound;
pub mod transport;
pub mod worker;
