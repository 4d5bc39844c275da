//! The last line of defence against printing a credential: [`Secrets::scrub`] replaces every
//! configured secret in a text, in every form it travels in — as written, percent-encoded
//! (query strings, form bodies), JSON- or Debug-escaped, inside base64 (`Authorization:
//! Basic base64(user:secret)`, whatever the user part), and cut short where a vendor's error
//! body was truncated mid-token.
//!
//! Which values are secrets: the database URL's password parts, `[smtp] password`, every
//! channel `webhook_url`, and every `[[sources]]` key a connector reads as a
//! `deskpulse_connector::Secret` ([`is_secret_key`]; a test pins the list to the connectors'
//! settings types). [`Settings::load`](super::Settings::load) registers them process-wide, so
//! the log writer scrubs every line; errors printed by `sync`, stored in the daemon's run
//! records and shown by `status` go through the same function.

use std::sync::RwLock;

/// What a secret is replaced with.
pub const REDACTED: &str = "[REDACTED]";

/// Secrets shorter than this are not scrubbed: replacing every `abc` in every message would
/// garble the output and protect little (a 3-character password is guessed, not leaked).
pub const MIN_LEN: usize = 4;

/// `[[sources]]` (and other) keys whose value is a credential. The connectors read exactly
/// these as `Secret` (`secret_keys_match_the_connectors_settings_types` checks it); the
/// suffix rules cover keys a new connector may add under the usual names.
pub fn is_secret_key(key: &str) -> bool {
    matches!(
        key,
        "password"
            | "api_token"
            | "api_key"
            | "apikey"
            | "oauth_token"
            | "client_secret"
            | "access_token"
            | "refresh_token"
            | "token"
            | "secret"
            | "webhook_url"
            | "private_key"
    ) || key.ends_with("_password")
        || key.ends_with("_secret")
        || key.ends_with("_token")
        || key.ends_with("_api_key")
}

/// A set of secret values. `Debug` shows how many, never which.
#[derive(Clone, Default)]
pub struct Secrets {
    values: Vec<String>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets({} values)", self.values.len())
    }
}

impl Secrets {
    /// Adds one secret value (blank and too-short values are ignored: see [`MIN_LEN`]).
    pub fn add(&mut self, value: &str) {
        if value.trim().chars().count() >= MIN_LEN && !self.values.iter().any(|v| v == value) {
            self.values.push(value.to_owned());
        }
    }

    /// The credentials inside a database URL (its password in every spelling), not the URL:
    /// messages keep naming the database, masked.
    pub fn add_database_url(&mut self, url: &str) {
        for s in deskpulse_storage::StorageError::url_secrets(url) {
            self.add(&s);
        }
    }

    /// A webhook URL is a secret as a whole; its path (where Slack puts the token) is one on
    /// its own too when it is long enough not to be a common word.
    pub fn add_webhook_url(&mut self, url: &str) {
        self.add(url);
        if let Some((_, after_scheme)) = url.split_once("://")
            && let Some(i) = after_scheme.find('/')
            && after_scheme.len() - i >= 12
        {
            self.add(&after_scheme[i..]);
        }
    }

    pub fn extend(&mut self, other: &Secrets) {
        for v in &other.values {
            self.add(v);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// `text` with every secret, in every encoding, replaced by [`REDACTED`].
    pub fn scrub(&self, text: &str) -> String {
        if self.values.is_empty() {
            return text.to_owned();
        }
        let mut forms: Vec<String> = self.values.iter().flat_map(|v| encodings(v)).collect();
        // Longest first, so a secret containing another is replaced whole.
        forms.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        forms.dedup();
        let mut out = text.to_owned();
        for form in &forms {
            if out.contains(form.as_str()) {
                out = out.replace(form.as_str(), REDACTED);
            }
        }
        for secret in &self.values {
            out = redact_truncated(&out, secret);
        }
        redact_base64(&out, &self.values)
    }
}

/// The spellings a secret takes on its way out: as is, percent-encoded (upper and lower hex,
/// `%20` or `+` for a space), JSON/Debug-escaped.
fn encodings(secret: &str) -> Vec<String> {
    let mut out = vec![secret.to_owned()];
    for (upper, plus) in [(true, false), (false, false), (true, true)] {
        out.push(percent_encode(secret, upper, plus));
    }
    if let Ok(json) = serde_json::to_string(secret) {
        let json = &json[1..json.len() - 1];
        out.push(json.to_owned());
        // PHP's json_encode (and others) escape the solidus too.
        out.push(json.replace('/', "\\/"));
    }
    let debug = format!("{secret:?}");
    out.push(debug[1..debug.len() - 1].to_owned());
    out
}

fn percent_encode(s: &str, upper: bool, plus_for_space: bool) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            b' ' if plus_for_space => out.push('+'),
            _ if upper => out.push_str(&format!("%{b:02X}")),
            _ => out.push_str(&format!("%{b:02x}")),
        }
    }
    out
}

/// How much of a secret's start counts as the secret when the rest was cut off (a vendor's
/// error body truncated mid-token): half of it, at least 8 characters, and the whole of a
/// short one.
fn telling_prefix(secret: &str) -> usize {
    let n = secret.len();
    n.min(8.max(n.div_ceil(2)))
}

/// Replaces a long enough start of `secret` that ends where the text was cut (its end, or
/// the end of a quoted excerpt): a truncated token still leaks most of itself.
fn redact_truncated(text: &str, secret: &str) -> String {
    let k = telling_prefix(secret);
    if k == secret.len() || !secret.is_char_boundary(k) {
        return text.to_owned();
    }
    let head = &secret[..k];
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut from = 0;
    while let Some(i) = text[from..].find(head).map(|i| i + from) {
        // Extend the match as far as it follows the secret.
        let mut len = k;
        let rest = &text.as_bytes()[i..];
        while len < secret.len() && len < rest.len() && rest[len] == secret.as_bytes()[len] {
            len += 1;
        }
        while !text.is_char_boundary(i + len) {
            len -= 1;
        }
        out.push_str(&text[copied..i]);
        out.push_str(REDACTED);
        copied = i + len;
        from = copied.max(i + 1);
        while !text.is_char_boundary(from) {
            from += 1;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// The value of a base64 digit (standard and URL-safe alphabets), or `None`.
fn b64_digit(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    }
}

/// Decodes base64 digits (padding already dropped), ignoring a trailing partial group.
fn b64_decode(digits: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &d in digits {
        acc = (acc << 6) | u32::from(d);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// Replaces every run of base64 digits that decodes (at any alignment) to bytes holding a
/// secret, or a telling start of one. Percent-escaped `+`, `/` and `=` (`%2B`, `%2F`,
/// `%3D`, as base64 travels in a URL) and a JSON-escaped solidus (`\/`) count as digits.
fn redact_base64(text: &str, secrets: &[String]) -> String {
    let bytes = text.as_bytes();
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut digits: Vec<u8> = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let mut flush = |start: usize, end: usize, digits: &mut Vec<u8>| {
        if digits.len() >= 8 && decodes_to_secret(digits, secrets) {
            runs.push((start, end));
        }
        digits.clear();
    };
    while i < bytes.len() {
        let (digit, width) = match bytes[i] {
            b'%' if i + 2 < bytes.len() => match &bytes[i + 1..i + 3] {
                [b'2', b'B' | b'b'] => (Some(62), 3),
                [b'2', b'F' | b'f'] => (Some(63), 3),
                [b'3', b'D' | b'd'] => (None, 3),
                _ => (None, 0),
            },
            b'\\' if bytes.get(i + 1) == Some(&b'/') => (Some(63), 2),
            b'=' => (None, 1),
            c => (b64_digit(c), 1),
        };
        match (digit, width) {
            (Some(d), w) => {
                if digits.is_empty() {
                    start = i;
                }
                digits.push(d);
                i += w;
            }
            // Padding ends a run but belongs to it.
            (None, w) if w > 0 && !digits.is_empty() => {
                i += w;
                let mut end = i;
                while end < bytes.len() && bytes[end] == b'=' {
                    end += 1;
                }
                flush(start, end, &mut digits);
                i = end;
            }
            _ => {
                flush(start, i, &mut digits);
                i += 1;
            }
        }
    }
    flush(start, bytes.len(), &mut digits);
    if runs.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (s, e) in runs {
        out.push_str(&text[copied..s]);
        out.push_str(REDACTED);
        copied = e;
    }
    out.push_str(&text[copied..]);
    out
}

fn decodes_to_secret(digits: &[u8], secrets: &[String]) -> bool {
    (0..4.min(digits.len())).any(|offset| {
        let decoded = b64_decode(&digits[offset..]);
        secrets.iter().any(|s| {
            let head = &s.as_bytes()[..telling_prefix(s)];
            decoded.windows(head.len()).any(|w| w == head)
        })
    })
}

static REGISTERED: RwLock<Option<Secrets>> = RwLock::new(None);

/// Adds `secrets` to the process-wide set that [`scrub`] (and so every log line) uses.
pub fn register(secrets: &Secrets) {
    if secrets.is_empty() {
        return;
    }
    let mut guard = REGISTERED.write().unwrap_or_else(|e| e.into_inner());
    guard.get_or_insert_with(Secrets::default).extend(secrets);
}

/// The process-wide set of secrets registered so far.
pub fn registered() -> Secrets {
    REGISTERED
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .unwrap_or_default()
}

/// [`Secrets::scrub`] with every secret registered in this process.
pub fn scrub(text: &str) -> String {
    let guard = REGISTERED.read().unwrap_or_else(|e| e.into_inner());
    match guard.as_ref() {
        Some(s) => s.scrub(text),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base64(input: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
        let mut out = String::new();
        for chunk in input.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(alphabet[((n >> (18 - 6 * i)) & 63) as usize] as char);
                } else if pad {
                    out.push('=');
                }
            }
        }
        out
    }
    const STD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    fn secrets(values: &[&str]) -> Secrets {
        let mut s = Secrets::default();
        for v in values {
            s.add(v);
        }
        s
    }

    #[test]
    fn the_test_encoder_matches_rfc4648() {
        assert_eq!(
            base64(b"Aladdin:open sesame", STD, true),
            "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
    }

    #[test]
    fn plain_escaped_and_percent_encoded_forms_are_redacted() {
        let token = "zd tok/en+\"9f3e\"&ü";
        let php = format!(
            "{{\"t\":\"{}\"}}",
            token.replace('/', "\\/").replace('"', "\\\"")
        );
        let s = secrets(&[token]);
        let json = serde_json::to_string(&serde_json::json!({ "t": token })).unwrap();
        for text in [
            format!("token {token} rejected"),
            format!("body {json}"),
            format!("debug {token:?}"),
            format!("query ?t={}", percent_encode(token, true, false)),
            format!("query ?t={}", percent_encode(token, false, false)),
            format!("form t={}", percent_encode(token, true, true)),
            php.clone(),
        ] {
            let out = s.scrub(&text);
            assert!(out.contains(REDACTED), "{out}");
            assert!(!out.contains("9f3e"), "{text} → {out}");
        }
    }

    #[test]
    fn basic_credentials_are_redacted_whatever_the_user_part() {
        let token = "98765431234";
        let s = secrets(&[token]);
        for user in [
            "agent@example.com/token",
            "x",
            "ab",
            "",
            "a much longer user name here",
        ] {
            for alphabet in [STD, URL] {
                for pad in [true, false] {
                    let b64 = base64(format!("{user}:{token}").as_bytes(), alphabet, pad);
                    for text in [
                        format!("you sent Authorization: Basic {b64}"),
                        format!("{{\"authorization\":\"Basic {b64}\"}}"),
                        format!(
                            "auth=Basic%20{}",
                            b64.replace('+', "%2B")
                                .replace('/', "%2F")
                                .replace('=', "%3D")
                        ),
                        format!("glued:{b64}end"),
                        format!("php: \"Basic {}\"", b64.replace('/', "\\/")),
                    ] {
                        let out = s.scrub(&text);
                        assert!(!out.contains(&b64), "{user:?}: {text} → {out}");
                        assert!(out.contains(REDACTED), "{out}");
                    }
                }
            }
        }
        // The token base64-encoded on its own (a bearer token some SDKs encode) too.
        let out = s.scrub(&format!("Bearer {}", base64(token.as_bytes(), STD, true)));
        assert!(out.contains(REDACTED), "{out}");
    }

    #[test]
    fn a_token_cut_short_by_a_truncated_body_is_redacted() {
        let token = "zd-SECRET-token-5e1b9c";
        let s = secrets(&[token]);
        let out = s.scrub("HTTP 400: {\"echo\": \"Bearer zd-SECRET-tok");
        assert!(!out.contains("zd-SECRET"), "{out}");
        let b64 = base64(format!("me/token:{token}").as_bytes(), STD, true);
        let cut = &b64[..b64.len() - 8];
        let out = s.scrub(&format!("HTTP 400: Basic {cut}"));
        assert!(!out.contains(cut), "{out}");
    }

    #[test]
    fn text_without_secrets_is_unchanged() {
        let s = secrets(&["zd-SECRET-token-5e1b9c", "hunter22"]);
        for text in [
            "synced zd: 1200 records in 3.2s",
            "HTTP 500 on /api/v2/incremental/tickets/cursor.json: {\"error\":\"Internal\"}",
            "QWxhZGRpbjpvcGVuIHNlc2FtZQ== is some other base64",
            "ünïcödé … ✓",
        ] {
            assert_eq!(s.scrub(text), text);
        }
        assert_eq!(Secrets::default().scrub("anything"), "anything");
    }

    #[test]
    fn short_values_are_not_secrets_and_debug_shows_none() {
        let s = secrets(&["X", "ab ", "abc"]);
        assert!(s.is_empty());
        let s = secrets(&["hunter22"]);
        assert_eq!(format!("{s:?}"), "Secrets(1 values)");
    }

    #[test]
    fn database_and_webhook_urls() {
        let mut s = Secrets::default();
        s.add_database_url("postgres://u:Pw-9f3e1@h/db?sslpassword=KeyPass9");
        s.add_database_url("sqlite://deskpulse.db");
        let out = s.scrub("could not log in as u with Pw-9f3e1 (key KeyPass9)");
        assert!(
            !out.contains("Pw-9f3e1") && !out.contains("KeyPass9"),
            "{out}"
        );
        // The database's name stays readable.
        assert_eq!(s.scrub("sqlite://deskpulse.db"), "sqlite://deskpulse.db");

        let mut s = Secrets::default();
        s.add_webhook_url("https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX");
        let out = s.scrub("POST /services/T000/B000/XXXXsecretXXXX failed");
        assert!(!out.contains("XXXXsecret"), "{out}");
    }

    #[test]
    fn odd_input_never_panics() {
        let s = secrets(&["ünïcödé-secret", "zd-SECRET-token-5e1b9c"]);
        for text in [
            "",
            "%",
            "%2",
            "%2B",
            "====",
            "ünïcödé-sec",
            "ünïcödé-secr€t",
            "a%3D%3D",
        ] {
            let _ = s.scrub(text);
        }
    }
}
