//! The Page token in no log line, error or checkpoint, even when Graph echoes it in an
//! error or in its `paging.next` links.

use crate::common::*;
use deskpulse_connector::testkit::captured_logs;
use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn the_token_is_in_no_log_error_or_checkpoint() {
    let logs = captured_logs();
    let server = MockServer::start().await;
    // A first page whose next link carries the token, as Graph's do.
    Mock::given(method("GET"))
        .and(path(posts_path()))
        .and(query_param("since", since()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [],
            "paging": {"next": format!("https://graph.facebook.com/v21.0/{PAGE}/posts?access_token={TOKEN}&after=X1")}
        })))
        .mount(&server)
        .await;
    // The next page fails, quoting the request.
    Mock::given(method("GET"))
        .and(path(posts_path()))
        .and(query_param("after", "X1"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {
            "message": format!("bad request /posts?access_token={TOKEN}&after=X1"), "code": 100}})))
        .mount(&server)
        .await;
    let (batches, err) = read(&connector(&server), "comments", None).await;
    let err = err.expect("the second page fails");
    let shown = format!(
        "{err} {err:?} {:?} {}",
        batches
            .iter()
            .map(|b| b.checkpoint.value())
            .collect::<Vec<_>>(),
        logs.text().unwrap()
    );
    assert!(!shown.contains(TOKEN), "the token is shown: {shown}");
    assert_eq!(batches.len(), 1);
}
