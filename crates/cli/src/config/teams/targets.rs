//! `[teams.targets]`: what the team aims for — median first response, resolution and public
//! (social) response times (durations), CSAT, the cost ratio and the public response rate
//! (fractions). Unset targets keep the metrics' defaults.

use crate::config::{KeyError, parse_duration};
use deskpulse_metrics::Targets;
use serde::Deserialize;

/// `[teams.targets]` as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct FileTargets {
    first_response_time: Option<String>,
    resolution_time: Option<String>,
    csat: Option<f64>,
    cost_ratio: Option<f64>,
    social_response_time: Option<String>,
    social_response_rate: Option<f64>,
}

impl FileTargets {
    /// The targets, keys named under `key` (`teams[0].targets`).
    pub(super) fn validate(self, key: &str) -> Result<Targets, KeyError> {
        let mut targets = Targets::default();
        let seconds = |name: &str, s: &str| {
            parse_duration(s)
                .map(|d| d.as_secs() as i64)
                .map_err(|d| KeyError::new(format!("{key}.{name}"), d))
        };
        if let Some(s) = &self.first_response_time {
            targets.first_response_seconds = seconds("first_response_time", s)?;
        }
        if let Some(s) = &self.resolution_time {
            targets.resolution_seconds = seconds("resolution_time", s)?;
        }
        if let Some(s) = &self.social_response_time {
            targets.social_response_seconds = seconds("social_response_time", s)?;
        }
        for (name, v, slot) in [
            ("csat", self.csat, &mut targets.csat),
            ("cost_ratio", self.cost_ratio, &mut targets.cost_ratio),
            (
                "social_response_rate",
                self.social_response_rate,
                &mut targets.social_response_rate,
            ),
        ] {
            if let Some(v) = v {
                if !(0.0..=1.0).contains(&v) {
                    return Err(KeyError::new(
                        format!("{key}.{name}"),
                        format!("{v} is not a fraction between 0 and 1 (write 0.9 for 90 %)"),
                    ));
                }
                *slot = v;
            }
        }
        Ok(targets)
    }
}

#[cfg(test)]
mod tests {
    use crate::config::testing::parse;

    #[test]
    fn bad_values_are_named() {
        let e = parse("[[teams]]\nname = \"a\"\ntargets = { csat = 90 }\n", &[]).unwrap_err();
        assert!(e.contains("`teams[0].targets.csat`"), "{e}");
    }

    #[test]
    fn business_hours_and_targets() {
        let s = parse(
            "[[teams]]\nname = \"a\"\nbusiness_hours = { days = \"Mon-Fri\", start = \"09:00\", end = \"17:00\", holidays = [\"2026-12-25\"] }\ntargets = { first_response_time = \"2h\", csat = 0.8 }\n",
            &[],
        )
        .unwrap();
        assert_eq!(s.teams[0].targets.first_response_seconds, 7200);
        assert_eq!(s.teams[0].targets.resolution_seconds, 8 * 3600);
        assert_eq!(s.teams[0].targets.csat, 0.8);
    }

    #[test]
    fn durations_and_the_cost_ratio_are_checked_too() {
        let e = parse(
            "[[teams]]\nname = \"a\"\ntargets = { resolution_time = \"a day\" }\n",
            &[],
        )
        .unwrap_err();
        assert!(e.contains("`teams[0].targets.resolution_time`"), "{e}");
        let e = parse(
            "[[teams]]\nname = \"a\"\ntargets = { cost_ratio = -0.1 }\n",
            &[],
        )
        .unwrap_err();
        assert!(e.contains("`teams[0].targets.cost_ratio`"), "{e}");
    }
}
