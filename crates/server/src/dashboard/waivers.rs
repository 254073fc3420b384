//! Waivers: the list, the request form, approve and expire.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use minijinja::context;
use serde::{Deserialize, Serialize};
use uproot_fleet::NewWaiver;

use super::cache::Cache;
use super::render::{page, DashError};
use super::session::Viewer;
use super::time;
use crate::AppState;

const SCOPE_KINDS: &[&str] = &["finding", "host", "product", "vendor"];
/// Longest justification or mitigation text accepted from the form.
const MAX_TEXT: usize = 8_000;

/// The request form's fields, as typed (kept on a validation error).
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct WaiverForm {
    csrf: String,
    scope_kind: String,
    scope_value: String,
    justification: String,
    mitigations: String,
    directive: String,
    expires: String,
    /// Host page to return to after the request, when it came from one.
    host: String,
}

/// Query of `GET /waivers`: prefills the form (from a host page's "Waive"
/// link) and names a waiver just changed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct WaiversQuery {
    scope_kind: Option<String>,
    scope_value: Option<String>,
    host: Option<String>,
    done: Option<String>,
}

/// Renders the waiver list and the request form.
async fn render_list(
    state: &AppState,
    viewer: &Viewer,
    form: WaiverForm,
    status: StatusCode,
    error: Option<String>,
    done: Option<String>,
) -> Result<Response, DashError> {
    let mut waivers = state.store.waivers().await?;
    waivers.reverse();
    let directives = state.store.directives().await?;
    Ok(page(
        status,
        "waivers.html",
        context! {
            me => viewer.context(),
            nav => "waivers",
            waivers,
            directives,
            scope_kinds => SCOPE_KINDS,
            form,
            error,
            done,
        },
    ))
}

/// `GET /waivers`.
pub(crate) async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<WaiversQuery>,
) -> Result<Response, DashError> {
    let today = time::now_secs().div_euclid(86_400);
    let form = WaiverForm {
        scope_kind: q
            .scope_kind
            .filter(|k| SCOPE_KINDS.contains(&k.as_str()))
            .unwrap_or_else(|| "finding".into()),
        scope_value: q.scope_value.unwrap_or_default(),
        host: q
            .host
            .filter(|h| h.parse::<i64>().is_ok())
            .unwrap_or_default(),
        // A month is a common first term for a written-response waiver.
        expires: time::date_of_days(today + 30),
        ..WaiverForm::default()
    };
    let done = q.done.as_deref().and_then(done_message);
    render_list(&state, &viewer, form, StatusCode::OK, None, done).await
}

/// `requested-7` (from a redirect after a change) → `Waiver 7 requested.`
fn done_message(done: &str) -> Option<String> {
    let (action, id) = done.split_once('-')?;
    let id: i64 = id.parse().ok()?;
    ["requested", "approved", "expired"]
        .contains(&action)
        .then(|| format!("Waiver {id} {action}."))
}

/// Checks the form; returns the waiver to add or what is wrong with it.
fn validate(form: &WaiverForm, requested_by: &str, now: &str) -> Result<NewWaiver, String> {
    if !SCOPE_KINDS.contains(&form.scope_kind.as_str()) {
        return Err("Choose what the waiver covers: a finding, host, product or vendor.".into());
    }
    let scope_value = form.scope_value.trim();
    if scope_value.is_empty() {
        return Err("Name the finding, host, product or vendor the waiver covers.".into());
    }
    if form.scope_kind == "host" && scope_value.parse::<i64>().is_err() {
        return Err("A host waiver takes the host's id (a number).".into());
    }
    let justification = form.justification.trim();
    if justification.is_empty() {
        return Err("A waiver needs a written justification.".into());
    }
    if justification.len() > MAX_TEXT || form.mitigations.len() > MAX_TEXT {
        return Err(format!(
            "Justification and mitigations are limited to {MAX_TEXT} bytes each."
        ));
    }
    let expires_at = time::parse_instant(&form.expires, true)
        .ok_or("The expiry must be a date like 2027-01-31.")?;
    if expires_at.as_str() <= now {
        return Err("The expiry must be in the future.".into());
    }
    let directive = form.directive.trim();
    Ok(NewWaiver {
        scope_kind: form.scope_kind.clone(),
        scope_value: scope_value.to_string(),
        justification: justification.to_string(),
        mitigations: form.mitigations.trim().to_string(),
        directive: (!directive.is_empty()).then(|| directive.to_string()),
        requested_by: requested_by.to_string(),
        created_at: now.to_string(),
        expires_at,
    })
}

/// `POST /waivers`: requests a waiver (pending until approved).
pub(crate) async fn create(
    State(state): State<AppState>,
    Extension(cache): Extension<Arc<Cache>>,
    viewer: Viewer,
    Form(form): Form<WaiverForm>,
) -> Result<Response, DashError> {
    viewer.authorize_write(&form.csrf)?;
    let now = time::now();
    let waiver = match validate(&form, &viewer.username, &now) {
        Ok(w) => w,
        Err(e) => {
            return render_list(
                &state,
                &viewer,
                form,
                StatusCode::BAD_REQUEST,
                Some(e),
                None,
            )
            .await
        }
    };
    let id = match state.store.add_waiver(&waiver).await {
        Ok(id) => id,
        Err(e) if e.kind() == uproot_fleet::ErrorKind::Invalid => {
            let msg = e.to_string();
            return render_list(
                &state,
                &viewer,
                form,
                StatusCode::BAD_REQUEST,
                Some(msg),
                None,
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    };
    cache.clear();
    let done = format!("requested-{id}");
    let back = super::url_with("/waivers", &[("done", &done), ("host", form.host.trim())]);
    Ok(Redirect::to(&format!("{back}#waiver-{id}")).into_response())
}

/// Form of the approve and expire buttons.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ActionForm {
    csrf: String,
}

fn waiver_id(id: &str) -> Result<i64, DashError> {
    id.parse()
        .map_err(|_| DashError::not_found("No such waiver."))
}

/// `POST /waivers/{id}/approve`.
pub(crate) async fn approve(
    State(state): State<AppState>,
    Extension(cache): Extension<Arc<Cache>>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Result<Response, DashError> {
    viewer.authorize_write(&form.csrf)?;
    let id = waiver_id(&id)?;
    state
        .store
        .approve_waiver(id, &viewer.username, &time::now())
        .await?;
    cache.clear();
    Ok(Redirect::to(&format!("/waivers?done=approved-{id}#waiver-{id}")).into_response())
}

/// `POST /waivers/{id}/expire`.
pub(crate) async fn expire(
    State(state): State<AppState>,
    Extension(cache): Extension<Arc<Cache>>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Result<Response, DashError> {
    viewer.authorize_write(&form.csrf)?;
    let id = waiver_id(&id)?;
    state
        .store
        .expire_waiver(id, &viewer.username, &time::now())
        .await?;
    cache.clear();
    Ok(Redirect::to(&format!("/waivers?done=expired-{id}#waiver-{id}")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> WaiverForm {
        WaiverForm {
            scope_kind: "finding".into(),
            scope_value: "kesl.pkg|/var/lib/dpkg/status|kesl".into(),
            justification: "Air-gapped lab; removal scheduled.".into(),
            expires: "2027-01-31".into(),
            ..WaiverForm::default()
        }
    }

    #[test]
    fn done_messages() {
        assert_eq!(
            done_message("approved-7").as_deref(),
            Some("Waiver 7 approved.")
        );
        assert_eq!(done_message("hacked-7"), None);
        assert_eq!(done_message("approved-x"), None);
    }

    #[test]
    fn validates_the_form() {
        let now = "2026-11-29T00:00:00Z";
        let w = validate(&form(), "alice", now).unwrap();
        assert_eq!(w.expires_at, "2027-01-31T23:59:59Z");
        assert_eq!(w.directive, None);
        assert_eq!(w.requested_by, "alice");
        let bad = |f: WaiverForm| validate(&f, "alice", now).unwrap_err();
        bad(WaiverForm {
            justification: "  ".into(),
            ..form()
        });
        bad(WaiverForm {
            scope_kind: "planet".into(),
            ..form()
        });
        bad(WaiverForm {
            scope_kind: "host".into(),
            scope_value: "web1".into(),
            ..form()
        });
        bad(WaiverForm {
            expires: "2020-01-01".into(),
            ..form()
        });
    }
}
