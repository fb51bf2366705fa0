//! Helpers for the fake FeedAMP's tests: a sandbox on a free port and a plain client that
//! fetches a token and sends FeedAMP's headers, as any caller would.

use orderbridge_sandbox::{FeedampSandbox, FeedampSandboxConfig, SandboxLine, SandboxOrder};
use serde_json::Value;

use crate::support::{Reply, client, reply};

pub const USER: &str = "feed-user";
pub const PASSWORD: &str = "feed-pass";
pub const CLIENT: &str = "4242";

pub fn config() -> FeedampSandboxConfig {
    FeedampSandboxConfig::new(USER, PASSWORD, CLIENT)
}

pub async fn feedamp() -> FeedampSandbox {
    feedamp_with(config()).await
}

pub async fn feedamp_with(config: FeedampSandboxConfig) -> FeedampSandbox {
    FeedampSandbox::start(config).await.unwrap()
}

/// A plain FeedAMP caller: reqwest, a token fetched once, `token` and `client` on every call.
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
    pub client: String,
}

impl Api {
    /// Fetches a token with the right Basic credentials.
    pub async fn new(sandbox: &FeedampSandbox) -> Self {
        let http = client();
        let base = sandbox.base_url();
        let token = fetch_token(&http, &base, USER, PASSWORD).await;
        assert_eq!(token.status, 200, "{}", token.text);
        Self {
            http,
            base,
            token: token.json["token"].as_str().unwrap().to_owned(),
            client: CLIENT.to_owned(),
        }
    }

    fn with_headers(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        request
            .header("token", &self.token)
            .header("client", &self.client)
    }

    pub async fn try_get(&self, path: &str) -> Result<Reply, reqwest::Error> {
        let request = self.with_headers(self.http.get(format!("{}{path}", self.base)));
        Ok(reply(request.send().await?).await)
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.try_get(path).await.unwrap()
    }

    /// `PUT` with no body (confirm).
    pub async fn put(&self, path: &str) -> Reply {
        let request = self.with_headers(self.http.put(format!("{}{path}", self.base)));
        reply(request.send().await.unwrap()).await
    }

    /// `PUT` with a JSON body (fulfil).
    pub async fn put_json(&self, path: &str, body: &Value) -> Reply {
        let request = self.with_headers(self.http.put(format!("{}{path}", self.base)).json(body));
        reply(request.send().await.unwrap()).await
    }

    /// `POST` with a JSON body (refund).
    pub async fn post_json(&self, path: &str, body: &Value) -> Reply {
        let request = self.with_headers(self.http.post(format!("{}{path}", self.base)).json(body));
        reply(request.send().await.unwrap()).await
    }

    /// Confirms an order.
    pub async fn confirm(&self, id: &str) -> Reply {
        self.put(&format!("/api/v1/orders/{id}/confirm")).await
    }

    /// Fulfils an order.
    pub async fn fulfil(&self, id: &str, body: &Value) -> Reply {
        self.put_json(&format!("/api/v1/orders/{id}/fulfill"), body)
            .await
    }

    /// Posts a refund.
    pub async fn refund(&self, id: &str, body: &Value) -> Reply {
        self.post_json(&format!("/api/v1/orders/{id}/refund"), body)
            .await
    }
}

/// `GET /api/v1/get_token` with Basic `user:password`.
pub async fn fetch_token(http: &reqwest::Client, base: &str, user: &str, password: &str) -> Reply {
    let response = http
        .get(format!("{base}/api/v1/get_token"))
        .basic_auth(user, Some(password))
        .send()
        .await
        .unwrap();
    reply(response).await
}

/// The `error` text of a refusal, asserting its status and that it is the only key.
pub fn error_of(reply: &Reply, status: u16) -> String {
    assert_eq!(reply.status, status, "{}", reply.text);
    let object = reply
        .json
        .as_object()
        .unwrap_or_else(|| panic!("{}", reply.text));
    assert_eq!(object.len(), 1, "{}", reply.text);
    reply.json["error"].as_str().unwrap().to_owned()
}

/// The ids of a feed page.
pub fn ids(page: &Reply) -> Vec<String> {
    page.json["orders"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", page.text))
        .iter()
        .map(|order| order["id"].as_str().unwrap().to_owned())
        .collect()
}

/// A two-line order: line "1" of 2 units, line "2" of 1 unit.
pub fn two_line_order() -> SandboxOrder {
    SandboxOrder::new()
        .line(SandboxLine::new("SKU-A", 2, "19.99"))
        .line(SandboxLine::new("SKU-B", 1, "200"))
}
