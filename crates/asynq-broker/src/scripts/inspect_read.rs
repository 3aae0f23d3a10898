//! Scripts of the Inspector's read operations (spec §5.3–5.8, 5.14, 5.15).
