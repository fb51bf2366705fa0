//! Settings of a fake FeedAMP ([`FeedampSandboxConfig`]) and why one could not start.

use std::net::SocketAddr;
use std::time::Duration;

/// Settings of a fake FeedAMP.
#[derive(Clone, PartialEq, Eq)]
pub struct FeedampSandboxConfig {
    /// Where [`FeedampSandbox::start`](crate::feedamp::FeedampSandbox::start) binds; default `127.0.0.1:0` (a free port).
    pub listen: SocketAddr,
    /// The HTTP Basic username of the token route.
    pub username: String,
    /// The HTTP Basic password of the token route.
    pub password: String,
    /// The `client` header every data route requires.
    pub client_id: String,
    /// How long a token lives; default [`FeedampSandboxConfig::DEFAULT_TOKEN_TTL`].
    pub token_ttl: Duration,
    /// How many tokens may be live at once; default
    /// [`FeedampSandboxConfig::DEFAULT_MAX_LIVE_TOKENS`].
    pub max_live_tokens: usize,
    /// How many request log entries are kept (the oldest go first); default
    /// [`FeedampSandboxConfig::DEFAULT_KEEP_RECORDS`].
    pub keep_records: usize,
}

impl std::fmt::Debug for FeedampSandboxConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeedampSandboxConfig")
            .field("listen", &self.listen)
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .field("client_id", &self.client_id)
            .field("token_ttl", &self.token_ttl)
            .field("max_live_tokens", &self.max_live_tokens)
            .field("keep_records", &self.keep_records)
            .finish()
    }
}

impl FeedampSandboxConfig {
    /// A token's lifetime when not configured: one hour (the documents state none).
    pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(3600);
    /// Live tokens allowed at once when not configured (reference §2.1).
    pub const DEFAULT_MAX_LIVE_TOKENS: usize = 100;
    /// Log entries kept when not configured.
    pub const DEFAULT_KEEP_RECORDS: usize = 100_000;

    /// Defaults: a free port on 127.0.0.1, tokens living one hour, at most 100 live.
    #[must_use]
    pub fn new(
        username: impl Into<String>,
        password: impl Into<String>,
        client_id: impl Into<String>,
    ) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            username: username.into(),
            password: password.into(),
            client_id: client_id.into(),
            token_ttl: Self::DEFAULT_TOKEN_TTL,
            max_live_tokens: Self::DEFAULT_MAX_LIVE_TOKENS,
            keep_records: Self::DEFAULT_KEEP_RECORDS,
        }
    }

    /// Another address to bind.
    #[must_use]
    pub fn with_listen(mut self, listen: SocketAddr) -> Self {
        self.listen = listen;
        self
    }

    /// Another token lifetime.
    #[must_use]
    pub fn with_token_ttl(mut self, ttl: Duration) -> Self {
        self.token_ttl = ttl;
        self
    }

    /// Another cap on live tokens.
    #[must_use]
    pub fn with_max_live_tokens(mut self, max: usize) -> Self {
        self.max_live_tokens = max;
        self
    }

    /// How many log entries are kept.
    #[must_use]
    pub fn with_keep_records(mut self, keep: usize) -> Self {
        self.keep_records = keep;
        self
    }
}

/// Why a fake FeedAMP could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The address could not be bound or read.
    #[error("could not listen for the fake FeedAMP")]
    Listen(#[source] std::io::Error),
    /// The username, password or client id is empty, or the username holds a `:`.
    #[error("the {0} is empty or not usable in HTTP Basic")]
    InvalidCredential(&'static str),
    /// The token lifetime or the live-token cap is zero.
    #[error("the {0} must be more than zero")]
    Zero(&'static str),
}

pub(crate) fn check(config: &FeedampSandboxConfig) -> Result<(), StartError> {
    if config.username.is_empty() || config.username.contains(':') {
        return Err(StartError::InvalidCredential("username"));
    }
    if config.password.is_empty() {
        return Err(StartError::InvalidCredential("password"));
    }
    if config.client_id.trim().is_empty() {
        return Err(StartError::InvalidCredential("client id"));
    }
    if config.token_ttl.is_zero() {
        return Err(StartError::Zero("token lifetime"));
    }
    if config.max_live_tokens == 0 {
        return Err(StartError::Zero("cap on live tokens"));
    }
    Ok(())
}
