//! Settings of the ADM fulfillment client. The API key is a [`Secret`]: `Debug` never prints it.

use std::time::Duration;

pub use orderbridge_domain::values::Secret;

/// Where and how to reach ADM's Create Fulfillment endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdmConfig {
    /// ADM's API root, such as `https://api.adm.example`: `https`, or `http` to a loopback
    /// address (or anywhere with `allow_insecure_http`).
    pub base_url: String,
    /// The Create Fulfillment path under `base_url`; default
    /// [`AdmConfig::DEFAULT_FULFILLMENT_PATH`].
    pub fulfillment_path: String,
    /// The API key ADM issued.
    pub api_key: Secret,
    /// The header that carries the key: `None` sends `Authorization: Bearer <key>`, `Some(h)`
    /// sends `h: <key>`.
    pub api_key_header: Option<String>,
    /// How long to wait for a connection; default 5 s.
    pub connect_timeout: Duration,
    /// How long a whole call may take, connection included; default 15 s.
    pub request_timeout: Duration,
    /// Allows plain `http` to a host that is not loopback (tests only); default false.
    pub allow_insecure_http: bool,
}

impl AdmConfig {
    /// The Create Fulfillment path when none is configured.
    pub const DEFAULT_FULFILLMENT_PATH: &'static str = "/fulfillments";
    /// The connect timeout when none is configured.
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
    /// The whole-call timeout when none is configured.
    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

    /// Settings with the defaults: path `/fulfillments`, bearer key, 5 s to connect, 15 s per
    /// call.
    #[must_use]
    pub fn new(base_url: impl Into<String>, api_key: Secret) -> Self {
        Self {
            base_url: base_url.into(),
            fulfillment_path: Self::DEFAULT_FULFILLMENT_PATH.to_owned(),
            api_key,
            api_key_header: None,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            request_timeout: Self::DEFAULT_REQUEST_TIMEOUT,
            allow_insecure_http: false,
        }
    }

    /// Allows (or not) a plain `http` base URL to a host that is not loopback, which sends the
    /// API key in clear: for tests only.
    #[must_use]
    pub fn with_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Another Create Fulfillment path.
    #[must_use]
    pub fn with_fulfillment_path(mut self, path: impl Into<String>) -> Self {
        self.fulfillment_path = path.into();
        self
    }

    /// Sends the key as the value of `header` instead of `Authorization: Bearer`.
    #[must_use]
    pub fn with_api_key_header(mut self, header: impl Into<String>) -> Self {
        self.api_key_header = Some(header.into());
        self
    }

    /// Another connect timeout.
    #[must_use]
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Another whole-call timeout.
    #[must_use]
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// The full Create Fulfillment URL: `base_url` and `fulfillment_path` joined by one `/`.
    pub(crate) fn fulfillment_url(&self) -> Result<reqwest::Url, AdmConfigError> {
        let base = self.base_url.trim().trim_end_matches('/');
        let path = self.fulfillment_path.trim().trim_start_matches('/');
        let joined = format!("{base}/{path}");
        let url = reqwest::Url::parse(&joined).map_err(|error| AdmConfigError::InvalidUrl {
            reason: error.to_string(),
        })?;
        let Some(host) = url
            .host_str()
            .filter(|_| matches!(url.scheme(), "http" | "https"))
        else {
            return Err(AdmConfigError::InvalidUrl {
                reason: "expected an https URL with a host".to_owned(),
            });
        };
        orderbridge_domain::transport::check(url.scheme(), host, self.allow_insecure_http)
            .map_err(|e| AdmConfigError::InvalidUrl {
                reason: e.to_string(),
            })?;
        Ok(url)
    }
}

/// Why an [`AdmClient`](crate::AdmClient) could not be built. No variant holds the key.
#[derive(Debug, thiserror::Error)]
pub enum AdmConfigError {
    /// `base_url` plus `fulfillment_path` is not an http(s) URL.
    #[error("ADM base URL or fulfillment path is invalid: {reason}")]
    InvalidUrl {
        /// What is wrong with it.
        reason: String,
    },
    /// The API key is empty.
    #[error("ADM API key is empty")]
    EmptyApiKey,
    /// The API key holds characters an HTTP header cannot carry.
    #[error("ADM API key holds characters an HTTP header cannot carry")]
    InvalidApiKey,
    /// `api_key_header` is not a valid header name.
    #[error("ADM API key header {0:?} is not a valid HTTP header name")]
    InvalidHeaderName(String),
    /// A timeout is zero.
    #[error("ADM {0} timeout must be more than zero")]
    ZeroTimeout(&'static str),
    /// The HTTP client could not be built.
    #[error("could not build the HTTP client for ADM")]
    Client(#[source] reqwest::Error),
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{AdmConfig, AdmConfigError, Secret};

    #[test]
    fn debug_output_never_shows_the_api_key() {
        let config = AdmConfig::new("https://adm.example", Secret::new("s3cr3t-key"));
        let printed = format!("{config:?}");
        assert!(!printed.contains("s3cr3t"), "{printed}");
        assert!(printed.contains("[redacted]"), "{printed}");
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let config = AdmConfig::new("https://adm.example", Secret::new("k"));
        assert_eq!(config.fulfillment_path, "/fulfillments");
        assert_eq!(config.api_key_header, None);
        assert_eq!(config.connect_timeout, Duration::from_secs(5));
        assert_eq!(config.request_timeout, Duration::from_secs(15));
    }

    #[test]
    fn base_url_and_path_are_joined_with_one_slash() {
        let urls = [
            ("https://adm.example", "/fulfillments"),
            ("https://adm.example/", "fulfillments"),
            ("https://adm.example/", "/fulfillments"),
        ];
        for (base, path) in urls {
            let config = AdmConfig::new(base, Secret::new("k")).with_fulfillment_path(path);
            assert_eq!(
                config.fulfillment_url().map(|u| u.to_string()).ok(),
                Some("https://adm.example/fulfillments".to_owned())
            );
        }
        let nested = AdmConfig::new("http://127.0.0.1:8080/api/v1", Secret::new("k"));
        assert_eq!(
            nested.fulfillment_url().map(|u| u.to_string()).ok(),
            Some("http://127.0.0.1:8080/api/v1/fulfillments".to_owned())
        );
    }

    #[test]
    fn plain_http_is_refused_except_to_loopback_or_when_allowed() {
        let refused = AdmConfig::new("http://adm.example", Secret::new("k"));
        let Err(AdmConfigError::InvalidUrl { reason }) = refused.fulfillment_url() else {
            panic!("plain http to adm.example was accepted");
        };
        assert!(reason.contains("allow_insecure_http"), "{reason}");
        let allowed = refused.with_insecure_http(true);
        assert!(allowed.fulfillment_url().is_ok());
        for base in ["http://127.0.0.1:9", "http://localhost:9", "http://[::1]:9"] {
            assert!(
                AdmConfig::new(base, Secret::new("k"))
                    .fulfillment_url()
                    .is_ok(),
                "{base}"
            );
        }
    }

    #[test]
    fn a_base_url_that_is_not_http_is_refused() {
        for base in [
            "ftp://adm.example",
            "adm.example",
            "",
            "mailto:x@adm.example",
        ] {
            let config = AdmConfig::new(base, Secret::new("k"));
            assert!(
                matches!(
                    config.fulfillment_url(),
                    Err(AdmConfigError::InvalidUrl { .. })
                ),
                "{base:?}"
            );
        }
    }
}
