//! What `uproot serve admin …` does: tokens, the enrollment secret, users.

use uproot_fleet::{Role, Store, User};

use crate::auth;

/// Store setting with the SHA-256 hex of the enrollment secret.
pub const ENROLL_SECRET_SETTING: &str = "enroll_secret_hash";

/// Why an admin action failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] uproot_fleet::Error),
    /// The password could not be hashed.
    #[error(transparent)]
    Password(#[from] crate::password::Error),
    /// Bad input.
    #[error("{0}")]
    Invalid(String),
}

/// Creates an API token with `role`; returns it (it is stored only hashed,
/// so this is the one time it can be seen).
pub async fn create_token(
    store: &dyn Store,
    role: Role,
    label: &str,
) -> Result<String, AdminError> {
    let token = auth::new_token(auth::API_PREFIX);
    store
        .create_api_token(role, &auth::hash_token(&token), label, "cli")
        .await?;
    Ok(token)
}

/// Sets a new random enrollment secret and returns it. The previous one
/// stops working; enrolled hosts keep their tokens.
pub async fn rotate_enroll_secret(store: &dyn Store) -> Result<String, AdminError> {
    let secret = auth::new_token(auth::ENROLL_PREFIX);
    set_enroll_secret(store, &secret, "cli").await?;
    Ok(secret)
}

/// Sets the enrollment secret to `secret` (surrounding white space is
/// ignored, as it is when agents send it). Writes nothing if it is already
/// the secret.
pub async fn set_enroll_secret(
    store: &dyn Store,
    secret: &str,
    actor: &str,
) -> Result<(), AdminError> {
    let secret = secret.trim();
    if secret.len() < 16 {
        return Err(AdminError::Invalid(
            "the enroll secret must be at least 16 characters".into(),
        ));
    }
    let hash = auth::hash_token(secret);
    if store.setting(ENROLL_SECRET_SETTING).await?.as_deref() != Some(hash.as_str()) {
        store
            .set_setting(ENROLL_SECRET_SETTING, &hash, actor)
            .await?;
    }
    Ok(())
}

/// Creates or replaces dashboard user `name`.
pub async fn create_user(
    store: &dyn Store,
    name: &str,
    password: &str,
    role: Role,
) -> Result<(), AdminError> {
    let name = name.trim();
    if name.is_empty() || name.len() > 64 || name.chars().any(|c| c.is_control() || c == ':') {
        return Err(AdminError::Invalid(
            "user name: 1-64 characters, no control characters or ':'".into(),
        ));
    }
    if password.chars().count() < 8 {
        return Err(AdminError::Invalid(
            "password: at least 8 characters".into(),
        ));
    }
    let password = password.to_owned();
    let password_hash = tokio::task::spawn_blocking(move || crate::password::hash(&password))
        .await
        .map_err(|e| AdminError::Invalid(e.to_string()))??;
    let user = User {
        username: name.to_owned(),
        password_hash,
        role,
    };
    store.put_user(&user, "cli").await?;
    Ok(())
}
