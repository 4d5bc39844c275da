//! The full KPI table of a team's page: every KPI of the report with its sample size, the
//! secondary figures (mean, p90, share within target, business time), its change and its
//! target — the verdicts as the metrics crate gave them (through the digest's view of the
//! KPIs that have one), never judged here.

use deskpulse_digest::escape::{NAME_CHARS, plain_cut};
use deskpulse_digest::format::{duration, money, one_decimal, percent};
use deskpulse_digest::{Digest, Kpi};
use deskpulse_metrics::{DurationStats, KpiReport};

use crate::views::{change_class, status};

/// One row of the table.
pub(crate) struct KpiRow {
    /// The report key (`first_response_time`), or the key with a suffix for a sub-row.
    pub id: String,
    pub label: String,
    pub value: String,
    /// The number shown, as the JSON report writes it (`null` without data): what a test
    /// or a script compares with `report --format json`.
    pub raw: String,
    pub n: String,
    pub detail: String,
    pub change: Option<String>,
    pub change_class: &'static str,
    pub target: Option<String>,
    pub status: &'static str,
    /// A sub-row (business time) is indented under its KPI.
    pub sub: bool,
}

/// As the report JSON writes a number: whole numbers without a fraction.
fn raw(v: Option<f64>) -> String {
    match v.filter(|v| v.is_finite()) {
        Some(v) if v.fract() == 0.0 && v.abs() < 9e15 => format!("{}", v as i64),
        Some(v) => format!("{v}"),
        None => "null".to_owned(),
    }
}

fn shown(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map_or_else(|| "no data".to_owned(), f)
}

/// `mean 1h · p90 3h · 71% within target`.
pub(crate) fn duration_detail(d: &DurationStats) -> String {
    let mut parts = Vec::new();
    if let Some(m) = d.mean_seconds {
        parts.push(format!("mean {}", duration(m)));
    }
    if let Some(p) = d.p90_seconds {
        parts.push(format!("p90 {}", duration(p)));
    }
    if let Some(w) = d.within_target {
        parts.push(format!("{} within target", percent(w)));
    }
    parts.join(" · ")
}

struct Rows<'a> {
    out: Vec<KpiRow>,
    digest: &'a Digest,
}

impl Rows<'_> {
    /// A KPI's row: `value` shown, `v` its number, its change and target from the digest.
    fn row(
        &mut self,
        id: &str,
        label: &str,
        value: String,
        v: Option<f64>,
        n: u64,
        detail: String,
    ) {
        let k: Option<&Kpi> = self.digest.kpi(id);
        let target = self.digest.targets.iter().find(|t| t.kpi == id);
        self.out.push(KpiRow {
            id: id.to_owned(),
            label: label.to_owned(),
            value,
            raw: raw(v),
            n: n.to_string(),
            detail,
            change: k.and_then(Kpi::change_text),
            change_class: k.map_or("neutral", change_class),
            target: target.map(|t| t.text.clone()),
            status: status(target.map(|t| t.status)),
            sub: false,
        });
    }

    fn count(&mut self, id: &str, label: &str, v: u64, n: u64, detail: String) {
        self.row(id, label, v.to_string(), Some(v as f64), n, detail);
    }

    fn share(&mut self, id: &str, label: &str, v: Option<f64>, n: u64, detail: String) {
        self.row(id, label, shown(v, percent), v, n, detail);
    }

    fn score(&mut self, id: &str, label: &str, v: Option<f64>, n: u64, detail: String) {
        self.row(id, label, shown(v, one_decimal), v, n, detail);
    }

    /// A duration's median, and its business-time median as a sub-row when there is one.
    fn duration(
        &mut self,
        id: &str,
        label: &str,
        d: &DurationStats,
        business: Option<&DurationStats>,
        extra: Option<String>,
    ) {
        let mut detail = duration_detail(d);
        if let Some(x) = extra {
            detail.push_str(&format!(" · {x}"));
        }
        let median = d.median_seconds;
        self.row(id, label, shown(median, duration), median, d.n, detail);
        if let Some(b) = business {
            self.out.push(KpiRow {
                id: format!("{id}.business"),
                label: "in business hours".to_owned(),
                value: shown(b.median_seconds, duration),
                raw: raw(b.median_seconds),
                n: b.n.to_string(),
                detail: duration_detail(b),
                change: None,
                change_class: "neutral",
                target: None,
                status: "none",
                sub: true,
            });
        }
    }
}

/// Every KPI of `r`, in the order of the JSON contract.
pub(crate) fn rows(r: &KpiReport, digest: &Digest) -> Vec<KpiRow> {
    let k = &r.kpis;
    let mut t = Rows {
        out: Vec::new(),
        digest,
    };
    let v = &k.ticket_volume;
    t.count(
        "ticket_volume",
        "Tickets created",
        v.value,
        v.n,
        String::new(),
    );
    t.count(
        "solved",
        "Tickets solved",
        k.solved.value,
        k.solved.n,
        String::new(),
    );
    let open = "created before the end and not solved at it".to_owned();
    t.count(
        "backlog",
        "Backlog at end",
        k.backlog.value,
        k.backlog.n,
        open,
    );
    let frt = &k.first_response_time;
    let waiting = (frt.waiting > 0).then(|| format!("{} still waiting", frt.waiting));
    t.duration(
        "first_response_time",
        "First response (median)",
        &frt.stats,
        frt.business.as_ref(),
        waiting,
    );
    for (id, label, d) in [
        ("reply_time", "Reply time (median)", &k.reply_time),
        ("resolution_time", "Resolution (median)", &k.resolution_time),
        (
            "first_resolution_time",
            "First resolution (median)",
            &k.first_resolution_time,
        ),
    ] {
        t.duration(id, label, &d.stats, d.business.as_ref(), None);
    }
    for (id, label, rate) in [
        (
            "one_touch_resolution_rate",
            "One-touch resolution",
            &k.one_touch_resolution_rate,
        ),
        (
            "first_contact_resolution_rate",
            "First contact resolution",
            &k.first_contact_resolution_rate,
        ),
        (
            "automated_resolution_rate",
            "Automated resolution",
            &k.automated_resolution_rate,
        ),
        ("reopen_rate", "Reopen rate", &k.reopen_rate),
    ] {
        let note = rate.note.as_deref().map(|n| plain_cut(n, NAME_CHARS * 4));
        t.share(id, label, rate.value, rate.n, note.unwrap_or_default());
    }
    let c = &k.csat;
    let mut detail = Vec::new();
    if let Some(m) = c.mean {
        detail.push(format!("mean {}/5", one_decimal(m)));
    }
    if let Some(b) = &c.distribution {
        detail.push(format!(
            "very positive {} · positive {} · neutral {} · negative {} · very negative {}",
            b.very_positive, b.positive, b.neutral, b.negative, b.very_negative
        ));
    }
    t.share("csat", "CSAT", c.value, c.n, detail.join(" · "));
    let nps = &k.nps;
    let parts = (nps.promoters, nps.passives, nps.detractors);
    let detail = format!(
        "promoters {} · passives {} · detractors {}",
        parts.0, parts.1, parts.2
    );
    t.score("nps", "NPS", nps.value, nps.n, detail);
    let ces = &k.ces;
    let easy = ces.easy_share.map(|s| format!("{} easy", percent(s)));
    t.score(
        "ces",
        "CES (mean)",
        ces.value,
        ces.n,
        easy.unwrap_or_default(),
    );
    let churn = &k.churn_rate;
    t.share(
        "churn_rate",
        "Churn rate",
        churn.value,
        churn.n,
        format!("{} lost", churn.lost),
    );
    let ret = &k.retention_rate;
    let detail = format!("{} at end, {} new", ret.at_end, ret.new);
    t.share("retention_rate", "Retention rate", ret.value, ret.n, detail);
    let cpt = &k.support_cost_per_ticket;
    let currency = cpt
        .currency
        .as_deref()
        .map(|c| plain_cut(c, NAME_CHARS))
        .unwrap_or_default();
    let value = shown(cpt.value, |v| money(v, &currency));
    t.row(
        "support_cost_per_ticket",
        "Support cost per ticket",
        value,
        cpt.value,
        cpt.n,
        String::new(),
    );
    let ratio = &k.support_cost_ratio;
    t.share(
        "support_cost_ratio",
        "Support cost ratio",
        ratio.value,
        ratio.n,
        String::new(),
    );
    let cm = &k.complaints;
    let detail = format!(
        "tickets {} · reviews {} · social {}",
        cm.tickets, cm.reviews, cm.social
    );
    t.count("complaints", "Complaints", cm.value, cm.n, detail);
    let cv = &k.converted_tickets;
    let mut detail = cv
        .share
        .map(|s| format!("{} of eligible tickets", percent(s)))
        .unwrap_or_default();
    let revenue: Vec<String> = cv
        .revenue
        .iter()
        .map(|(cur, v)| money(*v, &plain_cut(cur, NAME_CHARS)))
        .collect();
    if !revenue.is_empty() {
        detail.push_str(&format!(" · revenue {}", revenue.join(", ")));
    }
    t.count(
        "converted_tickets",
        "Converted tickets",
        cv.value,
        cv.n,
        detail,
    );
    let rv = &k.reviews.all;
    let mut detail = Vec::new();
    if let Some(m) = rv.mean_rating {
        detail.push(format!("mean {}/5", one_decimal(m)));
    }
    if let Some(s) = rv.share_negative {
        detail.push(format!("{} negative", percent(s)));
    }
    if let Some(s) = rv.share_answered {
        detail.push(format!("{} answered", percent(s)));
    }
    if let Some(m) = rv.median_reply_seconds {
        detail.push(format!("median reply {}", duration(m)));
    }
    t.count("reviews", "New reviews", rv.n, rv.n, detail.join(" · "));
    let pr = &k.public_response.all;
    let mut detail = format!("{} of {} answered", pr.answered, pr.n);
    if let Some(p) = pr.p90_seconds {
        detail.push_str(&format!(" · p90 {}", duration(p)));
    }
    t.share(
        "public_response_rate",
        "Public response rate",
        pr.rate,
        pr.n,
        detail,
    );
    let median = pr.median_seconds;
    let value = shown(median, duration);
    t.row(
        "public_response_time",
        "Public response time (median)",
        value,
        median,
        pr.answered,
        String::new(),
    );
    t.out
}
