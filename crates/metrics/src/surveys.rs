//! NPS and CES from survey answers, helpdesk and imported alike.

use deskpulse_model::{Rating, RatingKind};
use serde::{Deserialize, Serialize};

use crate::stats::num;

/// Net Promoter Score: % promoters (9–10) − % detractors (0–6), in [−100, 100], rounded to
/// one decimal. Only answers on the 0–10 scale count: another scale has no promoters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NpsKpi {
    pub n: u64,
    #[serde(serialize_with = "num::opt")]
    pub value: Option<f64>,
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
}

pub(crate) fn nps<'a>(ratings: impl Iterator<Item = &'a Rating>) -> NpsKpi {
    let mut k = NpsKpi::default();
    for r in ratings.filter(|r| r.kind == RatingKind::Nps) {
        if r.scale.min != 0.0 || r.scale.max != 10.0 || !(0.0..=10.0).contains(&r.score) {
            continue;
        }
        k.n += 1;
        if r.score >= 9.0 {
            k.promoters += 1;
        } else if r.score <= 6.0 {
            k.detractors += 1;
        } else {
            k.passives += 1;
        }
    }
    k.value = (k.n > 0).then(|| {
        let v = (k.promoters as f64 - k.detractors as f64) * 100.0 / k.n as f64;
        (v * 10.0).round() / 10.0
    });
    k
}

/// Customer Effort Score (higher = easier). `value` is the mean on the answers' scale when
/// they share one (`scale_min`–`scale_max`); mixed scales are mapped linearly onto 1–7.
/// "Easy" is the top third of the scale: 5–7 of 7, 4–5 of 5.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CesKpi {
    pub n: u64,
    #[serde(serialize_with = "num::opt")]
    pub value: Option<f64>,
    #[serde(serialize_with = "num::opt")]
    pub easy_share: Option<f64>,
    #[serde(serialize_with = "num::opt")]
    pub scale_min: Option<f64>,
    #[serde(serialize_with = "num::opt")]
    pub scale_max: Option<f64>,
}

/// 4 of 1–5 is 3/4 of the way up, 5 of 1–7 is 2/3: both easy; 3 of 5 (1/2) is not.
const EASY: f64 = 2.0 / 3.0 - 1e-9;

pub(crate) fn ces<'a>(ratings: impl Iterator<Item = &'a Rating>) -> CesKpi {
    let mut xs: Vec<(f64, f64, f64)> = ratings
        .filter(|r| r.kind == RatingKind::Ces)
        .filter(|r| r.scale.max > r.scale.min && r.score.is_finite())
        .map(|r| {
            let x = ((r.score - r.scale.min) / (r.scale.max - r.scale.min)).clamp(0.0, 1.0);
            (x, r.scale.min, r.scale.max)
        })
        .collect();
    if xs.is_empty() {
        return CesKpi::default();
    }
    // Sorted so the float sum does not depend on input order.
    xs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (lo, hi) = (xs[0].1, xs[0].2);
    let (lo, hi) = if xs.iter().all(|&(_, a, b)| a == lo && b == hi) {
        (lo, hi)
    } else {
        (1.0, 7.0)
    };
    let n = xs.len();
    let mean_x = xs.iter().map(|x| x.0).sum::<f64>() / n as f64;
    let easy = xs.iter().filter(|x| x.0 >= EASY).count();
    CesKpi {
        n: n as u64,
        value: Some(round6(lo + (hi - lo) * mean_x)),
        easy_share: Some(easy as f64 / n as f64),
        scale_min: Some(lo),
        scale_max: Some(hi),
    }
}

/// Hides float noise from the scale mapping (5.199999999 → 5.2).
pub(crate) fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}
