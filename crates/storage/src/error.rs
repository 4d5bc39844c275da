//! Storage errors. None may carry a password: URLs are masked and driver messages scrubbed,
//! because these errors end up in logs and on terminals.

/// What went wrong in storage, and where possible what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error(
        "unsupported database URL {url}: use sqlite://PATH (the file is created if missing), \
         sqlite::memory: or postgres://USER@HOST:PORT/DATABASE"
    )]
    UnsupportedUrl { url: String },

    #[error("could not open database {url}: {reason}; {hint}")]
    Open {
        url: String,
        reason: String,
        hint: &'static str,
    },

    #[error("could not bring the schema of database {url} up to date: {reason}")]
    Migrate { url: String, reason: String },

    #[error("database error while {op}: {source}")]
    Query {
        op: &'static str,
        #[source]
        source: sqlx::Error,
    },

    #[error("invalid {what}: {reason}")]
    Invalid { what: String, reason: String },

    #[error("unreadable value in {table}.{column}: {reason}")]
    Corrupt {
        table: &'static str,
        column: &'static str,
        reason: String,
    },
}

/// `postgres://user:secret@host/db` → `postgres://user:****@host/db`; other URLs unchanged.
pub(crate) fn mask_url(url: &str) -> String {
    if let Ok(mut u) = url::Url::parse(url) {
        if u.password().is_some() && u.set_password(Some("****")).is_ok() {
            return u.to_string();
        }
        return url.to_owned();
    }
    // Unparseable: hide whatever sits between "://user:" and "@".
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((auth, host)) = rest.rsplit_once('@')
        && let Some((user, _)) = auth.split_once(':')
    {
        return format!("{scheme}://{user}:****@{host}");
    }
    url.to_owned()
}

/// A driver error's text with the URL and its password (raw or percent-decoded) masked.
pub(crate) fn scrub(url: &str, message: &str) -> String {
    let mut out = message.replace(url, &mask_url(url));
    if let Ok(u) = url::Url::parse(url)
        && let Some(pw) = u.password()
        && !pw.is_empty()
    {
        out = out.replace(pw, "****");
        let query = format!("x={pw}");
        if let Some((_, decoded)) = url::form_urlencoded::parse(query.as_bytes()).next()
            && !decoded.is_empty()
        {
            out = out.replace(decoded.as_ref(), "****");
        }
    }
    out
}

pub(crate) fn query(op: &'static str) -> impl FnOnce(sqlx::Error) -> StorageError {
    move |source| StorageError::Query { op, source }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_passwords() {
        assert_eq!(
            mask_url("postgres://u:secret@h:5432/db"),
            "postgres://u:****@h:5432/db"
        );
        assert_eq!(mask_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(mask_url("sqlite://x.db"), "sqlite://x.db");
        assert!(!mask_url("weird://u:se cret@h:/").contains("se cret"));
        let url = "postgres://u:p%40ss@h/db";
        let scrubbed = scrub(
            url,
            "failed for postgres://u:p%40ss@h/db with p@ss and p%40ss",
        );
        assert!(
            !scrubbed.contains("p@ss") && !scrubbed.contains("p%40ss"),
            "{scrubbed}"
        );
    }
}
