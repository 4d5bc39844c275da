//! `[daemon]`: how `deskpulse run` works (all optional).

use super::{KeyError, parse_duration};
use serde::Deserialize;
use std::time::Duration;

#[derive(Debug, Clone, Default)]
pub struct DaemonSettings {
    /// How often the daemon wakes to see what is due (default 15 s).
    pub tick: Option<Duration>,
}

/// `[daemon]` as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct FileDaemon {
    tick: Option<String>,
}

impl FileDaemon {
    pub(super) fn validate(self) -> Result<DaemonSettings, KeyError> {
        let tick = match &self.tick {
            None => None,
            Some(t) => Some(parse_duration(t).map_err(|d| KeyError::new("daemon.tick", d))?),
        };
        Ok(DaemonSettings { tick })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::testing::parse;
    use std::time::Duration;

    #[test]
    fn the_tick_is_a_positive_duration() {
        let s = parse("[daemon]\ntick = \"5s\"\n", &[]).unwrap();
        assert_eq!(s.daemon.tick, Some(Duration::from_secs(5)));
        assert_eq!(parse("", &[]).unwrap().daemon.tick, None);
        for bad in ["soon", "0s"] {
            let e = parse(&format!("[daemon]\ntick = \"{bad}\"\n"), &[]).unwrap_err();
            assert!(e.contains("`daemon.tick`") && e.contains(bad), "{e}");
        }
    }
}
