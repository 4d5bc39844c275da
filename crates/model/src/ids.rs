//! Validated names: a source's name, checked once at the edge.

use std::fmt;

/// The name of a configured source (`[[sources]] name = "zendesk-main"`): lowercase ASCII
/// letters, digits, `-` and `_`, 1 to 64 characters. It prefixes every stored key, so it is
/// validated once, at the edge.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct SourceName(String);

#[derive(Debug, thiserror::Error)]
#[error(
    "invalid source name {0:?}: use 1 to 64 lowercase letters, digits, '-' or '_' (for example \"zendesk-main\")"
)]
pub struct InvalidName(pub String);

impl SourceName {
    pub fn parse(s: &str) -> Result<Self, InvalidName> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(InvalidName(s.to_owned()))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for SourceName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}
impl fmt::Display for SourceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Debug for SourceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}
impl<'de> serde::Deserialize<'de> for SourceName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        SourceName::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn names() {
        assert!(SourceName::parse("zendesk-main").is_ok());
        assert!(SourceName::parse("zd_2").is_ok());
        for bad in ["", "Zendesk", "a b", "x:y", &"a".repeat(65)] {
            assert!(SourceName::parse(bad).is_err(), "{bad}");
        }
    }
}
