//! Work the server does on its own: waiver expiry and re-matching.

use std::time::Duration;

use uproot_fleet::Rematch;

use crate::error::ApiError;
use crate::AppState;

/// Store setting holding the catalog version stored findings were last
/// matched with.
pub const CATALOG_VERSION_SETTING: &str = "catalog_version";

/// How often expired waivers are swept.
pub const EXPIRY_INTERVAL: Duration = Duration::from_secs(60);

/// Re-matches every host's latest stored inventory with the server's
/// catalog and records the catalog version.
pub async fn rematch(state: &AppState, actor: &str) -> Result<Rematch, ApiError> {
    let cat = state.catalog().map_err(ApiError::internal)?;
    let r = state
        .store
        .rematch(&cat.compiled, &cat.version, actor)
        .await?;
    state
        .store
        .set_setting(CATALOG_VERSION_SETTING, &cat.version, actor)
        .await?;
    Ok(r)
}

/// When the catalog changed since the last match (a new `uproot` build or
/// another `--catalog` overlay), re-match, so new indicators find hosts
/// without waiting for their next scan.
pub async fn rematch_if_catalog_changed(state: &AppState) -> Result<Option<Rematch>, ApiError> {
    let cat = state.catalog().map_err(ApiError::internal)?;
    let stored = state.store.setting(CATALOG_VERSION_SETTING).await?;
    if stored.as_deref() == Some(cat.version.as_str()) {
        return Ok(None);
    }
    rematch(state, "system").await.map(Some)
}

/// Expires waivers past their date every [`EXPIRY_INTERVAL`], forever.
pub async fn expire_waivers_forever(state: AppState) {
    let mut tick = tokio::time::interval(EXPIRY_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let now = uproot_report::rfc3339_now();
        if let Err(e) = state.store.expire_waivers(&now).await {
            eprintln!("uproot serve: expiring waivers failed: {e}");
        }
    }
}
