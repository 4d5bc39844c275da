//! deskpulse-scheduler (placeholder docs, expanded below)

pub mod schedule;
