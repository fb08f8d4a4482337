//! Which addresses relinks may send requests to on a user's behalf (verifying a link's file):
//! public ones only, as GitLab's `UrlBlocker` decides, unless the administrator allows requests
//! to the local network. A user must not be able to make the server reach what only it can reach
//! (its own loopback, the private network it sits in, the cloud's metadata service).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is refused, in GitLab's words (`Gitlab::HTTP_V2::UrlBlocker`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocked {
    Localhost,
    LinkLocal,
    LocalNetwork,
    Scheme,
}

impl Blocked {
    pub fn message(self) -> &'static str {
        match self {
            Self::Localhost => "Requests to localhost are not allowed",
            Self::LinkLocal => "Requests to the link local network are not allowed",
            Self::LocalNetwork => "Requests to the local network are not allowed",
            Self::Scheme => "Only allowed schemes are http, https",
        }
    }
}

impl std::fmt::Display for Blocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for Blocked {}

/// Why `ip` may not be reached, or `None` when it is a public address.
pub fn blocked(ip: IpAddr) -> Option<Blocked> {
    match ip {
        IpAddr::V4(v4) => blocked_v4(v4),
        IpAddr::V6(v6) => blocked_v6(v6),
    }
}

fn in_v4(ip: Ipv4Addr, network: [u8; 4], prefix: u32) -> bool {
    let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
    (u32::from(ip) & mask) == (u32::from(Ipv4Addr::from(network)) & mask)
}

fn blocked_v4(ip: Ipv4Addr) -> Option<Blocked> {
    if ip.is_loopback() || ip.is_unspecified() {
        return Some(Blocked::Localhost);
    }
    if ip.is_link_local() {
        return Some(Blocked::LinkLocal);
    }
    // Private, shared (CGNAT), IETF, documentation, benchmarking, multicast, reserved and
    // broadcast ranges: none is a public server's address.
    const LOCAL: [([u8; 4], u32); 12] = [
        ([0, 0, 0, 0], 8),
        ([10, 0, 0, 0], 8),
        ([100, 64, 0, 0], 10),
        ([172, 16, 0, 0], 12),
        ([192, 0, 0, 0], 24),
        ([192, 0, 2, 0], 24),
        ([192, 168, 0, 0], 16),
        ([198, 18, 0, 0], 15),
        ([198, 51, 100, 0], 24),
        ([203, 0, 113, 0], 24),
        ([224, 0, 0, 0], 4),
        ([240, 0, 0, 0], 4),
    ];
    LOCAL
        .iter()
        .any(|(network, prefix)| in_v4(ip, *network, *prefix))
        .then_some(Blocked::LocalNetwork)
}

fn blocked_v6(ip: Ipv6Addr) -> Option<Blocked> {
    if ip.is_loopback() || ip.is_unspecified() {
        return Some(Blocked::Localhost);
    }
    // An IPv4 address in IPv6 clothing is judged as itself: mapped (::ffff:a.b.c.d), NAT64
    // (64:ff9b::a.b.c.d) and 6to4 (2002:AABB:CCDD::).
    let segments = ip.segments();
    let embedded = if let Some(v4) = ip.to_ipv4_mapped() {
        Some(v4)
    } else if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [.., a, b, c, d] = ip.octets();
        Some(Ipv4Addr::new(a, b, c, d))
    } else if segments[0] == 0x2002 {
        let [_, _, a, b, c, d, ..] = ip.octets();
        Some(Ipv4Addr::new(a, b, c, d))
    } else {
        None
    };
    if let Some(v4) = embedded {
        return blocked_v4(v4);
    }
    let local = match segments[0] {
        0xfe80..=0xfebf => return Some(Blocked::LinkLocal),
        // Unique local, multicast, and the rest of ::/8 (IPv4-compatible and other reserved
        // forms).
        0xfc00..=0xfdff | 0xff00..=0xffff | 0 => true,
        // Documentation, and the IETF's own (Teredo included).
        0x2001 => segments[1] == 0x0db8 || segments[1] < 0x0200,
        // Discard-only.
        0x0100 => segments[1..4] == [0, 0, 0],
        _ => false,
    };
    local.then_some(Blocked::LocalNetwork)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(text: &str) -> Option<Blocked> {
        blocked(text.parse().expect("an address"))
    }

    #[test]
    fn loopback_and_unspecified_are_localhost() {
        for ip in [
            "127.0.0.1",
            "127.9.9.9",
            "0.0.0.0",
            "::1",
            "::",
            "::ffff:127.0.0.1",
        ] {
            assert_eq!(judged(ip), Some(Blocked::Localhost), "{ip}");
        }
    }

    #[test]
    fn link_local_addresses_are_refused_the_cloud_metadata_service_among_them() {
        for ip in [
            "169.254.169.254",
            "fe80::1",
            "::ffff:169.254.1.1",
            "64:ff9b::a9fe:a9fe",
        ] {
            assert_eq!(judged(ip), Some(Blocked::LinkLocal), "{ip}");
        }
    }

    #[test]
    fn private_and_reserved_ranges_are_the_local_network() {
        for ip in [
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "0.1.2.3",
            "fd00::1",
            "fc00::1",
            "ff02::1",
            "2001:db8::1",
            "2001::1",
            "2002:0a00:0001::",
            "::10.0.0.1",
        ] {
            assert_eq!(judged(ip), Some(Blocked::LocalNetwork), "{ip}");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "192.169.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "2a00:1450:4001::200e",
            "2002:0808:0808::",
            "::ffff:8.8.8.8",
        ] {
            assert_eq!(judged(ip), None, "{ip}");
        }
    }
}
