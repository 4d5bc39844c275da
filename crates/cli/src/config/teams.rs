//! `[[teams]]`: who gets a digest, about which sources, when, in which time zone, measured
//! against which targets. A team's [`channels`], [`business_hours`] and [`targets`] are
//! modules of their own.
//!
//! `digest_schedule` is parsed here, once, into the scheduler's [`DigestSchedule`] (croner
//! with seconds, read in the team's zone): the daemon gets the typed schedule and a bad cron
//! is a configuration error naming `teams[N].digest_schedule`, like every other bad value.

use super::{KeyError, SourceSettings};
use chrono_tz::Tz;
use deskpulse_metrics::{BusinessHours, SourceLimit, Targets};
use deskpulse_model::SourceName;
use deskpulse_scheduler::DigestSchedule;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

mod business_hours;
mod channels;
mod targets;

pub use channels::ChannelSettings;

#[derive(Debug, Clone)]
pub struct TeamSettings {
    pub name: String,
    pub timezone: Tz,
    pub sources: Vec<SourceName>,
    /// When the daemon sends the digest: `digest_schedule`, in `timezone`.
    pub digest_schedule: DigestSchedule,
    pub complaint_tags: Vec<String>,
    pub count_bot_replies: bool,
    pub business_hours: Option<BusinessHours>,
    pub targets: Targets,
    pub channels: Vec<ChannelSettings>,
    /// KPIs the team's sources cannot support, from their connectors' declarations.
    pub limits: Vec<SourceLimit>,
    /// The kind of each of the team's sources (`zendesk-main` → `zendesk`).
    pub source_kinds: BTreeMap<String, String>,
    /// How long the daemon holds a due digest for sources not yet complete through the
    /// period's end (`digest_hold_max`; zero sends at once, with the banner if incomplete).
    pub digest_hold_max: std::time::Duration,
    /// By how much (a share) a told duration, rate or score must move to be restated
    /// (`restatement_threshold`); counts are restated on any change.
    pub restatement_threshold: f64,
}

/// DESIGN's default digest schedule: Mondays at 08:00 in the team's zone.
pub const DEFAULT_DIGEST_SCHEDULE: &str = "0 0 8 * * Mon";

/// A `[[teams]]` table as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileTeam {
    name: String,
    #[serde(default = "default_tz")]
    timezone: String,
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default = "default_schedule")]
    digest_schedule: String,
    #[serde(default = "default_complaint_tags")]
    complaint_tags: Vec<String>,
    #[serde(default)]
    count_bot_replies: bool,
    business_hours: Option<business_hours::FileBusinessHours>,
    #[serde(default)]
    targets: targets::FileTargets,
    #[serde(default)]
    channels: Vec<channels::FileChannel>,
    digest_hold_max: Option<String>,
    restatement_threshold: Option<f64>,
}

/// DESIGN's documented default; `complaint_tags = []` turns tag-based complaints off.
fn default_complaint_tags() -> Vec<String> {
    vec!["complaint".to_owned()]
}

fn default_tz() -> String {
    "UTC".into()
}

fn default_schedule() -> String {
    DEFAULT_DIGEST_SCHEDULE.into()
}

/// The `[[teams]]` tables, in file order; names are unique and every source they name is one
/// of `sources`.
pub(super) fn validate(
    teams: Vec<FileTeam>,
    sources: &[SourceSettings],
) -> Result<Vec<TeamSettings>, KeyError> {
    let mut out = Vec::new();
    let mut names = BTreeSet::new();
    for (i, t) in teams.into_iter().enumerate() {
        let key = format!("teams[{i}]");
        if t.name.trim().is_empty() {
            return Err(KeyError::new(format!("{key}.name"), "must not be empty"));
        }
        if !names.insert(t.name.clone()) {
            return Err(KeyError::new(
                format!("{key}.name"),
                format!("{:?} is used by two teams: names must be unique", t.name),
            ));
        }
        out.push(validate_one(&key, t, sources)?);
    }
    Ok(out)
}

/// One team (at `key`), its sections checked in the order they are documented.
fn validate_one(
    key: &str,
    t: FileTeam,
    sources: &[SourceSettings],
) -> Result<TeamSettings, KeyError> {
    let timezone = timezone(key, &t.timezone)?;
    let team_sources = team_sources(key, &t.sources, sources)?;
    let digest_schedule = digest_schedule(key, &t.digest_schedule, timezone)?;
    let business_hours = t
        .business_hours
        .map(|b| b.validate(&format!("{key}.business_hours")))
        .transpose()?;
    let targets = t.targets.validate(&format!("{key}.targets"))?;
    let channels = channels::validate(key, t.channels)?;
    let digest_hold_max = match &t.digest_hold_max {
        None => deskpulse_scheduler::DEFAULT_HOLD_MAX,
        Some(h) => humantime::parse_duration(h.trim()).map_err(|e| {
            KeyError::new(
                format!("{key}.digest_hold_max"),
                format!("{h:?} is not a duration ({e}); write e.g. \"6h\", \"90m\" or \"0s\" (send at once)"),
            )
        })?,
    };
    let restatement_threshold = match t.restatement_threshold {
        None => deskpulse_metrics::RESTATEMENT_THRESHOLD,
        Some(v) if v.is_finite() && (0.0..=1.0).contains(&v) => v,
        Some(v) => {
            return Err(KeyError::new(
                format!("{key}.restatement_threshold"),
                format!("{v} is not a share from 0 to 1: write e.g. 0.05 for 5 %"),
            ));
        }
    };
    let mine: Vec<&SourceSettings> = team_sources
        .iter()
        .filter_map(|name| sources.iter().find(|s| &s.name == name))
        .collect();
    Ok(TeamSettings {
        limits: limits(&mine),
        source_kinds: mine
            .iter()
            .map(|s| (s.name.to_string(), s.kind.clone()))
            .collect(),
        name: t.name,
        timezone,
        sources: team_sources,
        digest_schedule,
        complaint_tags: t.complaint_tags,
        count_bot_replies: t.count_bot_replies,
        business_hours,
        targets,
        channels,
        digest_hold_max,
        restatement_threshold,
    })
}

fn timezone(key: &str, name: &str) -> Result<Tz, KeyError> {
    name.parse().map_err(|_| {
        KeyError::new(
            format!("{key}.timezone"),
            format!("unknown time zone {name:?}: use an IANA name such as \"Europe/Berlin\" or \"America/New_York\""),
        )
    })
}

/// The team's sources, each of them a `[[sources]]` entry.
fn team_sources(
    key: &str,
    names: &[String],
    sources: &[SourceSettings],
) -> Result<Vec<SourceName>, KeyError> {
    let mut out = Vec::new();
    for (j, s) in names.iter().enumerate() {
        let at = format!("{key}.sources[{j}]");
        if !sources.iter().any(|x| x.name.as_str() == s) {
            return Err(KeyError::new(
                at,
                format!("no [[sources]] entry is named {s:?}: add one or remove the name"),
            ));
        }
        out.push(SourceName::parse(s).map_err(|e| KeyError::new(at, e.to_string()))?);
    }
    Ok(out)
}

/// `digest_schedule` as the daemon will use it; what is wrong with it otherwise, in the
/// scheduler's words (`it has 5 fields, not 6`, croner's reading of a bad field, `it never
/// fires`) and, for a field croner refuses, which field.
fn digest_schedule(key: &str, cron: &str, tz: Tz) -> Result<DigestSchedule, KeyError> {
    DigestSchedule::parse(cron, tz).map_err(|e| {
        let field = refused_field(cron, tz)
            .map(|(name, text)| format!(" (the {name} field, {text:?})"))
            .unwrap_or_default();
        KeyError::new(
            format!("{key}.digest_schedule"),
            format!(
                "{cron:?} is not a digest schedule: {}{field}; write a cron with seconds: \"sec min hour day-of-month month day-of-week\", e.g. \"{DEFAULT_DIGEST_SCHEDULE}\"",
                e.reason.trim_end_matches('.')
            ),
        )
    })
}

/// The six fields of a digest schedule, in order.
const CRON_FIELDS: [&str; 6] = [
    "second",
    "minute",
    "hour",
    "day-of-month",
    "month",
    "day-of-week",
];

/// The first field croner refuses on its own (every other field `*`): croner's errors say
/// what is wrong ("Number out of bounds") but not where. None when each field is fine alone
/// (a date that never comes, the wrong number of fields).
fn refused_field(cron: &str, tz: Tz) -> Option<(&'static str, String)> {
    let fields: Vec<&str> = cron.split_whitespace().collect();
    if fields.len() != CRON_FIELDS.len() {
        return None;
    }
    (0..fields.len())
        .find(|&i| {
            let alone: Vec<&str> = (0..fields.len())
                .map(|j| if j == i { fields[i] } else { "*" })
                .collect();
            DigestSchedule::parse(&alone.join(" "), tz).is_err()
        })
        .map(|i| (CRON_FIELDS[i], fields[i].to_owned()))
}

/// The KPIs the team's sources cannot support, as their connectors declare them.
fn limits(sources: &[&SourceSettings]) -> Vec<SourceLimit> {
    sources
        .iter()
        .flat_map(|s| {
            let declared = crate::connectors::find(&s.kind).map_or(&[][..], |k| k.limits);
            declared.iter().map(|l| SourceLimit {
                source: s.name.to_string(),
                kpi: l.kpi.to_owned(),
                reason: l.reason.to_owned(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::config::testing::{ZD, parse};
    use chrono::{DateTime, TimeZone, Utc};

    #[test]
    fn unknown_keys_are_named() {
        let e = parse("[[teams]]\nname = \"a\"\ntimezon = \"UTC\"\n", &[]).unwrap_err();
        assert!(e.contains("teams[0]") && e.contains("timezon"), "{e}");
    }

    #[test]
    fn bad_values_are_named() {
        let e = parse(
            &ZD.replace("Europe/Berlin", "Europe/Berln"),
            &[("ZD_TOKEN", "t")],
        )
        .unwrap_err();
        assert!(
            e.contains("`teams[0].timezone`") && e.contains("Europe/Berln"),
            "{e}"
        );
        let e = parse(
            &ZD.replace("sources = [\"zd\"]", "sources = [\"nope\"]"),
            &[("ZD_TOKEN", "t")],
        )
        .unwrap_err();
        assert!(e.contains("`teams[0].sources[0]`"), "{e}");
    }

    #[test]
    fn team_names_are_given_and_unique() {
        let e = parse("[[teams]]\nname = \" \"\n", &[]).unwrap_err();
        assert!(
            e.contains("`teams[0].name`") && e.contains("must not be empty"),
            "{e}"
        );
        let e = parse("[[teams]]\nname = \"a\"\n[[teams]]\nname = \"a\"\n", &[]).unwrap_err();
        assert!(
            e.contains("`teams[1].name`") && e.contains("names must be unique"),
            "{e}"
        );
    }

    #[test]
    fn complaint_tags_default_to_complaint() {
        let s = parse("[[teams]]\nname = \"a\"\n", &[]).unwrap();
        assert_eq!(s.teams[0].complaint_tags, ["complaint"]);
        let s = parse("[[teams]]\nname = \"a\"\ncomplaint_tags = []\n", &[]).unwrap();
        assert!(s.teams[0].complaint_tags.is_empty());
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    /// The schedule is parsed at load, in the team's zone: the default is Mondays 08:00 on
    /// the wall clock of Berlin, 07:00 UTC in winter and 06:00 UTC in summer.
    #[test]
    fn the_digest_schedule_is_a_cron_in_the_teams_time_zone() {
        let s = parse(ZD, &[("ZD_TOKEN", "t")]).unwrap();
        let schedule = &s.teams[0].digest_schedule;
        assert_eq!(schedule.cron(), "0 0 8 * * Mon");
        assert_eq!(schedule.tz(), chrono_tz::Europe::Berlin);
        // Saturday 2026-11-21 → Monday 2026-11-23 08:00 CET.
        assert_eq!(
            schedule.next_due(utc("2026-11-21T12:00:00Z")),
            Some(utc("2026-11-23T07:00:00Z"))
        );
        // Saturday 2026-06-20 → Monday 2026-06-22 08:00 CEST.
        assert_eq!(
            schedule.next_due(utc("2026-06-20T12:00:00Z")),
            Some(utc("2026-06-22T06:00:00Z"))
        );
        let text = ZD.replace(
            "sources = [\"zd\"]",
            "sources = [\"zd\"]\ndigest_schedule = \"0 30 17 * * Fri\"",
        );
        let s = parse(
            &text.replace("Europe/Berlin", "America/New_York"),
            &[("ZD_TOKEN", "t")],
        )
        .unwrap();
        // Friday 2026-11-27 17:30 EST is 22:30 UTC.
        assert_eq!(
            s.teams[0].digest_schedule.next_due(
                chrono_tz::America::New_York
                    .with_ymd_and_hms(2026, 11, 27, 9, 0, 0)
                    .unwrap()
                    .with_timezone(&Utc)
            ),
            Some(utc("2026-11-27T22:30:00Z"))
        );
    }

    /// A cron the daemon could not use is refused at load, naming the key and what is wrong:
    /// the seconds field forgotten, a field out of range, a date that never comes.
    #[test]
    fn a_bad_digest_schedule_names_the_key_and_what_is_wrong() {
        let with = |cron: &str| {
            parse(
                &format!("[[teams]]\nname = \"a\"\n[[teams]]\nname = \"b\"\ndigest_schedule = \"{cron}\"\n"),
                &[],
            )
            .unwrap_err()
        };
        let e = with("0 8 * * Mon");
        assert!(
            e.contains("`teams[1].digest_schedule`")
                && e.contains("\"0 8 * * Mon\"")
                && e.contains("it has 5 fields, not 6")
                && e.contains("0 0 8 * * Mon"),
            "{e}"
        );
        let e = with("0 0 25 * * Mon");
        assert!(
            e.contains("`teams[1].digest_schedule`")
                && e.contains("\"0 0 25 * * Mon\"")
                && e.contains("out of bounds")
                && e.contains("(the hour field, \"25\")"),
            "{e}"
        );
        let e = with("0 61 8 * * Mon");
        assert!(e.contains("(the minute field, \"61\")"), "{e}");
        let e = with("0 0 8 * * Mnday");
        assert!(
            e.contains("`teams[1].digest_schedule`")
                && e.contains("illegal character")
                && e.contains("(the day-of-week field, \"Mnday\")"),
            "{e}"
        );
        let e = with("0 0 8 30 2 *");
        assert!(
            e.contains("`teams[1].digest_schedule`")
                && e.contains("it never fires")
                && !e.contains("field,"),
            "{e}"
        );
    }

    /// The digest hold and the restatement threshold: defaults, a zero hold, and bad values
    /// refused with the key named.
    #[test]
    fn hold_and_restatement_threshold_are_read_and_checked() {
        let team = |extra: &str| format!("[[teams]]\nname = \"a\"\n{extra}");
        let s = parse(&team(""), &[]).unwrap();
        assert_eq!(
            s.teams[0].digest_hold_max,
            deskpulse_scheduler::DEFAULT_HOLD_MAX
        );
        assert_eq!(s.teams[0].restatement_threshold, 0.05);
        let s = parse(
            &team("digest_hold_max = \"0s\"\nrestatement_threshold = 0.1\n"),
            &[],
        )
        .unwrap();
        assert!(s.teams[0].digest_hold_max.is_zero());
        assert_eq!(s.teams[0].restatement_threshold, 0.1);
        let e = parse(&team("digest_hold_max = \"soon\"\n"), &[]).unwrap_err();
        assert!(
            e.contains("`teams[0].digest_hold_max`") && e.contains("\"6h\""),
            "{e}"
        );
        let e = parse(&team("restatement_threshold = 5\n"), &[]).unwrap_err();
        assert!(
            e.contains("`teams[0].restatement_threshold`") && e.contains("0.05"),
            "{e}"
        );
    }
}
