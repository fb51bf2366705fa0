//! The deliveries page: parked ones first (the default tab), each with retry and resolve (with
//! a note), and retry-all for a channel, state and time range.

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::{Extension, Form};
use chrono::{DateTime, NaiveDateTime, Utc};
use maud::{Markup, html};
use orderbridge_domain::outbox::{Delivery, DeliveryState};
use orderbridge_domain::ports::store::{DeliveryQuery, RequeueError, ResolveError};
use orderbridge_domain::services::{MAX_NOTE_CHARS, RequeueDeliveryError, RetryFilter};
use orderbridge_domain::values::DeliveryId;
use serde::Deserialize;

use crate::Console;
use crate::guard::check_csrf;
use crate::input::{back, channel_filter, form, given, id, note, query, url_encode};
use crate::page::{Ctx, Failure, PageResult, done, page, short, time, time_opt};
use crate::session::{Flash, Signed};

/// Deliveries per page.
const PAGE: u32 = 50;

/// The tabs, parked first.
const TABS: [(&str, &str); 5] = [
    ("dead", "Parked"),
    ("pending", "Pending"),
    ("delivered", "Delivered"),
    ("resolved", "Resolved"),
    ("all", "All"),
];

/// The listing's filters.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct DeliveriesParams {
    state: Option<String>,
    channel: Option<String>,
    after: Option<String>,
}

/// The retry and resolve forms.
#[derive(Debug, Deserialize)]
pub(crate) struct ActionForm {
    #[serde(default)]
    csrf: String,
    note: Option<String>,
    back: Option<String>,
}

/// The retry-all form.
#[derive(Debug, Deserialize)]
pub(crate) struct RetryAllForm {
    #[serde(default)]
    csrf: String,
    channel: Option<String>,
    state: Option<String>,
    created_from: Option<String>,
    created_before: Option<String>,
}

fn delivery_id(raw: &str) -> Result<DeliveryId, Failure> {
    id("delivery id", raw, DeliveryId::parse)
}

/// `GET /console/deliveries`.
pub(crate) async fn list(
    State(console): State<Console>,
    Extension(signed): Extension<Signed>,
    params: Result<Query<DeliveriesParams>, QueryRejection>,
) -> PageResult {
    let params = query(params)?;
    let tab = given(params.state.as_deref()).unwrap_or("dead");
    let state = match tab {
        "all" => None,
        other => Some(
            DeliveryState::parse(other).map_err(|e| Failure::BadRequest(format!("state: {e}")))?,
        ),
    };
    let channel = channel_filter(params.channel.as_deref())?;
    let after = given(params.after.as_deref())
        .map(delivery_id)
        .transpose()?;
    let query = DeliveryQuery {
        state,
        channel: channel.clone(),
        after,
        limit: PAGE + 1,
        ..DeliveryQuery::default()
    };
    let mut found = console.services().deliveries.deliveries(&query).await?;
    let next = (found.len() > PAGE as usize).then(|| {
        found.truncate(PAGE as usize);
        found.last().map(|d| d.id.to_string())
    });
    let channels: Vec<String> = console
        .services()
        .orders
        .channels()
        .ids()
        .map(ToString::to_string)
        .collect();
    let channel_text = channel
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    let here = format!(
        "/console/deliveries?state={tab}&channel={}",
        url_encode(&channel_text)
    );
    let ctx = Ctx::new(&console, &signed);
    let body = html! {
        h1 { "Deliveries" }
        nav.tabs.pager {
            @for (value, label) in TABS {
                a href={ "/console/deliveries?state=" (value) "&channel=" (url_encode(&channel_text)) }
                  aria-current=[(value == tab).then_some("page")] { (label) }
            }
        }
        form.filters method="get" action="/console/deliveries" {
            input type="hidden" name="state" value=(tab);
            label { "Channel" select name="channel" {
                option value="" { "any" }
                @for c in &channels { option value=(c) selected[*c == channel_text] { (c) } }
            } }
            button type="submit" { "Show" }
        }
        (retry_all_form(&ctx, &channels, &channel_text, tab))
        (delivery_rows(&found, &ctx, &here))
        @if let Some(Some(next)) = next {
            div.pager { a id="next-page" href={ (here) "&after=" (next) } { "Next page" } }
        }
    };
    Ok(page("Deliveries", "/console/deliveries", &ctx, &body))
}

fn retry_all_form(ctx: &Ctx, channels: &[String], channel: &str, tab: &str) -> Markup {
    html! {
        details.card {
            summary { "Retry many at once" }
            form.filters method="post" action="/console/deliveries/retry" id="retry-all" {
                (ctx.csrf_field())
                label { "Channel" select name="channel" {
                    option value="" { "every channel" }
                    @for c in channels { option value=(c) selected[c == channel] { (c) } }
                } }
                label { "State" select name="state" {
                    option value="dead" selected[tab != "pending"] { "parked" }
                    option value="pending" selected[tab == "pending"] { "pending (due now)" }
                } }
                label { "Queued from (UTC)" input type="datetime-local" name="created_from"; }
                label { "Queued before (UTC)" input type="datetime-local" name="created_before"; }
                button type="submit" data-confirm="Put every matching delivery back in the queue?" { "Retry all matching" }
            }
        }
    }
}

/// A table of deliveries with their actions; `back` is where the actions return to.
pub(crate) fn delivery_rows(deliveries: &[Delivery], ctx: &Ctx, back: &str) -> Markup {
    html! {
        @if deliveries.is_empty() {
            p.muted id="no-deliveries" { "No deliveries here." }
        } @else {
            table.deliveries {
                thead { tr {
                    th { "Delivery" } th { "Order" } th { "Channel" } th { "What" } th { "State" }
                    th.num { "Attempts" } th { "Queued" } th { "Next / done" } th { "Last error" } th { "Actions" }
                } }
                tbody {
                    @for d in deliveries {
                        tr id={ "delivery-" (d.id) } {
                            td.mono title=(d.id) { (short(&d.id.to_string())) }
                            td.mono { a href={ "/console/orders/" (d.order_id) } title=(d.order_id) { (short(&d.order_id.to_string())) } }
                            td { (d.channel) }
                            td { (d.kind.name()) }
                            td { span class={ "badge state " (d.state.as_str()) } { (d.state.as_str()) } }
                            td.num { (d.attempts) }
                            td { (time(d.created_at)) }
                            td { @if d.state == DeliveryState::Pending { (time(d.next_attempt_at)) } @else { (time_opt(d.delivered_at)) } }
                            td.error-text { (d.last_error.as_deref().unwrap_or("")) }
                            td { (actions(d, ctx, back)) }
                        }
                    }
                }
            }
        }
    }
}

fn actions(d: &Delivery, ctx: &Ctx, back: &str) -> Markup {
    html! {
        @if d.state == DeliveryState::Dead {
            form.inline method="post" action={ "/console/deliveries/" (d.id) "/retry" } {
                (ctx.csrf_field()) input type="hidden" name="back" value=(back);
                button.retry type="submit" { "Retry" }
            }
        }
        @if matches!(d.state, DeliveryState::Dead | DeliveryState::Pending) {
            form.inline method="post" action={ "/console/deliveries/" (d.id) "/resolve" } {
                (ctx.csrf_field()) input type="hidden" name="back" value=(back);
                input type="text" name="note" placeholder="done by hand: how" required maxlength=(MAX_NOTE_CHARS);
                button.secondary.resolve type="submit" { "Resolve" }
            }
        }
    }
}

/// `POST /console/deliveries/{id}/retry`.
pub(crate) async fn retry(
    State(console): State<Console>,
    Extension(signed): Extension<Signed>,
    Path(raw): Path<String>,
    posted: Result<Form<ActionForm>, FormRejection>,
) -> PageResult {
    let posted = form(posted)?;
    check_csrf(&signed, &posted.csrf)?;
    let id = delivery_id(&raw)?;
    let to = back(posted.back.as_deref(), "/console/deliveries");
    let flash = match console.services().deliveries.requeue_delivery(id).await {
        Ok(d) => {
            tracing::info!(delivery_id = %id, order_id = %d.order_id, "console: delivery requeued by an operator");
            Flash::ok(format!(
                "Delivery {} ({}) is queued again, due now.",
                short(&id.to_string()),
                d.kind
            ))
        }
        Err(RequeueDeliveryError::Requeue(RequeueError::NotFound(_))) => {
            Flash::failed(format!("No delivery {id}."))
        }
        Err(RequeueDeliveryError::Requeue(RequeueError::NotDead { state, .. })) => {
            Flash::failed(format!(
                "Delivery {} is {}, not parked: nothing to retry.",
                short(&id.to_string()),
                state.as_str()
            ))
        }
        Err(
            RequeueDeliveryError::Requeue(RequeueError::Store(e)) | RequeueDeliveryError::Store(e),
        ) => {
            return Err(e.into());
        }
    };
    Ok(done(&console, &signed, flash, to))
}

/// `POST /console/deliveries/{id}/resolve`.
pub(crate) async fn resolve(
    State(console): State<Console>,
    Extension(signed): Extension<Signed>,
    Path(raw): Path<String>,
    posted: Result<Form<ActionForm>, FormRejection>,
) -> PageResult {
    let posted = form(posted)?;
    check_csrf(&signed, &posted.csrf)?;
    let id = delivery_id(&raw)?;
    let to = back(posted.back.as_deref(), "/console/deliveries");
    let text = match note(
        "note",
        posted.note.as_deref().unwrap_or_default(),
        MAX_NOTE_CHARS,
    ) {
        Ok(Some(text)) => text,
        Ok(None) => {
            return Ok(done(
                &console,
                &signed,
                Flash::failed("A resolve needs a note: what was done by hand."),
                to,
            ));
        }
        Err(reason) => return Ok(done(&console, &signed, Flash::failed(reason), to)),
    };
    let flash = match console
        .services()
        .deliveries
        .resolve_delivery(id, &text, Some("the console"))
        .await
    {
        Ok(d) => {
            tracing::info!(delivery_id = %id, order_id = %d.order_id, "console: delivery resolved by hand by an operator");
            Flash::ok(format!(
                "Delivery {} ({}) is resolved.",
                short(&id.to_string()),
                d.kind
            ))
        }
        Err(ResolveError::NotFound(_)) => Flash::failed(format!("No delivery {id}.")),
        Err(e @ (ResolveError::Closed { .. } | ResolveError::InFlight(_))) => {
            Flash::failed(e.to_string())
        }
        Err(ResolveError::Store(e)) => return Err(e.into()),
    };
    Ok(done(&console, &signed, flash, to))
}

/// A time from the form: RFC 3339, or a browser's `datetime-local` read as UTC.
fn form_time(what: &str, raw: Option<&str>) -> Result<Option<DateTime<Utc>>, String> {
    let Some(raw) = given(raw) else {
        return Ok(None);
    };
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M").map(|t| t.and_utc()))
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S").map(|t| t.and_utc()))
        .map(Some)
        .map_err(|_| format!("{what}: expected a date and time such as 2026-01-31T14:00"))
}

fn retry_filter(posted: &RetryAllForm) -> Result<RetryFilter, String> {
    let state = match given(posted.state.as_deref()) {
        None | Some("dead") => DeliveryState::Dead,
        Some("pending") => DeliveryState::Pending,
        Some(_) => return Err("state: expected parked or pending".to_owned()),
    };
    let created_from = form_time("queued from", posted.created_from.as_deref())?;
    let created_before = form_time("queued before", posted.created_before.as_deref())?;
    if let (Some(from), Some(before)) = (created_from, created_before)
        && from >= before
    {
        return Err("queued before: must be later than queued from".to_owned());
    }
    let channel = channel_filter(posted.channel.as_deref())
        .map_err(|_| "channel: not a channel".to_owned())?;
    Ok(RetryFilter {
        channel,
        state,
        created_from,
        created_before,
    })
}

/// `POST /console/deliveries/retry`: every delivery matching the filter, queued again.
pub(crate) async fn retry_all(
    State(console): State<Console>,
    Extension(signed): Extension<Signed>,
    posted: Result<Form<RetryAllForm>, FormRejection>,
) -> PageResult {
    let posted = form(posted)?;
    check_csrf(&signed, &posted.csrf)?;
    let filter = match retry_filter(&posted) {
        Ok(filter) => filter,
        Err(reason) => {
            return Ok(done(
                &console,
                &signed,
                Flash::failed(reason),
                "/console/deliveries",
            ));
        }
    };
    let requeued = console
        .services()
        .deliveries
        .retry_matching(&filter)
        .await?;
    tracing::info!(
        requeued,
        state = filter.state.as_str(),
        "console: deliveries requeued in bulk by an operator"
    );
    let flash = Flash::ok(format!("{requeued} deliveries queued again, due now."));
    Ok(done(
        &console,
        &signed,
        flash,
        &format!("/console/deliveries?state={}", filter.state.as_str()),
    ))
}

#[cfg(test)]
mod tests {
    use super::form_time;

    #[test]
    fn form_times_read_rfc3339_and_browser_local_times_as_utc() {
        let at = form_time("t", Some("2026-01-31T14:00")).unwrap().unwrap();
        assert_eq!(at.to_rfc3339(), "2026-01-31T14:00:00+00:00");
        let at = form_time("t", Some("2026-01-31T14:00:00+01:00"))
            .unwrap()
            .unwrap();
        assert_eq!(at.to_rfc3339(), "2026-01-31T13:00:00+00:00");
        assert_eq!(form_time("t", Some(" ")), Ok(None));
        assert!(form_time("t", Some("yesterday")).is_err());
    }
}
