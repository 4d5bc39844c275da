//! A real SMTP server for the tests (mailin-embedded, an SMTP server library) on a free
//! loopback port, plain or with STARTTLS and AUTH (mailin offers AUTH only on an encrypted
//! connection; the certificate is `tests/fixtures/tls`, see its README). Shared by the test
//! binaries through `#[path]`.
#![allow(dead_code)]

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

pub use mailin_embedded::AuthMechanism;
use mailin_embedded::{Handler, Response, Server, SslConfig, response};

/// One received mail: (envelope from, envelope to, raw message).
pub type Mail = (String, Vec<String>, Vec<u8>);

/// One AUTH the server was sent: (mechanism, user, password), as it decoded them.
pub type Login = (&'static str, String, String);

/// The CA that signed the server's certificate, for `SmtpSettings::tls_ca_pem`.
pub const TEST_CA_PEM: &str = include_str!("../fixtures/tls/ca.pem");

/// What the server received.
#[derive(Clone, Default)]
pub struct Inbox {
    pub mails: Arc<Mutex<Vec<Mail>>>,
    current: Arc<Mutex<Mail>>,
    /// Every AUTH the server was sent.
    pub logins: Arc<Mutex<Vec<Login>>>,
    /// The one (user, password) it accepts.
    accept: Option<(String, String)>,
}

impl Inbox {
    fn login(&mut self, mechanism: &'static str, user: &str, password: &str) -> Response {
        self.logins
            .lock()
            .unwrap()
            .push((mechanism, user.to_owned(), password.to_owned()));
        match &self.accept {
            Some((u, p)) if u == user && p == password => response::AUTH_OK,
            _ => response::INVALID_CREDENTIALS,
        }
    }
}

impl Handler for Inbox {
    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        *self.current.lock().unwrap() = (from.to_owned(), to.to_vec(), Vec::new());
        response::OK
    }
    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current.lock().unwrap().2.extend_from_slice(buf);
        Ok(())
    }
    fn data_end(&mut self) -> Response {
        let mail = std::mem::take(&mut *self.current.lock().unwrap());
        self.mails.lock().unwrap().push(mail);
        response::OK
    }
    fn auth_plain(
        &mut self,
        _authorization_id: &str,
        authentication_id: &str,
        password: &str,
    ) -> Response {
        self.login("PLAIN", authentication_id, password)
    }
    fn auth_login(&mut self, username: &str, password: &str) -> Response {
        self.login("LOGIN", username, password)
    }
}

/// Starts a plain SMTP server (no TLS, no AUTH); it runs until the test binary exits.
pub fn start() -> (u16, Inbox) {
    serve(Inbox::default(), SslConfig::None, None)
}

/// Starts a server that offers STARTTLS and, once encrypted, AUTH with `mechanism` only,
/// accepting `user` / `password`.
pub fn start_with_auth(mechanism: AuthMechanism, user: &str, password: &str) -> (u16, Inbox) {
    let inbox = Inbox {
        accept: Some((user.to_owned(), password.to_owned())),
        ..Inbox::default()
    };
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls");
    let ssl = SslConfig::Trusted {
        cert_path: format!("{dir}/server.pem"),
        key_path: format!("{dir}/server.key"),
        chain_path: format!("{dir}/ca.pem"),
    };
    serve(inbox, ssl, Some(mechanism))
}

fn serve(inbox: Inbox, ssl: SslConfig, auth: Option<AuthMechanism>) -> (u16, Inbox) {
    // Bound before the server thread starts: a client connecting at once is queued by the
    // kernel, so nothing waits for the server to be "up".
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut server = Server::new(inbox.clone());
    server
        .with_name("mx.test")
        .with_ssl(ssl)
        .unwrap()
        .with_num_threads(2)
        .with_tcp_listener(listener);
    if let Some(m) = auth {
        server.with_auth(m);
    }
    std::thread::spawn(move || {
        let _ = server.serve();
    });
    (port, inbox)
}
