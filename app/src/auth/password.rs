//! Password hashing: argon2id with OWASP's current minimum (19 MiB, 2 passes, 1 lane).

use crate::domain::Password;
use argon2::{
    Algorithm, Argon2, Params, Version,
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
};
use std::sync::{
    LazyLock,
    atomic::{AtomicU64, Ordering},
};

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("static argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`) that embeds its own parameters,
/// so hashes made with older parameters still verify after they change.
pub fn hash(password: &Password) -> String {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon2()
        .hash_password(password.expose().as_bytes(), &salt)
        .expect("argon2 hashing with valid parameters cannot fail")
        .to_string()
}

/// Verified against when the email is unknown, so that both paths cost one argon2
/// verification and response time does not reveal which emails have accounts.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let random: u128 = rand::random();
    hash(&Password::parse(&format!("{random:032x}")).expect("32 hex chars is a valid password"))
});

/// How often the dummy hash was verified; lets tests prove the unknown-email path ran.
pub static DUMMY_VERIFICATIONS: AtomicU64 = AtomicU64::new(0);

/// Checks `candidate` against `stored`, or against the dummy hash when there is no
/// stored hash. Returns false for the dummy path whatever the candidate.
pub fn verify(candidate: &str, stored: Option<&str>) -> bool {
    match stored {
        Some(phc) => verify_phc(candidate, phc),
        None => {
            DUMMY_VERIFICATIONS.fetch_add(1, Ordering::Relaxed);
            verify_phc(candidate, &DUMMY_HASH);
            false
        }
    }
}

fn verify_phc(candidate: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => argon2().verify_password(candidate.as_bytes(), &parsed).is_ok(),
        Err(e) => {
            tracing::error!(error = %e, "stored password hash is not a PHC string");
            false
        }
    }
}

/// Hashing takes tens of milliseconds of CPU: keep it off the async workers.
pub async fn hash_off_thread(password: Password) -> String {
    tokio::task::spawn_blocking(move || hash(&password)).await.expect("hashing task does not panic")
}

pub async fn verify_off_thread(candidate: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || verify(&candidate, stored.as_deref()))
        .await
        .expect("verification task does not panic")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_round_trip() {
        let password = Password::parse("correct horse battery").unwrap();
        let phc = hash(&password);
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify("correct horse battery", Some(&phc)));
        assert!(!verify("correct horse battery!", Some(&phc)));
    }

    #[test]
    fn same_password_gets_different_salts() {
        let password = Password::parse("correct horse battery").unwrap();
        assert_ne!(hash(&password), hash(&password));
    }

    #[test]
    fn unknown_user_verifies_against_the_dummy_and_fails() {
        let before = DUMMY_VERIFICATIONS.load(Ordering::Relaxed);
        assert!(!verify("anything at all", None));
        assert!(DUMMY_VERIFICATIONS.load(Ordering::Relaxed) > before);
    }

    #[test]
    fn a_corrupt_stored_hash_never_verifies() {
        assert!(!verify("x", Some("not a hash")));
    }
}
