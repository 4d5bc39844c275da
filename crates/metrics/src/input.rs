//! What storage hands the metrics: the facts of the tickets, agents and ratings that can
//! matter to a period. Storage chooses the candidates (see `deskpulse-storage`); metrics
//! decides what counts, so every KPI definition lives in this crate alone.

use deskpulse_model::{Agent, Message, Rating, StatusChange, Ticket};

/// A ticket with everything that happened on it, from one source.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketInput {
    pub source: String,
    pub ticket: Ticket,
    /// The ticket's messages, any order. Authors may be `AuthorKind::Unknown`: they are
    /// resolved against `ReportInput::agents` of the same source.
    pub messages: Vec<Message>,
    /// The ticket's status history, any order (empty when the API gives none).
    pub status_changes: Vec<StatusChange>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AgentInput {
    pub source: String,
    pub agent: Agent,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RatingInput {
    pub source: String,
    pub rating: Rating,
}

/// The facts a report is computed from. Order does not matter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportInput {
    pub tickets: Vec<TicketInput>,
    /// Every agent of the team's sources (small: a team has tens or hundreds).
    pub agents: Vec<AgentInput>,
    pub ratings: Vec<RatingInput>,
}

/// The settings of a team that the KPIs depend on.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamConfig {
    pub name: String,
    /// Whether a bot's public reply counts as a first response / reply.
    pub count_bot_replies: bool,
    pub targets: Targets,
}

/// Targets a KPI is measured against (DESIGN's defaults in `Default`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Targets {
    pub first_response_seconds: i64,
    pub resolution_seconds: i64,
    pub csat: f64,
    pub cost_ratio: f64,
}

impl Default for Targets {
    fn default() -> Self {
        Targets { first_response_seconds: 3600, resolution_seconds: 8 * 3600, csat: 0.9, cost_ratio: 0.10 }
    }
}
