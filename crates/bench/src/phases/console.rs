//! The console phase (issue 16): every page of the operator console, signed in as an operator
//! would be, timed one request at a time with the bulk orders stored (round 2). The goal is a
//! page in under 50 ms; it is judged on the 95th percentile of each page's requests.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use reqwest::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};

use crate::phases::{Harness, WAREHOUSE_KEY};
use crate::report::ConsolePage;

/// Requests per page before timing.
const WARMUP: usize = 3;
/// Timed requests per page.
const TIMED: usize = 30;

/// The value `Set-Cookie` gives cookie `name`.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

/// The link of the orders page's "Next page".
fn next_page(html: &str) -> Option<String> {
    let start = html.find("href=\"/console/orders?after=")? + "href=\"".len();
    let rest = &html[start..];
    Some(rest[..rest.find('"')?].replace("&amp;", "&"))
}

impl Harness {
    /// Signs in to the console at `base_url`; the session's cookie header.
    async fn console_session(&self, http: &reqwest::Client, base_url: &str) -> Result<String> {
        let form = http
            .get(format!("{base_url}/console/sign-in"))
            .send()
            .await?;
        let token = set_cookie(&form, "ob_console_sign_in").context("no sign-in cookie")?;
        let signed = http
            .post(format!("{base_url}/console/sign-in"))
            .header(COOKIE, format!("ob_console_sign_in={token}"))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(format!("key={WAREHOUSE_KEY}&csrf={token}"))
            .send()
            .await?;
        let session = set_cookie(&signed, "ob_console").context("the console opened no session")?;
        Ok(format!("ob_console={session}"))
    }

    /// Each console page, timed.
    pub async fn console_pages(&self, base_url: &str) -> Result<Vec<ConsolePage>> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()?;
        let cookie = self.console_session(&http, base_url).await?;
        let (id, external): (uuid::Uuid, String) = sqlx::query_as(
            "SELECT id, external_id FROM orders ORDER BY updated_at DESC, id DESC LIMIT 1",
        )
        .fetch_one(self.db.pg_pool()?)
        .await
        .context("an order to show")?;
        let first = http
            .get(format!("{base_url}/console/orders"))
            .header(COOKIE, &cookie)
            .send()
            .await?
            .text()
            .await?;
        let second = next_page(&first).context("the orders page has no next page")?;
        let pages = [
            ("orders", "/console/orders".to_owned()),
            ("orders, second page", second),
            ("orders, open", "/console/orders?status=open".to_owned()),
            ("orders, overdue", "/console/orders?overdue=yes".to_owned()),
            ("orders, on hold", "/console/orders?on_hold=yes".to_owned()),
            (
                "orders, by marketplace id",
                format!("/console/orders?q={external}"),
            ),
            ("one order", format!("/console/orders/{id}")),
            ("deliveries, parked", "/console/deliveries".to_owned()),
            (
                "deliveries, all",
                "/console/deliveries?state=all".to_owned(),
            ),
            ("inbound quarantine", "/console/inbound".to_owned()),
            ("channels", "/console/channels".to_owned()),
        ];
        let mut timed = Vec::with_capacity(pages.len());
        for (name, path) in pages {
            let url = format!("{base_url}{path}");
            let mut latencies = Vec::with_capacity(TIMED);
            for n in 0..WARMUP + TIMED {
                let started = Instant::now();
                let response = http.get(&url).header(COOKIE, &cookie).send().await?;
                let status = response.status();
                response.bytes().await?;
                if status != reqwest::StatusCode::OK {
                    bail!("console page {path} answered {status}");
                }
                if n >= WARMUP {
                    latencies.push(started.elapsed());
                }
            }
            let page = ConsolePage::new(name, &path, latencies);
            eprintln!(
                "    console {name}: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
                page.p50_ms, page.p95_ms, page.max_ms
            );
            timed.push(page);
        }
        Ok(timed)
    }
}
