//! Child-process plumbing shared by every deployment: binary lookup, free ports, spawning with
//! logs in a private directory, readiness polling, and a tiny RESP client used for polling.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long a single process may take to answer after being spawned.
pub(crate) const READY_TIMEOUT: Duration = Duration::from_secs(10);
/// Interval between two readiness probes.
pub(crate) const POLL_INTERVAL: Duration = Duration::from_millis(25);
/// How many times a start is retried on a fresh port when the chosen one turned out to be taken.
const PORT_ATTEMPTS: usize = 20;
/// Highest port usable by a cluster node (its bus port is `port + 10000`).
const MAX_CLUSTER_PORT: u16 = 55000;
/// Offset of the cluster bus port.
pub(crate) const CLUSTER_BUS_OFFSET: u16 = 10000;

const INSTALL_HINT: &str =
    "install it with `apt-get install -y redis-server redis-tools redis-sentinel`";

fn find_in_path(name: &str) -> Option<PathBuf> {
    let from_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    });
    from_path.or_else(|| {
        let fallback = Path::new("/usr/bin").join(name);
        fallback.is_file().then_some(fallback)
    })
}

/// Path of `redis-server`; panics with the install hint when it is missing.
pub(crate) fn redis_server_bin() -> &'static Path {
    static BIN: OnceLock<Option<PathBuf>> = OnceLock::new();
    BIN.get_or_init(|| find_in_path("redis-server"))
        .as_deref()
        .unwrap_or_else(|| panic!("redis-server not found: {INSTALL_HINT}"))
}

/// Path of `redis-cli`; panics with the install hint when it is missing.
pub(crate) fn redis_cli_bin() -> &'static Path {
    static BIN: OnceLock<Option<PathBuf>> = OnceLock::new();
    BIN.get_or_init(|| find_in_path("redis-cli"))
        .as_deref()
        .unwrap_or_else(|| panic!("redis-cli not found: {INSTALL_HINT}"))
}

/// Program and leading arguments that start a sentinel: `redis-sentinel`, or
/// `redis-server --sentinel` when only the server binary is installed.
pub(crate) fn redis_sentinel_command(conf: &Path) -> Command {
    static BIN: OnceLock<Option<PathBuf>> = OnceLock::new();
    match BIN.get_or_init(|| find_in_path("redis-sentinel")) {
        Some(bin) => {
            let mut cmd = Command::new(bin);
            cmd.arg(conf);
            cmd
        }
        None => {
            let mut cmd = Command::new(redis_server_bin());
            cmd.arg(conf).arg("--sentinel");
            cmd
        }
    }
}

/// Ports this process already handed out; never handed out twice, so parallel tests in one binary
/// cannot pick the same port in the window between choosing it and the server binding it.
fn handed_out() -> &'static Mutex<HashSet<u16>> {
    static PORTS: OnceLock<Mutex<HashSet<u16>>> = OnceLock::new();
    PORTS.get_or_init(|| Mutex::new(HashSet::new()))
}

/// Picks a free loopback port by binding `127.0.0.1:0`. With `cluster_bus`, the port is at most
/// 55000 and `port + 10000` is free as well.
pub(crate) fn free_port(cluster_bus: bool) -> u16 {
    for _ in 0..1000 {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local_addr").port();
        let mut taken = handed_out().lock().unwrap_or_else(|e| e.into_inner());
        if taken.contains(&port) {
            continue;
        }
        if cluster_bus {
            if port > MAX_CLUSTER_PORT {
                continue;
            }
            let bus = port + CLUSTER_BUS_OFFSET;
            if taken.contains(&bus) || TcpListener::bind(("127.0.0.1", bus)).is_err() {
                continue;
            }
            taken.insert(bus);
        }
        taken.insert(port);
        return port;
    }
    panic!("could not find a free loopback port");
}

/// Opens (appending) a file in `dir` for a child's stdout or stderr.
fn log_sink(dir: &Path, name: &str) -> File {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(name))
        .unwrap_or_else(|e| panic!("create {}: {e}", dir.join(name).display()))
}

/// Spawns `cmd` with stdin closed and stdout/stderr appended to files in `dir`.
pub(crate) fn spawn(mut cmd: Command, dir: &Path) -> Child {
    cmd.stdin(Stdio::null())
        .stdout(log_sink(dir, "stdout.log"))
        .stderr(log_sink(dir, "stderr.log"))
        .current_dir(dir);
    cmd.spawn()
        .unwrap_or_else(|e| panic!("spawn {:?}: {e}", cmd.get_program()))
}

const LOG_FILES: [&str; 3] = ["redis.log", "stdout.log", "stderr.log"];

/// Everything the process in `dir` logged: its log file, stdout and stderr.
pub(crate) fn read_logs(dir: &Path) -> String {
    let mut out = String::new();
    for name in LOG_FILES {
        if let Ok(text) = std::fs::read_to_string(dir.join(name)) {
            if !text.trim().is_empty() {
                let _ = write!(out, "\n--- {name} ---\n{text}");
            }
        }
    }
    if out.is_empty() {
        out.push_str("\n(no log output)");
    }
    out
}

/// Sizes of the log files in `dir`, taken before a spawn so that only the new attempt's output
/// is inspected afterwards.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LogMark([u64; 3]);

impl LogMark {
    pub(crate) fn take(dir: &Path) -> LogMark {
        LogMark(LOG_FILES.map(|name| {
            std::fs::metadata(dir.join(name))
                .map(|m| m.len())
                .unwrap_or(0)
        }))
    }

    /// The log output written after this mark.
    fn new_output(&self, dir: &Path) -> String {
        let mut out = String::new();
        for (name, from) in LOG_FILES.iter().zip(self.0) {
            if let Ok(bytes) = std::fs::read(dir.join(name)) {
                let from = (from as usize).min(bytes.len());
                out.push_str(&String::from_utf8_lossy(&bytes[from..]));
            }
        }
        out
    }
}

/// A child process that is SIGKILLed and reaped when dropped.
#[derive(Debug, Default)]
pub(crate) struct OwnedChild(Option<Child>);

impl OwnedChild {
    pub(crate) fn new(child: Child) -> Self {
        OwnedChild(Some(child))
    }

    pub(crate) fn child_mut(&mut self) -> Option<&mut Child> {
        self.0.as_mut()
    }

    pub(crate) fn pid(&self) -> Option<u32> {
        self.0.as_ref().map(Child::id)
    }

    /// Whether the child was started and has not exited yet.
    pub(crate) fn is_running(&mut self) -> bool {
        match self.0.as_mut() {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// SIGKILLs the child (if any) and waits for it to exit.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnedChild {
    fn drop(&mut self) {
        self.kill();
    }
}

/// How readiness of a freshly spawned process is checked.
pub(crate) enum Probe<'a> {
    /// Plain RESP over TCP: `PING`, then `INFO server` must show the child's pid.
    Plain,
    /// TLS, through `redis-cli --tls` with the given CA, client certificate and key.
    Tls {
        ca: &'a Path,
        cert: &'a Path,
        key: &'a Path,
    },
}

/// Result of waiting for a spawned process.
pub(crate) enum Started {
    /// The process answers on its port.
    Ready,
    /// The process exited because its port (or cluster bus port) was already taken.
    PortInUse,
}

fn exited(dir: &Path, mark: LogMark, what: &str, port: u16, status: ExitStatus) -> Started {
    if mark.new_output(dir).contains("Address already in use") {
        return Started::PortInUse;
    }
    panic!(
        "{what} on port {port} exited during startup ({status}):{}",
        read_logs(dir)
    );
}

/// Polls until the process answers on `port` (and is really this child, checked by pid), it exits,
/// or [`READY_TIMEOUT`] passes (then the child is killed and this panics with its logs). `mark`
/// is where the logs stood before the spawn.
async fn wait_ready(
    child: &mut OwnedChild,
    port: u16,
    dir: &Path,
    mark: LogMark,
    probe: &Probe<'_>,
    what: &str,
) -> Started {
    let pid = child.pid().expect("wait_ready on a started child");
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        if let Some(status) = child.child_mut().and_then(|c| c.try_wait().ok()).flatten() {
            return exited(dir, mark, what, port, status);
        }
        let answered = match probe {
            Probe::Plain => plain_is_ready(port, pid).await,
            Probe::Tls { ca, cert, key } => tls_is_ready(port, pid, ca, cert, key).await,
        };
        if answered {
            return Started::Ready;
        }
        if Instant::now() >= deadline {
            child.kill();
            panic!(
                "{what} on port {port} did not answer within {READY_TIMEOUT:?}:{}",
                read_logs(dir)
            );
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

async fn plain_is_ready(port: u16, pid: u32) -> bool {
    match resp_pipeline(port, &[&["PING"], &["INFO", "server"]]).await {
        Ok(replies) => {
            matches!(replies.first(), Some(Resp::Simple(s)) if s == "PONG")
                && replies
                    .get(1)
                    .and_then(Resp::text)
                    .is_some_and(|info| info_has_pid(&info, pid))
        }
        Err(_) => false,
    }
}

fn info_has_pid(info: &str, pid: u32) -> bool {
    info.lines()
        .any(|line| line.trim_end() == format!("process_id:{pid}"))
}

async fn tls_is_ready(port: u16, pid: u32, ca: &Path, cert: &Path, key: &Path) -> bool {
    let output = tokio::process::Command::new(redis_cli_bin())
        .arg("--tls")
        .arg("--cacert")
        .arg(ca)
        .arg("--cert")
        .arg(cert)
        .arg("--key")
        .arg(key)
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "INFO", "server"])
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    match tokio::time::timeout(Duration::from_secs(5), output).await {
        Ok(Ok(out)) => {
            out.status.success() && info_has_pid(&String::from_utf8_lossy(&out.stdout), pid)
        }
        _ => false,
    }
}

/// Spawns a process built by `build(port)` on a fresh free port, retrying with another port when
/// the chosen one turns out to be taken. Returns the child and its port.
pub(crate) async fn spawn_on_free_port(
    dir: &Path,
    cluster_bus: bool,
    what: &str,
    probe: &Probe<'_>,
    mut build: impl FnMut(u16) -> Command,
) -> (OwnedChild, u16) {
    for _ in 0..PORT_ATTEMPTS {
        let port = free_port(cluster_bus);
        // A cluster node that failed on a taken port may have written its identity already;
        // the next attempt must start fresh.
        let _ = std::fs::remove_file(dir.join("nodes.conf"));
        let mark = LogMark::take(dir);
        let mut child = OwnedChild::new(spawn(build(port), dir));
        match wait_ready(&mut child, port, dir, mark, probe, what).await {
            Started::Ready => return (child, port),
            Started::PortInUse => continue,
        }
    }
    panic!(
        "{what}: no free port after {PORT_ATTEMPTS} attempts:{}",
        read_logs(dir)
    );
}

/// Spawns a process on a fixed `port` (a restart), retrying for a while if the port is still
/// taken.
pub(crate) async fn spawn_on_port(
    dir: &Path,
    port: u16,
    what: &str,
    probe: &Probe<'_>,
    build: impl Fn(u16) -> Command,
) -> OwnedChild {
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        let mark = LogMark::take(dir);
        let mut child = OwnedChild::new(spawn(build(port), dir));
        match wait_ready(&mut child, port, dir, mark, probe, what).await {
            Started::Ready => return child,
            Started::PortInUse if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Started::PortInUse => panic!(
                "{what}: port {port} stayed in use, cannot restart:{}",
                read_logs(dir)
            ),
        }
    }
}

/// A RESP reply, as read by the polling client.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Resp {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Resp>>),
}

impl Resp {
    /// The reply as text, for simple and bulk strings.
    pub(crate) fn text(&self) -> Option<String> {
        match self {
            Resp::Simple(s) => Some(s.clone()),
            Resp::Bulk(Some(b)) => Some(String::from_utf8_lossy(b).into_owned()),
            _ => None,
        }
    }

    /// The elements of an array reply.
    pub(crate) fn items(&self) -> &[Resp] {
        match self {
            Resp::Array(Some(items)) => items,
            _ => &[],
        }
    }
}

fn encode(args: &[&str], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
}

fn line(buf: &[u8]) -> Option<(&str, usize)> {
    let end = buf.windows(2).position(|w| w == b"\r\n")?;
    Some((std::str::from_utf8(&buf[..end]).ok()?, end + 2))
}

/// Parses one reply; `Ok(None)` when `buf` does not hold a complete reply yet.
fn parse(buf: &[u8]) -> Result<Option<(Resp, usize)>, String> {
    let Some((&kind, rest)) = buf.split_first() else {
        return Ok(None);
    };
    let Some((head, used)) = line(rest) else {
        return Ok(None);
    };
    let used = used + 1;
    let num = || {
        head.parse::<i64>()
            .map_err(|e| format!("bad RESP length {head:?}: {e}"))
    };
    match kind {
        b'+' => Ok(Some((Resp::Simple(head.to_owned()), used))),
        b'-' => Ok(Some((Resp::Error(head.to_owned()), used))),
        b':' => Ok(Some((Resp::Int(num()?), used))),
        b'$' => {
            let len = num()?;
            if len < 0 {
                return Ok(Some((Resp::Bulk(None), used)));
            }
            let len = len as usize;
            if buf.len() < used + len + 2 {
                return Ok(None);
            }
            Ok(Some((
                Resp::Bulk(Some(buf[used..used + len].to_vec())),
                used + len + 2,
            )))
        }
        b'*' => {
            let len = num()?;
            if len < 0 {
                return Ok(Some((Resp::Array(None), used)));
            }
            let mut items = Vec::with_capacity(len as usize);
            let mut at = used;
            for _ in 0..len {
                match parse(&buf[at..])? {
                    Some((item, n)) => {
                        items.push(item);
                        at += n;
                    }
                    None => return Ok(None),
                }
            }
            Ok(Some((Resp::Array(Some(items)), at)))
        }
        other => Err(format!("unexpected RESP type byte {other:#x}")),
    }
}

/// Sends `commands` over one plain TCP connection to `127.0.0.1:port` and reads one reply per
/// command. Times out after 2 s.
pub(crate) async fn resp_pipeline(port: u16, commands: &[&[&str]]) -> std::io::Result<Vec<Resp>> {
    let work = async {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
        let mut request = Vec::new();
        for args in commands {
            encode(args, &mut request);
        }
        stream.write_all(&request).await?;
        let mut buf = Vec::new();
        let mut replies = Vec::with_capacity(commands.len());
        let mut chunk = [0u8; 8192];
        while replies.len() < commands.len() {
            match parse(&buf).map_err(std::io::Error::other)? {
                Some((reply, used)) => {
                    replies.push(reply);
                    buf.drain(..used);
                }
                None => {
                    let n = stream.read(&mut chunk).await?;
                    if n == 0 {
                        return Err(std::io::ErrorKind::UnexpectedEof.into());
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
            }
        }
        Ok(replies)
    };
    tokio::time::timeout(Duration::from_secs(2), work)
        .await
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))?
}

/// Sends one command over plain TCP and returns its reply.
pub(crate) async fn resp_command(port: u16, args: &[&str]) -> std::io::Result<Resp> {
    let mut replies = resp_pipeline(port, &[args]).await?;
    Ok(replies.remove(0))
}

/// The text of the reply to `args` (e.g. `INFO replication`, `CLUSTER INFO`); `None` if the server
/// does not answer with a string.
pub(crate) async fn info_text(port: u16, args: &[&str]) -> Option<String> {
    resp_command(port, args).await.ok().and_then(|r| r.text())
}

/// Value of `field` in an `INFO`-style `field:value` text.
pub(crate) fn info_field<'a>(info: &'a str, field: &str) -> Option<&'a str> {
    info.lines().find_map(|line| {
        line.trim_end()
            .strip_prefix(field)
            .and_then(|rest| rest.strip_prefix(':'))
    })
}

/// Polls `check` every [`POLL_INTERVAL`] until it returns `true`; after `timeout`, panics with the
/// text produced by `describe`.
pub(crate) async fn poll_until<F, Fut, D, DFut>(timeout: Duration, mut check: F, describe: D)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
    D: FnOnce() -> DFut,
    DFut: std::future::Future<Output = String>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if check().await {
            return;
        }
        if Instant::now() >= deadline {
            let text = describe().await;
            panic!("timed out after {timeout:?}: {text}");
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nested_replies() {
        let buf = b"*3\r\n+OK\r\n$3\r\nabc\r\n*2\r\n:5\r\n$-1\r\n";
        let (reply, used) = parse(buf).unwrap().unwrap();
        assert_eq!(used, buf.len());
        assert_eq!(
            reply,
            Resp::Array(Some(vec![
                Resp::Simple("OK".into()),
                Resp::Bulk(Some(b"abc".to_vec())),
                Resp::Array(Some(vec![Resp::Int(5), Resp::Bulk(None)])),
            ]))
        );
        assert!(parse(&buf[..buf.len() - 3]).unwrap().is_none());
        assert!(parse(b"$5\r\nab").unwrap().is_none());
    }

    #[test]
    fn reads_info_fields() {
        let info = "# Server\r\nredis_version:7.0.15\r\nprocess_id:42\r\n";
        assert_eq!(info_field(info, "process_id"), Some("42"));
        assert_eq!(info_field(info, "process"), None);
        assert!(info_has_pid(info, 42));
        assert!(!info_has_pid(info, 4));
    }

    #[tokio::test]
    async fn retries_on_a_taken_port() {
        let blocker = TcpListener::bind("127.0.0.1:0").unwrap();
        let taken = blocker.local_addr().unwrap().port();
        let dir = tempfile::tempdir().unwrap();
        let mut attempts = 0;
        let (mut child, port) =
            spawn_on_free_port(dir.path(), false, "redis-server", &Probe::Plain, |port| {
                attempts += 1;
                // The first attempt collides with a port that is in use.
                let port = if attempts == 1 { taken } else { port };
                crate::node::server_command(port, dir.path(), &[])
            })
            .await;
        assert_eq!(attempts, 2);
        assert_ne!(port, taken);
        assert!(child.is_running());
        assert!(read_logs(dir.path()).contains("Address already in use"));
        child.kill();
        assert!(!child.is_running());
    }

    #[test]
    fn cluster_ports_leave_room_for_the_bus() {
        for _ in 0..20 {
            let port = free_port(true);
            assert!(port <= MAX_CLUSTER_PORT);
        }
    }
}
