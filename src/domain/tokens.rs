//! Secrets handed to people (sign-in links, API tokens) are random, shown once, and stored only
//! as a SHA-256 hash, so a copy of the database cannot be used to sign in.

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

pub struct NewSecret {
    /// What the person receives.
    pub plain: String,
    /// What the database keeps.
    pub hash: String,
}

pub fn generate() -> NewSecret {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let plain = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash(&plain);
    NewSecret { plain, hash }
}

/// 32 random bytes as URL-safe text, from the thread's generator (seeded from the operating
/// system), with no hash: for values that are compared as sent and never stored as secrets
/// (a page's one-time form token).
pub fn random() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// 16 random bytes from the operating system as lower-case hex: a reply key, which must
/// survive mail servers that change the case of an address.
pub fn random_key() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn hash(plain: &str) -> String {
    hex::encode(Sha256::digest(plain.as_bytes()))
}

/// Compares without stopping at the first differing byte.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_distinct_and_hash_back() {
        let a = generate();
        let b = generate();
        assert_ne!(a.plain, b.plain);
        assert_eq!(hash(&a.plain), a.hash);
        assert!(!a.hash.contains(&a.plain));
        assert!(constant_time_eq(&a.hash, &hash(&a.plain)));
        assert!(!constant_time_eq(&a.hash, &b.hash));
    }
}
