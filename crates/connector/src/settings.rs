//! Helpers for connector settings: a key written but left blank counts as not set, so the
//! validation message names it the same way as a missing one.

use crate::Secret;

/// The trimmed value of an optional string setting, `None` when absent or blank.
pub fn present(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// An optional secret setting, `None` when absent or blank.
pub fn present_secret(s: &Option<Secret>) -> Option<&Secret> {
    s.as_ref().filter(|s| !s.expose().trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn blank_is_absent() {
        assert_eq!(present(&Some("  acme ".into())), Some("acme"));
        assert_eq!(present(&Some("   ".into())), None);
        assert_eq!(present(&None), None);
        assert!(present_secret(&Some(Secret::new(" "))).is_none());
        assert!(present_secret(&Some(Secret::new("t"))).is_some());
    }
}
