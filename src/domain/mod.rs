//! Types and rules of a staged bulletin board. Nothing here touches a database or the network.

pub mod email;
pub mod markdown;
pub mod participants_csv;
pub mod roles;
pub mod timezone;
pub mod tokens;
pub mod visibility;
