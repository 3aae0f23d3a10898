//! The Inspector's control operations (spec §5.9–5.13, 5.16, 5.18).
