//! Scripts of the Inspector's control operations (spec §5.9–5.13).
