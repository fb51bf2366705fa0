//! The channels page: each channel account's health and why, its pending and parked
//! deliveries, the oldest pending one's age, and pause (with a reason) and resume.

use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::{Extension, Form};
use maud::{Markup, html};
use orderbridge_domain::health::ChannelState;
use orderbridge_domain::services::{ChannelActionError, ChannelView};
use serde::Deserialize;

use crate::Console;
use crate::guard::check_csrf;
use crate::input::{channel, form, note};
use crate::page::{Ctx, PageResult, age, done, page, time, time_opt};
use crate::session::{Flash, Signed};

/// The longest pause reason, as the API takes it.
const MAX_REASON: usize = 500;

/// The pause and resume forms.
#[derive(Debug, Deserialize)]
pub(crate) struct ChannelForm {
    #[serde(default)]
    csrf: String,
    note: Option<String>,
}

/// `GET /console/channels`.
pub(crate) async fn list(
    State(console): State<Console>,
    Extension(signed): Extension<Signed>,
) -> PageResult {
    let views = console.services().channels.channels().await?;
    let now = console.now();
    let ctx = Ctx::new(&console, &signed);
    let body = html! {
        h1 { "Channels" }
        @if views.is_empty() {
            p.muted { "No channel account is configured." }
        } @else {
            table id="channels" {
                thead { tr {
                    th { "Channel" } th { "Health" } th { "Reason" } th { "Since" } th { "Until" }
                    th.num { "Pending" } th.num { "Parked" } th { "Oldest pending" } th { "Last success" } th { "Actions" }
                } }
                tbody {
                    @for view in &views { (row(view, now, &ctx)) }
                }
            }
        }
    };
    Ok(page("Channels", "/console/channels", &ctx, &body))
}

fn row(view: &ChannelView, now: chrono::DateTime<chrono::Utc>, ctx: &Ctx) -> Markup {
    let health = &view.health;
    let id = health.channel.to_string();
    html! {
        tr id={ "channel-" (id) } {
            td { a href={ "/console/deliveries?state=dead&channel=" (id) } { (id) } }
            td { span class={ "badge health " (health.state.as_str()) } { (health.state.as_str()) } }
            td { (health.reason.as_deref().unwrap_or("")) }
            td { (time(health.since)) }
            td { (time_opt(health.until)) }
            td.num { (view.stats.pending) }
            td.num { (view.stats.dead) }
            td { (view.stats.oldest_pending.map_or_else(|| "–".to_owned(), |at| age((now - at).num_seconds()))) }
            td { (time_opt(health.last_success)) }
            td {
                @if health.state == ChannelState::Paused {
                    form.inline method="post" action={ "/console/channels/" (id) "/resume" } {
                        (ctx.csrf_field()) button.resume type="submit" { "Resume" }
                    }
                } @else {
                    form.inline method="post" action={ "/console/channels/" (id) "/pause" } {
                        (ctx.csrf_field())
                        input type="text" name="note" placeholder="why (optional)" maxlength=(MAX_REASON);
                        button.danger.pause type="submit" { "Pause" }
                    }
                    @if health.state == ChannelState::BackingOff {
                        form.inline method="post" action={ "/console/channels/" (id) "/resume" } {
                            (ctx.csrf_field()) button.secondary.resume type="submit" { "Resume now" }
                        }
                    }
                }
            }
        }
    }
}

/// An action's refusal as the flash that says so; a store failure as its page.
fn refusal(error: ChannelActionError) -> Result<Flash, crate::page::Failure> {
    match error {
        ChannelActionError::Unknown(channel) => Ok(Flash::failed(format!(
            "No channel account {channel} is configured."
        ))),
        ChannelActionError::Store(e) => Err(e.into()),
    }
}

/// `POST /console/channels/{id}/pause`.
pub(crate) async fn pause(
    State(console): State<Console>,
    Extension(signed): Extension<Signed>,
    Path(raw): Path<String>,
    posted: Result<Form<ChannelForm>, FormRejection>,
) -> PageResult {
    let posted = form(posted)?;
    check_csrf(&signed, &posted.csrf)?;
    let id = channel(&raw)?;
    let reason = match note(
        "reason",
        posted.note.as_deref().unwrap_or_default(),
        MAX_REASON,
    ) {
        Ok(Some(text)) => text,
        Ok(None) => "paused by an operator".to_owned(),
        Err(reason) => {
            return Ok(done(
                &console,
                &signed,
                Flash::failed(reason),
                "/console/channels",
            ));
        }
    };
    let flash = match console.services().channels.pause(&id, &reason).await {
        Ok(_) => {
            tracing::warn!(channel = %id, "console: channel paused by an operator");
            Flash::ok(format!(
                "Channel {id} is paused: its deliveries wait until it is resumed."
            ))
        }
        Err(e) => refusal(e)?,
    };
    Ok(done(&console, &signed, flash, "/console/channels"))
}

/// `POST /console/channels/{id}/resume`.
pub(crate) async fn resume(
    State(console): State<Console>,
    Extension(signed): Extension<Signed>,
    Path(raw): Path<String>,
    posted: Result<Form<ChannelForm>, FormRejection>,
) -> PageResult {
    check_csrf(&signed, &form(posted)?.csrf)?;
    let id = channel(&raw)?;
    let flash = match console.services().channels.resume(&id).await {
        Ok(_) => {
            tracing::info!(channel = %id, "console: channel resumed by an operator");
            Flash::ok(format!(
                "Channel {id} is active: its due deliveries go out."
            ))
        }
        Err(e) => refusal(e)?,
    };
    Ok(done(&console, &signed, flash, "/console/channels"))
}
