//! The settings of one ADM account (`[[adm]]` in the TOML file; `ORDERBRIDGE_ADM_*` for a sole
//! account) and [`Adm`], the marketplace as the app lists it.

use std::sync::Arc;
use std::time::Duration;

use orderbridge_domain::ports::channel::{ChannelAccount, MarketplaceKind};
use orderbridge_domain::ports::clock::Clock;
use orderbridge_domain::settings::{Section, Setting, SettingError};
use orderbridge_domain::standard_webhooks::SigningKey;
use orderbridge_domain::values::{ApiKeys, ChannelId, Currency, Secret};

use crate::webhook::{AdmWebhook, WebhookAuth, WebhookSettings};
use crate::{AdmClient, AdmConfig};

orderbridge_domain::settings_section! {
    /// One ADM account.
    pub struct AdmAccount("adm") {
        /// Channel id of the account's orders; each account needs its own. Its webhook is `/webhooks/adm/{channel}/orders`, and `/webhooks/adm/orders` too for a sole ADM account.
        channel: String = "adm",
        /// Currency of ADM orders (ADM's payloads carry none).
        currency: String = "USD",
        /// Comma-separated keys ADM presents on the order webhook (compared as SHA-256 digests, in constant time). Setting any `adm.` key enables ADM, which then needs this (unless `adm.standard_webhooks_secret` is set), `adm.base_url` and `adm.api_key`.
        webhook_keys: Vec<String> = unset (secret),
        /// Header carrying the webhook key, when ADM does not send `Authorization: Bearer` (kept out of logs).
        webhook_key_header: Option<String> = unset,
        /// When set, every webhook must carry a base64 HMAC-SHA256 of its raw body under this secret.
        signing_secret: Option<String> = unset (secret),
        /// Header holding the webhook signature.
        signature_header: String = "X-ADM-Signature",
        /// When set, every webhook must be signed as Standard Webhooks say (`webhook-id`, `webhook-timestamp`, `webhook-signature`: `v1,` and the base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`) with this secret, `whsec_<base64>` or any text; a timestamp more than 5 minutes away either way gets 401, and an id already received within that window gets 409 (ids are kept in the store, so every instance refuses a replay). With it, `adm.webhook_keys` may be left unset.
        standard_webhooks_secret: Option<String> = unset (secret),
        /// Base URL of ADM's API (Create Fulfillment): `https://`, or `http://` to a loopback address (127.0.0.0/8, ::1, localhost).
        base_url: Option<String> = unset,
        /// Allows a plain `http://` `adm.base_url` to any host, sending the API key in clear: for tests only.
        allow_insecure_http: bool = false,
        /// Key orderbridge presents to ADM.
        api_key: Option<String> = unset (secret),
        /// Header for the key sent to ADM; unset: `Authorization: Bearer`.
        api_key_header: Option<String> = unset,
        /// Path of ADM's Create Fulfillment endpoint.
        fulfillment_path: String = "/fulfillments",
        /// Connect timeout of calls to ADM.
        connect_timeout_secs: u64 = 5,
        /// Whole-request timeout of calls to ADM.
        request_timeout_secs: u64 = 15,
    }
}

const WHY: &str = "when ADM is enabled (any adm. setting is set)";

fn text(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

fn seconds(key: &str, value: u64) -> Result<Duration, SettingError> {
    if value == 0 {
        return Err(SettingError::new(
            key,
            "expected a whole number of at least 1, got 0",
        ));
    }
    Ok(Duration::from_secs(value))
}

impl AdmAccount {
    /// The webhook's settings and authentication.
    ///
    /// # Errors
    /// [`SettingError`] naming the setting at fault.
    pub fn webhook(&self) -> Result<(WebhookSettings, WebhookAuth), SettingError> {
        let keys: Vec<Secret> = self
            .webhook_keys
            .iter()
            .filter_map(|k| text(Some(k)))
            .map(Secret::new)
            .collect();
        let standard_webhooks = text(self.standard_webhooks_secret.as_deref())
            .map(|secret| SigningKey::parse(&Secret::new(secret)))
            .transpose()
            .map_err(|e| SettingError::new("standard_webhooks_secret", e.to_string()))?;
        if keys.is_empty() && standard_webhooks.is_none() {
            return Err(SettingError::required(
                "webhook_keys",
                "when ADM is enabled (any adm. setting is set) and adm.standard_webhooks_secret is not",
            ));
        }
        let channel = ChannelId::parse(&self.channel).map_err(|_| {
            SettingError::new(
                "channel",
                format!(
                    "expected a channel id (lowercase letters, digits, - and _), got {:?}",
                    self.channel
                ),
            )
        })?;
        let currency = Currency::parse(&self.currency).map_err(|_| {
            SettingError::new(
                "currency",
                format!(
                    "expected a three-letter currency code, got {:?}",
                    self.currency
                ),
            )
        })?;
        Ok((
            WebhookSettings { channel, currency },
            WebhookAuth {
                keys: ApiKeys::new(keys),
                key_header: text(self.webhook_key_header.as_deref()).map(str::to_owned),
                signing_secret: text(self.signing_secret.as_deref()).map(Secret::new),
                signature_header: self.signature_header.clone(),
                standard_webhooks,
            },
        ))
    }

    /// The Create Fulfillment client's settings.
    ///
    /// # Errors
    /// [`SettingError`] naming the setting at fault.
    pub fn client(&self) -> Result<AdmConfig, SettingError> {
        let base_url = text(self.base_url.as_deref())
            .ok_or_else(|| SettingError::required("base_url", WHY))?;
        let api_key =
            text(self.api_key.as_deref()).ok_or_else(|| SettingError::required("api_key", WHY))?;
        let mut client = AdmConfig::new(base_url, Secret::new(api_key))
            .with_fulfillment_path(&self.fulfillment_path)
            .with_connect_timeout(seconds("connect_timeout_secs", self.connect_timeout_secs)?)
            .with_request_timeout(seconds("request_timeout_secs", self.request_timeout_secs)?)
            .with_insecure_http(self.allow_insecure_http);
        if let Some(header) = text(self.api_key_header.as_deref()) {
            client = client.with_api_key_header(header);
        }
        Ok(client)
    }
}

/// ADM, as the app lists it: `&orderbridge_adm::Adm`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Adm;

impl MarketplaceKind for Adm {
    fn name(&self) -> &'static str {
        AdmAccount::NAME
    }

    fn settings(&self) -> &'static [Setting] {
        AdmAccount::SETTINGS
    }

    fn account(
        &self,
        settings: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<ChannelAccount, SettingError> {
        let account = AdmAccount::from_json(settings)?;
        let (webhook, auth) = account.webhook()?;
        let client = AdmClient::new(account.client()?)
            .map_err(|e| SettingError::new("base_url", e.to_string()))?;
        let webhook = AdmWebhook::new(webhook, auth, clock);
        Ok(ChannelAccount::push(Arc::new(client), Arc::new(webhook)))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use orderbridge_domain::ports::channel::MarketplaceKind;
    use orderbridge_domain::ports::clock::SystemClock;
    use orderbridge_domain::ports::webhook::Headers;

    use super::{Adm, AdmAccount};

    const FULL: &str = r#"{"base_url": "https://adm.example", "webhook_keys": ["k1", " k2 "], "api_key": "s3cr3t-value"}"#;

    #[test]
    fn an_account_needs_its_keys_and_url_and_names_the_one_missing() {
        let error = Adm
            .account(r#"{"webhook_keys": ["k"]}"#, Arc::new(SystemClock))
            .unwrap_err();
        assert_eq!(error.key, "base_url");
        let error = Adm
            .account(r#"{"base_url": "https://adm"}"#, Arc::new(SystemClock))
            .unwrap_err();
        assert_eq!(error.key, "webhook_keys");
        let error = Adm
            .account(
                r#"{"base_url": "https://adm", "webhook_keys": ["k"]}"#,
                Arc::new(SystemClock),
            )
            .unwrap_err();
        assert_eq!(error.key, "api_key");
    }

    #[test]
    fn every_webhook_key_is_accepted() {
        let (_, auth) = AdmAccount::from_json(FULL).unwrap().webhook().unwrap();
        assert!(auth.keys.accepts("k1") && auth.keys.accepts("k2"));
        let account = Adm.account(FULL, Arc::new(SystemClock)).unwrap();
        let webhook = account.webhook().unwrap();
        assert_eq!(webhook.channel().as_str(), "adm");
        let headers = Headers::new([("authorization".to_owned(), "Bearer k2".to_owned())]);
        assert!(webhook.authenticate(&headers).is_ok());
    }

    #[test]
    fn a_bad_value_or_an_unknown_key_is_named() {
        let error = AdmAccount::from_json(r#"{"connect_timeout_secs": "soon"}"#).unwrap_err();
        assert_eq!(error.key, "connect_timeout_secs");
        let error = AdmAccount::from_json(r#"{"bsae_url": "x"}"#).unwrap_err();
        assert!(error.message.contains("bsae_url"), "{error}");
        let error = Adm
            .account(
                &FULL.replace("\"api_key\"", "\"currency\": \"dollars\", \"api_key\""),
                Arc::new(SystemClock),
            )
            .unwrap_err();
        assert_eq!(error.key, "currency");
    }

    #[test]
    fn credentials_never_show_in_debug_output() {
        let account = AdmAccount::from_json(&FULL.replace(
            "\"api_key\"",
            "\"standard_webhooks_secret\": \"whsec_enEtc3cta2V5\", \"signing_secret\": \"hm4c\", \"api_key\"",
        ))
        .unwrap();
        let debug = format!("{account:?}");
        for secret in ["s3cr3t-value", "k1", "enEtc3cta2V5", "hm4c"] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
        let (_, auth) = account.webhook().unwrap();
        let debug = format!("{auth:?}");
        for secret in ["k1", "enEtc3cta2V5", "zq-sw-key", "hm4c"] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
    }

    #[test]
    fn base_url_is_https_except_to_loopback_or_when_insecure_http_is_allowed() {
        let with = |url: &str, extra: &str| {
            FULL.replace("https://adm.example", url)
                .replace("\"api_key\"", &format!("{extra}\"api_key\""))
        };
        let error = Adm
            .account(&with("http://adm.example", ""), Arc::new(SystemClock))
            .unwrap_err();
        assert_eq!(error.key, "base_url");
        assert!(
            error.message.contains("http://") && error.message.contains("allow_insecure_http"),
            "{error}"
        );
        for (url, extra) in [
            ("https://adm.example", ""),
            ("http://127.0.0.1:8081", ""),
            ("http://[::1]:8081", ""),
            ("http://localhost:8081", ""),
            ("http://adm.example", "\"allow_insecure_http\": true, "),
        ] {
            let settings = with(url, extra);
            assert!(
                Adm.account(&settings, Arc::new(SystemClock)).is_ok(),
                "{settings}"
            );
        }
    }

    #[test]
    fn with_a_standard_webhooks_secret_the_keys_may_be_left_out() {
        let signed_only = r#"{"base_url": "https://adm.example", "api_key": "a", "standard_webhooks_secret": "whsec_c2VjcmV0"}"#;
        let (_, auth) = AdmAccount::from_json(signed_only)
            .unwrap()
            .webhook()
            .unwrap();
        assert!(auth.keys.is_empty() && auth.standard_webhooks.is_some());
        let bad = signed_only.replace("whsec_c2VjcmV0", "whsec_!!");
        let error = AdmAccount::from_json(&bad).unwrap().webhook().unwrap_err();
        assert_eq!(error.key, "standard_webhooks_secret");
        assert!(!error.message.contains("!!"), "{error}");
    }
}
