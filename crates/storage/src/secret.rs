//! The install secret (`meta.install_secret`, 32 random bytes, hex) and the keyed e-mail
//! hashes made with it: e-mail addresses never reach the database, only their HMAC.

use crate::db::Tx;
use crate::error::query;
use crate::{StorageError, Store};
use hmac::{Hmac, Mac};
use sha2::Sha256;

const SELECT: &str = "SELECT value FROM meta WHERE key = 'install_secret'";

/// Hex HMAC-SHA256 of the trimmed, lowercased address under the install's secret: equal
/// addresses match across tickets and orders, and nobody without the secret can test a guess.
pub(crate) fn hash_email(secret: &[u8], email: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret).expect("HMAC-SHA256 accepts keys of any length");
    mac.update(email.trim().to_lowercase().as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// A fresh install secret, hex-encoded: 32 bytes from the operating system's RNG.
pub(crate) fn new_secret() -> Result<String, StorageError> {
    use rand::TryRngCore;
    let mut buf = [0u8; 32];
    rand::rngs::OsRng
        .try_fill_bytes(&mut buf)
        .map_err(|e| StorageError::Invalid {
            what: "install secret".into(),
            reason: format!("the operating system's random generator failed: {e}"),
        })?;
    Ok(hex::encode(buf))
}

fn unhex(hexed: &str) -> Result<Vec<u8>, StorageError> {
    hex::decode(hexed.as_bytes()).map_err(|e| StorageError::Corrupt {
        table: "meta",
        column: "value",
        reason: format!("the install secret is not hex: {e}"),
    })
}

/// The install secret, created inside `tx` on first use. Concurrent creators agree: the
/// first insert wins and everyone reads that one back.
pub(crate) async fn install_secret(tx: &mut Tx) -> Result<Vec<u8>, StorageError> {
    let op = "reading the install secret";
    let found: Option<String> = tx
        .sql(SELECT)
        .optional_scalar(&mut *tx)
        .await
        .map_err(query(op))?;
    let hexed = match found {
        Some(v) => v,
        None => {
            tx.sql(
                "INSERT INTO meta (key, value) VALUES ('install_secret', $1) \
                 ON CONFLICT (key) DO NOTHING",
            )
            .bind(new_secret()?)
            .execute(&mut *tx)
            .await
            .map_err(query("creating the install secret"))?;
            tx.sql(SELECT).scalar(&mut *tx).await.map_err(query(op))?
        }
    };
    unhex(&hexed)
}

/// The install secret in a transaction of its own (created on first use, so concurrent
/// creators agree before anything is hashed with it).
pub(crate) async fn committed_secret(store: &Store) -> Result<Vec<u8>, StorageError> {
    let mut tx = store
        .begin()
        .await
        .map_err(query("starting a transaction"))?;
    let secret = install_secret(&mut tx).await?;
    tx.commit()
        .await
        .map_err(query("storing the install secret"))?;
    Ok(secret)
}

/// The install secret if there is one, read inside `tx` (none is created).
pub(crate) async fn existing_secret(
    tx: &mut Tx,
    op: &'static str,
) -> Result<Option<Vec<u8>>, StorageError> {
    let found: Option<String> = tx
        .sql(SELECT)
        .optional_scalar(&mut *tx)
        .await
        .map_err(query(op))?;
    found.as_deref().map(unhex).transpose()
}

impl Store {
    /// The keyed hash of an e-mail address (HMAC-SHA256 of the trimmed, lowercased address
    /// under the install secret, as stored); creates the install secret on first use.
    pub async fn email_hash(&self, email: &str) -> Result<String, StorageError> {
        let secret = committed_secret(self).await?;
        Ok(hash_email(&secret, email))
    }
}
