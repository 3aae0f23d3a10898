//! # asynq-cli
//!
//! The `asynq` command line tool of asynq for Rust: a twin of Go's `asynq` CLI
//! (`tools/asynq`) with the same commands, flags, defaults and printed facts, built on
//! [`asynq_inspect::Inspector`]. See `docs/cli.md` for the operator's guide.
//!
//! The binary only parses the arguments ([`Cli`]) and calls [`run`]; every command writes to
//! the [`std::io::Write`] it is given, so commands are testable without a terminal.
//!
//! ```no_run
//! # async fn demo() -> Result<(), asynq_cli::CliError> {
//! use clap::Parser;
//! let cli = asynq_cli::Cli::parse_from(["asynq", "--uri", "127.0.0.1:6379", "stats", "--json"]);
//! let (mut out, mut err) = (Vec::new(), Vec::new());
//! asynq_cli::run(cli, &mut out, &mut err).await?;
//! # Ok(())
//! # }
//! ```

pub mod cmd;
pub mod config;
pub mod error;
pub mod output;

use std::io::Write;

use asynq_inspect::{Inspector, RedisConnOpt};
use clap::{Parser, Subcommand};

pub use config::ConnFlags;
pub use error::CliError;

/// Command line tool to inspect tasks and queues managed by Asynq.
#[derive(Debug, Parser)]
#[command(
    name = "asynq",
    version,
    args_override_self = true,
    about = "Asynq CLI",
    long_about = "Command line tool to inspect tasks and queues managed by Asynq",
    after_help = "Examples:\n  $ asynq stats\n  $ asynq queue pause myqueue\n  $ asynq task list --queue=myqueue --state=archived"
)]
pub struct Cli {
    /// Connection flags (accepted anywhere on the command line).
    #[command(flatten)]
    pub conn: ConnFlags,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// View current state
    #[command(
        long_about = "Stats shows the overview of tasks and queues at that instant.\n\nThe command shows the following:\n  * Number of tasks in each state\n  * Number of tasks in each queue\n  * Aggregate data for the current day\n  * Basic information about the running redis instance"
    )]
    Stats(cmd::stats::StatsArgs),
    /// Manage queues
    #[command(subcommand)]
    Queue(cmd::queue::QueueCmd),
    /// Manage tasks
    #[command(subcommand)]
    Task(cmd::task::TaskCmd),
    /// Manage groups
    #[command(subcommand)]
    Group(cmd::group::GroupCmd),
    /// Manage cron
    #[command(subcommand)]
    Cron(cmd::cron::CronCmd),
    /// Manage servers
    #[command(subcommand)]
    Server(cmd::server::ServerCmd),
    /// View dashboard
    #[command(long_about = "Display interactive dashboard.")]
    Dash(cmd::dash::DashArgs),
    /// Print the version
    #[command(hide = true)]
    Version,
}

/// What a command runs with: the connection (opened on first use) and the two output streams.
pub struct Ctx<'a> {
    opt: RedisConnOpt,
    inspector: Option<Inspector>,
    /// True when connected to a Redis Cluster (`--cluster`).
    pub cluster: bool,
    /// Standard output.
    pub out: &'a mut dyn Write,
    /// Standard error: per-item errors of multi-item commands.
    pub err: &'a mut dyn Write,
}

impl<'a> Ctx<'a> {
    /// A context that connects with `opt` when a command first needs Redis.
    pub fn new(opt: RedisConnOpt, out: &'a mut dyn Write, err: &'a mut dyn Write) -> Ctx<'a> {
        let cluster = opt.is_cluster();
        Ctx {
            opt,
            inspector: None,
            cluster,
            out,
            err,
        }
    }

    /// The Inspector, connecting first if needed.
    ///
    /// # Errors
    /// [`CliError::Inspect`] when Redis cannot be reached.
    pub async fn inspector(&mut self) -> Result<Inspector, CliError> {
        if let Some(i) = &self.inspector {
            return Ok(i.clone());
        }
        let i = Inspector::connect(self.opt.clone())
            .await
            .map_err(CliError::inspect(format!(
                "could not connect to Redis at {}",
                describe(&self.opt)
            )))?;
        self.inspector = Some(i.clone());
        Ok(i)
    }
}

/// Where `opt` points, for error messages: the address, socket path, sentinels or cluster seeds,
/// as [`RedisConnOpt::target`] gives it (credentials written into an address are not shown).
/// Never includes a password.
pub fn describe(opt: &RedisConnOpt) -> String {
    opt.target()
}

/// Runs `cli`: resolves the connection settings (flags, environment, config file), then the
/// command, writing its output to `out` and per-item errors to `err`.
///
/// # Errors
/// The command's [`CliError`]; the caller prints it unless [`CliError::is_reported`].
pub async fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), CliError> {
    if let Command::Version = cli.command {
        writeln!(out, "asynq version {}", env!("CARGO_PKG_VERSION"))?;
        return Ok(());
    }
    let settings = cli.conn.resolve()?;
    if let Some(p) = &settings.config_file {
        writeln!(err, "Using config file: {}", p.display())?;
    }
    let opt = settings.conn_opt()?;
    let mut ctx = Ctx::new(opt, out, err);
    run_command(cli.command, &mut ctx).await
}

/// Runs one command with a ready context.
///
/// # Errors
/// The command's [`CliError`].
pub async fn run_command(command: Command, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    match command {
        Command::Stats(a) => cmd::stats::run(a, ctx).await,
        Command::Queue(c) => cmd::queue::run(c, ctx).await,
        Command::Task(c) => cmd::task::run(c, ctx).await,
        Command::Group(c) => cmd::group::run(c, ctx).await,
        Command::Cron(c) => cmd::cron::run(c, ctx).await,
        Command::Server(c) => cmd::server::run(c, ctx).await,
        Command::Dash(a) => cmd::dash::run(a, ctx).await,
        Command::Version => {
            writeln!(ctx.out, "asynq version {}", env!("CARGO_PKG_VERSION"))?;
            Ok(())
        }
    }
}
