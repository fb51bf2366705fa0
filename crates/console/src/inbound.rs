//! The inbound quarantine: what a marketplace sent that could not be read, kept whole. The
//! list shows the error and where it came from; an entry's own page shows the raw body
//! (escaped: it is the marketplace's text, and may hold customer data, so it is shown there
//! only), with replay and discard.

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::{Extension, Form};
use maud::html;
use orderbridge_domain::inbound::{Inbound, InboundQuery, InboundState};
use orderbridge_domain::ports::store::InboundError;
use orderbridge_domain::services::{Quarantine, Replay};
use orderbridge_domain::values::InboundId;
use serde::Deserialize;

use crate::Console;
use crate::guard::check_csrf;
use crate::input::{channel_filter, form, given, id, query, url_encode};
use crate::page::{Ctx, Failure, PageResult, done, page, short, time, time_opt};
use crate::session::{Flash, Signed};

/// Entries per page.
const PAGE: u32 = 50;

/// The tabs, those waiting for an operator first.
const TABS: [(&str, &str); 4] = [
    ("rejected", "Waiting"),
    ("replayed", "Replayed"),
    ("discarded", "Discarded"),
    ("all", "All"),
];

/// The listing's filters.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct InboundParams {
    state: Option<String>,
    channel: Option<String>,
    after: Option<String>,
}

/// The replay and discard forms.
#[derive(Debug, Deserialize)]
pub(crate) struct EntryForm {
    #[serde(default)]
    csrf: String,
}

fn entry_id(raw: &str) -> Result<InboundId, Failure> {
    id("entry id", raw, InboundId::parse)
}

fn quarantine(console: &Console) -> Result<&Quarantine, Failure> {
    console.services().orders.quarantine().ok_or_else(|| {
        Failure::NotFound("the inbound quarantine (not kept by this service)".into())
    })
}

/// `GET /console/inbound`.
pub(crate) async fn list(
    State(console): State<Console>,
    Extension(signed): Extension<Signed>,
    params: Result<Query<InboundParams>, QueryRejection>,
) -> PageResult {
    let params = query(params)?;
    let tab = given(params.state.as_deref()).unwrap_or("rejected");
    let state = match tab {
        "all" => None,
        other => Some(
            InboundState::parse(other).map_err(|e| Failure::BadRequest(format!("state: {e}")))?,
        ),
    };
    let channel = channel_filter(params.channel.as_deref())?;
    let channel_text = channel
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    let after = given(params.after.as_deref()).map(entry_id).transpose()?;
    let filter = InboundQuery {
        state,
        channel,
        after,
        limit: PAGE + 1,
    };
    let mut found = quarantine(&console)?.entries(&filter).await?;
    let next = (found.len() > PAGE as usize).then(|| {
        found.truncate(PAGE as usize);
        found.last().map(|e| e.id.to_string())
    });
    let here = format!(
        "/console/inbound?state={tab}&channel={}",
        url_encode(&channel_text)
    );
    let ctx = Ctx::new(&console, &signed);
    let body = html! {
        h1 { "Inbound quarantine" }
        p.muted { "What a marketplace sent that could not be read, kept whole. Open an entry for its body, to replay it (read it again with the current code and settings) or discard it." }
        nav.tabs.pager {
            @for (value, label) in TABS {
                a href={ "/console/inbound?state=" (value) } aria-current=[(value == tab).then_some("page")] { (label) }
            }
        }
        @if found.is_empty() {
            p.muted id="no-entries" { "Nothing here." }
        } @else {
            table id="inbound" {
                thead { tr {
                    th { "Entry" } th { "Channel" } th { "Marketplace id" } th { "State" } th { "Error" }
                    th.num { "Seen" } th { "Last seen" }
                } }
                tbody {
                    @for e in &found {
                        tr {
                            td.mono { a href={ "/console/inbound/" (e.id) } { (short(&e.id.to_string())) } }
                            td { (e.channel) }
                            td { (e.external_id.as_deref().unwrap_or("–")) }
                            td { span class={ "badge " (e.state.as_str()) } { (e.state.as_str()) } }
                            td.error-text { (e.error) }
                            td.num { (e.seen) }
                            td { (time(e.last_seen_at)) }
                        }
                    }
                }
            }
        }
        @if let Some(Some(next)) = next {
            div.pager { a id="next-page" href={ (here) "&after=" (next) } { "Next page" } }
        }
    };
    Ok(page("Inbound quarantine", "/console/inbound", &ctx, &body))
}

/// `GET /console/inbound/{id}`.
pub(crate) async fn show(
    State(console): State<Console>,
    Extension(signed): Extension<Signed>,
    Path(raw): Path<String>,
) -> PageResult {
    let id = entry_id(&raw)?;
    let entry = quarantine(&console)?
        .entry(id)
        .await?
        .ok_or_else(|| Failure::NotFound(format!("inbound entry {id}")))?;
    let ctx = Ctx::new(&console, &signed);
    let body = entry_page(&entry, &ctx);
    Ok(page("Inbound entry", "/console/inbound", &ctx, &body))
}

fn entry_page(entry: &Inbound, ctx: &Ctx) -> maud::Markup {
    let text = String::from_utf8_lossy(&entry.body);
    let utf8 = std::str::from_utf8(&entry.body).is_ok();
    html! {
        p { a href="/console/inbound" { "← Inbound quarantine" } }
        h1 { "Entry " span.mono { (short(&entry.id.to_string())) } " "
             span class={ "badge " (entry.state.as_str()) } id="entry-state" { (entry.state.as_str()) } }
        div.card { dl {
            dt { "Channel" } dd { (entry.channel) }
            dt { "Marketplace id" } dd { (entry.external_id.as_deref().unwrap_or("–")) }
            dt { "Error" } dd.error-text id="entry-error" { (entry.error) }
            dt { "First seen" } dd { (time(entry.first_seen_at)) }
            dt { "Last seen" } dd { (time(entry.last_seen_at)) @if entry.seen > 1 { " (" (entry.seen) " times in all)" } }
            dt { "Closed" } dd { (time_opt(entry.closed_at)) }
            @if let Some(order) = entry.order_id {
                dt { "Order" } dd { a id="replayed-order" href={ "/console/orders/" (order) } { (order) } }
            }
        } }
        @if entry.state == InboundState::Rejected {
            div.pager {
                form.inline method="post" action={ "/console/inbound/" (entry.id) "/replay" } {
                    (ctx.csrf_field()) button type="submit" id="replay" { "Replay" }
                }
                form.inline method="post" action={ "/console/inbound/" (entry.id) "/discard" } {
                    (ctx.csrf_field())
                    button.danger type="submit" id="discard" data-confirm="Discard this entry? It is not an order to keep." { "Discard" }
                }
            }
        }
        h2 { "Body as received" }
        @if entry.erased_at.is_some() {
            p.muted { "Erased " (time_opt(entry.erased_at)) " (retention)." }
        } @else {
            @if !utf8 { p.muted { "Not UTF-8: shown with replacement characters." } }
            pre id="raw-body" { (text) }
        }
    }
}

/// `POST /console/inbound/{id}/replay`.
pub(crate) async fn replay(
    State(console): State<Console>,
    Extension(signed): Extension<Signed>,
    Path(raw): Path<String>,
    posted: Result<Form<EntryForm>, FormRejection>,
) -> PageResult {
    check_csrf(&signed, &form(posted)?.csrf)?;
    let id = entry_id(&raw)?;
    let to = format!("/console/inbound/{id}");
    let services = console.services();
    let result = quarantine(&console)?.replay(id, &services.orders).await;
    let flash = match result {
        Ok((entry, outcome)) => {
            tracing::info!(inbound_id = %id, channel = %entry.channel, outcome = ?outcome, "console: inbound entry replayed by an operator");
            match outcome {
                Replay::Created(order) => {
                    Flash::ok(format!("Replayed: order {order} was created."))
                }
                Replay::Existing(order) => {
                    Flash::ok(format!("Replayed: the order exists already ({order})."))
                }
                Replay::StillRejected(reason) => {
                    Flash::failed(format!("Still cannot be read: {reason}"))
                }
            }
        }
        Err(e) => inbound_failure(e)?,
    };
    Ok(done(&console, &signed, flash, &to))
}

/// `POST /console/inbound/{id}/discard`.
pub(crate) async fn discard(
    State(console): State<Console>,
    Extension(signed): Extension<Signed>,
    Path(raw): Path<String>,
    posted: Result<Form<EntryForm>, FormRejection>,
) -> PageResult {
    check_csrf(&signed, &form(posted)?.csrf)?;
    let id = entry_id(&raw)?;
    let flash = match quarantine(&console)?.discard(id).await {
        Ok(entry) => {
            tracing::info!(inbound_id = %id, channel = %entry.channel, "console: inbound entry discarded by an operator");
            Flash::ok("Discarded: it stays listed as discarded.")
        }
        Err(e) => inbound_failure(e)?,
    };
    Ok(done(
        &console,
        &signed,
        flash,
        &format!("/console/inbound/{id}"),
    ))
}

/// An action's refusal as the flash that says so; a store failure as its page.
fn inbound_failure(error: InboundError) -> Result<Flash, Failure> {
    match error {
        InboundError::NotFound(id) => Ok(Flash::failed(format!("No inbound entry {id}."))),
        InboundError::Closed { state, .. } => Ok(Flash::failed(format!(
            "This entry is {} already: nothing was done.",
            state.as_str()
        ))),
        InboundError::Store(e) => Err(e.into()),
    }
}
