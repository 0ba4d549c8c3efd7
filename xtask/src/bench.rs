//! `cargo xtask bench [FILTER]`: runs the criterion benches of the top-level
//! `benches/` (the `nn-benches` package) and prints one line per bench that
//! ran: median time per iteration and, for benches that declare a
//! throughput in elements (samples), samples per second.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::step::{workspace_root, Step};

pub fn run(filter: Option<&str>) -> Result<(), String> {
    let started = SystemTime::now();
    let mut args = vec!["bench", "--package", "nn-benches", "--benches"];
    if let Some(f) = filter {
        args.extend(["--", f]);
    }
    crate::step::run_all("bench", &[Step::cargo("bench", &args)])?;

    let mut rows = Vec::new();
    collect(&criterion_dir(), started, &mut rows);
    if rows.is_empty() {
        return Err(format!(
            "no criterion results were written{}",
            filter
                .map(|f| format!(" (does `{f}` match any bench?)"))
                .unwrap_or_default()
        ));
    }
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    print_summary(&rows);
    Ok(())
}

/// One bench's result.
pub struct Row {
    pub id: String,
    pub median_ns: f64,
    pub elements: Option<f64>,
}

fn criterion_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    target.join("criterion")
}

/// Finds every `new/benchmark.json` under `dir` written after `since`.
fn collect(dir: &Path, since: SystemTime, rows: &mut Vec<Row>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, since, rows);
        } else if path.ends_with("new/benchmark.json") {
            let fresh = entry
                .metadata()
                .and_then(|m| m.modified())
                .map(|t| t >= since)
                .unwrap_or(false);
            if fresh {
                if let Some(row) = read_row(&path) {
                    rows.push(row);
                }
            }
        }
    }
}

fn read_row(benchmark_json: &Path) -> Option<Row> {
    let bench = std::fs::read_to_string(benchmark_json).ok()?;
    let estimates =
        std::fs::read_to_string(benchmark_json.with_file_name("estimates.json")).ok()?;
    Some(Row {
        id: json_string(&bench, "full_id")?,
        median_ns: json_number(&estimates, &["median", "point_estimate"])?,
        elements: json_number(&bench, &["throughput", "Elements"]),
    })
}

pub fn print_summary(rows: &[Row]) {
    let width = rows.iter().map(|r| r.id.len()).max().unwrap_or(0);
    println!(
        "\n{:width$}  {:>12}  {:>14}",
        "bench", "median", "samples/s"
    );
    for row in rows {
        let rate = row
            .elements
            .map(|n| format!("{:.0}", n / (row.median_ns * 1e-9)))
            .unwrap_or_else(|| "-".into());
        println!(
            "{:width$}  {:>12}  {:>14}",
            row.id,
            human_time(row.median_ns),
            rate
        );
    }
}

fn human_time(ns: f64) -> String {
    match ns {
        n if n < 1e3 => format!("{n:.1} ns"),
        n if n < 1e6 => format!("{:.2} µs", n / 1e3),
        n if n < 1e9 => format!("{:.2} ms", n / 1e6),
        n => format!("{:.3} s", n / 1e9),
    }
}

/// The string value of the first `"key":"..."` in `json` (criterion's ids
/// contain no escaped quotes).
fn json_string(json: &str, key: &str) -> Option<String> {
    let start = json.find(&format!("\"{key}\":\""))? + key.len() + 4;
    let len = json[start..].find('"')?;
    Some(json[start..start + len].to_string())
}

/// The number after the keys in `path`, each searched after the previous one:
/// enough for criterion's flat, machine-written files.
fn json_number(json: &str, path: &[&str]) -> Option<f64> {
    let mut at = 0;
    for key in path {
        at += json[at..].find(&format!("\"{key}\":"))? + key.len() + 3;
    }
    let rest = json[at..].trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E')))
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_criterion_files() {
        let bench =
            r#"{"group_id":"core","throughput":{"Elements":100},"full_id":"core/dot/100x784x50"}"#;
        let est = r#"{"mean":{"point_estimate":2.0},"median":{"confidence_interval":{"lower_bound":1.0},"point_estimate":158392.9,"standard_error":1.2}}"#;
        assert_eq!(
            json_string(bench, "full_id").as_deref(),
            Some("core/dot/100x784x50")
        );
        assert_eq!(json_number(bench, &["throughput", "Elements"]), Some(100.0));
        assert_eq!(
            json_number(est, &["median", "point_estimate"]),
            Some(158392.9)
        );
        assert_eq!(
            json_number(r#"{"throughput":null}"#, &["throughput", "Elements"]),
            None
        );
        assert_eq!(human_time(1500.0), "1.50 µs");
    }
}
