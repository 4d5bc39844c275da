//! Golden week: written next.
