//! Sign-in throttling: how long an account waits after failed sign-ins, and which address a
//! request comes from when proxies stand in front.

use std::net::IpAddr;

/// Failed sign-ins an account may have before it has to wait.
pub const FREE_FAILURES: u32 = 5;
/// The longest wait, in seconds.
pub const MAX_WAIT_SECS: i64 = 15 * 60;

/// Seconds an account waits after `failures` failed sign-ins in a row: none after the first
/// five, then 2, 4, 8 … seconds, at most fifteen minutes. Guessing one account's password from
/// many addresses is slowed; other accounts are untouched.
pub fn wait_after(failures: u32) -> i64 {
    if failures <= FREE_FAILURES {
        return 0;
    }
    let exponent = (failures - FREE_FAILURES).min(20);
    (1i64 << exponent).min(MAX_WAIT_SECS)
}

/// The client's address: the peer's, unless the peer is a trusted proxy, in which case the
/// nearest address in `X-Forwarded-For` that is not a trusted proxy (addresses further left
/// were written by the client and prove nothing).
pub fn client_address(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[ipnet::IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let Some(header) = forwarded_for else { return peer };
    let mut last = peer;
    for hop in header.rsplit(',').map(str::trim) {
        match hop.parse::<IpAddr>() {
            Ok(ip) if is_trusted(&ip) => last = ip,
            Ok(ip) => return ip,
            Err(_) => return last,
        }
    }
    last
}

/// Reads `trusted_proxies`: addresses or networks ("10.0.0.5", "10.0.0.0/8", "::1").
pub fn parse_trusted(list: &[String]) -> Result<Vec<ipnet::IpNet>, String> {
    list.iter()
        .map(|s| {
            let s = s.trim();
            s.parse::<ipnet::IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| format!("trusted_proxies: {s:?} is not an address or network"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_and_stop_growing() {
        assert_eq!((0..=5).map(wait_after).sum::<i64>(), 0);
        assert_eq!((wait_after(6), wait_after(7), wait_after(8)), (2, 4, 8));
        assert_eq!(wait_after(40), MAX_WAIT_SECS);
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let trusted = parse_trusted(&["10.0.0.0/8".into(), "::1".into()]).unwrap();
        let client: IpAddr = "203.0.113.9".parse().unwrap();
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        // A direct client cannot pretend to be someone else.
        assert_eq!(client_address(client, Some("198.51.100.1"), &trusted), client);
        // Through the proxy, the address the proxy saw; what the client wrote further left is ignored.
        assert_eq!(client_address(proxy, Some("198.51.100.1, 203.0.113.9"), &trusted), client);
        assert_eq!(client_address(proxy, Some("203.0.113.9, 10.0.0.3"), &trusted), client);
        assert_eq!(client_address(proxy, None, &trusted), proxy);
        assert!(parse_trusted(&["nonsense".into()]).is_err());
    }
}
