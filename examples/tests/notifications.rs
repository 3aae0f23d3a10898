//! The `notifications` example (group aggregation) end to end on a throwaway `redis-server`:
//! every notification is delivered inside exactly one digest per user, and nothing is left in
//! any group. Needs `redis-server` and `redis-cli`.

#[allow(dead_code)]
#[path = "../../xtask/src/redis.rs"]
mod redis;

#[test]
fn notifications_are_delivered_in_one_digest_per_user() {
    let redis = redis::LocalRedis::start().expect("start redis-server");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_notifications"))
        .args(["--redis", &redis.url(), "--users", "3", "--per-user", "4"])
        .env("RUST_LOG", "warn")
        .output()
        .expect("run notifications");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut digests: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("digest email to"))
        .collect();
    digests.sort_unstable();
    assert_eq!(
        digests,
        [
            "notifications: digest email to user:1 with 4 notifications",
            "notifications: digest email to user:2 with 4 notifications",
            "notifications: digest email to user:3 with 4 notifications",
        ],
        "{stdout}"
    );
    assert!(
        stdout.contains("OK: 12 notifications delivered in 3 digests for 3 users"),
        "{stdout}"
    );
    let cli = |args: &[&str]| redis.cli(args).expect("redis-cli").trim().to_string();
    assert_eq!(cli(&["SCARD", "asynq:{default}:groups"]), "0");
    assert_eq!(cli(&["ZCARD", "asynq:{default}:aggregation_sets"]), "0");
    assert_eq!(cli(&["KEYS", "asynq:{default}:g:*"]), "");
    assert_eq!(cli(&["GET", "asynq:{default}:processed"]), "3");
}
