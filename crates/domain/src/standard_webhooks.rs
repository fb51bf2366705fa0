//! Standard Webhooks signatures (<https://www.standardwebhooks.com>), both ways: the alerts
//! webhook signs what it sends with them, and a marketplace webhook (ADM's) may require them of
//! what it receives.
//!
//! A signed call carries `webhook-id` (the message's id, the same on every retry of it),
//! `webhook-timestamp` (Unix seconds) and `webhook-signature`: one or more space-separated
//! `v1,<base64 of HMAC-SHA256 over "{id}.{timestamp}.{body}">`. A secret written
//! `whsec_<base64>` is the base64-decoded key, as the specification says; any other secret is
//! used as its UTF-8 bytes. A call is accepted when one of its `v1` signatures matches (compared
//! in constant time) and its timestamp is within [`TOLERANCE`] of the receiver's clock, either
//! way; refusing an id already received within that window is the receiver's part (see
//! `services::SignedCalls`), since it needs a store.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, TimeDelta, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::ports::webhook::Headers;
use crate::values::Secret;

/// The header of the message id.
pub const ID_HEADER: &str = "webhook-id";
/// The header of the timestamp, in Unix seconds.
pub const TIMESTAMP_HEADER: &str = "webhook-timestamp";
/// The header of the signatures.
pub const SIGNATURE_HEADER: &str = "webhook-signature";

/// How far a call's timestamp may be from the receiver's clock, before or after.
pub const TOLERANCE: TimeDelta = TimeDelta::minutes(5);

/// The longest `webhook-id` accepted, in bytes.
pub const MAX_ID_LEN: usize = 255;

/// A secret written `whsec_` whose rest is not base64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a whsec_ secret must be base64 after the prefix")]
pub struct InvalidSigningSecret;

/// Why a call's Standard Webhooks headers were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// A header is missing or empty.
    #[error("the {0} header is missing")]
    Missing(&'static str),
    /// A header cannot be read (an id too long or with control characters, a timestamp that
    /// is not a whole number of seconds).
    #[error("the {0} header is malformed")]
    Malformed(&'static str),
    /// The timestamp is more than [`TOLERANCE`] before the receiver's clock.
    #[error("the webhook-timestamp is more than 5 minutes old")]
    Stale,
    /// The timestamp is more than [`TOLERANCE`] after the receiver's clock.
    #[error("the webhook-timestamp is more than 5 minutes ahead")]
    Future,
    /// No `v1` signature matches the body under the key.
    #[error("no webhook-signature matches")]
    Mismatch,
}

/// The key signatures are made with. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey(Vec<u8>);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey([redacted])")
    }
}

impl SigningKey {
    /// The key of `secret`: `whsec_<base64>` decoded, anything else as its UTF-8 bytes.
    ///
    /// # Errors
    /// [`InvalidSigningSecret`] for a `whsec_` secret that is not base64.
    pub fn parse(secret: &Secret) -> Result<Self, InvalidSigningSecret> {
        match secret.expose().strip_prefix("whsec_") {
            Some(encoded) => STANDARD
                .decode(encoded)
                .map(Self)
                .map_err(|_| InvalidSigningSecret),
            None => Ok(Self(secret.expose().as_bytes().to_vec())),
        }
    }

    /// The MAC of `body` sent as `id` at `timestamp` (the header's text).
    fn mac(&self, id: &str, timestamp: &str, body: &[u8]) -> Option<Hmac<Sha256>> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0).ok()?;
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        Some(mac)
    }

    /// The `webhook-signature` value of `body` sent as `id` at `timestamp` (Unix seconds):
    /// `v1,<base64>`.
    #[must_use]
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        match self.mac(id, &timestamp.to_string(), body) {
            Some(mac) => format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes())),
            None => String::new(),
        }
    }

    /// Checks `call`'s signatures over `body`: one `v1` signature must match, compared in
    /// constant time. The timestamp was checked when the call was read.
    ///
    /// # Errors
    /// [`SignatureError::Mismatch`] when none matches.
    pub fn verify(&self, call: &SignedCall, body: &[u8]) -> Result<(), SignatureError> {
        let Some(mac) = self.mac(&call.id, &call.timestamp_text, body) else {
            return Err(SignatureError::Mismatch);
        };
        let matched = call
            .signatures
            .split_whitespace()
            .filter_map(|signature| signature.strip_prefix("v1,"))
            .filter_map(|encoded| STANDARD.decode(encoded).ok())
            .any(|expected| mac.clone().verify_slice(&expected).is_ok());
        if matched {
            Ok(())
        } else {
            Err(SignatureError::Mismatch)
        }
    }
}

/// The Standard Webhooks headers of one call, read and with a fresh timestamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCall {
    id: String,
    timestamp: DateTime<Utc>,
    timestamp_text: String,
    signatures: String,
}

impl SignedCall {
    /// Reads the three headers of a call received at `now`.
    ///
    /// # Errors
    /// [`SignatureError`] when a header is missing or malformed, or the timestamp is more than
    /// [`TOLERANCE`] away from `now`.
    pub fn read(headers: &Headers, now: DateTime<Utc>) -> Result<Self, SignatureError> {
        let present = |name: &'static str| {
            headers
                .get(name)
                .filter(|v| !v.is_empty())
                .ok_or(SignatureError::Missing(name))
        };
        let id = present(ID_HEADER)?;
        if id.len() > MAX_ID_LEN || id.chars().any(char::is_control) {
            return Err(SignatureError::Malformed(ID_HEADER));
        }
        let timestamp_text = present(TIMESTAMP_HEADER)?;
        let timestamp = Some(timestamp_text)
            .filter(|t| t.len() <= 12 && t.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|t| t.parse::<i64>().ok())
            .and_then(|seconds| DateTime::from_timestamp(seconds, 0))
            .ok_or(SignatureError::Malformed(TIMESTAMP_HEADER))?;
        if timestamp < now - TOLERANCE {
            return Err(SignatureError::Stale);
        }
        if timestamp > now + TOLERANCE {
            return Err(SignatureError::Future);
        }
        let signatures = present(SIGNATURE_HEADER)?;
        Ok(Self {
            id: id.to_owned(),
            timestamp,
            timestamp_text: timestamp_text.to_owned(),
            signatures: signatures.to_owned(),
        })
    }

    /// The message id.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Until when a replay of this call would still pass the timestamp check, and so until
    /// when its id must be remembered.
    #[must_use]
    pub fn replayable_until(&self) -> DateTime<Utc> {
        self.timestamp + TOLERANCE
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeDelta, Utc};

    use super::{SignatureError, SignedCall, SigningKey, TOLERANCE};
    use crate::ports::webhook::Headers;
    use crate::values::Secret;

    const BODY: &[u8] = br#"{"id":"1001"}"#;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).unwrap()
    }

    fn headers(id: &str, timestamp: &str, signature: &str) -> Headers {
        Headers::new([
            ("Webhook-Id".to_owned(), id.to_owned()),
            ("webhook-timestamp".to_owned(), timestamp.to_owned()),
            ("webhook-signature".to_owned(), signature.to_owned()),
        ])
    }

    fn key() -> SigningKey {
        SigningKey::parse(&Secret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")).unwrap()
    }

    fn verify(key: &SigningKey, headers: &Headers, body: &[u8]) -> Result<(), SignatureError> {
        key.verify(&SignedCall::read(headers, now())?, body)
    }

    #[test]
    fn the_specifications_example_verifies() {
        // The example of the Standard Webhooks specification and its reference libraries.
        let key = key();
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = br#"{"test": 2432232314}"#;
        let signature = key.sign(id, 1_614_265_330, body);
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        let at = DateTime::from_timestamp(1_614_265_330, 0).unwrap();
        let call = SignedCall::read(&headers(id, "1614265330", &signature), at).unwrap();
        assert_eq!(key.verify(&call, body), Ok(()));
    }

    #[test]
    fn a_valid_signature_is_accepted_among_others_and_a_wrong_one_refused() {
        let key = key();
        let good = key.sign("msg_1", now().timestamp(), BODY);
        let ts = now().timestamp().to_string();
        let several = format!("v1,AAAA v2,zzz {good}");
        assert_eq!(verify(&key, &headers("msg_1", &ts, &several), BODY), Ok(()));
        let refused = [
            headers("msg_1", &ts, "v1,AAAA"),
            headers("msg_2", &ts, &good),
            headers("msg_1", &(now().timestamp() + 1).to_string(), &good),
            headers("msg_1", &ts, &good.replace("v1,", "v2,")),
            headers("msg_1", &ts, "v1,not base64!"),
        ];
        for wrong in refused {
            assert_eq!(
                verify(&key, &wrong, BODY),
                Err(SignatureError::Mismatch),
                "{wrong:?}"
            );
        }
        assert_eq!(
            verify(&key, &headers("msg_1", &ts, &good), br#"{"id":"1002"}"#),
            Err(SignatureError::Mismatch)
        );
        let other = SigningKey::parse(&Secret::new("another secret")).unwrap();
        assert_eq!(
            verify(&other, &headers("msg_1", &ts, &good), BODY),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_timestamp_more_than_five_minutes_away_either_way_is_refused() {
        let key = key();
        for (offset, expected) in [
            (-TOLERANCE, Ok(())),
            (TOLERANCE, Ok(())),
            (
                -TOLERANCE - TimeDelta::seconds(1),
                Err(SignatureError::Stale),
            ),
            (
                TOLERANCE + TimeDelta::seconds(1),
                Err(SignatureError::Future),
            ),
        ] {
            let at = (now() + offset).timestamp();
            let signed = headers("msg_1", &at.to_string(), &key.sign("msg_1", at, BODY));
            assert_eq!(verify(&key, &signed, BODY), expected, "{offset}");
        }
    }

    #[test]
    fn missing_or_malformed_headers_are_named() {
        let ts = now().timestamp().to_string();
        let long = "i".repeat(256);
        for (given, expected) in [
            (
                headers("", &ts, "v1,x"),
                SignatureError::Missing("webhook-id"),
            ),
            (
                headers("m", "", "v1,x"),
                SignatureError::Missing("webhook-timestamp"),
            ),
            (
                headers("m", &ts, ""),
                SignatureError::Missing("webhook-signature"),
            ),
            (
                headers("m", "soon", "v1,x"),
                SignatureError::Malformed("webhook-timestamp"),
            ),
            (
                headers("m", "-1", "v1,x"),
                SignatureError::Malformed("webhook-timestamp"),
            ),
            (
                headers(&long, &ts, "v1,x"),
                SignatureError::Malformed("webhook-id"),
            ),
            (
                headers("m\u{1}", &ts, "v1,x"),
                SignatureError::Malformed("webhook-id"),
            ),
        ] {
            assert_eq!(SignedCall::read(&given, now()), Err(expected));
        }
        assert_eq!(
            SignedCall::read(&Headers::default(), now()),
            Err(SignatureError::Missing("webhook-id"))
        );
    }

    #[test]
    fn secrets_are_whsec_base64_or_plain_text_and_never_shown() {
        assert!(SigningKey::parse(&Secret::new("whsec_not base64!")).is_err());
        let plain = SigningKey::parse(&Secret::new("plain-secret")).unwrap();
        assert_eq!(plain.0, b"plain-secret");
        assert_eq!(format!("{plain:?}"), "SigningKey([redacted])");
        let call =
            SignedCall::read(&headers("m", &now().timestamp().to_string(), "v1,x"), now()).unwrap();
        assert_eq!(call.id(), "m");
        assert_eq!(call.replayable_until(), now() + TOLERANCE);
    }
}
