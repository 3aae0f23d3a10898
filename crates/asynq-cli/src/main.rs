//! The `asynq` binary: parses the command line and runs [`asynq_cli::run`].

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match asynq_cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = e.print();
                return if e.use_stderr() {
                    ExitCode::from(2)
                } else {
                    ExitCode::SUCCESS
                };
            }
            // One line: clap's message without the usage block.
            let rendered = e.render().to_string();
            let msg = rendered
                .lines()
                .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            eprintln!("{msg} (see 'asynq --help')");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Unlocked handles: the dashboard draws on stdout from its own tasks.
    let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
    let result = runtime.block_on(asynq_cli::run(cli, &mut out, &mut err));
    let _ = out.flush();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) if e.is_reported() => ExitCode::FAILURE,
        Err(e) => {
            let _ = writeln!(
                err,
                "error: {}",
                asynq_cli::output::one_line(&e.to_string())
            );
            ExitCode::FAILURE
        }
    }
}
