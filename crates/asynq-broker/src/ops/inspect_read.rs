//! The Inspector's read operations (spec §5.2–5.8, 5.14, 5.15, 5.17).
