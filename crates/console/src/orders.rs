//! The orders page: filters by status, channel, overdue and on hold, a search by the
//! marketplace's order id, and keyset pages. No customer data here (that is on an order's
//! own page).

use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use maud::{Markup, html};
use orderbridge_domain::order::{Order, OrderStatus};
use orderbridge_domain::ports::store::{DeadlineCursor, OrderCursor, OrderQuery, OverdueQuery};
use orderbridge_domain::values::{ChannelId, ExternalOrderId, OrderId};
use serde::Deserialize;

use crate::Console;
use crate::input::{channel_filter, given, query};
use crate::page::{Ctx, Failure, PageResult, page, time_opt};
use crate::session::Signed;

/// Orders per page.
const PAGE: u32 = 50;

/// The filters, as the form sends them (empty fields are no filter).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct OrdersParams {
    status: Option<String>,
    channel: Option<String>,
    overdue: Option<String>,
    on_hold: Option<String>,
    q: Option<String>,
    after: Option<String>,
}

/// Where a page of orders starts: after an order by change time, or (overdue) by deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cursor {
    Updated(OrderCursor),
    Deadline(DeadlineCursor),
}

fn encode(cursor: Cursor) -> String {
    match cursor {
        Cursor::Updated(c) => format!("u{}_{}", c.updated_at.timestamp_micros(), c.id),
        Cursor::Deadline(c) => format!("d{}_{}", c.deliver_by.timestamp_micros(), c.id),
    }
}

fn decode(raw: &str) -> Result<Cursor, Failure> {
    let bad = || Failure::BadRequest("after: not a position this page gave".to_owned());
    let (kind, rest) = raw.split_at_checked(1).ok_or_else(bad)?;
    let (micros, id) = rest.split_once('_').ok_or_else(bad)?;
    let at = micros
        .parse::<i64>()
        .ok()
        .and_then(DateTime::<Utc>::from_timestamp_micros)
        .ok_or_else(bad)?;
    let id = OrderId::parse(id).map_err(|_| bad())?;
    match kind {
        "u" => Ok(Cursor::Updated(OrderCursor { updated_at: at, id })),
        "d" => Ok(Cursor::Deadline(DeadlineCursor { deliver_by: at, id })),
        _ => Err(bad()),
    }
}

/// The filters read.
#[derive(Debug)]
struct Filters {
    status: Option<OrderStatus>,
    channel: Option<ChannelId>,
    overdue: bool,
    on_hold: Option<bool>,
    q: Option<String>,
    after: Option<Cursor>,
}

fn filters(params: &OrdersParams) -> Result<Filters, Failure> {
    let status = given(params.status.as_deref())
        .map(|s| OrderStatus::parse(s).map_err(|e| Failure::BadRequest(format!("status: {e}"))))
        .transpose()?;
    let on_hold = match given(params.on_hold.as_deref()) {
        None => None,
        Some("yes") => Some(true),
        Some("no") => Some(false),
        Some(_) => {
            return Err(Failure::BadRequest(
                "on_hold: expected yes or no".to_owned(),
            ));
        }
    };
    let overdue = match given(params.overdue.as_deref()) {
        None => false,
        Some("yes" | "on" | "true") => true,
        Some(_) => return Err(Failure::BadRequest("overdue: expected yes".to_owned())),
    };
    Ok(Filters {
        status,
        channel: channel_filter(params.channel.as_deref())?,
        overdue,
        on_hold,
        q: given(params.q.as_deref()).map(str::to_owned),
        after: given(params.after.as_deref()).map(decode).transpose()?,
    })
}

/// `GET /console` and `/console/`: the orders.
pub(crate) async fn home() -> Response {
    Redirect::to("/console/orders").into_response()
}

/// The orders of the search, or of the filters' page, and where the next page starts.
async fn find(
    console: &Console,
    f: &Filters,
    now: DateTime<Utc>,
) -> Result<(Vec<Order>, Option<Cursor>), Failure> {
    let services = console.services();
    if let Some(q) = &f.q {
        let external = ExternalOrderId::parse(q)
            .map_err(|e| Failure::BadRequest(format!("marketplace order id: {e}")))?;
        let channels: Vec<ChannelId> = match &f.channel {
            Some(c) => vec![c.clone()],
            None => services.orders.channels().ids().cloned().collect(),
        };
        let mut found = Vec::new();
        for channel in &channels {
            if let Some(order) = services
                .orders
                .order_by_external(channel, &external)
                .await?
            {
                found.push(order);
            }
        }
        return Ok((found, None));
    }
    let statuses = f.status.into_iter().collect();
    if f.overdue {
        let after = match f.after {
            Some(Cursor::Deadline(c)) => Some(c),
            Some(Cursor::Updated(_)) => {
                return Err(Failure::BadRequest(
                    "after: a position of another listing".into(),
                ));
            }
            None => None,
        };
        let query = OverdueQuery {
            now,
            statuses,
            channel: f.channel.clone(),
            after,
            limit: PAGE,
        };
        let page = services.deadlines.overdue(&query).await?;
        let orders = page
            .orders
            .into_iter()
            .filter(|o| f.on_hold.is_none_or(|held| o.on_hold() == held))
            .collect();
        return Ok((orders, page.next.map(Cursor::Deadline)));
    }
    let after = match f.after {
        Some(Cursor::Updated(c)) => Some(c),
        Some(Cursor::Deadline(_)) => {
            return Err(Failure::BadRequest(
                "after: a position of the overdue listing".into(),
            ));
        }
        None => None,
    };
    let query = OrderQuery {
        statuses,
        channel: f.channel.clone(),
        updated_after: None,
        on_hold: f.on_hold,
        after,
        limit: PAGE,
    };
    let page = services.orders.orders(&query).await?;
    Ok((page.orders, page.next.map(Cursor::Updated)))
}

/// `GET /console/orders`.
pub(crate) async fn list(
    State(console): State<Console>,
    Extension(signed): Extension<Signed>,
    params: Result<Query<OrdersParams>, QueryRejection>,
) -> PageResult {
    let params = query(params)?;
    let f = filters(&params)?;
    let now = console.now();
    let (orders, next) = find(&console, &f, now).await?;
    // Overdue orders come first: when some exist and the overdue filter is off, say so.
    let overdue_exists = !f.overdue && f.q.is_none() && {
        let probe = OverdueQuery {
            now,
            statuses: Vec::new(),
            channel: None,
            after: None,
            limit: 1,
        };
        !console
            .services()
            .deadlines
            .overdue(&probe)
            .await?
            .orders
            .is_empty()
    };
    let channels: Vec<String> = console
        .services()
        .orders
        .channels()
        .ids()
        .map(ToString::to_string)
        .collect();
    let next_link = next.map(|c| next_href(&params, &encode(c)));
    let ctx = Ctx::new(&console, &signed);
    let body = html! {
        h1 { "Orders" }
        @if overdue_exists {
            p.flash.failed id="overdue-banner" {
                "Some orders are past their marketplace's deadline. "
                a href="/console/orders?overdue=yes" { "Show the overdue orders first" }
            }
        }
        (filter_form(&params, &channels))
        (table(&orders, now))
        div.pager {
            @if f.after.is_some() { a href="/console/orders" { "First page" } }
            @if let Some(href) = &next_link { a href=(href) id="next-page" { "Next page" } }
        }
    };
    Ok(page("Orders", "/console/orders", &ctx, &body))
}

/// The link to the next page: the same filters, after `cursor`.
fn next_href(params: &OrdersParams, cursor: &str) -> String {
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    for (name, value) in [
        ("status", &params.status),
        ("channel", &params.channel),
        ("overdue", &params.overdue),
        ("on_hold", &params.on_hold),
    ] {
        if let Some(v) = given(value.as_deref()) {
            pairs.push((name, v));
        }
    }
    pairs.push(("after", cursor));
    let query: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", crate::input::url_encode(v)))
        .collect();
    format!("/console/orders?{}", query.join("&"))
}

fn filter_form(params: &OrdersParams, channels: &[String]) -> Markup {
    let status = given(params.status.as_deref()).unwrap_or_default();
    let channel = given(params.channel.as_deref()).unwrap_or_default();
    let on_hold = given(params.on_hold.as_deref()).unwrap_or_default();
    html! {
        form.filters method="get" action="/console/orders" {
            label { "Marketplace order id"
                input type="search" name="q" id="q" value=[given(params.q.as_deref())] placeholder="e.g. 1001"; }
            label { "Status"
                select name="status" {
                    option value="" { "any" }
                    @for s in OrderStatus::ALL {
                        option value=(s.as_str()) selected[s.as_str() == status] { (s.as_str()) }
                    }
                }
            }
            label { "Channel"
                select name="channel" {
                    option value="" { "any" }
                    @for c in channels { option value=(c) selected[c == channel] { (c) } }
                }
            }
            label { "On hold"
                select name="on_hold" {
                    option value="" { "either" }
                    option value="yes" selected[on_hold == "yes"] { "on hold" }
                    option value="no" selected[on_hold == "no"] { "not on hold" }
                }
            }
            label { "Overdue"
                input type="checkbox" name="overdue" value="yes" checked[given(params.overdue.as_deref()).is_some()]; }
            button type="submit" id="search" { "Show" }
            a href="/console/orders" { "Clear" }
        }
    }
}

fn table(orders: &[Order], now: DateTime<Utc>) -> Markup {
    html! {
        @if orders.is_empty() {
            p.muted id="no-orders" { "No orders match." }
        } @else {
            table id="orders" {
                thead { tr {
                    th { "Marketplace id" } th { "Channel" } th { "Status" }
                    th.num { "Ordered" } th.num { "Shipped" } th.num { "Cancelled" } th.num { "Open" }
                    th { "Deadline" } th { "Updated" }
                } }
                tbody {
                    @for o in orders {
                        tr {
                            td { a href={ "/console/orders/" (o.id()) } { (o.external_id()) } }
                            td { (o.channel()) }
                            td {
                                span class={ "badge " (o.status().as_str()) } { (o.status().as_str()) }
                                @if o.on_hold() { " " span.badge.on-hold { "on hold" } }
                            }
                            td.num { (o.units_ordered()) } td.num { (o.units_shipped()) }
                            td.num { (o.units_cancelled()) } td.num { (o.units_open()) }
                            td {
                                (time_opt(o.deliver_by()))
                                @if o.is_overdue(now) { " " span.badge.overdue { "overdue" } }
                            }
                            td { (time_opt(Some(o.updated_at()))) }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use orderbridge_domain::ports::store::OrderCursor;
    use orderbridge_domain::values::OrderId;

    use super::{Cursor, decode, encode};

    #[test]
    fn a_cursor_reads_back_and_junk_is_refused() {
        let cursor = Cursor::Updated(OrderCursor {
            updated_at: Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap(),
            id: OrderId::parse("0193a0b0-0000-7000-8000-000000000001").unwrap(),
        });
        assert_eq!(decode(&encode(cursor)).unwrap(), cursor);
        for junk in [
            "",
            "u",
            "x1_2",
            "u12_notauuid",
            "uabc_0193a0b0-0000-7000-8000-000000000001",
        ] {
            assert!(decode(junk).is_err(), "{junk}");
        }
    }
}
