//! Delivery to a real SMTP server (mailin-embedded, an SMTP server library) on 127.0.0.1,
//! the received message parsed with a real MIME parser (mail-parser); and to a scripted
//! server that fails at a chosen point of the transaction, for what an error says about
//! delivery (RFC 5321: the reply to the final `.` is the server's acceptance).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

use deskpulse_digest::RenderedDigest;
use deskpulse_digest::delivery::{
    Delivery, DeliveryError, DeliveryKey, EmailChannel, SmtpSecurity, SmtpSender, SmtpSettings,
    send_once,
};
use mail_parser::{MessageParser, MimeHeaders};

use crate::build;
use crate::fixtures::sample;
use crate::log::{MemoryLog, State};
use crate::smtp_server::start as start_server;

fn settings(port: u16) -> SmtpSettings {
    SmtpSettings::new(
        "127.0.0.1",
        port,
        SmtpSecurity::None,
        "deskpulse <kpi@example.com>",
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivers_a_multipart_digest_to_a_real_smtp_server() {
    let (port, inbox) = start_server();
    let d = build(&sample(false));
    let rendered = RenderedDigest::render(&d).unwrap();
    let sender = SmtpSender::new(&settings(port)).unwrap();
    let to = EmailChannel {
        to: vec![
            "lead@example.com".into(),
            "Ops Team <ops@example.com>".into(),
        ],
    };
    sender
        .send_digest(&rendered.subject, &rendered.text, &rendered.html, &to)
        .await
        .unwrap();

    let mails = inbox.mails.lock().unwrap().clone();
    assert_eq!(mails.len(), 1);
    let (env_from, env_to, raw) = &mails[0];
    assert_eq!(env_from, "kpi@example.com");
    assert_eq!(env_to, &["lead@example.com", "ops@example.com"]);

    let m = MessageParser::default()
        .parse(raw)
        .expect("a parseable message");
    // Headers.
    let from = m.from().unwrap().first().unwrap();
    assert_eq!(from.address(), Some("kpi@example.com"));
    assert_eq!(from.name(), Some("deskpulse"));
    let to: Vec<_> = m.to().unwrap().iter().filter_map(|a| a.address()).collect();
    assert_eq!(to, ["lead@example.com", "ops@example.com"]);
    let subject = m.subject().unwrap();
    assert!(
        subject.contains("support") && subject.contains("2026-W47"),
        "{subject}"
    );
    assert_eq!(subject, rendered.subject);
    assert!(m.date().is_some(), "Date header");
    let id = m.message_id().unwrap();
    assert!(
        id.starts_with("deskpulse.") && id.ends_with("@example.com"),
        "{id}"
    );
    assert!(m.header("MIME-Version").is_some(), "MIME-Version header");
    assert!(m.content_type().unwrap().c_subtype.as_deref() == Some("alternative"));

    // Both parts.
    let text = m.body_text(0).unwrap();
    let html = m.body_html(0).unwrap();
    assert_eq!(
        text.replace("\r\n", "\n").trim_end(),
        rendered.text.trim_end()
    );
    assert!(html.starts_with("<!DOCTYPE html>"));
    for number in ["142", "131", "1h 30m", "6h 10m", "84%", "93% (n=10)"] {
        assert!(text.contains(number), "text part lacks {number}");
        assert!(html.contains(number), "HTML part lacks {number}");
    }

    // The inline images: one per chart, Content-ID referenced by the HTML, real PNGs.
    let images: Vec<_> = m
        .attachments()
        .filter(|a| a.content_type().is_some_and(|c| c.ctype() == "image"))
        .collect();
    assert_eq!(images.len(), rendered.html.images.len());
    assert_eq!(images.len(), 6);
    for img in images {
        let cid = img.content_id().expect("Content-ID");
        assert!(
            html.contains(&format!("src=\"cid:{cid}\"")),
            "HTML does not reference {cid}"
        );
        assert_eq!(img.content_type().unwrap().subtype(), Some("png"));
        assert_eq!(&img.contents()[..8], b"\x89PNG\r\n\x1a\n");
        assert!(
            img.content_disposition()
                .is_some_and(|d| d.ctype() == "inline")
        );
    }
    // The HTML and its images travel in one multipart/related.
    assert!(
        m.parts.iter().any(|p| p
            .content_type()
            .is_some_and(|c| c.subtype() == Some("related"))),
        "no multipart/related"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sending_the_same_period_twice_delivers_once_and_force_resends() {
    let (port, inbox) = start_server();
    let rendered = RenderedDigest::render(&build(&sample(false))).unwrap();
    let sender = SmtpSender::new(&settings(port)).unwrap();
    let to = EmailChannel {
        to: vec!["lead@example.com".into()],
    };
    let log = MemoryLog::default();
    let key = DeliveryKey::new("support", "2026-W47", "email");
    let send = || sender.send_digest(&rendered.subject, &rendered.text, &rendered.html, &to);
    assert_eq!(
        send_once(&log, &key, false, send).await.unwrap(),
        Delivery::Sent
    );
    assert!(matches!(
        send_once(&log, &key, false, send).await.unwrap(),
        Delivery::AlreadySent { .. }
    ));
    assert_eq!(inbox.mails.lock().unwrap().len(), 1);
    assert_eq!(
        send_once(&log, &key, true, send).await.unwrap(),
        Delivery::Sent
    );
    assert_eq!(inbox.mails.lock().unwrap().len(), 2);
}

#[test]
fn security_none_is_refused_towards_other_hosts() {
    for host in ["smtp.example.com", "10.0.0.1", "127.0.0.1.example.com"] {
        let s = SmtpSettings::new(host, 25, SmtpSecurity::None, "kpi@example.com");
        let e = SmtpSender::new(&s).unwrap_err();
        assert!(matches!(e, DeliveryError::Settings(_)), "{host}: {e}");
        assert!(
            e.to_string().contains("only allowed towards localhost"),
            "{e}"
        );
    }
    for host in ["localhost", "127.0.0.1", "::1"] {
        let s = SmtpSettings::new(host, 25, SmtpSecurity::None, "kpi@example.com");
        SmtpSender::new(&s).unwrap();
    }
    let s = SmtpSettings::new(
        "smtp.example.com",
        587,
        SmtpSecurity::Starttls,
        "kpi@example.com",
    );
    SmtpSender::new(&s).unwrap();
    let s = SmtpSettings::new(
        "smtp.example.com",
        465,
        SmtpSecurity::Tls,
        "kpi@example.com",
    );
    SmtpSender::new(&s).unwrap();
    let mut s = SmtpSettings::new(
        "smtp.example.com",
        587,
        SmtpSecurity::Starttls,
        "kpi@example.com",
    );
    s.username = Some("kpi".into());
    let e = SmtpSender::new(&s).unwrap_err();
    assert!(e.to_string().contains("`smtp.password` is not"), "{e}");
    assert_eq!(
        "starttls".parse::<SmtpSecurity>().unwrap(),
        SmtpSecurity::Starttls
    );
    assert!(
        "ssl"
            .parse::<SmtpSecurity>()
            .unwrap_err()
            .contains("starttls, tls, none")
    );
    let s = SmtpSettings::new("localhost", 25, SmtpSecurity::None, "not an address");
    assert!(
        SmtpSender::new(&s)
            .unwrap_err()
            .to_string()
            .contains("`smtp.from`")
    );
}

#[tokio::test]
async fn a_server_that_is_down_is_a_clear_error() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sender = SmtpSender::new(&settings(port)).unwrap();
    let rendered = RenderedDigest::render(&build(&sample(false))).unwrap();
    let to = EmailChannel {
        to: vec!["lead@example.com".into()],
    };
    let e = sender
        .send_digest(&rendered.subject, &rendered.text, &rendered.html, &to)
        .await
        .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains(&format!("SMTP delivery to 127.0.0.1:{port} failed")),
        "{msg}"
    );
    // Nothing was sent: the next run may try again.
    assert!(!e.may_have_been_delivered(), "{e:?}");
}

/// A scripted SMTP server for one connection: it answers the greeting, EHLO, MAIL, RCPT and
/// DATA positively, reads the message up to the final `.`, and then answers `final_reply`,
/// or, when `None`, closes the connection without answering (the server may or may not
/// have kept the message). Returns its port.
fn scripted_server(final_reply: Option<&'static str>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut out = stream.try_clone().unwrap();
        let mut lines = BufReader::new(stream);
        out.write_all(b"220 mx.test ESMTP\r\n").unwrap();
        let mut line = String::new();
        let mut in_data = false;
        loop {
            line.clear();
            if lines.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if in_data {
                if line == ".\r\n" {
                    match final_reply {
                        Some(reply) => {
                            out.write_all(format!("{reply}\r\n").as_bytes()).unwrap();
                            in_data = false;
                        }
                        // Dropping both halves closes the connection.
                        None => return,
                    }
                }
                continue;
            }
            let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
            let reply: &[u8] = match verb.as_str() {
                "EHLO" => b"250-mx.test\r\n250 8BITMIME\r\n",
                "MAIL" | "RCPT" => b"250 OK\r\n",
                "DATA" => {
                    in_data = true;
                    b"354 go ahead\r\n"
                }
                "QUIT" => {
                    let _ = out.write_all(b"221 bye\r\n");
                    return;
                }
                _ => b"502 not implemented\r\n",
            };
            out.write_all(reply).unwrap();
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_lost_after_the_final_dot_may_have_delivered_and_keeps_the_claim() {
    let port = scripted_server(None);
    let sender = SmtpSender::new(&settings(port)).unwrap();
    let rendered = RenderedDigest::render(&build(&sample(false))).unwrap();
    let to = EmailChannel {
        to: vec!["lead@example.com".into()],
    };
    let log = MemoryLog::default();
    let key = DeliveryKey::new("support", "2026-W47", "email");
    let e = send_once(&log, &key, false, || {
        sender.send_digest(&rendered.subject, &rendered.text, &rendered.html, &to)
    })
    .await
    .unwrap_err();
    assert!(e.may_have_been_delivered(), "{e:?}");
    assert!(matches!(e, DeliveryError::Uncertain { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains(&format!("SMTP delivery to 127.0.0.1:{port}"))
            && msg.contains("may or may not have been delivered")
            && msg.contains("--force"),
        "{msg}"
    );
    // The claim stays "sending": the next run does not send it again.
    assert!(matches!(log.state(&key), Some(State::Sending { .. })));
    let again = send_once(&log, &key, false, || async {
        panic!("resent after an uncertain outcome")
    })
    .await
    .unwrap();
    assert!(matches!(again, Delivery::InProgress { .. }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_refused_at_the_final_dot_is_not_delivered_and_releases_the_claim() {
    let port = scripted_server(Some("554 5.7.1 message refused"));
    let sender = SmtpSender::new(&settings(port)).unwrap();
    let rendered = RenderedDigest::render(&build(&sample(false))).unwrap();
    let to = EmailChannel {
        to: vec!["lead@example.com".into()],
    };
    let log = MemoryLog::default();
    let key = DeliveryKey::new("support", "2026-W47", "email");
    let e = send_once(&log, &key, false, || {
        sender.send_digest(&rendered.subject, &rendered.text, &rendered.html, &to)
    })
    .await
    .unwrap_err();
    assert!(!e.may_have_been_delivered(), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains(&format!("SMTP delivery to 127.0.0.1:{port} failed"))
            && msg.contains("554")
            && msg.contains("message refused"),
        "{msg}"
    );
    assert_eq!(
        log.state(&key),
        None,
        "the claim is released for the next run"
    );
}
