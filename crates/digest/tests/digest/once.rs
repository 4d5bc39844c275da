//! The send-once protocol against an in-memory delivery log, including the crash between
//! the send and the log write and a send whose outcome is unknown (at most once).

use std::sync::atomic::{AtomicUsize, Ordering};

use deskpulse_digest::delivery::{Delivery, DeliveryError, DeliveryKey, send_once};
use tokio::sync::oneshot;

use crate::log::{MemoryLog, State};

fn key() -> DeliveryKey {
    DeliveryKey::new("support", "2026-W47", "email")
}

#[tokio::test]
async fn twice_sends_once_and_force_sends_again() {
    let log = MemoryLog::default();
    let sent = AtomicUsize::new(0);
    let send = || async {
        sent.fetch_add(1, Ordering::SeqCst);
        Ok(())
    };
    assert_eq!(
        send_once(&log, &key(), false, send).await.unwrap(),
        Delivery::Sent
    );
    assert!(matches!(
        send_once(&log, &key(), false, send).await.unwrap(),
        Delivery::AlreadySent { .. }
    ));
    assert_eq!(sent.load(Ordering::SeqCst), 1);
    assert_eq!(
        send_once(&log, &key(), true, send).await.unwrap(),
        Delivery::Sent
    );
    assert_eq!(sent.load(Ordering::SeqCst), 2);
    // Other channels and periods are their own keys.
    let other = DeliveryKey::new("support", "2026-W47", "slack");
    assert_eq!(
        send_once(&log, &other, false, send).await.unwrap(),
        Delivery::Sent
    );
    assert_eq!(sent.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_failed_send_releases_the_claim_so_the_next_run_retries() {
    let log = MemoryLog::default();
    let e = send_once(&log, &key(), false, || async {
        Err(DeliveryError::Slack("HTTP 503".into()))
    })
    .await
    .unwrap_err();
    assert!(e.to_string().contains("HTTP 503"));
    assert_eq!(log.state(&key()), None);
    assert_eq!(
        send_once(&log, &key(), false, || async { Ok(()) })
            .await
            .unwrap(),
        Delivery::Sent
    );
}

#[tokio::test]
async fn a_crash_after_the_send_is_not_resent_without_force() {
    let log = MemoryLog::default();
    let sent = AtomicUsize::new(0);
    // The process "dies" after the message left but before the log write: the future is
    // dropped (as on a kill) as soon as the send has happened, which it signals.
    let (left, message_left) = oneshot::channel();
    let sent_ref = &sent;
    let key_ = key();
    let crashing = send_once(&log, &key_, false, move || async move {
        sent_ref.fetch_add(1, Ordering::SeqCst);
        left.send(()).unwrap();
        std::future::pending::<()>().await;
        Ok(())
    });
    tokio::select! {
        _ = crashing => panic!("the send never returns"),
        left = message_left => left.unwrap(),
    }
    assert_eq!(sent.load(Ordering::SeqCst), 1);
    assert!(matches!(log.state(&key()), Some(State::Sending { .. })));

    // The next run finds the claim and does not send again (at most once)...
    let send = || async {
        sent.fetch_add(1, Ordering::SeqCst);
        Ok(())
    };
    assert!(matches!(
        send_once(&log, &key(), false, send).await.unwrap(),
        Delivery::InProgress { .. }
    ));
    assert_eq!(sent.load(Ordering::SeqCst), 1);
    // ...until someone forces it.
    assert_eq!(
        send_once(&log, &key(), true, send).await.unwrap(),
        Delivery::Sent
    );
    assert_eq!(sent.load(Ordering::SeqCst), 2);
    assert!(matches!(log.state(&key()), Some(State::Sent { .. })));
}

#[tokio::test]
async fn a_log_failure_after_the_send_is_reported_and_not_resent() {
    let log = MemoryLog::default();
    log.fail_mark.store(true, Ordering::SeqCst);
    let e = send_once(&log, &key(), false, || async { Ok(()) })
        .await
        .unwrap_err();
    assert!(matches!(e, DeliveryError::SentNotRecorded(_)));
    assert!(
        e.to_string().contains("will not be resent automatically"),
        "{e}"
    );
    log.fail_mark.store(false, Ordering::SeqCst);
    assert!(matches!(
        send_once(&log, &key(), false, || async { Ok(()) })
            .await
            .unwrap(),
        Delivery::InProgress { .. }
    ));
}

#[tokio::test]
async fn an_uncertain_send_keeps_the_claim_and_is_not_resent_without_force() {
    let log = MemoryLog::default();
    let e = send_once(&log, &key(), false, || async {
        Err(DeliveryError::Uncertain {
            channel: "Slack webhook (hooks.slack.com)".into(),
            detail: "HTTP 503 from hooks.slack.com".into(),
        })
    })
    .await
    .unwrap_err();
    assert!(e.may_have_been_delivered());
    let msg = e.to_string();
    assert!(
        msg.contains("HTTP 503") && msg.contains("may or may not have been delivered"),
        "{msg}"
    );
    // Kept like after a crash: the next run reports it in progress and does not send.
    assert!(matches!(log.state(&key()), Some(State::Sending { .. })));
    let sent = AtomicUsize::new(0);
    let send = || async {
        sent.fetch_add(1, Ordering::SeqCst);
        Ok(())
    };
    assert!(matches!(
        send_once(&log, &key(), false, send).await.unwrap(),
        Delivery::InProgress { .. }
    ));
    assert_eq!(sent.load(Ordering::SeqCst), 0);
    assert_eq!(
        send_once(&log, &key(), true, send).await.unwrap(),
        Delivery::Sent
    );
    assert_eq!(sent.load(Ordering::SeqCst), 1);
}
