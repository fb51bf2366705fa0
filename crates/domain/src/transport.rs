//! The transport rule for calls out (design section 12): marketplace and alert URLs use
//! HTTPS, so that keys, passwords and customer data never cross a network in clear; plain
//! `http` is allowed to a loopback address (127.0.0.0/8, `::1`, `localhost`: the sandboxes and
//! local tests), or where the account's or section's `allow_insecure_http` setting says so.

use std::net::{IpAddr, Ipv6Addr};

/// A plain-`http` URL to a host that is not loopback, without the setting that allows it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "plain http:// to {host} would send credentials in clear: use https://, or set \
     allow_insecure_http = true (tests only)"
)]
pub struct InsecureUrl {
    /// The host named.
    pub host: String,
}

/// Whether `host` (as a URL gives it: `127.0.0.1`, `[::1]`, `localhost`) is a loopback
/// address, which plain `http` may reach.
#[must_use]
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_end_matches('.');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    match bare.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.is_loopback(),
        Ok(IpAddr::V6(v6)) => {
            v6 == Ipv6Addr::LOCALHOST || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => false,
    }
}

/// Checks a parsed URL's `scheme` and `host` against the rule: `https` always; `http` only to
/// loopback or with `allow_insecure`. Other schemes are the caller's to refuse.
///
/// # Errors
/// [`InsecureUrl`] for plain `http` to any other host without `allow_insecure`.
pub fn check(scheme: &str, host: &str, allow_insecure: bool) -> Result<(), InsecureUrl> {
    if scheme.eq_ignore_ascii_case("http") && !allow_insecure && !is_loopback(host) {
        return Err(InsecureUrl {
            host: host.to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{check, is_loopback};

    #[test]
    fn loopback_addresses_and_localhost_are_loopback_and_nothing_else() {
        for host in [
            "127.0.0.1",
            "127.8.9.10",
            "127.255.255.254",
            "[::1]",
            "::1",
            "localhost",
            "LocalHost",
            "localhost.",
            "[::ffff:127.0.0.1]",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in [
            "128.0.0.1",
            "10.0.0.1",
            "0.0.0.0",
            "[::]",
            "[::2]",
            "adm.example",
            "localhost.example",
            "127.0.0.1.nip.io",
            "mylocalhost",
            "",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn https_passes_and_http_only_to_loopback_or_when_allowed() {
        assert!(check("https", "adm.example", false).is_ok());
        assert!(check("http", "127.0.0.1", false).is_ok());
        assert!(check("http", "adm.example", true).is_ok());
        let refused = check("http", "adm.example", false).unwrap_err();
        assert_eq!(refused.host, "adm.example");
        assert!(
            refused.to_string().contains("allow_insecure_http"),
            "{refused}"
        );
        assert!(check("HTTP", "adm.example", false).is_err());
    }
}
