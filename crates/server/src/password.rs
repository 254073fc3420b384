//! Dashboard passwords: argon2id PHC strings.
//!
//! Human passwords are low-entropy, so they get a slow, salted hash (unlike
//! API and host tokens, which are random 32 bytes and only need SHA-256).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The operating system's random source failed.
    #[error("no randomness for a password salt: {0}")]
    Random(String),
    /// argon2 refused the input (for example a password over its length limit).
    #[error("cannot hash password: {0}")]
    Hash(String),
}

/// Hashes `password` with argon2id (default parameters) and a random
/// 16-byte salt; returns the PHC string (`$argon2id$v=19$…`).
pub fn hash(password: &str) -> Result<String, Error> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| Error::Random(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| Error::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Hash(e.to_string()))
}

/// Whether `password` matches the PHC string `phc`. A malformed `phc` never
/// matches. The parameters come from `phc`, so hashes made with older
/// parameters keep verifying.
pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A valid PHC string that no password is known to match, for verifying
/// against when the user does not exist, so that an unknown user takes
/// about as long to refuse as a wrong password.
pub(crate) fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        let mut random = [0u8; 24];
        // If randomness fails the dummy is still a valid hash of a fixed
        // string nobody types; timing is what matters here.
        let _ = getrandom::fill(&mut random);
        let secret: String = random.iter().map(|b| format!("{b:02x}")).collect();
        hash(&secret).unwrap_or_else(|_| {
            "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$\
             3hHY0E5TmAnNQg5sxO5TQ4eS3Bj+zYfDKaHpPBIU/0E"
                .to_string()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_then_verify() {
        let phc = hash("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(verify("correct horse", &phc));
        assert!(!verify("wrong horse", &phc));
        assert!(!verify("correct horse", "not a phc string"));
        assert_ne!(phc, hash("correct horse").unwrap(), "salt must be random");
    }

    #[test]
    fn dummy_is_a_valid_hash() {
        assert!(PasswordHash::new(dummy_hash()).is_ok());
        assert!(!verify("", dummy_hash()));
    }
}
