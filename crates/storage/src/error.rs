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

/// What replaces a credential in a URL or a message.
const MASK: &str = "****";

/// Connection parameters whose value is a credential or says where one is kept: libpq's
/// `password`, `sslpassword` and `passfile` (URL query or `key=value` form), and any other
/// `…password…` spelling a driver might accept.
pub(crate) fn is_secret_param(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.contains("password") || n == "passfile" || n == "pass" || n == "pwd"
}

impl StorageError {
    /// The URL with its credentials masked, for callers outside this crate (the CLI shows
    /// the configured URL).
    pub fn mask_url(url: &str) -> String {
        mask_url(url)
    }

    /// The credentials inside the URL, for callers outside this crate (the CLI scrubs its own
    /// messages).
    pub fn url_secrets(url: &str) -> Vec<String> {
        url_secrets(url)
    }
}

/// A database URL fit to show: the password of `postgres://user:secret@host/db` (or
/// `postgresql://`) and the value of every `password=`, `sslpassword=` and `passfile=`
/// parameter (`?password=secret`, or libpq's `key=value` form) become `****`; the rest is kept
/// so the reader still sees which database is meant.
pub(crate) fn mask_url(url: &str) -> String {
    mask_params(&mask_userinfo(url))
}

/// The credentials inside a database URL, each as written and percent-decoded: the user-info
/// password and every secret parameter's value. Empty when there are none.
pub(crate) fn url_secrets(url: &str) -> Vec<String> {
    let mut out: Vec<String> = userinfo_password(url)
        .into_iter()
        .chain(secret_params(url))
        .map(|r| url[r].to_owned())
        .collect();
    let unquoted: Vec<String> = out
        .iter()
        .filter_map(|s| s.strip_prefix('\'')?.strip_suffix('\'').map(str::to_owned))
        .collect();
    out.extend(unquoted);
    let decoded: Vec<String> = out.iter().map(|s| percent_decode(s)).collect();
    out.extend(decoded);
    out.retain(|s| !s.is_empty() && s != MASK);
    out.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    out.dedup();
    out
}

/// A driver error's text with the URL and its credentials (raw or percent-decoded) masked.
pub(crate) fn scrub(url: &str, message: &str) -> String {
    let mut out = message.replace(url, &mask_url(url));
    for secret in url_secrets(url) {
        out = out.replace(&secret, MASK);
    }
    out
}

/// Where the password between `scheme://user:` and `@` sits in `url` (a byte range): from the
/// first `:` of the authority to the last `@` before the query. A password with an unescaped
/// `@` or `/` (`u:p@ss/w0rd@host`) makes the parser (and so the driver) read a shorter one;
/// the longer reading is masked, because that is what the person meant as their password.
/// A URL that does not parse: to its last `@` at all (more rather than less).
fn userinfo_password(url: &str) -> Option<std::ops::Range<usize>> {
    let scheme_end = url.find("://")? + 3;
    let rest = &url[scheme_end..];
    let parsed = url::Url::parse(url).ok();
    let before_query = match &parsed {
        Some(u) if u.password().is_none() => return None,
        Some(_) => &rest[..rest.find('?').unwrap_or(rest.len())],
        None => rest,
    };
    let (auth, _) = before_query.rsplit_once('@')?;
    let colon = auth.find(':')?;
    Some(scheme_end + colon + 1..scheme_end + auth.len())
}

fn mask_userinfo(url: &str) -> String {
    match userinfo_password(url) {
        Some(r) if !r.is_empty() => format!("{}{MASK}{}", &url[..r.start], &url[r.end..]),
        _ => url.to_owned(),
    }
}

/// The byte ranges of the values of every secret parameter: `name=value` at the start or
/// after `?`, `&`, `;` or whitespace; the value runs to the next `&`, `;`, `#` or whitespace,
/// or is quoted (`password='a b'`, libpq's form).
fn secret_params(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    for (eq, _) in text.match_indices('=') {
        let name_start = text[..eq]
            .char_indices()
            .rev()
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let name = &text[name_start..eq];
        let boundary = text[..name_start]
            .chars()
            .next_back()
            .is_none_or(|c| matches!(c, '?' | '&' | ';') || c.is_whitespace());
        if name.is_empty() || !boundary || !is_secret_param(name) {
            continue;
        }
        let start = eq + 1;
        let rest = &text[start..];
        let len = match rest.strip_prefix('\'') {
            Some(quoted) => quoted.find('\'').map_or(rest.len(), |i| i + 2),
            None => rest
                .find(|c: char| matches!(c, '&' | ';' | '#') || c.is_whitespace())
                .unwrap_or(rest.len()),
        };
        if len > 0 {
            out.push(start..start + len);
        }
    }
    out
}

fn mask_params(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for r in secret_params(text) {
        if r.start < copied {
            continue;
        }
        out.push_str(&text[copied..r.start]);
        out.push_str(MASK);
        copied = r.end;
    }
    out.push_str(&text[copied..]);
    out
}

/// `%XX` decoded and `+` read as a space (query-string rules); invalid escapes kept as written.
fn percent_decode(s: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
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

    /// libpq reads the password from the user info, from `?password=`, and the client key's
    /// passphrase from `?sslpassword=`; `passfile=` names the file that holds passwords.
    /// Every form is masked, in both URL schemes Postgres accepts.
    #[test]
    fn every_form_of_a_postgres_password_is_masked() {
        let cases = [
            (
                "postgres://u:Pw1-secret@h/db",
                "postgres://u:****@h/db",
                &["Pw1-secret"][..],
            ),
            (
                "postgresql://u:Pw1-secret@h:5432/db?sslmode=require",
                "postgresql://u:****@h:5432/db?sslmode=require",
                &["Pw1-secret"],
            ),
            (
                "postgres://u@h/db?password=Pw1-secret&sslmode=disable",
                "postgres://u@h/db?password=****&sslmode=disable",
                &["Pw1-secret"],
            ),
            (
                "postgresql:///db?host=/run/pg&user=u&PASSWORD=Pw1%2Dsecret%21",
                "postgresql:///db?host=/run/pg&user=u&PASSWORD=****",
                &["Pw1%2Dsecret%21", "Pw1-secret!"],
            ),
            (
                "postgres://u@h/db?sslpassword=KeyPass9&passfile=/home/u/.pgpass",
                "postgres://u@h/db?sslpassword=****&passfile=****",
                &["KeyPass9", "/home/u/.pgpass"],
            ),
            (
                "postgres://u:Pw1-secret@h/db?password=Other9pw",
                "postgres://u:****@h/db?password=****",
                &["Pw1-secret", "Other9pw"],
            ),
            // Not a URL at all: libpq's keyword form, refused as unsupported but still masked.
            (
                "host=h user=u password='Pw1 secret' dbname=db",
                "host=h user=u password=**** dbname=db",
                &["'Pw1 secret'", "Pw1 secret"],
            ),
            // A password with an unescaped `@` and `/`: the parser gives up; mask to the last `@`.
            ("postgres://u:p@ss/w0rd@h/db", "postgres://u:****@h/db", &[]),
        ];
        for (url, masked, secrets) in cases {
            assert_eq!(mask_url(url), masked, "{url}");
            let found = url_secrets(url);
            for s in secrets {
                assert!(
                    found.iter().any(|f| f == s),
                    "{url}: {s:?} not in {found:?}"
                );
            }
            let message = format!("connecting to {url} failed ({})", secrets.join(", "));
            let scrubbed = scrub(url, &message);
            for s in secrets {
                assert!(!scrubbed.contains(s), "{url}: {scrubbed}");
            }
        }
        assert!(url_secrets("sqlite://deskpulse.db").is_empty());
        assert!(url_secrets("postgres://u@h/db?sslmode=require").is_empty());
    }

    #[test]
    fn masking_never_panics_on_odd_input() {
        for url in [
            "",
            "://",
            "postgres://",
            "postgres://:@",
            "é=password=x",
            "password=",
            "a;password='x",
            "postgres://ü:ß@h/ä?pässword=ö",
            "%",
            "%4",
            "x?password=%zz",
        ] {
            let _ = mask_url(url);
            let _ = url_secrets(url);
            let _ = scrub(url, url);
        }
        assert_eq!(percent_decode("a%41%4+b%"), "aA%4 b%");
    }
}
