//! The tables printed at the end of a run (Markdown, pasted into docs/performance.md).

use std::fmt::Write;

use serde_json::Value;

use super::workloads::{Case, Kind};

/// Median, min and max of `field` over the runs of `label` on `side`.
fn stats(runs: &[Value], label: &str, side: &str, field: &str) -> Option<(f64, f64, f64)> {
    let mut xs: Vec<f64> = runs
        .iter()
        .filter(|r| r["case"] == label && r["side"] == side)
        .filter_map(|r| r[field].as_f64())
        .collect();
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    Some((xs[xs.len() / 2], xs[0], xs[xs.len() - 1]))
}

/// A number with a precision that suits its size.
fn num(x: f64) -> String {
    let a = x.abs();
    if a >= 100.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else if a >= 0.1 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}

fn cell(s: Option<(f64, f64, f64)>, ranges: bool) -> String {
    match s {
        Some((m, lo, hi)) if ranges && lo != hi => format!("{} ({}–{})", num(m), num(lo), num(hi)),
        Some((m, ..)) => num(m),
        None => "–".into(),
    }
}

fn ratio(rust: Option<(f64, f64, f64)>, go: Option<(f64, f64, f64)>) -> String {
    match (rust, go) {
        (Some((r, ..)), Some((g, ..))) if g > 0.0 && r / g < 0.1 => format!("{:.3}×", r / g),
        (Some((r, ..)), Some((g, ..))) if g > 0.0 => format!("{:.2}×", r / g),
        _ => "–".into(),
    }
}

/// Renders every table.
pub fn render(cases: &[Case], runs: &[Value], description: &str) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "{description}\n");

    let throughput: Vec<&Case> = cases
        .iter()
        .filter(|c| {
            matches!(
                c.kind,
                Kind::Enqueue { .. } | Kind::Drain { .. } | Kind::Aggregate { .. }
            )
        })
        .collect();
    if !throughput.is_empty() {
        let _ = writeln!(
            t,
            "Throughput (tasks/s, W6: group tasks/s; enqueue latency per call in µs)\n"
        );
        let _ = writeln!(
            t,
            "| case | Rust tasks/s | Go tasks/s | Rust/Go | Rust p50 / p99 µs | Go p50 / p99 µs |"
        );
        let _ = writeln!(t, "|---|---|---|---|---|---|");
        for case in throughput {
            let go_label = case.compare_to.as_deref().unwrap_or(&case.label);
            let rust = stats(runs, &case.label, "rust", "tasks_per_sec");
            let go = stats(runs, go_label, "go", "tasks_per_sec");
            let lat = |label: &str, side: &str| match (
                stats(runs, label, side, "p50_us"),
                stats(runs, label, side, "p99_us"),
            ) {
                (Some((p50, ..)), Some((p99, ..))) => format!("{} / {}", num(p50), num(p99)),
                _ => "–".into(),
            };
            let rust_lat = if case.compare_to.is_some() {
                "–".into()
            } else {
                lat(&case.label, "rust")
            };
            let _ = writeln!(
                t,
                "| {} | {} | {} | {} | {rust_lat} | {} |",
                case.label,
                cell(rust, true),
                cell(go, true),
                ratio(rust, go),
                lat(go_label, "go")
            );
        }
        let _ = writeln!(t);
    }

    let pickup: Vec<&Case> = cases
        .iter()
        .filter(|c| matches!(c.kind, Kind::Pickup { .. }))
        .collect();
    if !pickup.is_empty() {
        let _ = writeln!(t, "W3 pickup latency, enqueue to handler start (ms)\n");
        let _ = writeln!(
            t,
            "| producer | worker | p50 ms | p99 ms | max ms | p50 Rust/Go worker |"
        );
        let _ = writeln!(t, "|---|---|---|---|---|---|");
        for case in pickup {
            let Kind::Pickup { producer, .. } = case.kind else {
                continue;
            };
            for (side, title) in [("rust", "Rust"), ("go", "Go")] {
                let f = |field: &str| cell(stats(runs, &case.label, side, field), true);
                let r = if side == "rust" {
                    ratio(
                        stats(runs, &case.label, "rust", "p50_ms"),
                        stats(runs, &case.label, "go", "p50_ms"),
                    )
                } else {
                    String::new()
                };
                let _ = writeln!(
                    t,
                    "| {} | {title} | {} | {} | {} | {r} |",
                    producer.title(),
                    f("p50_ms"),
                    f("p99_ms"),
                    f("max_ms")
                );
            }
        }
        let _ = writeln!(t);
    }

    let cost: Vec<&Case> = cases
        .iter()
        .filter(|c| {
            matches!(
                c.kind,
                Kind::Drain { .. } | Kind::Idle { .. } | Kind::Aggregate { .. }
            )
        })
        .collect();
    if !cost.is_empty() {
        let _ = writeln!(
            t,
            "W4 cost of the worker process (W6: per group task; Redis commands include those run \
             inside Lua scripts)\n"
        );
        let _ = writeln!(t, "| case | metric | Rust | Go | Rust/Go |");
        let _ = writeln!(t, "|---|---|---|---|---|");
        for case in cost {
            let metrics: &[(&str, &str)] = match case.kind {
                Kind::Idle { .. } => &[
                    ("Redis commands/s", "redis_cmds_per_sec"),
                    ("Lua script calls/s", "redis_scripts_per_sec"),
                    ("Redis CPU ms/s", "redis_cpu_ms_per_sec"),
                    ("worker CPU ms/s", "worker_cpu_ms_per_sec"),
                ],
                Kind::Aggregate { .. } => &[
                    ("Redis commands/group task", "redis_cmds_per_task"),
                    ("Lua script calls/group task", "redis_scripts_per_task"),
                    ("Redis CPU µs/group task", "redis_cpu_us_per_task"),
                    ("Redis CPU share of the run", "redis_cpu_share"),
                    ("worker CPU µs/group task", "worker_cpu_us_per_task"),
                    ("worker peak RSS MiB", "worker_peak_rss_mib"),
                ],
                _ => &[
                    ("Redis commands/task", "redis_cmds_per_task"),
                    ("Lua script calls/task", "redis_scripts_per_task"),
                    ("Redis CPU µs/task", "redis_cpu_us_per_task"),
                    ("worker CPU µs/task", "worker_cpu_us_per_task"),
                    ("worker peak RSS MiB", "worker_peak_rss_mib"),
                ],
            };
            for (name, field) in metrics {
                let rust = stats(runs, &case.label, "rust", field);
                let go = stats(runs, &case.label, "go", field);
                let _ = writeln!(
                    t,
                    "| {} | {name} | {} | {} | {} |",
                    case.label,
                    cell(rust, true),
                    cell(go, true),
                    ratio(rust, go)
                );
            }
        }
    }
    t
}
