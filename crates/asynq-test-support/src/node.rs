//! A single `redis-server` process.

use std::path::Path;
use std::process::Command;

use tempfile::TempDir;

use crate::process::{self, OwnedChild, Probe};
use crate::raw::Raw;

/// One `redis-server` process on a free loopback port, without persistence
/// (`--save "" --appendonly no`), with its working directory and log in a private temp dir.
///
/// The process is SIGKILLed and reaped when the value is dropped (only this process: other tests
/// running redis in parallel are never touched).
///
/// Every node is started with `--bind 127.0.0.1 --enable-debug-command local` (tests may use
/// `DEBUG` commands such as `DEBUG SLEEP`) and `--repl-diskless-sync-delay 0` (a replica syncs
/// at once instead of after Redis' default 5 s delay).
#[derive(Debug)]
pub struct RedisNode {
    port: u16,
    extra: Vec<String>,
    child: OwnedChild,
    // Declared last so the process is killed before its directory is removed.
    dir: TempDir,
}

impl RedisNode {
    /// Starts a single node and waits until it answers `PING`.
    pub async fn start() -> RedisNode {
        RedisNode::start_with_args(&[]).await
    }

    /// Starts a single node with extra `redis-server` arguments appended to the defaults (later
    /// arguments win, so these may override defaults), e.g. `&["--maxmemory", "10mb"]`.
    pub async fn start_with_args(extra: &[&str]) -> RedisNode {
        RedisNode::spawn(extra.iter().map(|s| s.to_string()).collect(), false).await
    }

    /// Starts a node; with `cluster_bus`, the port is chosen so that `port + 10000` is free too.
    pub(crate) async fn spawn(extra: Vec<String>, cluster_bus: bool) -> RedisNode {
        let dir = tempfile::Builder::new()
            .prefix("asynq-redis-")
            .tempdir()
            .expect("create temp dir for redis-server");
        let (child, port) = process::spawn_on_free_port(
            dir.path(),
            cluster_bus,
            "redis-server",
            &Probe::Plain,
            |port| server_command(port, dir.path(), &extra),
        )
        .await;
        RedisNode {
            port,
            extra,
            child,
            dir,
        }
    }

    /// The TCP port the node listens on (127.0.0.1 only).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `"127.0.0.1:PORT"`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `"redis://127.0.0.1:PORT"`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The node's working directory (holds `redis.log`, and `nodes.conf` for cluster nodes).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The server's log file, stdout and stderr, for diagnostics.
    pub fn log(&self) -> String {
        process::read_logs(self.dir.path())
    }

    /// OS process id of the running server, `None` after [`kill`](Self::kill).
    pub fn pid(&self) -> Option<u32> {
        self.child.pid()
    }

    /// Whether the server process is alive.
    pub fn is_running(&mut self) -> bool {
        self.child.is_running()
    }

    /// SIGKILLs the server and reaps it. The data set is lost (there is no persistence). Does
    /// nothing if it is not running.
    pub fn kill(&mut self) {
        self.child.kill();
    }

    /// Starts the server again on the same port with the same arguments (killing it first if it
    /// still runs) and waits until it answers `PING`. It comes back empty; a cluster node keeps
    /// its cluster identity (`nodes.conf`) but may need a moment to report `cluster_state:ok`.
    pub async fn restart(&mut self) {
        self.child.kill();
        let dir = self.dir.path().to_path_buf();
        let extra = self.extra.clone();
        self.child =
            process::spawn_on_port(&dir, self.port, "redis-server", &Probe::Plain, |port| {
                server_command(port, &dir, &extra)
            })
            .await;
    }

    /// A connected raw-command client for assertions.
    pub async fn raw(&self) -> Raw {
        Raw::connect_node(self.port).await
    }
}

/// The `redis-server` command line for a node.
pub(crate) fn server_command(port: u16, dir: &Path, extra: &[String]) -> Command {
    let mut cmd = Command::new(process::redis_server_bin());
    cmd.arg("--port")
        .arg(port.to_string())
        .args(["--bind", "127.0.0.1"])
        .arg("--dir")
        .arg(dir)
        .arg("--logfile")
        .arg(dir.join("redis.log"))
        .args(["--daemonize", "no"])
        .args(["--save", ""])
        .args(["--appendonly", "no"])
        .args(["--enable-debug-command", "local"])
        .args(["--repl-diskless-sync-delay", "0"])
        .args(extra);
    cmd
}
