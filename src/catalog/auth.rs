//! Accounts: passwords hashed with Argon2id, API tokens and web sessions
//! stored as SHA-256 of their secrets, compared in constant time.

use std::time::{SystemTime, UNIX_EPOCH};

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
    rand_core::RngCore,
};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::store::{Role, SessionRecord, TokenRecord, UserRecord};

/// Prefix of every API token, so leaked tokens are easy to recognise.
pub const TOKEN_PREFIX: &str = "amt";
/// How long a web session lasts, seconds.
pub const SESSION_SECONDS: i64 = 8 * 3600;
/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password accepted (bounds the hashing work).
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Who is making a change, as the history records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// `user:NAME` or `token:NAME`.
    pub actor: String,
    /// What they may do.
    pub role: Role,
    /// A steward's organisation (the entries they may edit).
    pub organisation: Option<String>,
}

impl Principal {
    /// Whether they may change this entry: editors any; a steward only
    /// the entries of their own organisation.
    pub fn may_edit(&self, entry_organisation: Option<&str>) -> bool {
        match self.role {
            Role::Editor | Role::Admin => true,
            Role::Steward => match (&self.organisation, entry_organisation) {
                (Some(mine), Some(theirs)) => mine.trim().eq_ignore_ascii_case(theirs.trim()),
                _ => false,
            },
        }
    }
}

/// Seconds since 1970.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `n` random bytes from the operating system, as lowercase hex.
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256, as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Whether two hex digests are equal, in constant time.
pub fn same_digest(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Why a name or password was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AccountError {
    /// Bad user or token name.
    #[error("names are 1 to 64 letters, digits, '.', '-' or '_' (got {0:?})")]
    Name(String),
    /// Password too short or too long.
    #[error("a password must be {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters")]
    Password,
    /// Hashing failed.
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// Checks a user or token name.
pub fn check_name(name: &str) -> Result<(), AccountError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c));
    if ok {
        Ok(())
    } else {
        Err(AccountError::Name(name.to_string()))
    }
}

/// A user record with the password hashed (Argon2id, default parameters).
pub fn new_user(name: &str, role: Role, password: &str) -> Result<UserRecord, AccountError> {
    check_name(name)?;
    let n = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&n) {
        return Err(AccountError::Password);
    }
    let salt = SaltString::generate(&mut OsRng);
    let hash = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| AccountError::Hash(e.to_string()))?;
    Ok(UserRecord {
        name: name.to_string(),
        role,
        password_hash: hash.to_string(),
    })
}

/// Whether `password` is the user's (constant-time inside Argon2). Passwords
/// over the length limit are refused without hashing.
pub fn password_matches(user: &UserRecord, password: &str) -> bool {
    if password.chars().count() > MAX_PASSWORD_CHARS {
        return false;
    }
    PasswordHash::new(&user.password_hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// Spends about as long as a password check, so an unknown name takes the
/// same time as a wrong password.
pub fn dummy_password_check(password: &str) {
    static DUMMY: std::sync::OnceLock<Option<UserRecord>> = std::sync::OnceLock::new();
    if let Some(u) =
        DUMMY.get_or_init(|| new_user("dummy", Role::Editor, "not-a-real-password").ok())
    {
        let _ = password_matches(u, password);
    }
}

/// A new API token: the record to store, and the secret to show once
/// (`amt_<id>_<secret>`).
pub fn new_token(name: &str, role: Role) -> Result<(TokenRecord, String), AccountError> {
    check_name(name)?;
    let id = random_hex(6);
    let secret = random_hex(32);
    Ok((
        TokenRecord {
            id: id.clone(),
            name: name.to_string(),
            role,
            secret_sha256: sha256_hex(secret.as_bytes()),
        },
        format!("{TOKEN_PREFIX}_{id}_{secret}"),
    ))
}

/// Splits a presented token into its id and secret.
pub fn parse_token(presented: &str) -> Option<(&str, &str)> {
    let rest = presented.strip_prefix(TOKEN_PREFIX)?.strip_prefix('_')?;
    let (id, secret) = rest.split_once('_')?;
    (id.len() == 12 && secret.len() == 64 && presented.len() < 128).then_some((id, secret))
}

/// Whether a presented secret is the token's.
pub fn token_matches(record: &TokenRecord, secret: &str) -> bool {
    same_digest(&record.secret_sha256, &sha256_hex(secret.as_bytes()))
}

/// A new web session for a user: the record to store and the cookie value.
pub fn new_session(user: &UserRecord) -> (SessionRecord, String) {
    let cookie = random_hex(32);
    (
        SessionRecord {
            id_sha256: sha256_hex(cookie.as_bytes()),
            user: user.name.clone(),
            role: user.role,
            csrf: random_hex(16),
            expires_unix: unix_now() + SESSION_SECONDS,
        },
        cookie,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_argon2id_and_checked() {
        let u = new_user("alice", Role::Editor, "correct horse battery").unwrap();
        assert!(u.password_hash.starts_with("$argon2id$"));
        assert!(!u.password_hash.contains("correct horse"));
        assert!(password_matches(&u, "correct horse battery"));
        assert!(!password_matches(&u, "correct horse batterx"));
        assert_eq!(
            new_user("alice", Role::Editor, "short"),
            Err(AccountError::Password)
        );
        assert!(matches!(
            new_user("a b", Role::Editor, "long enough password"),
            Err(AccountError::Name(_))
        ));
    }

    #[test]
    fn tokens_are_stored_hashed_and_parsed_strictly() {
        let (record, shown) = new_token("ci", Role::Admin).unwrap();
        assert!(!record.secret_sha256.contains(&shown[17..]));
        let (id, secret) = parse_token(&shown).unwrap();
        assert_eq!(id, record.id);
        assert!(token_matches(&record, secret));
        assert!(!token_matches(&record, &"0".repeat(64)));
        assert!(parse_token("amt_short_x").is_none());
        assert!(parse_token(&shown.replace("amt_", "xyz_")).is_none());
    }
}
