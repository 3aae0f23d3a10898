//! Checks for the programs the tasks need, with a one-line message saying what to install.

use std::process::{Command, Stdio};

/// Fails with one line per missing program naming the package to install.
pub fn check(programs: &[&str]) -> Result<(), String> {
    let missing: Vec<String> = programs
        .iter()
        .filter(|p| !found(p))
        .map(|p| format!("{p} not found: {}", install_hint(p)))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(missing.join("\n"))
    }
}

fn found(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
        || Command::new(program)
            .arg("version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
}

fn install_hint(program: &str) -> &'static str {
    match program {
        "redis-server" | "redis-cli" | "redis-sentinel" => {
            "install Redis >= 6.2 with `apt-get install -y redis-server redis-tools redis-sentinel`"
        }
        "go" => "install Go >= 1.24 (https://go.dev/dl) to run the Go interop tests",
        "tmux" => "install tmux (`apt-get install -y tmux`): the `asynq dash` test drives the binary in it",
        _ => "install it and put it on PATH",
    }
}
