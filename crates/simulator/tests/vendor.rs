//! Zendesk's own metric values in the ground truth: computed by Zendesk's documented
//! definitions (support.zendesk.com/hc/en-us/articles/4408834848154 "About native Support
//! time duration metrics"; support.zendesk.com/hc/zh-cn/articles/6191477770906 on trigger
//! comments; developer.zendesk.com Ticket Metrics API), checked on hand-built histories with
//! the arithmetic written out, and every difference from deskpulse's definitions explained.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use deskpulse_metrics::{AgentIndex, AgentInput, TicketInput, derive_facts};
use deskpulse_model::{Agent, AuthorKind, Channel, TicketStatus};
use deskpulse_simulator::{
    AGENT_BASE, BusinessHours, CUSTOMER_BASE, Clock, DataConfig, Dataset, DifferenceReason,
    Exclusion, GROUPS, SYSTEM, SimConfig, TrueMessage, TrueTicket, TrueTransition,
    VendorDifference, VendorField, VendorMinutes, ZendeskMetrics,
};

const AGENT: i64 = AGENT_BASE;
const CUSTOMER: i64 = CUSTOMER_BASE;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("an RFC 3339 time")
}

/// A ticket opened at `created` by the customer (or, `outbound`, by the agent), with no
/// messages or history yet.
fn ticket(created: &str, outbound: bool) -> TrueTicket {
    let created_at = at(created);
    let submitter = if outbound { AGENT } else { CUSTOMER };
    TrueTicket {
        id: 1,
        created_at,
        updated_at: created_at,
        channel: Channel::Email,
        vendor_status: "new",
        status: TicketStatus::New,
        excluded: None,
        outbound,
        bot_answered: false,
        automation_solved: false,
        requester: CUSTOMER,
        submitter,
        assignee: None,
        group: GROUPS[0],
        tags: Vec::new(),
        messages: Vec::new(),
        transitions: Vec::new(),
        first_solved_at: None,
        final_solved_at: None,
        reopens: 0,
        vendor: ZendeskMetrics::default(),
    }
}

fn say(t: &mut TrueTicket, kind: AuthorKind, author: i64, public: bool, when: &str) {
    let id = 100 + t.messages.len() as i64;
    t.messages.push(TrueMessage {
        id,
        author_kind: kind,
        author_id: author,
        public,
        at: at(when),
    });
}

fn set(t: &mut TrueTicket, to: TicketStatus, kind: AuthorKind, by: i64, when: &str) {
    let from = t.transitions.last().map(|x| x.to);
    let id = 500 + t.transitions.len() as i64;
    t.transitions.push(TrueTransition {
        id,
        from,
        to,
        by_kind: kind,
        by_id: by,
        at: at(when),
    });
}

/// Computes the vendor values, as the generator does, on the default schedule
/// (Monday to Friday, 09:00 to 17:00 UTC).
fn done(mut t: TrueTicket) -> TrueTicket {
    t.vendor = ZendeskMetrics::from_history(&t, Some(&BusinessHours::default()));
    t
}

fn minutes(calendar: i64, business: i64) -> VendorMinutes {
    VendorMinutes {
        calendar: Some(calendar),
        business: Some(business),
    }
}

fn diff(
    field: VendorField,
    ours: Option<i64>,
    vendor: Option<i64>,
    reason: DifferenceReason,
) -> VendorDifference {
    VendorDifference {
        field,
        ours,
        vendor,
        reason: Some(reason),
    }
}

use Clock::{Business, Calendar};
use DifferenceReason as R;
use VendorField as F;

#[test]
fn first_reply_and_resolutions_are_whole_minutes_of_the_same_events() {
    // Monday 2026-11-02, inside business hours throughout.
    let mut t = ticket("2026-11-02T10:00:00Z", false);
    say(
        &mut t,
        AuthorKind::Customer,
        CUSTOMER,
        true,
        "2026-11-02T10:00:00Z",
    );
    set(
        &mut t,
        TicketStatus::New,
        AuthorKind::Customer,
        CUSTOMER,
        "2026-11-02T10:00:00Z",
    );
    // An internal note ends neither clock.
    say(
        &mut t,
        AuthorKind::Agent,
        AGENT,
        false,
        "2026-11-02T10:20:00Z",
    );
    say(
        &mut t,
        AuthorKind::Agent,
        AGENT,
        true,
        "2026-11-02T11:30:30Z",
    );
    set(
        &mut t,
        TicketStatus::Open,
        AuthorKind::Agent,
        AGENT,
        "2026-11-02T11:30:30Z",
    );
    set(
        &mut t,
        TicketStatus::Solved,
        AuthorKind::Agent,
        AGENT,
        "2026-11-02T15:10:20Z",
    );
    let t = done(t);

    // Reply: 1 h 30 min 30 s = 5,430 s; Zendesk: ⌊5430 / 60⌋ = 90 min.
    // Solve: 5 h 10 min 20 s = 18,620 s; Zendesk: ⌊18620 / 60⌋ = 310 min.
    let v = &t.vendor;
    assert_eq!(v.reply_time_in_minutes, minutes(90, 90));
    assert_eq!(v.first_resolution_time_in_minutes, minutes(310, 310));
    assert_eq!(v.full_resolution_time_in_minutes, minutes(310, 310));
    assert_eq!(v.solved_at, Some(at("2026-11-02T15:10:20Z")));
    assert_eq!((v.reopens, v.replies), (0, 1));
    // Requester wait: new 10:00:00–11:30:30 (5,430 s) + open 11:30:30–15:10:20 (13,190 s)
    // = 18,620 s → 310 min; never pending; never on hold.
    assert_eq!(v.requester_wait_time_in_minutes, minutes(310, 310));
    assert_eq!(v.agent_wait_time_in_minutes, VendorMinutes::default());
    assert_eq!(v.on_hold_time_in_minutes, minutes(0, 0));

    let ours = t.deskpulse_values();
    assert_eq!(ours.first_response, Some(5_430));
    assert_eq!(ours.first_resolution, Some(18_620));
    assert_eq!(ours.full_resolution, Some(18_620));
    // 90 × 60 = 5,400 ≠ 5,430 and 310 × 60 = 18,600 ≠ 18,620: the whole minutes, nothing else.
    assert_eq!(
        t.vendor_differences(),
        vec![
            diff(
                F::ReplyTime(Calendar),
                Some(5_430),
                Some(5_400),
                R::Rounding
            ),
            diff(
                F::ReplyTime(Business),
                Some(5_430),
                Some(5_400),
                R::Rounding
            ),
            diff(
                F::FirstResolutionTime(Calendar),
                Some(18_620),
                Some(18_600),
                R::Rounding
            ),
            diff(
                F::FirstResolutionTime(Business),
                Some(18_620),
                Some(18_600),
                R::Rounding
            ),
            diff(
                F::FullResolutionTime(Calendar),
                Some(18_620),
                Some(18_600),
                R::Rounding
            ),
            diff(
                F::FullResolutionTime(Business),
                Some(18_620),
                Some(18_600),
                R::Rounding
            ),
        ]
    );
}

#[test]
fn a_ticket_opened_by_an_agent_is_timed_to_the_second_public_agent_comment() {
    // "If the ticket is created by an agent and the first comment is public the second
    // timestamp shifts to the second public agent comment."
    let mut t = ticket("2026-11-02T10:00:00Z", true);
    say(
        &mut t,
        AuthorKind::Agent,
        AGENT,
        true,
        "2026-11-02T10:00:00Z",
    );
    set(
        &mut t,
        TicketStatus::Open,
        AuthorKind::Agent,
        AGENT,
        "2026-11-02T10:00:00Z",
    );
    say(
        &mut t,
        AuthorKind::Customer,
        CUSTOMER,
        true,
        "2026-11-02T11:00:00Z",
    );
    say(
        &mut t,
        AuthorKind::Agent,
        AGENT,
        true,
        "2026-11-02T12:00:00Z",
    );
    let t = done(t);

    // 10:00 → 12:00 = 120 min, inside business hours on both clocks.
    assert_eq!(t.vendor.reply_time_in_minutes, minutes(120, 120));
    // The opening comment is no reply for either side.
    assert_eq!(t.vendor.replies, 1);
    assert_eq!(t.deskpulse_values().replies, Some(1));
    // Deskpulse leaves outbound tickets out of first response time.
    assert_eq!(t.deskpulse_values().first_response, None);
    assert_eq!(
        t.vendor_differences(),
        vec![
            diff(F::ReplyTime(Calendar), None, Some(7_200), R::Outbound),
            diff(F::ReplyTime(Business), None, Some(7_200), R::Outbound),
        ]
    );
}

#[test]
fn a_trigger_reply_on_an_assigned_ticket_is_zendesks_first_reply_but_not_ours() {
    // Trigger comments "appear as if added by the current assignee".
    let mut t = ticket("2026-11-02T10:00:00Z", false);
    t.assignee = Some(AGENT);
    say(
        &mut t,
        AuthorKind::Customer,
        CUSTOMER,
        true,
        "2026-11-02T10:00:00Z",
    );
    set(
        &mut t,
        TicketStatus::New,
        AuthorKind::Customer,
        CUSTOMER,
        "2026-11-02T10:00:00Z",
    );
    say(&mut t, AuthorKind::Bot, AGENT, true, "2026-11-02T10:02:00Z");
    say(
        &mut t,
        AuthorKind::Agent,
        AGENT,
        true,
        "2026-11-02T13:00:00Z",
    );
    let t = done(t);

    // Zendesk: 10:00 → 10:02 = 2 min, and 2 replies (the trigger's and the agent's).
    assert_eq!(t.vendor.reply_time_in_minutes, minutes(2, 2));
    assert_eq!(t.vendor.replies, 2);
    // Deskpulse: the human reply, 3 h = 10,800 s, and 1 reply.
    let ours = t.deskpulse_values();
    assert_eq!((ours.first_response, ours.replies), (Some(10_800), Some(1)));
    assert_eq!(
        t.vendor_differences(),
        vec![
            diff(
                F::ReplyTime(Calendar),
                Some(10_800),
                Some(120),
                R::BotOrAutomationReply
            ),
            diff(
                F::ReplyTime(Business),
                Some(10_800),
                Some(120),
                R::BotOrAutomationReply
            ),
            diff(F::Replies, Some(1), Some(2), R::BotOrAutomationReply),
        ]
    );
}

#[test]
fn a_trigger_reply_on_an_unassigned_ticket_is_the_system_users_and_counts_for_neither() {
    // "If the ticket is unassigned, the comments are attributed to the system user."
    let mut t = ticket("2026-11-02T10:00:00Z", false);
    say(
        &mut t,
        AuthorKind::Customer,
        CUSTOMER,
        true,
        "2026-11-02T10:00:00Z",
    );
    set(
        &mut t,
        TicketStatus::New,
        AuthorKind::Customer,
        CUSTOMER,
        "2026-11-02T10:00:00Z",
    );
    say(
        &mut t,
        AuthorKind::Bot,
        SYSTEM,
        true,
        "2026-11-02T10:02:00Z",
    );
    say(
        &mut t,
        AuthorKind::Agent,
        AGENT,
        true,
        "2026-11-02T13:00:00Z",
    );
    let t = done(t);

    // Both: 10:00 → 13:00 = 180 min = 10,800 s, one reply; nothing differs.
    assert_eq!(t.vendor.reply_time_in_minutes, minutes(180, 180));
    assert_eq!(t.vendor.replies, 1);
    assert_eq!(t.vendor_differences(), Vec::new());
}

#[test]
fn an_internal_note_is_no_reply_on_either_side() {
    let mut t = ticket("2026-11-02T10:00:00Z", false);
    say(
        &mut t,
        AuthorKind::Customer,
        CUSTOMER,
        true,
        "2026-11-02T10:00:00Z",
    );
    set(
        &mut t,
        TicketStatus::New,
        AuthorKind::Customer,
        CUSTOMER,
        "2026-11-02T10:00:00Z",
    );
    say(
        &mut t,
        AuthorKind::Agent,
        AGENT,
        false,
        "2026-11-02T10:05:00Z",
    );
    say(
        &mut t,
        AuthorKind::Agent,
        AGENT,
        true,
        "2026-11-02T11:00:00Z",
    );
    let t = done(t);

    // Both end at the public comment: 60 min = 3,600 s.
    assert_eq!(t.vendor.reply_time_in_minutes, minutes(60, 60));
    assert_eq!(t.deskpulse_values().first_response, Some(3_600));
    assert_eq!(t.vendor_differences(), Vec::new());
}

#[test]
fn a_reopened_ticket_agrees_on_first_and_full_resolution_and_reopens() {
    let mut t = ticket("2026-11-02T10:00:00Z", false);
    say(
        &mut t,
        AuthorKind::Customer,
        CUSTOMER,
        true,
        "2026-11-02T10:00:00Z",
    );
    set(
        &mut t,
        TicketStatus::New,
        AuthorKind::Customer,
        CUSTOMER,
        "2026-11-02T10:00:00Z",
    );
    say(
        &mut t,
        AuthorKind::Agent,
        AGENT,
        true,
        "2026-11-02T10:30:00Z",
    );
    set(
        &mut t,
        TicketStatus::Open,
        AuthorKind::Agent,
        AGENT,
        "2026-11-02T10:30:00Z",
    );
    set(
        &mut t,
        TicketStatus::Solved,
        AuthorKind::Agent,
        AGENT,
        "2026-11-02T11:00:00Z",
    );
    say(
        &mut t,
        AuthorKind::Customer,
        CUSTOMER,
        true,
        "2026-11-02T12:00:00Z",
    );
    set(
        &mut t,
        TicketStatus::Open,
        AuthorKind::Customer,
        CUSTOMER,
        "2026-11-02T12:00:00Z",
    );

    // Reopened and unsolved: Zendesk keeps the first resolution (60 min) and has no full
    // resolution and no solved_at, like deskpulse.
    let open = done(t.clone());
    assert_eq!(
        open.vendor.first_resolution_time_in_minutes,
        minutes(60, 60)
    );
    assert_eq!(
        open.vendor.full_resolution_time_in_minutes,
        VendorMinutes::default()
    );
    assert_eq!(open.vendor.solved_at, None);
    assert_eq!(open.vendor.reopens, 1);
    assert_eq!(open.deskpulse_values().full_resolution, None);
    assert_eq!(open.vendor_differences(), Vec::new());

    set(
        &mut t,
        TicketStatus::Solved,
        AuthorKind::Agent,
        AGENT,
        "2026-11-02T15:00:00Z",
    );
    let t = done(t);
    // Full resolution to the latest solve: 10:00 → 15:00 = 300 min = 18,000 s.
    assert_eq!(t.vendor.full_resolution_time_in_minutes, minutes(300, 300));
    assert_eq!(t.deskpulse_values().full_resolution, Some(18_000));
    // Requester wait: new 10:00–10:30 (30) + open 10:30–11:00 (30) + open 12:00–15:00 (180).
    assert_eq!(t.vendor.requester_wait_time_in_minutes, minutes(240, 240));
    assert_eq!(t.vendor.reopens, 1);
    assert_eq!(t.deskpulse_values().reopens, Some(1));
    assert_eq!(t.vendor_differences(), Vec::new());
}

#[test]
fn business_minutes_count_only_the_schedule() {
    // Friday 2026-11-06 16:30 to Monday 2026-11-09 09:15, on Monday to Friday 09:00–17:00 UTC.
    let mut t = ticket("2026-11-06T16:30:00Z", false);
    say(
        &mut t,
        AuthorKind::Customer,
        CUSTOMER,
        true,
        "2026-11-06T16:30:00Z",
    );
    set(
        &mut t,
        TicketStatus::New,
        AuthorKind::Customer,
        CUSTOMER,
        "2026-11-06T16:30:00Z",
    );
    say(
        &mut t,
        AuthorKind::Agent,
        AGENT,
        true,
        "2026-11-09T09:15:00Z",
    );
    set(
        &mut t,
        TicketStatus::Pending,
        AuthorKind::Agent,
        AGENT,
        "2026-11-09T09:15:00Z",
    );
    let t = done(t);

    // Calendar: 2 days 16 h 45 min = 2 × 1,440 + 16 × 60 + 45 = 3,885 min (233,100 s, whole).
    // Business: Friday 16:30–17:00 (30) + Monday 09:00–09:15 (15) = 45 min = 2,700 s.
    assert_eq!(t.vendor.reply_time_in_minutes, minutes(3_885, 45));
    assert_eq!(t.deskpulse_values().first_response, Some(233_100));
    assert_eq!(
        t.vendor_differences(),
        vec![diff(
            F::ReplyTime(Business),
            Some(233_100),
            Some(2_700),
            R::BusinessVsCalendar
        )]
    );
}

#[test]
fn without_a_schedule_business_values_are_null() {
    let mut t = ticket("2026-11-06T16:30:00Z", false);
    say(
        &mut t,
        AuthorKind::Customer,
        CUSTOMER,
        true,
        "2026-11-06T16:30:00Z",
    );
    say(
        &mut t,
        AuthorKind::Agent,
        AGENT,
        true,
        "2026-11-09T09:15:00Z",
    );
    t.vendor = ZendeskMetrics::from_history(&t, None);
    assert_eq!(
        t.vendor.reply_time_in_minutes,
        VendorMinutes {
            calendar: Some(3_885),
            business: None
        }
    );
    assert_eq!(t.vendor_differences(), Vec::new());
}

#[test]
fn a_merged_ticket_is_resolved_by_its_merge_for_zendesk_and_counts_nowhere_for_us() {
    // "If the unsolved ticket is set to closed by a business rule or API, this event is
    // considered as the second timestamp": merging closes the ticket.
    let mut t = ticket("2026-11-02T10:00:00Z", false);
    say(
        &mut t,
        AuthorKind::Customer,
        CUSTOMER,
        true,
        "2026-11-02T10:00:00Z",
    );
    set(
        &mut t,
        TicketStatus::New,
        AuthorKind::Customer,
        CUSTOMER,
        "2026-11-02T10:00:00Z",
    );
    say(
        &mut t,
        AuthorKind::Agent,
        AGENT,
        false,
        "2026-11-02T10:45:00Z",
    );
    set(
        &mut t,
        TicketStatus::Closed,
        AuthorKind::Agent,
        AGENT,
        "2026-11-02T10:45:00Z",
    );
    t.excluded = Some(Exclusion::Merged);
    let t = done(t);

    // 10:00 → 10:45 = 45 min = 2,700 s; no public agent comment, so no reply time.
    assert_eq!(t.vendor.first_resolution_time_in_minutes, minutes(45, 45));
    assert_eq!(t.vendor.full_resolution_time_in_minutes, minutes(45, 45));
    assert_eq!(t.vendor.solved_at, Some(at("2026-11-02T10:45:00Z")));
    assert_eq!(t.vendor.reply_time_in_minutes, VendorMinutes::default());
    assert_eq!(t.deskpulse_values(), Default::default());
    assert_eq!(
        t.vendor_differences(),
        vec![
            diff(
                F::FirstResolutionTime(Calendar),
                None,
                Some(2_700),
                R::MergedOrDeleted
            ),
            diff(
                F::FirstResolutionTime(Business),
                None,
                Some(2_700),
                R::MergedOrDeleted
            ),
            diff(
                F::FullResolutionTime(Calendar),
                None,
                Some(2_700),
                R::MergedOrDeleted
            ),
            diff(
                F::FullResolutionTime(Business),
                None,
                Some(2_700),
                R::MergedOrDeleted
            ),
            diff(F::Reopens, None, Some(0), R::MergedOrDeleted),
            diff(F::Replies, None, Some(0), R::MergedOrDeleted),
        ]
    );
}

#[test]
fn a_deleted_ticket_keeps_the_metric_set_its_history_gave_it() {
    let mut t = ticket("2026-11-02T10:00:00Z", false);
    say(
        &mut t,
        AuthorKind::Customer,
        CUSTOMER,
        true,
        "2026-11-02T10:00:00Z",
    );
    set(
        &mut t,
        TicketStatus::New,
        AuthorKind::Customer,
        CUSTOMER,
        "2026-11-02T10:00:00Z",
    );
    say(
        &mut t,
        AuthorKind::Agent,
        AGENT,
        true,
        "2026-11-02T10:10:00Z",
    );
    set(
        &mut t,
        TicketStatus::Open,
        AuthorKind::Agent,
        AGENT,
        "2026-11-02T10:10:00Z",
    );
    set(
        &mut t,
        TicketStatus::Deleted,
        AuthorKind::Agent,
        AGENT,
        "2026-11-02T11:00:00Z",
    );
    t.excluded = Some(Exclusion::Deleted);
    let t = done(t);

    // 10:00 → 10:10 = 10 min = 600 s; deleted is no resolution.
    assert_eq!(t.vendor.reply_time_in_minutes, minutes(10, 10));
    assert_eq!(
        t.vendor.first_resolution_time_in_minutes,
        VendorMinutes::default()
    );
    assert_eq!(
        t.vendor_differences(),
        vec![
            diff(F::ReplyTime(Calendar), None, Some(600), R::MergedOrDeleted),
            diff(F::ReplyTime(Business), None, Some(600), R::MergedOrDeleted),
            diff(F::Reopens, None, Some(0), R::MergedOrDeleted),
            diff(F::Replies, None, Some(1), R::MergedOrDeleted),
        ]
    );
}

#[test]
fn closing_an_unsolved_ticket_is_a_resolution_on_both_sides() {
    let mut t = ticket("2026-11-02T10:00:00Z", false);
    say(
        &mut t,
        AuthorKind::Customer,
        CUSTOMER,
        true,
        "2026-11-02T10:00:00Z",
    );
    set(
        &mut t,
        TicketStatus::New,
        AuthorKind::Customer,
        CUSTOMER,
        "2026-11-02T10:00:00Z",
    );
    say(
        &mut t,
        AuthorKind::Agent,
        AGENT,
        true,
        "2026-11-02T10:30:00Z",
    );
    set(
        &mut t,
        TicketStatus::Pending,
        AuthorKind::Agent,
        AGENT,
        "2026-11-02T10:30:00Z",
    );
    set(
        &mut t,
        TicketStatus::Closed,
        AuthorKind::System,
        SYSTEM,
        "2026-11-02T12:00:00Z",
    );
    let t = done(t);

    // 10:00 → 12:00 = 120 min = 7,200 s on both sides.
    assert_eq!(t.vendor.first_resolution_time_in_minutes, minutes(120, 120));
    assert_eq!(t.vendor.full_resolution_time_in_minutes, minutes(120, 120));
    // Agent wait: pending 10:30–12:00 = 90 min.
    assert_eq!(t.vendor.agent_wait_time_in_minutes, minutes(90, 90));
    assert_eq!(t.deskpulse_values().first_resolution, Some(7_200));
    assert_eq!(t.vendor_differences(), Vec::new());
}

fn generated(seed: u64) -> Dataset {
    Dataset::generate(&SimConfig {
        seed,
        data: DataConfig {
            days: 30,
            tickets_per_day: 40.0,
            ..DataConfig::default()
        },
        ..SimConfig::default()
    })
}

#[test]
fn every_difference_in_the_generated_data_has_a_documented_reason() {
    let mut reasons = BTreeSet::new();
    for seed in [1, 2, 3] {
        let data = generated(seed);
        for (id, d) in data.truth().vendor_differences() {
            let reason = d
                .reason
                .unwrap_or_else(|| panic!("seed {seed}, ticket {id}: unexplained {d:?}"));
            reasons.insert(reason);
        }
    }
    // What Zendesk's definitions make differ in this account's stories; the other reasons
    // (internal notes, reopens, another resolution event) never arise under them.
    assert_eq!(
        reasons,
        BTreeSet::from([
            R::Outbound,
            R::BotOrAutomationReply,
            R::BusinessVsCalendar,
            R::MergedOrDeleted,
            R::Rounding,
        ])
    );
}

#[test]
fn the_recorded_vendor_values_follow_from_the_recorded_history() {
    let data = generated(4);
    let hours = BusinessHours::default();
    for t in &data.truth().tickets {
        assert_eq!(
            t.vendor,
            ZendeskMetrics::from_history(t, Some(&hours)),
            "ticket {}",
            t.id
        );
    }
    // Trigger replies Zendesk attributes to an assignee exist, and do change its figures.
    assert!(data.truth().tickets.iter().any(|t| {
        t.vendor_differences()
            .iter()
            .any(|d| d.field == F::Replies && d.reason == Some(R::BotOrAutomationReply))
    }));
}

/// The ground truth as the metrics crate reads a perfectly synced ticket.
fn metrics_input(t: &TrueTicket) -> TicketInput {
    let (ticket, messages, status_changes) = t.records();
    TicketInput {
        source: "zendesk".into(),
        ticket,
        messages,
        status_changes,
    }
}

#[test]
fn the_deskpulse_values_are_what_the_metrics_crate_computes() {
    let data = generated(5);
    let truth = data.truth();
    let agents: Vec<AgentInput> = truth
        .agents
        .iter()
        .map(|a| AgentInput {
            source: "zendesk".into(),
            agent: Agent {
                external_id: a.id.to_string(),
                name: a.name.clone(),
                is_bot: false,
            },
        })
        .collect();
    let index = AgentIndex::new(&agents);
    let secs =
        |t: &TrueTicket, at: Option<DateTime<Utc>>| at.map(|at| (at - t.created_at).num_seconds());
    for t in &truth.tickets {
        let f = derive_facts(&metrics_input(t), &index);
        let ours = t.deskpulse_values();
        assert_eq!(f.outbound, t.outbound, "ticket {}", t.id);
        if f.excluded {
            assert_eq!(ours, Default::default(), "ticket {}", t.id);
            continue;
        }
        let first_response = if f.outbound {
            None
        } else {
            f.first_response_at(false)
        };
        assert_eq!(
            ours.first_response,
            secs(t, first_response),
            "ticket {}",
            t.id
        );
        assert_eq!(
            ours.first_resolution,
            secs(t, f.first_solved_at),
            "ticket {}",
            t.id
        );
        assert_eq!(
            ours.full_resolution,
            secs(t, f.final_solved_at),
            "ticket {}",
            t.id
        );
        assert_eq!(ours.reopens, Some(f.reopens), "ticket {}", t.id);
        assert_eq!(ours.replies, Some(f.human_replies), "ticket {}", t.id);
    }
}
