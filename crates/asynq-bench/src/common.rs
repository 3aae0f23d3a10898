//! What the workloads share: queue lists, the wall clock in Unix nanoseconds, and the lines a
//! worker process prints for `cargo xtask bench`.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

/// Parses `critical:6,default:3,low:1` (a name without `:N` has priority 1).
pub fn parse_queues(s: &str) -> Result<HashMap<String, i32>, String> {
    let mut queues = HashMap::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, priority) = match part.split_once(':') {
            Some((name, p)) => (
                name,
                p.parse::<i32>()
                    .map_err(|e| format!("priority of {name}: {e}"))?,
            ),
            None => (part, 1),
        };
        queues.insert(name.to_string(), priority);
    }
    if queues.is_empty() {
        return Err(format!("no queue in {s:?}"));
    }
    Ok(queues)
}

/// The queue names of a comma-separated list, in the order given (priorities dropped).
pub fn queue_names(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once(':').map_or(p, |(n, _)| n).to_string())
        .collect()
}

/// Now, in nanoseconds since the Unix epoch (the clock Go's `time.Now().UnixNano()` reads).
pub fn unix_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or_default()
}

/// Prints one JSON line and flushes, so that a parent reading the pipe sees it at once.
pub fn print_line(v: &serde_json::Value) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{v}");
    let _ = out.flush();
}

/// Blocks (on a thread of its own) until standard input reaches end of file: the parent's
/// signal to shut down.
pub async fn wait_for_stdin_eof() {
    let _ = tokio::task::spawn_blocking(|| {
        use std::io::Read;
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
    })
    .await;
}
