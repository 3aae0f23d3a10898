//! A minimal blocking RESP2 client: the harness' own Redis connection, for the processed
//! counters, `CONFIG RESETSTAT`, `INFO` and queue lengths. Keeping it here (rather than spawning
//! `redis-cli` per poll) lets the harness poll every 2 ms and count exactly what it sends.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

/// One RESP2 reply.
#[derive(Debug)]
pub enum Reply {
    Simple(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Reply>>),
}

impl Reply {
    /// The reply as text (simple or bulk string; empty for nil).
    pub fn text(&self) -> String {
        match self {
            Reply::Simple(s) => s.clone(),
            Reply::Bulk(Some(b)) => String::from_utf8_lossy(b).into_owned(),
            Reply::Int(i) => i.to_string(),
            _ => String::new(),
        }
    }

    /// An integer reply, or a bulk string holding one; 0 for nil.
    pub fn int(&self) -> i64 {
        match self {
            Reply::Int(i) => *i,
            other => other.text().trim().parse().unwrap_or(0),
        }
    }

    /// The elements of an array reply.
    pub fn items(&self) -> &[Reply] {
        match self {
            Reply::Array(Some(v)) => v,
            _ => &[],
        }
    }
}

/// A connection to one Redis server.
pub struct Resp {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Resp {
    /// Connects to `host:port`.
    pub fn connect(addr: &str) -> Result<Resp, String> {
        let writer = TcpStream::connect(addr).map_err(|e| format!("connecting to {addr}: {e}"))?;
        let _ = writer.set_nodelay(true);
        let reader = BufReader::new(writer.try_clone().map_err(|e| e.to_string())?);
        Ok(Resp { reader, writer })
    }

    /// Sends several commands in one write, then reads their replies in order.
    pub fn pipeline(&mut self, cmds: &[&[&str]]) -> Result<Vec<Reply>, String> {
        let mut buf = Vec::new();
        for args in cmds {
            buf.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
            for a in *args {
                buf.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
                buf.extend_from_slice(a.as_bytes());
                buf.extend_from_slice(b"\r\n");
            }
        }
        self.writer
            .write_all(&buf)
            .map_err(|e| format!("writing to Redis: {e}"))?;
        cmds.iter().map(|_| self.read()).collect()
    }

    /// Sends one command and reads its reply.
    pub fn cmd(&mut self, args: &[&str]) -> Result<Reply, String> {
        self.pipeline(&[args])?
            .pop()
            .ok_or_else(|| "no reply".to_string())
    }

    fn line(&mut self) -> Result<String, String> {
        let mut line = String::new();
        self.reader
            .read_line(&mut line)
            .map_err(|e| format!("reading from Redis: {e}"))?;
        if line.is_empty() {
            return Err("Redis closed the connection".into());
        }
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    }

    fn read(&mut self) -> Result<Reply, String> {
        let line = self.line()?;
        let (kind, rest) = line.split_at(1.min(line.len()));
        let len = || {
            rest.parse::<i64>()
                .map_err(|e| format!("bad reply {line:?}: {e}"))
        };
        match kind {
            "+" => Ok(Reply::Simple(rest.to_string())),
            "-" => Err(format!("Redis error: {rest}")),
            ":" => Ok(Reply::Int(len()?)),
            "$" => {
                let n = len()?;
                if n < 0 {
                    return Ok(Reply::Bulk(None));
                }
                let mut b = vec![0; n as usize + 2];
                self.reader
                    .read_exact(&mut b)
                    .map_err(|e| format!("reading from Redis: {e}"))?;
                b.truncate(n as usize);
                Ok(Reply::Bulk(Some(b)))
            }
            "*" => {
                let n = len()?;
                if n < 0 {
                    return Ok(Reply::Array(None));
                }
                let items = (0..n).map(|_| self.read()).collect::<Result<_, _>>()?;
                Ok(Reply::Array(Some(items)))
            }
            _ => Err(format!("bad reply {line:?}")),
        }
    }
}

/// The `key:value` lines of an `INFO` reply.
pub fn info_fields(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// `used_cpu_sys + used_cpu_user` of an `INFO cpu` reply, in seconds.
pub fn redis_cpu_seconds(info_cpu: &str) -> f64 {
    info_fields(info_cpu)
        .iter()
        .filter(|(k, _)| k == "used_cpu_sys" || k == "used_cpu_user")
        .filter_map(|(_, v)| v.parse::<f64>().ok())
        .sum()
}

/// The commands the harness sends while it measures (`MGET` polls of the processed counters,
/// `INFO`, `CONFIG RESETSTAT`); neither Go's nor the Rust server sends any of them, so they are
/// left out of the counts entirely.
fn is_harness_command(name: &str) -> bool {
    name == "mget" || name == "info" || name == "config" || name.starts_with("config|")
}

/// The calls per command of an `INFO commandstats` reply, without the harness' own commands.
/// Redis counts the commands a Lua script runs as well as the `EVALSHA` itself.
pub fn command_calls(info_commandstats: &str) -> Vec<(String, u64)> {
    info_fields(info_commandstats)
        .into_iter()
        .filter_map(|(k, v)| {
            let name = k.strip_prefix("cmdstat_")?.to_string();
            let calls = v
                .split(',')
                .find_map(|kv| kv.strip_prefix("calls="))?
                .parse()
                .ok()?;
            (!is_harness_command(&name)).then_some((name, calls))
        })
        .collect()
}

/// Whether a command is a script call (the client's round trip, not the commands inside).
pub fn is_script_call(name: &str) -> bool {
    matches!(
        name,
        "eval" | "evalsha" | "eval_ro" | "evalsha_ro" | "fcall" | "fcall_ro"
    )
}
