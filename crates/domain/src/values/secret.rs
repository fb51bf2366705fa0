//! Credentials: [`Secret`], one type for every key, password and signing secret, whose `Debug`
//! never shows it, and [`ApiKeys`], the keys one kind of caller may present.

use subtle::ConstantTimeEq;

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

/// The API keys accepted from one kind of caller, several at once for rotation. Empty means
/// nobody is let in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiKeys(Vec<Secret>);

impl ApiKeys {
    /// These keys; empty ones are dropped.
    #[must_use]
    pub fn new(keys: impl IntoIterator<Item = Secret>) -> Self {
        Self(keys.into_iter().filter(|k| !k.is_empty()).collect())
    }

    /// True when `presented` equals one of the keys. Every key is compared, in constant time,
    /// so timing tells nothing about which key or how much of it matched.
    #[must_use]
    pub fn accepts(&self, presented: &str) -> bool {
        let presented = presented.as_bytes();
        self.0.iter().fold(false, |found, key| {
            found | bool::from(key.0.as_bytes().ct_eq(presented))
        })
    }

    /// True when no key is configured.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::{ApiKeys, Secret};

    #[test]
    fn any_active_key_is_accepted_and_no_other() {
        let keys = ApiKeys::new([Secret::new("old"), Secret::new("new"), Secret::new("")]);
        assert!(keys.accepts("old") && keys.accepts("new"));
        assert!(!keys.accepts("") && !keys.accepts("ne") && !keys.accepts("newer"));
        assert!(ApiKeys::new([Secret::new("")]).is_empty());
        assert!(!ApiKeys::default().accepts(""));
    }

    #[test]
    fn a_secret_never_shows_in_debug_output() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?}"), "[redacted]");
        let keys = ApiKeys::new([secret]);
        assert!(!format!("{keys:?}").contains("hunter2"));
    }
}
