//! # asynq-dash
//!
//! The terminal dashboard of asynq for Rust, like Go's `asynq dash`: the queue list with size
//! graphs and today's counters, a queue's tasks by state (active, pending, aggregating by group,
//! scheduled, retry, archived, completed) page by page, a task's details and a help box. Data is
//! read through an [`asynq_inspect::Inspector`] and refreshed every [`DashOptions::refresh`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), asynq_dash::DashError> {
//! use asynq_inspect::{InspectError, Inspector, RedisConnOpt};
//!
//! let opt: RedisConnOpt = "redis://127.0.0.1:6379".parse().map_err(InspectError::from)?;
//! let inspector = Inspector::connect(opt).await?;
//! asynq_dash::run(inspector, asynq_dash::DashOptions::default()).await
//! # }
//! ```
//!
//! Keys (Go's): `Up`/`k` and `Down`/`j` move, `Enter` opens, `Left`/`h` and `Right`/`l` switch
//! state tabs, `n`/`p` turn pages, `?` shows help, `Esc`/`q` go back (and quit from the queue
//! list), `Ctrl+C` quits.
//!
//! The pieces are usable on their own: [`app::App`] is the state machine (keys in, reads to
//! run out), [`fetch`] runs the reads and [`draw::draw`] renders any state into a ratatui
//! frame, so the dashboard can be tested on ratatui's `TestBackend`.

pub mod app;
pub mod draw;
mod error;
pub mod fetch;
pub mod keys;
mod run;
mod terminal;

pub use error::DashError;
pub use run::{run, DashOptions};
