//! Credentials: [`Secret`], one type for every key, password and signing secret, whose `Debug`
//! never shows it, and [`ApiKeys`], the keys one kind of caller may present.

use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};

/// A secret string (an API key, a password, a signing secret, a URL with a password in it).
/// `Debug` prints `[redacted]`; there is no `Display`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    #[must_use]
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself; call only where it is used.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether it is empty (an unset credential).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The SHA-256 digest of a key: what [`ApiKeys`] keeps and compares.
type KeyDigest = [u8; 32];

fn digest(key: &[u8]) -> KeyDigest {
    Sha256::digest(key).into()
}

/// The API keys accepted from one kind of caller, several at once for rotation. Empty means
/// nobody is let in. Only the keys' SHA-256 digests are kept: every comparison is between two
/// 32-byte values, so its time tells nothing about a key's length or how much of it matched.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ApiKeys(Vec<KeyDigest>);

impl ApiKeys {
    /// These keys; empty ones are dropped.
    #[must_use]
    pub fn new(keys: impl IntoIterator<Item = Secret>) -> Self {
        Self(
            keys.into_iter()
                .filter(|k| !k.is_empty())
                .map(|k| digest(k.expose().as_bytes()))
                .collect(),
        )
    }

    /// True when `presented` equals one of the keys. Its digest is compared with every key's,
    /// in constant time and without stopping at a match, so timing tells nothing about which
    /// key matched, nor about any key's length or prefix.
    #[must_use]
    pub fn accepts(&self, presented: &str) -> bool {
        let presented = digest(presented.as_bytes());
        let found = self
            .0
            .iter()
            .fold(Choice::from(0), |found, key| found | key.ct_eq(&presented));
        bool::from(found)
    }

    /// True when no key is configured.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeys")
            .field("keys", &self.0.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::{ApiKeys, Secret, digest};

    #[test]
    fn any_active_key_is_accepted_and_no_other() {
        let keys = ApiKeys::new([Secret::new("old"), Secret::new("new"), Secret::new("")]);
        assert!(keys.accepts("old") && keys.accepts("new"));
        assert!(!keys.accepts("") && !keys.accepts("ne") && !keys.accepts("newer"));
        assert!(ApiKeys::new([Secret::new("")]).is_empty());
        assert!(!ApiKeys::default().accepts(""));
    }

    #[test]
    fn keys_are_compared_as_digests_of_one_length_so_neither_length_nor_prefix_gets_in() {
        let key = "k3y-0123456789abcdef";
        let keys = ApiKeys::new([Secret::new(key)]);
        assert!(keys.accepts(key), "the equal key");
        // Shorter, longer, a prefix, the key with a byte changed at either end, another case.
        for other in [
            "k",
            "k3y-0123456789abcde",
            "k3y-0123456789abcdefg",
            "k3y-0123456789abcdef ",
            "K3y-0123456789abcdef",
            "k3y-0123456789abcdeF",
            "x".repeat(4096).as_str(),
        ] {
            assert!(!keys.accepts(other), "{other:?} was let in");
        }
        // What is compared is one length for every input: 32 bytes of SHA-256.
        assert_eq!(digest(b"").len(), 32);
        assert_eq!(digest(&[b'x'; 4096]).len(), 32);
        assert_eq!(keys.0, [digest(key.as_bytes())], "only the digest is kept");
        assert!(!format!("{keys:?}").contains(key));
    }

    #[test]
    fn a_secret_never_shows_in_debug_output() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?}"), "[redacted]");
        let keys = ApiKeys::new([secret]);
        assert!(!format!("{keys:?}").contains("hunter2"));
    }
}
