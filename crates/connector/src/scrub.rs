//! Takes every secret a client knows out of a text that came from a vendor or a server
//! (error bodies, transport error chains, serde messages that quote a body, URLs).
//!
//! A server may echo what it received: the `Authorization` header in a 400 body, the API key
//! of a `?key=` query in a "bad request" page. Such text would reach the terminal, the
//! daemon's run records and `deskpulse status` as it came. The HTTP client scrubs every
//! error it makes and every log line it writes with one [`Scrubber`], which knows the
//! client's credential in every form a server is likely to echo:
//! - verbatim, percent-encoded and JSON-escaped;
//! - as `Basic` credentials: the exact `base64(user:password)` in the standard and URL-safe
//!   alphabets, with and without padding, and, for each of the user name and the password,
//!   the base64 characters that encode it at any of the three byte alignments, so the secret
//!   is found inside *any* base64 text that embeds it (`user:pass`, `user/token:tok`, an OAuth
//!   `client_id:client_secret`);
//! - the value of any query or body parameter marked secret (`key`, `access_token`, ...),
//!   learned when the client sends it, and any `name=value` of such a parameter in a URL.
//!
//! Secrets shorter than [`MIN_SECRET_CHARS`] are not scrubbed verbatim: replacing `X` (the
//! password Freshdesk's convention puts next to the key) or `tok` everywhere would mangle
//! every message without protecting anything a real credential needs.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use std::fmt;
use std::sync::{Arc, RwLock};

/// What a secret is replaced with.
pub const REDACTED: &str = "[REDACTED]";

/// The shortest secret scrubbed verbatim (see the module docs).
pub const MIN_SECRET_CHARS: usize = 6;

/// The fewest base64 characters of an embedded secret worth scrubbing: fewer could match
/// ordinary text by chance.
const MIN_BASE64_CORE: usize = 8;

/// Query parameters whose value is scrubbed from any URL in a text (`?key=…`, `&token=…`)
/// even when the client never sent them. Their values are *learned* (scrubbed anywhere)
/// only for parameters marked with [`Scrubber::mark_param`]: a `key` that means "sort key"
/// must not turn `updated_at` into a secret.
pub const SECRET_PARAMS: &[&str] = &[
    "access_token",
    "api_key",
    "apikey",
    "api_token",
    "client_secret",
    "key",
    "password",
    "refresh_token",
    "secret",
    "token",
];

/// The secrets of one client (shared by its clones) and the function that scrubs them.
/// `Debug` shows how many it knows, never what.
#[derive(Clone, Default)]
pub struct Scrubber {
    inner: Arc<RwLock<State>>,
}

#[derive(Default)]
struct State {
    /// Longest first, so a secret inside a longer form is not half replaced.
    needles: Vec<String>,
    /// Lower-case names of parameters marked secret.
    params: Vec<String>,
}

impl fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.read();
        f.debug_struct("Scrubber")
            .field("secrets", &s.needles.len())
            .field("params", &s.params)
            .finish()
    }
}

impl Scrubber {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether `other` is this scrubber (a clone of it).
    pub(crate) fn same_as(&self, other: &Scrubber) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn add_needles(&self, forms: impl IntoIterator<Item = String>) {
        let mut s = self.inner.write().unwrap_or_else(|e| e.into_inner());
        let before = s.needles.len();
        for f in forms {
            if !f.is_empty() && f != REDACTED && !s.needles.contains(&f) {
                s.needles.push(f);
            }
        }
        if s.needles.len() != before {
            s.needles
                .sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        }
    }

    /// Adds a secret (a token, an API key, a password, a bearer token obtained by OAuth) in
    /// every form listed in the module docs.
    pub fn add_secret(&self, secret: &str) {
        let mut forms = Vec::new();
        for s in [secret, secret.trim()] {
            if s.chars().count() < MIN_SECRET_CHARS {
                continue;
            }
            forms.push(s.to_owned());
            forms.push(url::form_urlencoded::byte_serialize(s.as_bytes()).collect());
            forms.push(
                url::form_urlencoded::byte_serialize(s.as_bytes())
                    .collect::<String>()
                    .replace('+', "%20"),
            );
            if let Ok(json) = serde_json::to_string(s) {
                forms.push(json[1..json.len() - 1].to_owned());
            }
            forms.extend(base64_cores(s.as_bytes()));
        }
        self.add_needles(forms);
    }

    /// Adds HTTP Basic credentials: both parts as secrets (Freshdesk sends its API key as the
    /// user name) and `base64(user:password)` exactly, in every alphabet and padding.
    pub fn add_basic(&self, username: &str, password: &str) {
        self.add_secret(username);
        self.add_secret(password);
        let pair = format!("{username}:{password}");
        self.add_needles([
            STANDARD.encode(&pair),
            STANDARD_NO_PAD.encode(&pair),
            URL_SAFE.encode(&pair),
            URL_SAFE_NO_PAD.encode(&pair),
        ]);
    }

    /// Marks a query (or JSON body) parameter as secret: its value in any URL of a text is
    /// scrubbed, and every value the client sends under that name becomes a known secret.
    pub fn mark_param(&self, name: &str) {
        let name = name.to_ascii_lowercase();
        let mut s = self.inner.write().unwrap_or_else(|e| e.into_inner());
        if !s.params.contains(&name) {
            s.params.push(name);
        }
    }

    /// Whether any parameter is marked secret.
    pub fn has_params(&self) -> bool {
        !self.read().params.is_empty()
    }

    /// Learns the values of marked parameters in `url`'s query.
    pub fn learn_query(&self, url: &url::Url) {
        let marked: Vec<String> = {
            let s = self.read();
            if s.params.is_empty() {
                return;
            }
            url.query_pairs()
                .filter(|(k, _)| s.params.contains(&k.to_ascii_lowercase()))
                .map(|(_, v)| v.into_owned())
                .collect()
        };
        for v in marked {
            self.add_secret(&v);
        }
    }

    /// Learns the string values of marked parameters anywhere in a JSON body
    /// (`{"client_secret": "…"}` in an OAuth token request).
    pub fn learn_json(&self, body: &serde_json::Value) {
        let params = self.read().params.clone();
        if params.is_empty() {
            return;
        }
        let mut found = Vec::new();
        collect_marked(body, &params, &mut found);
        for v in found {
            self.add_secret(&v);
        }
    }

    /// The longest form of a secret known (0 when none): a text cut at an arbitrary byte
    /// may end in the first characters of a secret, which only this many bytes can hold.
    pub fn longest(&self) -> usize {
        self.read().needles.first().map_or(0, String::len)
    }

    /// `text` with every known secret, and the value of every secret parameter in a URL,
    /// replaced by [`REDACTED`].
    pub fn scrub(&self, text: &str) -> String {
        let s = self.read();
        let mut out = text.to_owned();
        for n in &s.needles {
            if out.contains(n.as_str()) {
                out = out.replace(n.as_str(), REDACTED);
            }
        }
        scrub_params(&out, &s.params)
    }
}

fn collect_marked(v: &serde_json::Value, params: &[String], out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                match x {
                    serde_json::Value::String(s) if params.contains(&k.to_ascii_lowercase()) => {
                        out.push(s.clone());
                    }
                    _ => collect_marked(x, params, out),
                }
            }
        }
        serde_json::Value::Array(a) => {
            for x in a {
                collect_marked(x, params, out);
            }
        }
        _ => {}
    }
}

/// The base64 characters that encode `secret` alone, at each of the three byte alignments
/// it can have inside a longer base64 text, in the standard and URL-safe alphabets. A
/// character mixing bits of the secret with bits of its neighbours is left out.
fn base64_cores(secret: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    for k in 0..3usize {
        let mut buf = vec![0u8; k];
        buf.extend_from_slice(secret);
        let start_bit = 8 * k;
        let end_bit = 8 * (k + secret.len());
        let first = start_bit.div_ceil(6);
        let last = end_bit / 6;
        if last <= first || last - first < MIN_BASE64_CORE {
            continue;
        }
        for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
            let enc = engine.encode(&buf);
            out.push(enc[first..last].to_owned());
        }
    }
    out
}

/// Replaces the value of `name=value` in URL-like text for every secret parameter name
/// (the defaults and the marked ones), when `name` starts the text or follows `?`, `&` or
/// `;`.
fn scrub_params(text: &str, marked: &[String]) -> String {
    if !text.contains('=') {
        return text.to_owned();
    }
    let lower = text.to_ascii_lowercase();
    let names: Vec<&str> = SECRET_PARAMS
        .iter()
        .copied()
        .chain(marked.iter().map(String::as_str))
        .collect();
    // (start, end) of each value to replace.
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for name in names {
        let pat = format!("{name}=");
        let mut from = 0;
        while let Some(pos) = lower[from..].find(&pat) {
            let at = from + pos;
            from = at + pat.len();
            let starts = at == 0 || matches!(lower.as_bytes()[at - 1], b'?' | b'&' | b';');
            if !starts {
                continue;
            }
            let value_start = at + pat.len();
            let value_end = lower[value_start..]
                .find(|c: char| {
                    c.is_whitespace() || matches!(c, '&' | '#' | '"' | '\'' | '<' | '>' | ',' | ')')
                })
                .map_or(lower.len(), |e| value_start + e);
            if value_end > value_start {
                spans.push((value_start, value_end));
            }
        }
    }
    if spans.is_empty() {
        return text.to_owned();
    }
    spans.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (s, e) in spans {
        if s < at {
            continue;
        }
        out.push_str(&text[at..s]);
        out.push_str(REDACTED);
        at = e;
    }
    out.push_str(&text[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "sup3r-s3cret-api-t0ken";

    #[test]
    fn verbatim_encoded_and_escaped_forms_are_scrubbed() {
        let s = Scrubber::new();
        s.add_secret("a/b c+d\"e");
        let text = "raw a/b c+d\"e; form a%2Fb+c%2Bd%22e; pct a%2Fb%20c%2Bd%22e; json a/b c+d\\\"e";
        let out = s.scrub(text);
        assert_eq!(out.matches(REDACTED).count(), 4, "{out}");
    }

    #[test]
    fn basic_credentials_are_scrubbed_in_every_base64_form() {
        let s = Scrubber::new();
        s.add_basic("agent@example.com/token", TOKEN);
        for pair in [
            format!("agent@example.com/token:{TOKEN}"),
            // The same token behind another user name: found by its aligned cores.
            format!("someone@else.org/token:{TOKEN}"),
            format!("abc:{TOKEN}"),
            format!("xy:{TOKEN}"),
        ] {
            for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
                let b64 = engine.encode(&pair);
                let out = s.scrub(&format!(
                    "you sent Authorization: Basic {b64} which we refuse"
                ));
                assert!(!out.contains(&b64), "{pair}: {out}");
                assert!(out.contains(REDACTED), "{pair}: {out}");
            }
        }
    }

    #[test]
    fn short_secrets_are_not_scrubbed_verbatim() {
        let s = Scrubber::new();
        s.add_basic("0123456789abcdef", "X");
        assert_eq!(s.scrub("X-Request-Id: 1"), "X-Request-Id: 1");
        assert_eq!(s.scrub("key 0123456789abcdef"), format!("key {REDACTED}"));
    }

    #[test]
    fn secret_query_values_are_scrubbed_from_urls() {
        let s = Scrubber::new();
        s.mark_param("sig");
        let out = s.scrub(
            "GET https://x.googleapis.com/v1/r?key=AIzaSyA-secret&page=2&Sig=abc#f and ?q=key=1",
        );
        assert_eq!(
            out,
            format!(
                "GET https://x.googleapis.com/v1/r?key={REDACTED}&page=2&Sig={REDACTED}#f and ?q=key=1"
            )
        );
    }

    #[test]
    fn marked_values_are_learned_from_queries_and_json_bodies() {
        let s = Scrubber::new();
        s.mark_param("key");
        s.mark_param("client_secret");
        s.learn_query(&url::Url::parse("https://h/p?key=learned-key-123&page=2").unwrap());
        s.learn_json(
            &serde_json::json!({"grant_type": "x", "client_secret": "learned-secret-456"}),
        );
        let out = s.scrub("echo learned-key-123 and learned-secret-456, page 2");
        assert_eq!(out, format!("echo {REDACTED} and {REDACTED}, page 2"));
        // An unmarked `key` parameter is scrubbed in URLs, never learned.
        let t = Scrubber::new();
        t.learn_query(&url::Url::parse("https://h/p?key=updated_at").unwrap());
        assert_eq!(t.scrub("sorted by updated_at"), "sorted by updated_at");
    }

    #[test]
    fn debug_shows_no_secret() {
        let s = Scrubber::new();
        s.add_secret(TOKEN);
        let printed = format!("{s:?}");
        assert!(!printed.contains(TOKEN), "{printed}");
        assert!(s.longest() >= TOKEN.len());
    }
}
