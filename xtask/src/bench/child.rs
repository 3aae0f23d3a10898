//! A bench program running as a child process: its JSON lines arrive on a channel (so a hung
//! child cannot hang the harness), its standard error goes to a log file, and closing its
//! standard input asks it to shut down.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use serde_json::Value;

/// A running child.
pub struct Proc {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    log: PathBuf,
    what: String,
}

impl Proc {
    /// Starts `program args`, standard error appended to `log`.
    pub fn spawn(program: &Path, args: &[String], log: &Path) -> Result<Proc, String> {
        let what = format!("{} {}", program.display(), args.join(" "));
        let err = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start {what}: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Proc {
            stdin: child.stdin.take(),
            child,
            lines,
            log: log.to_path_buf(),
            what,
        })
    }

    /// The process ID.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The next JSON line, waiting at most `timeout`.
    pub fn next_json(&mut self, timeout: Duration) -> Result<Value, String> {
        let line = self.lines.recv_timeout(timeout).map_err(|e| {
            let why = match e {
                mpsc::RecvTimeoutError::Timeout => format!("no output within {timeout:?}"),
                mpsc::RecvTimeoutError::Disconnected => "exited".to_string(),
            };
            self.failure(&why)
        })?;
        serde_json::from_str(&line).map_err(|e| self.failure(&format!("bad line {line:?}: {e}")))
    }

    /// Closes standard input (the signal to shut down) and waits up to `timeout` for the exit;
    /// kills the child if it is still running then.
    pub fn finish(mut self, timeout: Duration) -> Result<(), String> {
        drop(self.stdin.take());
        let deadline = std::time::Instant::now() + timeout;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) if status.success() => return Ok(()),
                Ok(Some(status)) => return Err(self.failure(&format!("exited with {status}"))),
                Ok(None) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                _ => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    return Err(self.failure(&format!("did not exit within {timeout:?}")));
                }
            }
        }
    }

    /// An error naming the command, with the end of its log.
    fn failure(&self, why: &str) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        format!(
            "{}: {why}\n{} (end of {}):\n{}",
            self.what,
            "standard error",
            self.log.display(),
            tail.join("\n")
        )
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
