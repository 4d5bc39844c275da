//! Wiremock tests of the Gorgias connector. No recorded Gorgias payloads exist publicly, so
//! every page is shaped exactly like the examples of Gorgias's reference
//! (developers.gorgias.com: "The Ticket object", "The TicketMessage object",
//! "The SatisfactionSurvey object", "Pagination": `{"object": "list", "uri", "data",
//! "meta": {"prev_cursor", "next_cursor"}}`), built in `common`.

mod checkpoints;
mod common;
mod conformance;
mod errors;
mod golden;
#[path = "../../../golden_db.rs"]
mod golden_db;
mod http;
mod messages;
mod settings;
mod surveys;
mod tickets;
mod users;
mod vendor;
