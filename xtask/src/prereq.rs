//! Checks for the programs the tasks need, with a one-line message saying what to install.
//! [`ensure`] first installs the Debian packages of missing programs when the machine can
//! (apt-get, and root or passwordless sudo).

use std::process::{Command, Stdio};

/// Installs the Debian packages of the missing `programs` that have one (Redis, tmux) when
/// apt-get is there and the user is root or has passwordless sudo, saying so in one line; then
/// [`check`]s them all. Without those means it is just [`check`].
pub fn ensure(programs: &[&str]) -> Result<(), String> {
    let mut packages: Vec<&str> = Vec::new();
    let mut missing: Vec<&str> = Vec::new();
    for p in programs.iter().copied().filter(|p| !found(p)) {
        missing.push(p);
        for pkg in apt_packages(p) {
            if !packages.contains(pkg) {
                packages.push(pkg);
            }
        }
    }
    if !packages.is_empty() {
        if let Some(sudo) = installer() {
            println!(
                "xtask: {} not found; installing the Debian packages {} with apt-get",
                missing.join(", "),
                packages.join(" ")
            );
            let apt = |args: &[&str]| {
                let mut cmd = Command::new(if sudo { "sudo" } else { "apt-get" });
                if sudo {
                    cmd.args(["-n", "apt-get"]);
                }
                match cmd
                    .args(args)
                    .env("DEBIAN_FRONTEND", "noninteractive")
                    .output()
                {
                    Ok(out) if out.status.success() => true,
                    Ok(out) => {
                        eprint!("{}", String::from_utf8_lossy(&out.stderr));
                        false
                    }
                    Err(e) => {
                        eprintln!("xtask: cannot run apt-get: {e}");
                        false
                    }
                }
            };
            let mut install = vec!["install", "-y", "-qq"];
            install.extend(&packages);
            if !(apt(&["update", "-qq"]) && apt(&install)) {
                println!("xtask: apt-get could not install {}", packages.join(" "));
            }
        }
    }
    check(programs)
}

/// The Debian packages that provide `program`.
fn apt_packages(program: &str) -> &'static [&'static str] {
    match program {
        "redis-server" | "redis-cli" | "redis-sentinel" => {
            &["redis-server", "redis-tools", "redis-sentinel"]
        }
        "tmux" => &["tmux"],
        _ => &[],
    }
}

/// Whether packages can be installed: `Some(false)` as root, `Some(true)` through
/// passwordless sudo, `None` when not (or when there is no apt-get).
fn installer() -> Option<bool> {
    let quiet = |cmd: &mut Command| {
        cmd.stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !quiet(Command::new("apt-get").arg("--version")) {
        return None;
    }
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() == "0" {
        return Some(false);
    }
    quiet(Command::new("sudo").args(["-n", "true"])).then_some(true)
}

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
