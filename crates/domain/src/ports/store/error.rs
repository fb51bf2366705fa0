//! [`StoreError`]: a failure of the storage technology, and whether it is the store being out
//! of reach (answered 503 with `Retry-After`, waited out by the workers) or something else
//! (a bug or corrupt data: an opaque 500).

/// A failure of the storage technology itself (connection lost, disk full, corrupt row). The
/// services pass it on; the HTTP layer answers 503 when the store is [unavailable](Self::is_unavailable)
/// and 500 otherwise, and logs the cause chain.
#[derive(Debug, thiserror::Error)]
#[error("storage failed: {message}")]
pub struct StoreError {
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// The cause of a [`StoreError`] that means the store cannot be reached for now (connection
/// refused or lost, pool timed out, the server shutting down): trying again later may work.
/// It sits in the cause chain, so that [`is_unavailable`] finds it behind any error that wraps
/// a `StoreError`, transparently or not.
#[derive(Debug)]
pub struct Unavailable(Box<dyn std::error::Error + Send + Sync>);

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the store cannot be reached: {}", self.0)
    }
}

impl std::error::Error for Unavailable {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl StoreError {
    /// A failure described in words.
    #[must_use]
    pub fn msg(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: None,
        }
    }

    /// A failure with its underlying cause.
    #[must_use]
    pub fn with_source(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }

    /// The store cannot be reached for now (`source` says how): see [`Unavailable`].
    #[must_use]
    pub fn unavailable(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            message: message.into(),
            source: Some(Box::new(Unavailable(Box::new(source)))),
        }
    }

    /// Whether the store could not be reached (rather than failing on a bug or corrupt data).
    #[must_use]
    pub fn is_unavailable(&self) -> bool {
        self.source
            .as_ref()
            .is_some_and(|s| s.downcast_ref::<Unavailable>().is_some())
    }
}

/// Whether `error` or any cause behind it is a [`StoreError`] that could not reach the store.
#[must_use]
pub fn is_unavailable(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(error) = next {
        if error.downcast_ref::<Unavailable>().is_some()
            || error
                .downcast_ref::<StoreError>()
                .is_some_and(StoreError::is_unavailable)
        {
            return true;
        }
        next = error.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    enum Wrapping {
        #[error(transparent)]
        Transparent(#[from] StoreError),
    }

    #[derive(Debug, thiserror::Error)]
    enum Naming {
        #[error("store")]
        Store(#[source] StoreError),
    }

    fn io() -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused")
    }

    #[test]
    fn an_unreachable_store_is_found_behind_any_wrapping() {
        let error = StoreError::unavailable("cannot connect", io());
        assert!(error.is_unavailable());
        assert!(is_unavailable(&error));
        assert!(is_unavailable(&Wrapping::from(StoreError::unavailable(
            "x",
            io()
        ))));
        assert!(is_unavailable(&Naming::Store(StoreError::unavailable(
            "x",
            io()
        ))));
    }

    #[test]
    fn other_store_failures_are_not_unavailability() {
        assert!(!StoreError::with_source("corrupt", io()).is_unavailable());
        assert!(!is_unavailable(&Wrapping::from(StoreError::msg(
            "corrupt row"
        ))));
        assert!(!is_unavailable(&io()));
    }

    #[test]
    fn the_cause_is_still_shown() {
        let error = StoreError::unavailable("cannot connect", io());
        let cause = std::error::Error::source(&error).map(ToString::to_string);
        assert_eq!(
            cause.as_deref(),
            Some("the store cannot be reached: refused")
        );
    }
}
