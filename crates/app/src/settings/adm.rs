//! The settings of one ADM account (`[[adm]]` in the TOML file; `ORDERBRIDGE_ADM_*` for a sole
//! account).

use super::schema::section;

section! {
    /// One ADM account.
    pub struct AdmAccount("adm") {
        /// Channel id of the account's orders; each account needs its own. Its webhook is `/webhooks/adm/{channel}/orders`, and `/webhooks/adm/orders` too for a sole ADM account.
        channel: String = "adm",
        /// Currency of ADM orders (ADM's payloads carry none).
        currency: String = "USD",
        /// Comma-separated keys ADM presents on the order webhook. Setting any `adm.` key enables ADM, which then needs this, `adm.base_url` and `adm.api_key`.
        webhook_keys: Vec<String> = unset (secret),
        /// Header carrying the webhook key, when ADM does not send `Authorization: Bearer`.
        webhook_key_header: Option<String> = unset,
        /// When set, every webhook must carry a base64 HMAC-SHA256 of its raw body under this secret.
        signing_secret: Option<String> = unset (secret),
        /// Header holding the webhook signature.
        signature_header: String = "X-ADM-Signature",
        /// Base URL of ADM's API (Create Fulfillment).
        base_url: Option<String> = unset,
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
