//! The pages over HTTP: what they show, that untrusted text arrives escaped (the browser
//! test checks the DOM too), and the headers every response carries.

use deskpulse_serve::CSP;
use reqwest::StatusCode;

use crate::harness::{HOSTILE_AGENT, HOSTILE_REVIEW, backends, get, options, seed, start};

/// `s` as askama escapes it.
fn escaped(s: &str) -> String {
    s.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

async fn page(url: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let r = get(url).await;
    let (status, headers) = (r.status(), r.headers().clone());
    (status, headers, r.text().await.unwrap())
}

#[tokio::test]
async fn pages_show_the_week_and_escape_untrusted_text() {
    for db in backends().await {
        let store = db.open().await;
        seed(&store).await;
        let s = start(&store, None, options(None)).await;
        let (status, headers, html) =
            page(&format!("{}/teams/support?period=2026-W46", s.base)).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert_eq!(headers["content-security-policy"], CSP);
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["cache-control"], "no-store");
        assert!(!html.contains("<script"), "no script at all:\n{html}");
        assert!(
            !html.contains("style=\""),
            "no inline style (the CSP forbids it)"
        );
        for raw in [
            HOSTILE_AGENT,
            HOSTILE_REVIEW,
            "<img src=x",
            "alert('review')</script>",
        ] {
            assert!(!html.contains(raw), "{raw:?} reached the page unescaped");
        }
        assert!(
            html.contains(&escaped(HOSTILE_AGENT)),
            "the agent's name, escaped"
        );
        assert!(
            html.contains(&escaped(HOSTILE_REVIEW)),
            "the review's text, escaped:\n{html}"
        );
        assert!(
            !html.contains("javascript:"),
            "a review's javascript: URL is no link"
        );
        // The week's figures and links.
        assert!(html.contains("data-kpi=\"ticket_volume\""), "{html}");
        assert!(html.contains("data-raw=\"3\""), "three tickets");
        assert!(
            html.contains("href=\"/teams/support?period=2026-W45\""),
            "previous week"
        );
        assert!(
            !html.contains("period=2026-W47"),
            "no link to a week not over yet"
        );
        assert!(
            html.contains("href=\"/teams/support/agents/zd%3A100?period=2026-W46\""),
            "{html}"
        );
        assert!(
            html.contains("<svg class=\"bar\""),
            "channel bars as inline SVG"
        );
        assert!(html.contains("/api/teams/support/report?period=2026-W46"));

        let (status, _, html) = page(&format!(
            "{}/teams/support/agents/zd%3A100?period=2026-W46",
            s.base
        ))
        .await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(
            !html.contains(HOSTILE_AGENT) && !html.contains("<img"),
            "{html}"
        );
        assert!(
            html.contains(&format!("<title>deskpulse — {}", escaped(HOSTILE_AGENT))),
            "{html}"
        );
        assert!(html.contains("data-kpi=\"solved\""), "{html}");

        let (status, _, html) = page(&format!("{}/", s.base)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("href=\"/teams/support\""), "{html}");
        assert!(
            html.contains("2026-W46"),
            "the last complete week of now (2026-11-18)"
        );
        assert!(html.contains("Data freshness"));
        drop(s);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn bad_requests_get_an_escaped_error_page() {
    let db = deskpulse_storage::testing::TestDb::sqlite();
    let store = db.open().await;
    let s = start(&store, None, options(None)).await;
    let (status, headers, html) = page(&format!("{}/teams/support?period=%3Cb%3Ex", s.base)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(headers["content-security-policy"], CSP);
    assert!(
        html.contains(&escaped("<b>x")) && !html.contains("<b>x"),
        "{html}"
    );
    let (status, _, html) = page(&format!("{}/teams/%3Cimg%3E", s.base)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        html.contains(&escaped("<img>")) && !html.contains("<img>"),
        "{html}"
    );
    let (status, _, _) = page(&format!(
        "{}/teams/support/agents/zd%3A999?period=2026-W46",
        s.base
    ))
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, headers, _) = page(&format!("{}/nothing-here", s.base)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(headers["content-security-policy"], CSP);
    let (status, headers, css) = page(&format!("{}/static/style.css", s.base)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert!(css.contains(".tile"));
}

#[tokio::test]
async fn a_year_of_weeks_and_months_are_offered() {
    let db = deskpulse_storage::testing::TestDb::sqlite();
    let store = db.open().await;
    seed(&store).await;
    let s = start(&store, None, options(None)).await;
    let (status, _, html) = page(&format!(
        "{}/teams/support?period=2026-W46&trend=52",
        s.base
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("<strong class=\"trend-choice\">52 weeks</strong>"),
        "{html}"
    );
    assert!(
        html.contains("href=\"/teams/support?period=2026-11\""),
        "the week's month"
    );
    let (status, _, html) = page(&format!("{}/teams/support?period=2026-11", s.base)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("2026-11-01 to 2026-11-30"), "{html}");
    assert!(!html.contains("52 weeks"), "months have no 52-week trend");
}
