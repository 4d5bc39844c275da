//! What a conformance run found.

use std::fmt;

/// A finding of the kit.
#[derive(Clone, Debug)]
pub struct Finding {
    /// The stream, or `*` for the whole connector.
    pub stream: String,
    /// The check: `fixtures`, `clean run`, `resume`, `429`, `5xx`, `credentials`, `broken page`,
    /// `secrets`, `endless paging`, `oversized body`.
    pub check: &'static str,
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}: {}", self.stream, self.check, self.message)
    }
}

/// What [`Conformance::run`](super::Conformance::run) found.
#[derive(Debug, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
    /// How many scenarios ran (each on its own server).
    pub scenarios: usize,
}

impl Report {
    pub fn is_ok(&self) -> bool {
        self.findings.is_empty()
    }

    /// Panics listing every failure.
    #[track_caller]
    pub fn assert_ok(&self) {
        assert!(self.is_ok(), "{self}");
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.findings.is_empty() {
            return write!(f, "conformance: all {} scenarios passed", self.scenarios);
        }
        writeln!(
            f,
            "conformance: {} failure(s) in {} scenarios:",
            self.findings.len(),
            self.scenarios
        )?;
        for fail in &self.findings {
            writeln!(f, "  - {fail}")?;
        }
        Ok(())
    }
}

impl Report {
    pub(super) fn fail(&mut self, stream: &str, check: &'static str, message: String) {
        self.findings.push(Finding {
            stream: stream.to_owned(),
            check,
            message,
        });
    }
}
