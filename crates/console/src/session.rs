//! Sessions: opened by a warehouse key, kept in this process's memory under a random token
//! (the cookie holds only the token), each with its CSRF token and the result of the last
//! action to show once. They end at sign-out, after `session_idle` without a request, or
//! `session_lifetime` after sign-in.
//!
//! Kept in memory on purpose: a sign-out ends a session for good, and no secret has to be
//! shared between instances; several instances behind one address need sticky sessions (or
//! the operator signs in again on another instance).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Utc};
use subtle::ConstantTimeEq;

use crate::ConsoleConfig;

/// The session cookie's name.
pub(crate) const SESSION_COOKIE: &str = "ob_console";
/// The sign-in form's CSRF cookie (before there is a session).
pub(crate) const SIGN_IN_COOKIE: &str = "ob_console_sign_in";

/// The result of an action, shown once on the next page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Flash {
    /// Whether the action did what was asked.
    pub ok: bool,
    /// What happened.
    pub text: String,
}

impl Flash {
    pub(crate) fn ok(text: impl Into<String>) -> Self {
        Self {
            ok: true,
            text: text.into(),
        }
    }

    pub(crate) fn failed(text: impl Into<String>) -> Self {
        Self {
            ok: false,
            text: text.into(),
        }
    }
}

/// What a signed-in request carries to its handler.
#[derive(Debug, Clone)]
pub(crate) struct Signed {
    /// The session's token (the cookie's value).
    pub token: String,
    /// The session's CSRF token, put in every form.
    pub csrf: String,
}

#[derive(Debug)]
struct Session {
    csrf: String,
    started: DateTime<Utc>,
    last_seen: DateTime<Utc>,
    flash: Option<Flash>,
}

/// The open sessions.
#[derive(Debug)]
pub(crate) struct Sessions {
    config: ConsoleConfig,
    open: Mutex<HashMap<String, Session>>,
}

/// A token of 244 random bits (two v4 UUIDs), as 64 hex digits.
pub(crate) fn random_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// Compares two tokens in constant time (for equal lengths).
pub(crate) fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

impl Sessions {
    pub(crate) fn new(config: ConsoleConfig) -> Self {
        Self {
            config,
            open: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn expired(&self, session: &Session, now: DateTime<Utc>) -> bool {
        let lifetime = chrono::Duration::from_std(self.config.session_lifetime)
            .unwrap_or(chrono::Duration::MAX);
        let idle =
            chrono::Duration::from_std(self.config.session_idle).unwrap_or(chrono::Duration::MAX);
        now - session.started >= lifetime || now - session.last_seen >= idle
    }

    /// Opens a session at `now`; returns it.
    pub(crate) fn open(&self, now: DateTime<Utc>) -> Signed {
        let token = random_token();
        let csrf = random_token();
        let mut open = self.lock();
        open.retain(|_, s| !self.expired(s, now));
        while open.len() >= self.config.max_sessions.max(1) {
            let oldest = open
                .iter()
                .min_by_key(|(_, s)| s.last_seen)
                .map(|(token, _)| token.clone());
            match oldest {
                Some(token) => open.remove(&token),
                None => break,
            };
        }
        open.insert(
            token.clone(),
            Session {
                csrf: csrf.clone(),
                started: now,
                last_seen: now,
                flash: None,
            },
        );
        Signed { token, csrf }
    }

    /// The live session of `token` at `now`, which counts as a request; an expired one is
    /// removed.
    pub(crate) fn touch(&self, token: &str, now: DateTime<Utc>) -> Option<Signed> {
        let mut open = self.lock();
        let session = open.get_mut(token)?;
        if self.expired(session, now) {
            open.remove(token);
            return None;
        }
        session.last_seen = now;
        Some(Signed {
            token: token.to_owned(),
            csrf: session.csrf.clone(),
        })
    }

    /// Ends a session.
    pub(crate) fn close(&self, token: &str) {
        self.lock().remove(token);
    }

    /// Keeps `flash` to show on the session's next page.
    pub(crate) fn set_flash(&self, token: &str, flash: Flash) {
        if let Some(session) = self.lock().get_mut(token) {
            session.flash = Some(flash);
        }
    }

    /// The flash kept for the session's next page, taken.
    pub(crate) fn take_flash(&self, token: &str) -> Option<Flash> {
        self.lock().get_mut(token).and_then(|s| s.flash.take())
    }

    /// How many sessions are open (expired ones not yet swept included).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::{TimeZone, Utc};

    use super::{Sessions, same_token};
    use crate::ConsoleConfig;

    fn config() -> ConsoleConfig {
        ConsoleConfig {
            session_lifetime: Duration::from_secs(3600),
            session_idle: Duration::from_secs(600),
            max_sessions: 3,
        }
    }

    #[test]
    fn a_session_ends_after_its_idle_time_and_its_lifetime() {
        let sessions = Sessions::new(config());
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 10, 0, 0).unwrap();
        let signed = sessions.open(t0);
        let minutes = |m| t0 + chrono::Duration::minutes(m);
        assert!(sessions.touch(&signed.token, minutes(9)).is_some());
        assert!(sessions.touch(&signed.token, minutes(18)).is_some());
        assert!(
            sessions.touch(&signed.token, minutes(29)).is_none(),
            "idle for 11 minutes"
        );
        let busy = sessions.open(t0);
        for m in (5..60).step_by(5) {
            assert!(sessions.touch(&busy.token, minutes(m)).is_some(), "{m}");
        }
        assert!(
            sessions.touch(&busy.token, minutes(60)).is_none(),
            "an hour after sign-in, however busy"
        );
    }

    #[test]
    fn a_closed_session_is_refused_and_tokens_are_unguessable() {
        let sessions = Sessions::new(config());
        let now = Utc::now();
        let signed = sessions.open(now);
        assert_eq!(signed.token.len(), 64);
        assert_ne!(signed.token, signed.csrf);
        assert!(sessions.touch("not-a-token", now).is_none());
        sessions.close(&signed.token);
        assert!(sessions.touch(&signed.token, now).is_none());
    }

    #[test]
    fn sessions_past_the_cap_sign_out_the_oldest() {
        let sessions = Sessions::new(config());
        let now = Utc::now();
        let first = sessions.open(now);
        let later = now + chrono::Duration::seconds(1);
        for _ in 0..3 {
            sessions.open(later);
        }
        assert_eq!(sessions.len(), 3);
        assert!(sessions.touch(&first.token, later).is_none());
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("abc", "ab"));
    }
}
