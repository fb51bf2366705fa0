//! Settings of the FeedAMP client. The password is a [`Secret`]: `Debug` never prints it.

use std::time::Duration;

use orderbridge_domain::values::ChannelId;
pub use orderbridge_domain::values::Secret;

/// Where and how to reach one FeedAMP account, and which orderbridge channel it feeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedampConfig {
    /// The orderbridge channel account the orders belong to (`feedamp`, `feedamp-eu`).
    pub channel: ChannelId,
    /// FeedAMP's API root, such as `https://api.feedamp.feedonomics.com`: `https`, or `http`
    /// to a loopback address (or anywhere with `allow_insecure_http`).
    pub base_url: String,
    /// The Basic-auth user name for the token route (and every data call).
    pub username: String,
    /// The Basic-auth password.
    pub password: Secret,
    /// The FeedAMP client (account) id, sent as the `client` header.
    pub client_id: String,
    /// The token route; default [`FeedampConfig::DEFAULT_TOKEN_PATH`].
    pub token_path: String,
    /// The "get new orders" route; default [`FeedampConfig::DEFAULT_NEW_ORDERS_PATH`].
    pub new_orders_path: String,
    /// Orders per page, 50 to 200 (FeedAMP's range); default 100.
    pub page_limit: u32,
    /// The least time between two calls of one client, token calls included; default 500 ms
    /// (FeedAMP's recommended maximum of 2 requests per second).
    pub min_interval: Duration,
    /// How long to wait for a connection; default 5 s.
    pub connect_timeout: Duration,
    /// How long one call may take, connection included; default 30 s.
    pub request_timeout: Duration,
    /// The carrier sent for a shipment recorded without one. `None` (the default) parks such
    /// an order's fulfil call instead of sending a made-up carrier.
    pub default_carrier: Option<String>,
    /// Allows plain `http` to a host that is not loopback (tests only); default false.
    pub allow_insecure_http: bool,
}

impl FeedampConfig {
    /// The token route when none is configured (the reference's best reading: "the v1
    /// get_token route").
    pub const DEFAULT_TOKEN_PATH: &'static str = "/api/v1/get_token";
    /// The new-orders route when none is configured. The documents leave open whether it is
    /// `/api/v1/orders` or `/api/v1/orders/new`; the page slug `get-orders-new` points here.
    pub const DEFAULT_NEW_ORDERS_PATH: &'static str = "/api/v1/orders/new";
    /// The page size when none is configured (FeedAMP's own default).
    pub const DEFAULT_PAGE_LIMIT: u32 = 100;
    /// The smallest page size FeedAMP accepts.
    pub const MIN_PAGE_LIMIT: u32 = 50;
    /// The largest page size FeedAMP accepts.
    pub const MAX_PAGE_LIMIT: u32 = 200;
    /// The spacing when none is configured: 2 requests per second.
    pub const DEFAULT_MIN_INTERVAL: Duration = Duration::from_millis(500);
    /// The longest spacing accepted (one call a minute).
    pub const MAX_MIN_INTERVAL: Duration = Duration::from_secs(60);
    /// The connect timeout when none is configured.
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
    /// The whole-call timeout when none is configured.
    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

    /// Settings with the defaults: the v1 routes above, 100 orders a page, 2 requests a
    /// second, 5 s to connect, 30 s per call, no default carrier.
    #[must_use]
    pub fn new(
        channel: ChannelId,
        base_url: impl Into<String>,
        username: impl Into<String>,
        password: Secret,
        client_id: impl Into<String>,
    ) -> Self {
        Self {
            channel,
            base_url: base_url.into(),
            username: username.into(),
            password,
            client_id: client_id.into(),
            token_path: Self::DEFAULT_TOKEN_PATH.to_owned(),
            new_orders_path: Self::DEFAULT_NEW_ORDERS_PATH.to_owned(),
            page_limit: Self::DEFAULT_PAGE_LIMIT,
            min_interval: Self::DEFAULT_MIN_INTERVAL,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            request_timeout: Self::DEFAULT_REQUEST_TIMEOUT,
            default_carrier: None,
            allow_insecure_http: false,
        }
    }

    /// Allows (or not) a plain `http` base URL to a host that is not loopback, which sends the
    /// password and tokens in clear: for tests only.
    #[must_use]
    pub fn with_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Another token route.
    #[must_use]
    pub fn with_token_path(mut self, path: impl Into<String>) -> Self {
        self.token_path = path.into();
        self
    }

    /// Another new-orders route (`/api/v1/orders` where the account serves it there).
    #[must_use]
    pub fn with_new_orders_path(mut self, path: impl Into<String>) -> Self {
        self.new_orders_path = path.into();
        self
    }

    /// Another page size (checked when the client is built: 50 to 200).
    #[must_use]
    pub fn with_page_limit(mut self, limit: u32) -> Self {
        self.page_limit = limit;
        self
    }

    /// At most `per_second` calls a second, spaced evenly: an interval of `1000 / per_second`
    /// milliseconds, in whole milliseconds. Zero is refused when the client is built.
    #[must_use]
    pub fn with_requests_per_second(mut self, per_second: u32) -> Self {
        self.min_interval = match per_second {
            0 => Duration::ZERO,
            n => Duration::from_millis(1000 / u64::from(n)),
        };
        self
    }

    /// Another least time between two calls (checked when the client is built: more than
    /// zero, at most a minute).
    #[must_use]
    pub fn with_min_interval(mut self, interval: Duration) -> Self {
        self.min_interval = interval;
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

    /// The carrier to send for shipments recorded without one.
    #[must_use]
    pub fn with_default_carrier(mut self, carrier: impl Into<String>) -> Self {
        self.default_carrier = Some(carrier.into());
        self
    }

    /// Checks every setting; the first one at fault is named.
    ///
    /// # Errors
    /// [`FeedampConfigError`] naming the setting (never showing the password).
    pub fn validate(&self) -> Result<(), FeedampConfigError> {
        self.base()?;
        self.url(&self.token_path, "token_path")?;
        self.url(&self.new_orders_path, "new_orders_path")?;
        if self.username.trim().is_empty() {
            return Err(FeedampConfigError::Empty("username"));
        }
        if self.username.contains(':') || self.username.chars().any(char::is_control) {
            return Err(FeedampConfigError::InvalidUsername);
        }
        if self.password.expose().is_empty() {
            return Err(FeedampConfigError::Empty("password"));
        }
        if self.client_id.trim().is_empty() {
            return Err(FeedampConfigError::Empty("client_id"));
        }
        if reqwest::header::HeaderValue::from_str(self.client_id.trim()).is_err() {
            return Err(FeedampConfigError::InvalidClientId);
        }
        if !(Self::MIN_PAGE_LIMIT..=Self::MAX_PAGE_LIMIT).contains(&self.page_limit) {
            return Err(FeedampConfigError::PageLimit(self.page_limit));
        }
        if self.min_interval.is_zero() || self.min_interval > Self::MAX_MIN_INTERVAL {
            return Err(FeedampConfigError::MinInterval);
        }
        if self.connect_timeout.is_zero() {
            return Err(FeedampConfigError::ZeroTimeout("connect_timeout"));
        }
        if self.request_timeout.is_zero() {
            return Err(FeedampConfigError::ZeroTimeout("request_timeout"));
        }
        if let Some(carrier) = &self.default_carrier
            && (carrier.trim().is_empty() || carrier.chars().any(char::is_control))
        {
            return Err(FeedampConfigError::InvalidDefaultCarrier);
        }
        Ok(())
    }

    /// The base URL, checked: http or https with a host, no query or fragment.
    pub(crate) fn base(&self) -> Result<reqwest::Url, FeedampConfigError> {
        let invalid = |reason: &str| FeedampConfigError::InvalidUrl {
            setting: "base_url",
            reason: reason.to_owned(),
        };
        let url = reqwest::Url::parse(self.base_url.trim()).map_err(|e| invalid(&e.to_string()))?;
        let Some(host) = url
            .host_str()
            .filter(|_| matches!(url.scheme(), "http" | "https"))
        else {
            return Err(invalid("expected an https URL with a host"));
        };
        orderbridge_domain::transport::check(url.scheme(), host, self.allow_insecure_http)
            .map_err(|e| invalid(&e.to_string()))?;
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("expected no query or fragment"));
        }
        Ok(url)
    }

    /// `base_url` and `path` joined by one `/`; `setting` names the path in errors.
    pub(crate) fn url(
        &self,
        path: &str,
        setting: &'static str,
    ) -> Result<reqwest::Url, FeedampConfigError> {
        let base = self.base()?;
        let path = path.trim();
        if path.is_empty() || path.contains(['?', '#']) || path.chars().any(char::is_whitespace) {
            return Err(FeedampConfigError::InvalidUrl {
                setting,
                reason: "expected a path such as /api/v1/orders/new".to_owned(),
            });
        }
        let joined = format!(
            "{}/{}",
            base.as_str().trim_end_matches('/'),
            path.trim_start_matches('/')
        );
        reqwest::Url::parse(&joined).map_err(|e| FeedampConfigError::InvalidUrl {
            setting,
            reason: e.to_string(),
        })
    }
}

/// Why a [`FeedampClient`](crate::FeedampClient) could not be built. Each variant names the
/// setting; none holds the password.
#[derive(Debug, thiserror::Error)]
pub enum FeedampConfigError {
    /// A URL setting is not usable.
    #[error("FeedAMP {setting} is invalid: {reason}")]
    InvalidUrl {
        /// The setting: `base_url`, `token_path` or `new_orders_path`.
        setting: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A required setting is empty.
    #[error("FeedAMP {0} must not be empty")]
    Empty(&'static str),
    /// The user name cannot travel in HTTP Basic authentication.
    #[error("FeedAMP username must not contain ':' or control characters")]
    InvalidUsername,
    /// The client id cannot travel in an HTTP header.
    #[error("FeedAMP client_id holds characters an HTTP header cannot carry")]
    InvalidClientId,
    /// The page size is outside FeedAMP's range.
    #[error("FeedAMP page_limit must be between 50 and 200, not {0}")]
    PageLimit(u32),
    /// The request spacing is zero or longer than a minute.
    #[error(
        "FeedAMP requests_per_second (min_interval) must allow at least one call a minute and \
         space calls by more than zero"
    )]
    MinInterval,
    /// A timeout is zero.
    #[error("FeedAMP {0} must be more than zero")]
    ZeroTimeout(&'static str),
    /// The default carrier is blank or holds control characters.
    #[error("FeedAMP default_carrier must be printable text")]
    InvalidDefaultCarrier,
    /// The HTTP client could not be built.
    #[error("could not build the HTTP client for FeedAMP")]
    Client(#[source] reqwest::Error),
}

impl FeedampConfigError {
    /// The account setting at fault (`base_url`, `page_limit`, ...).
    #[must_use]
    pub fn setting(&self) -> &'static str {
        match self {
            Self::InvalidUrl { setting, .. } | Self::Empty(setting) => setting,
            Self::InvalidUsername => "username",
            Self::InvalidClientId => "client_id",
            Self::PageLimit(_) => "page_limit",
            Self::MinInterval => "requests_per_second",
            Self::ZeroTimeout("connect_timeout") => "connect_timeout_secs",
            Self::ZeroTimeout(_) => "request_timeout_secs",
            Self::InvalidDefaultCarrier => "default_carrier",
            Self::Client(_) => "base_url",
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use orderbridge_domain::values::ChannelId;

    use super::{FeedampConfig, FeedampConfigError, Secret};

    fn config(base: &str) -> FeedampConfig {
        let channel = ChannelId::parse("feedamp").unwrap_or_else(|e| panic!("{e}"));
        FeedampConfig::new(channel, base, "seller", Secret::new("pa55-w0rd"), "1234")
    }

    #[test]
    fn debug_output_never_shows_the_password() {
        let printed = format!("{:?}", config("https://api.feedamp.example"));
        assert!(!printed.contains("pa55"), "{printed}");
        assert!(printed.contains("[redacted]"), "{printed}");
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let config = config("https://api.feedamp.example");
        assert_eq!(config.token_path, "/api/v1/get_token");
        assert_eq!(config.new_orders_path, "/api/v1/orders/new");
        assert_eq!(config.page_limit, 100);
        assert_eq!(config.min_interval, Duration::from_millis(500));
        assert_eq!(config.connect_timeout, Duration::from_secs(5));
        assert_eq!(config.request_timeout, Duration::from_secs(30));
        assert_eq!(config.default_carrier, None);
        assert!(config.validate().is_ok());
    }

    #[test]
    fn requests_per_second_become_an_even_interval_in_whole_milliseconds() {
        let config = config("https://a.example");
        assert_eq!(
            config.clone().with_requests_per_second(2).min_interval,
            Duration::from_millis(500)
        );
        assert_eq!(
            config.clone().with_requests_per_second(3).min_interval,
            Duration::from_millis(333)
        );
        assert!(matches!(
            config.with_requests_per_second(0).validate(),
            Err(FeedampConfigError::MinInterval)
        ));
    }

    #[test]
    fn paths_join_the_base_url_with_one_slash() {
        for base in ["https://a.example", "https://a.example/"] {
            for path in ["/api/v1/get_token", "api/v1/get_token"] {
                let url = config(base).url(path, "token_path").map(|u| u.to_string());
                assert_eq!(
                    url.ok().as_deref(),
                    Some("https://a.example/api/v1/get_token")
                );
            }
        }
        let nested = config("http://127.0.0.1:9/prefix").url("/api/v1/orders/new", "x");
        assert_eq!(
            nested.map(|u| u.to_string()).ok().as_deref(),
            Some("http://127.0.0.1:9/prefix/api/v1/orders/new")
        );
    }

    #[test]
    fn plain_http_is_refused_by_name_except_to_loopback_or_when_allowed() {
        let refused = config("http://api.feedamp.example").validate().unwrap_err();
        assert_eq!(refused.setting(), "base_url");
        assert!(
            refused.to_string().contains("allow_insecure_http"),
            "{refused}"
        );
        let allowed = config("http://api.feedamp.example").with_insecure_http(true);
        assert!(allowed.validate().is_ok());
        for base in ["http://127.0.0.1:9", "http://localhost:9", "http://[::1]:9"] {
            assert!(config(base).validate().is_ok(), "{base}");
        }
    }

    #[test]
    fn each_bad_setting_is_named() {
        let base = config("https://a.example");
        let cases: Vec<(FeedampConfig, &str)> = vec![
            (config("ftp://a.example"), "base_url"),
            (config("https://a.example?x=1"), "base_url"),
            (base.clone().with_token_path(""), "token_path"),
            (base.clone().with_new_orders_path("/a?b"), "new_orders_path"),
            (base.clone().with_page_limit(49), "page_limit"),
            (base.clone().with_page_limit(201), "page_limit"),
            (
                base.clone().with_min_interval(Duration::ZERO),
                "requests_per_second",
            ),
            (
                base.clone().with_connect_timeout(Duration::ZERO),
                "connect_timeout",
            ),
            (
                base.clone().with_request_timeout(Duration::ZERO),
                "request_timeout",
            ),
            (base.clone().with_default_carrier(" "), "default_carrier"),
            (
                FeedampConfig {
                    client_id: " ".to_owned(),
                    ..base.clone()
                },
                "client_id",
            ),
            (
                FeedampConfig {
                    client_id: "12\n3".to_owned(),
                    ..base.clone()
                },
                "client_id",
            ),
            (
                FeedampConfig {
                    username: "a:b".to_owned(),
                    ..base.clone()
                },
                "username",
            ),
            (
                FeedampConfig {
                    password: Secret::new(""),
                    ..base.clone()
                },
                "password",
            ),
        ];
        for (config, setting) in cases {
            let error = config.validate().map_err(|e| e.to_string());
            assert!(
                error.as_ref().is_err_and(|e| e.contains(setting)),
                "{setting}: {error:?}"
            );
        }
        assert!(base.with_page_limit(50).validate().is_ok());
    }
}
