//! A rejected token: exit code 1, one line naming the source, and the token nowhere in the
//! output — not even at `RUST_LOG=trace -vv`, in no encoding (as written, percent-encoded,
//! inside the Basic credentials).

use crate::harness::{Env, text, zendesk_config};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "zd-SECRET-token-5e1b9c";

#[tokio::test]
async fn rejected_token_is_one_clear_line_and_never_printed() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(serde_json::json!({"error": "Couldn't authenticate you"})),
        )
        .mount(&server)
        .await;
    let env = Env::new();
    env.write_config(&zendesk_config(&env.sqlite_url(), &server.uri(), "UTC"));

    for log in ["", "trace"] {
        let mut vars = vec![("ZENDESK_API_TOKEN", TOKEN)];
        if !log.is_empty() {
            vars.push(("RUST_LOG", log));
        }
        let args: &[&str] = if log.is_empty() {
            &["sync"]
        } else {
            &["-vv", "sync"]
        };
        let out = env.run(args, &vars).await;
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert_eq!(
            out.status.code(),
            Some(1),
            "RUST_LOG={log}: {stdout}{stderr}"
        );
        // Neither the token nor the Basic credentials it is encoded into may appear.
        let basic = base64_basic("agent@example.com/token", TOKEN);
        let user_and_token = "agent%40example.com%2Ftoken%3Azd-SECRET-token-5e1b9c";
        for secret in [TOKEN, basic.as_str(), user_and_token] {
            assert!(
                !stdout.contains(secret) && !stderr.contains(secret),
                "RUST_LOG={log}: secret leaked:\n{stderr}"
            );
        }
        let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(
            errors.len(),
            1,
            "RUST_LOG={log}: want one error line, got:\n{stderr}"
        );
        assert!(
            errors[0].contains("credentials of source zd were rejected"),
            "{}",
            errors[0]
        );
        if log.is_empty() {
            assert_eq!(
                stderr.lines().count(),
                1,
                "without RUST_LOG only the error line: {stderr}"
            );
        }
    }
}

/// `base64("{user}:{password}")`, as in an `Authorization: Basic` header.
pub(crate) fn base64_basic(user: &str, password: &str) -> String {
    base64(format!("{user}:{password}").as_bytes())
}

/// Standard base64 with padding (RFC 4648 §4), written out so no test trusts the encoder
/// the code under test might use.
pub(crate) fn base64(input: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
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
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn base64_matches_rfc4648() {
    assert_eq!(
        base64_basic("Aladdin", "open sesame"),
        "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
    );
}
