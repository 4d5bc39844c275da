//! Wiremock tests of the Zendesk connector, on payloads shaped like Zendesk's documented
//! responses and the go-zendesk recorded fixtures (`tests/fixtures/go-zendesk`, MIT).

mod checkpoints;
mod common;
mod errors;
mod http;
mod pages;
mod ratings;
mod settings;
mod ticket_events;
mod tickets;
mod users;
mod window;
