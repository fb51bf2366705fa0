//! One order: its lines with shipped, cancelled, refunded and open units, its shipments with
//! their delivery state, cancellations, refunds, every delivery and its history. The only page
//! with the customer's contact and address.

use axum::Extension;
use axum::extract::{Path, State};
use maud::{Markup, html};
use orderbridge_domain::order::Order;
use orderbridge_domain::outbox::{Delivery, DeliveryKind};
use orderbridge_domain::ports::store::DeliveryQuery;
use orderbridge_domain::values::{Address, OrderId};

use crate::Console;
use crate::deliveries::delivery_rows;
use crate::input::id;
use crate::page::{Ctx, Failure, PageResult, page, time, time_opt};
use crate::session::Signed;

/// `GET /console/orders/{id}`.
pub(crate) async fn show(
    State(console): State<Console>,
    Extension(signed): Extension<Signed>,
    Path(raw): Path<String>,
) -> PageResult {
    let order_id = id("order id", &raw, OrderId::parse)?;
    let services = console.services();
    let order = services
        .orders
        .order(order_id)
        .await?
        .ok_or_else(|| Failure::NotFound(format!("order {order_id}")))?;
    let query = DeliveryQuery {
        order_id: Some(order_id),
        limit: 1_000,
        ..DeliveryQuery::default()
    };
    let mut deliveries = services.deliveries.deliveries(&query).await?;
    deliveries.reverse();
    let now = console.now();
    let ctx = Ctx::new(&console, &signed);
    let back = format!("/console/orders/{order_id}");
    let body = html! {
        p { a href="/console/orders" { "← Orders" } }
        h1 { "Order " span id="external-id" { (order.external_id()) } " "
            span class={ "badge " (order.status().as_str()) } { (order.status().as_str()) }
            @if order.is_overdue(now) { " " span.badge.overdue { "overdue" } }
            @if order.on_hold() { " " span.badge.on-hold { "on hold" } }
        }
        div.grid {
            (summary(&order))
            (customer(&order))
        }
        h2 { "Lines" }
        (lines(&order))
        h2 { "Shipments" }
        (shipments(&order, &deliveries))
        @if !order.cancellations().is_empty() {
            h2 { "Cancellations" }
            (cancellations(&order))
        }
        h2 { "Refunds" }
        (refunds(&order))
        h2 { "Deliveries to the marketplace" }
        (delivery_rows(&deliveries, &ctx, &back))
        h2 { "History" }
        (history(&order))
    };
    Ok(page(
        &format!("Order {}", order.external_id()),
        "/console/orders",
        &ctx,
        &body,
    ))
}

/// An amount as given, or a dash.
fn money(value: Option<impl std::fmt::Display>) -> String {
    value.map_or_else(|| "–".to_owned(), |v| v.to_string())
}

fn summary(order: &Order) -> Markup {
    let totals = order.totals();
    html! {
        div.card {
            dl {
                dt { "orderbridge id" } dd.mono { (order.id()) }
                dt { "Channel" } dd { (order.channel()) }
                dt { "Placed" } dd { (time(order.placed_at())) }
                dt { "Received" } dd { (time(order.received_at())) }
                dt { "Updated" } dd { (time(order.updated_at())) }
                dt { "Deadline" } dd { (time_opt(order.deliver_by())) }
                dt { "Total" } dd { (money(totals.total)) " " (order.currency()) }
                dt { "Shipping" } dd { (money(totals.shipping)) }
                dt { "Refunded" } dd { (order.refunded_total()) }
                @if let Some(at) = order.marketplace().cancelled_at {
                    dt { "Cancelled by the marketplace" } dd { (time(at)) }
                }
                @if !order.flags().is_empty() {
                    dt { "Flags" } dd { @for f in order.flags() { span.badge { (f) } " " } }
                }
            }
        }
    }
}

fn customer(order: &Order) -> Markup {
    html! {
        div.card id="customer" {
            @if let Some(at) = order.erased_at() {
                p.muted { "Personal data erased " (time(at)) " (retention)." }
            } @else {
                dl {
                    dt { "Email" } dd { (order.email().map_or("–", |e| e.as_str())) }
                    dt { "Ship to" } dd { (address(order.shipping_address())) }
                    dt { "Service" } dd { (order.shipping_service().unwrap_or("–")) }
                }
            }
        }
    }
}

fn address(a: Option<&Address>) -> Markup {
    let Some(a) = a else {
        return html! { "–" };
    };
    let name = a.full_name.clone().or_else(|| {
        let parts: Vec<&str> = [a.first_name.as_deref(), a.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    });
    let city = [a.zip.as_deref(), a.city.as_deref(), a.province.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let country = a
        .country_code
        .map(|c| c.to_string())
        .or_else(|| a.country_name.clone());
    html! {
        @for part in [name, a.company.clone(), a.address1.clone(), a.address2.clone(), a.address3.clone(), Some(city), country, a.phone.clone()].into_iter().flatten().filter(|p| !p.is_empty()) {
            (part) br;
        }
    }
}

fn lines(order: &Order) -> Markup {
    html! {
        table id="lines" {
            thead { tr {
                th { "#" } th { "SKU" } th { "Title" } th.num { "Ordered" } th.num { "Shipped" }
                th.num { "Cancelled" } th.num { "Refunded" } th.num { "Open" } th.num { "Unit price" }
            } }
            tbody {
                @for l in order.lines() {
                    tr {
                        td { (l.no()) } td.mono { (l.sku()) } td { (l.title().unwrap_or("")) }
                        td.num { (l.quantity()) } td.num { (l.shipped()) } td.num { (l.cancelled()) }
                        td.num { (l.refunded()) } td.num { (l.open()) } td.num { (l.unit_price()) }
                    }
                }
            }
        }
    }
}

/// The delivery that reports a shipment: its own, or the order's whole-order call.
fn delivery_of<'a>(deliveries: &'a [Delivery], kind: &DeliveryKind) -> Option<&'a Delivery> {
    deliveries
        .iter()
        .rev()
        .find(|d| d.kind == *kind)
        .or_else(|| {
            deliveries
                .iter()
                .rev()
                .find(|d| d.kind == DeliveryKind::OrderFulfillment)
        })
}

fn shipments(order: &Order, deliveries: &[Delivery]) -> Markup {
    html! {
        @if order.fulfillments().is_empty() {
            p.muted { "Nothing shipped yet." }
        } @else {
            table id="shipments" {
                thead { tr { th { "Tracking" } th { "Carrier" } th { "Shipped" } th { "Units" } th { "Delivery" } } }
                tbody {
                    @for f in order.fulfillments() {
                        @let delivery = delivery_of(deliveries, &DeliveryKind::Fulfillment(f.id()));
                        tr {
                            td.mono { (f.tracking_number()) }
                            td { (f.carrier().map(ToString::to_string).unwrap_or_default()) }
                            td { (time(f.shipped_at())) }
                            td { @for a in f.lines() { (a.sku) " × " (a.quantity) br; } }
                            td {
                                @if let Some(d) = delivery {
                                    span class={ "badge " (d.state.as_str()) } { (d.state.as_str()) }
                                    @if let Some(error) = &d.last_error { " " span.error-text { (error) } }
                                } @else { span.muted { "not reported" } }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn cancellations(order: &Order) -> Markup {
    html! {
        table id="cancellations" {
            thead { tr { th { "When" } th { "By" } th { "Reason" } th { "Units" } th { "Note" } } }
            tbody {
                @for c in order.cancellations() {
                    tr {
                        td { (time(c.created_at())) } td { (c.origin().as_str()) } td { (c.reason().as_str()) }
                        td { @if c.whole_order() { "whole order " } @for a in c.lines() { (a.sku) " × " (a.quantity) br; } }
                        td { (c.note().unwrap_or("")) }
                    }
                }
            }
        }
    }
}

fn refunds(order: &Order) -> Markup {
    html! {
        @if order.refunds().is_empty() {
            p.muted { "No refunds." }
        } @else {
            table id="refunds" {
                thead { tr { th { "When" } th { "Reason" } th { "Lines" } th.num { "Total" } th { "Note" } } }
                tbody {
                    @for r in order.refunds() {
                        tr {
                            td { (time(r.created_at())) } td { (r.reason().as_str()) }
                            td { @for l in r.lines() { (l.sku) " × " (l.quantity) ": " (l.amount) br; } }
                            td.num { (r.total()) }
                            td { (r.note().unwrap_or("")) }
                        }
                    }
                }
            }
        }
    }
}

fn history(order: &Order) -> Markup {
    html! {
        table id="history" {
            thead { tr { th { "When" } th { "What" } th { "Detail" } } }
            tbody {
                @for e in order.events() {
                    tr { td { (time(e.at)) } td { (e.kind.as_str()) } td { (e.detail) } }
                }
            }
        }
    }
}
