//! `[database]`: where the data lives (`url`, SQLite by default). The URL may carry a
//! password, so it is a [`DatabaseUrl`] that never shows it.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    #[serde(default = "default_db_url")]
    pub url: DatabaseUrl,
}

/// No `[database]` section: a SQLite file next to where deskpulse runs.
impl Default for DatabaseSettings {
    fn default() -> DatabaseSettings {
        DatabaseSettings {
            url: default_db_url(),
        }
    }
}

fn default_db_url() -> DatabaseUrl {
    DatabaseUrl::new("sqlite://deskpulse.db")
}

/// `[database] url`: it may carry a password (`postgres://user:secret@host/db`,
/// `?password=…`, `?sslpassword=…`), so `Display` and `Debug` show it masked
/// (`postgres://user:****@host/db`). [`DatabaseUrl::expose`] gives the URL to open.
///
/// It dereferences to `str` so `Store::open(&settings.database.url)` reads as before;
/// prefer `expose()` in new code, which says what it does.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn new(url: impl Into<String>) -> DatabaseUrl {
        DatabaseUrl(url.into())
    }
    /// The URL itself, password included: for opening the database, never for printing.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// The URL with every form of its password masked.
    pub fn masked(&self) -> String {
        deskpulse_storage::StorageError::mask_url(&self.0)
    }
}

impl std::ops::Deref for DatabaseUrl {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.masked())
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DatabaseUrl({:?})", self.masked())
    }
}

impl<'de> Deserialize<'de> for DatabaseUrl {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(DatabaseUrl)
    }
}

#[cfg(test)]
mod tests {
    use crate::config::testing::{ZD, parse};

    #[test]
    fn unknown_keys_are_named() {
        let e = parse("[database]\nurl = \"sqlite://x.db\"\nurll = 1\n", &[]).unwrap_err();
        assert!(e.contains("database") && e.contains("urll"), "{e}");
    }

    #[test]
    fn environment_overrides_the_file() {
        let s = parse(
            ZD,
            &[
                ("ZD_TOKEN", "t"),
                ("DESKPULSE__DATABASE__URL", "postgres://u@h/db"),
            ],
        )
        .unwrap();
        assert_eq!(s.database.url.expose(), "postgres://u@h/db");
    }

    #[test]
    fn the_database_url_is_masked_when_shown() {
        for url in [
            "postgres://u:Pw-9f3e1@h/db",
            "postgresql://u@h/db?password=Pw-9f3e1",
            "postgres://u@h/db?sslpassword=Pw-9f3e1",
        ] {
            let s = parse("", &[("DESKPULSE__DATABASE__URL", url)]).unwrap();
            assert_eq!(s.database.url.expose(), url);
            let shown = format!("{} {:?} {s:?}", s.database.url, s.database.url);
            assert!(!shown.contains("Pw-9f3e1"), "{shown}");
            assert!(shown.contains("****"), "{shown}");
        }
    }
}
