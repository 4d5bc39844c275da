//! The small statistics every KPI is built from: R-7 percentiles, duration summaries, rates.
//! Inputs are sorted before any arithmetic so a report never depends on input order.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::hours::{BusinessCalendar, BusinessTime};

/// How long something took between two instants, in seconds.
///
/// Calendar time ([`CalendarTime`]) and business time (`BusinessTime`) implement it; the
/// report computes each duration KPI once per clock.
pub trait Clock {
    fn elapsed_seconds(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> f64;
}

/// Wall-clock time, with millisecond resolution. A reply stamped before the ticket's
/// creation (clock skew between systems) counts as zero, never as a negative duration.
#[derive(Debug, Clone, Copy, Default)]
pub struct CalendarTime;

impl Clock for CalendarTime {
    fn elapsed_seconds(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
        ((to - from).num_milliseconds().max(0) as f64) / 1000.0
    }
}

/// The `p`-quantile (0 ≤ p ≤ 1) of ascending `sorted` by the R-7 rule (numpy's default,
/// Excel's PERCENTILE.INC): h = (n − 1)·p, interpolating linearly between the ranks around h.
/// `None` when there is no data.
pub fn percentile_r7(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let h = (n - 1) as f64 * p.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    Some(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
}

/// Rounds a number of seconds to the millisecond: hides the float noise of interpolation
/// (3.7000000000000002 → 3.7) without losing anything a person could care about.
fn to_millis(secs: f64) -> f64 {
    (secs * 1000.0).round() / 1000.0
}

/// The duration shape of the report contract. Values are `None` (JSON `null`) when `n` is 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DurationStats {
    pub n: u64,
    #[serde(serialize_with = "num::opt")]
    pub median_seconds: Option<f64>,
    #[serde(serialize_with = "num::opt")]
    pub mean_seconds: Option<f64>,
    #[serde(serialize_with = "num::opt")]
    pub p90_seconds: Option<f64>,
    /// Share of samples at or under the target, in [0, 1].
    #[serde(serialize_with = "num::opt")]
    pub within_target: Option<f64>,
}

impl DurationStats {
    /// Summarizes samples (seconds, any order) against a target in seconds.
    pub fn from_samples(mut samples: Vec<f64>, target_seconds: i64) -> Self {
        samples.sort_by(f64::total_cmp);
        let n = samples.len();
        if n == 0 {
            return DurationStats {
                n: 0,
                median_seconds: None,
                mean_seconds: None,
                p90_seconds: None,
                within_target: None,
            };
        }
        // Summing the sorted samples keeps the mean bit-identical whatever the input order.
        let mean = samples.iter().sum::<f64>() / n as f64;
        let within = samples
            .iter()
            .filter(|&&s| s <= target_seconds as f64)
            .count();
        DurationStats {
            n: n as u64,
            median_seconds: percentile_r7(&samples, 0.5).map(to_millis),
            mean_seconds: Some(to_millis(mean)),
            p90_seconds: percentile_r7(&samples, 0.9).map(to_millis),
            within_target: Some(within as f64 / n as f64),
        }
    }
}

/// A duration KPI: calendar time, plus the same in business time when the team has business
/// hours (`"business": {...}`, absent otherwise, so teams without hours see no new key).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DurationKpi {
    #[serde(flatten)]
    pub stats: DurationStats,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business: Option<DurationStats>,
    /// Why some (or all) tickets are left out: a source whose API cannot support the KPI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl DurationKpi {
    /// Times each `(from, to)` interval on the calendar and, if given, on business hours.
    pub fn from_intervals(
        intervals: &[(DateTime<Utc>, DateTime<Utc>)],
        target_seconds: i64,
        business: Option<BusinessTime<'_>>,
    ) -> Self {
        let on = |clock: &dyn Clock| {
            let samples = intervals
                .iter()
                .map(|(a, b)| clock.elapsed_seconds(*a, *b))
                .collect();
            DurationStats::from_samples(samples, target_seconds)
        };
        let business = business.map(|b| {
            let lo = intervals.iter().map(|i| i.0).min();
            let hi = intervals.iter().map(|i| i.1).max();
            match lo.zip(hi).filter(|(lo, hi)| lo < hi) {
                Some((lo, hi)) => on(&BusinessCalendar::new(b, lo, hi)),
                None => on(&b),
            }
        });
        DurationKpi {
            stats: on(&CalendarTime),
            business,
            note: None,
        }
    }
}

/// A share of a population, `n` being the population (the denominator).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateKpi {
    pub n: u64,
    /// In [0, 1]; `None` when `n` is 0.
    #[serde(serialize_with = "num::opt")]
    pub value: Option<f64>,
    /// Why some (or all) tickets are left out: a source whose API cannot support the KPI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl RateKpi {
    pub fn new(hits: u64, n: u64) -> Self {
        let value = (n > 0).then(|| hits as f64 / n as f64);
        RateKpi {
            n,
            value,
            note: None,
        }
    }
}

/// Number formatting for the JSON contract: whole numbers are written as integers (`2700`,
/// not `2700.0`), everything else as a float. Readers that compare numbers see no
/// difference; readers that compare text see what DESIGN's example shows.
pub(crate) mod num {
    use serde::Serializer;

    const MAX_EXACT: f64 = 9_007_199_254_740_992.0; // 2^53

    pub(crate) fn opt<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(x) => one(x, s),
            None => s.serialize_none(),
        }
    }

    /// A series with gaps (`null`), each number written like [`one`].
    pub(crate) fn opt_seq<S: Serializer>(v: &[Option<f64>], s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        struct Item(Option<f64>);
        impl serde::Serialize for Item {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                opt(&self.0, s)
            }
        }
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for x in v {
            seq.serialize_element(&Item(*x))?;
        }
        seq.end()
    }

    pub(crate) fn one<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        if x.fract() == 0.0 && x.abs() < MAX_EXACT {
            s.serialize_i64(*x as i64)
        } else {
            s.serialize_f64(*x)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    #[test]
    fn r7_percentiles() {
        let xs = [1.0, 2.0, 3.0, 4.0];
        // median: h = 3·0.5 = 1.5 → x[1] + 0.5·(x[2] − x[1]) = 2 + 0.5 = 2.5
        assert!(close(percentile_r7(&xs, 0.5), 2.5));
        // p90: h = 3·0.9 = 2.7 → x[2] + 0.7·(x[3] − x[2]) = 3 + 0.7 = 3.7
        assert!(close(percentile_r7(&xs, 0.9), 3.7));
        // odd n: [10, 20, 40]: median h = 1 → 20; p90 h = 1.8 → 20 + 0.8·20 = 36
        assert!(close(percentile_r7(&[10.0, 20.0, 40.0], 0.5), 20.0));
        assert!(close(percentile_r7(&[10.0, 20.0, 40.0], 0.9), 36.0));
        // one sample: every percentile is that sample
        assert!(close(percentile_r7(&[7.0], 0.9), 7.0));
        assert_eq!(percentile_r7(&[], 0.5), None);
        // ends: p0 = min, p100 = max
        assert!(close(percentile_r7(&xs, 0.0), 1.0));
        assert!(close(percentile_r7(&xs, 1.0), 4.0));
    }

    #[test]
    fn duration_stats() {
        // samples 60, 240, 120, 180 (s), target 150 s
        let d = DurationStats::from_samples(vec![60.0, 240.0, 120.0, 180.0], 150);
        assert_eq!(d.n, 4);
        // sorted 60,120,180,240: median h = 1.5 → 120 + 0.5·60 = 150
        assert_eq!(d.median_seconds, Some(150.0));
        // mean (60+120+180+240)/4 = 150
        assert_eq!(d.mean_seconds, Some(150.0));
        // p90 h = 2.7 → 180 + 0.7·60 = 222 (exactly, after millisecond rounding)
        assert_eq!(d.p90_seconds, Some(222.0));
        // 60 and 120 ≤ 150 → 2/4
        assert_eq!(d.within_target, Some(0.5));

        let empty = DurationStats::from_samples(vec![], 3600);
        assert_eq!(empty.n, 0);
        assert_eq!(empty.median_seconds, None);
        assert_eq!(empty.within_target, None);
    }

    #[test]
    fn whole_numbers_serialize_as_integers() {
        let d = DurationStats::from_samples(vec![1.0, 2.0], 1);
        // median 1.5, mean 1.5, p90 h = 0.9 → 1.9, within 1/2
        let j = serde_json::to_string(&d).unwrap();
        assert_eq!(
            j,
            r#"{"n":2,"median_seconds":1.5,"mean_seconds":1.5,"p90_seconds":1.9,"within_target":0.5}"#
        );
        let j = serde_json::to_string(&DurationStats::from_samples(vec![2700.0], 3600)).unwrap();
        assert_eq!(
            j,
            r#"{"n":1,"median_seconds":2700,"mean_seconds":2700,"p90_seconds":2700,"within_target":1}"#
        );
        let back: DurationStats = serde_json::from_str(&j).unwrap();
        assert_eq!(back.median_seconds, Some(2700.0));
        assert_eq!(
            serde_json::to_string(&RateKpi::new(0, 0)).unwrap(),
            r#"{"n":0,"value":null}"#
        );
    }
}
