//! Benchmark (not a test): `cargo xtask lint` over 10,000 generated Prisma-style migrations,
//! as 10 services of 1,000 and as 1 service of 10,000 (the history replay is sequential per
//! service). Runs the release binary as a user would; reports the median wall time of 5 runs
//! and the peak resident memory.
//!
//! Run: `cargo bench -p xtask --bench lint`

use std::path::Path;
use std::process::Command;
use std::time::Instant;

const RUNS: usize = 5;

/// One migration as `prisma migrate dev` writes them, cycling through the usual changes.
fn migration(i: usize) -> String {
    let t = format!("model_{i}");
    let parent = format!("model_{}", i.saturating_sub(1));
    match i % 4 {
        0 => format!(
            "-- CreateTable\nCREATE TABLE \"{t}\" (\n    \"id\" TEXT NOT NULL,\n    \"parentId\" TEXT,\n    \"title\" VARCHAR(200) NOT NULL,\n    \"amount\" DECIMAL(18,8) NOT NULL DEFAULT 0,\n    \"createdAt\" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,\n    \"updatedAt\" TIMESTAMP(3) NOT NULL,\n\n    CONSTRAINT \"{t}_pkey\" PRIMARY KEY (\"id\")\n);\n\n-- CreateIndex\nCREATE INDEX \"{t}_parentId_idx\" ON \"{t}\"(\"parentId\");\n\n-- CreateIndex\nCREATE UNIQUE INDEX \"{t}_title_key\" ON \"{t}\"(\"title\");\n\n-- AddForeignKey\nALTER TABLE \"{t}\" ADD CONSTRAINT \"{t}_parentId_fkey\" FOREIGN KEY (\"parentId\") REFERENCES \"{parent}\"(\"id\") ON DELETE SET NULL ON UPDATE CASCADE;\n"
        ),
        1 => format!(
            "-- AlterTable\nALTER TABLE \"{parent}\" ADD COLUMN \"note_{i}\" TEXT,\nADD COLUMN \"count_{i}\" INTEGER NOT NULL DEFAULT 0;\n"
        ),
        2 => format!(
            "-- CreateIndex (edited: CONCURRENTLY)\nCREATE INDEX CONCURRENTLY \"{parent}_createdAt_{i}_idx\" ON \"{parent}\"(\"createdAt\");\n"
        ),
        _ => format!(
            "-- CreateEnum\nCREATE TYPE \"Status_{i}\" AS ENUM ('ACTIVE', 'INACTIVE');\n\n-- AlterTable\nALTER TABLE \"{parent}\" ADD COLUMN \"status_{i}\" \"Status_{i}\" NOT NULL DEFAULT 'ACTIVE';\n\n-- Backfill\nUPDATE \"{parent}\" SET \"status_{i}\" = 'INACTIVE' WHERE \"createdAt\" < '2020-01-01';\n"
        ),
    }
}

fn generate(root: &Path, services: usize, per_service: usize) -> usize {
    let mut bytes = 0;
    for s in 0..services {
        let dir = root.join(format!("services/svc_{s}/prisma/migrations"));
        for i in 0..per_service {
            // Increasing UTC timestamps, one minute apart, all in the past.
            let minutes = i as i64;
            let ts = chrono_like(minutes);
            let m = dir.join(format!("{ts}_change_{i}_of_svc_{s}"));
            std::fs::create_dir_all(&m).unwrap();
            let sql = migration(i);
            bytes += sql.len();
            std::fs::write(m.join("migration.sql"), sql).unwrap();
        }
        std::fs::write(
            dir.join("migration_lock.toml"),
            "provider = \"postgresql\"\n",
        )
        .unwrap();
    }
    bytes
}

/// 2020-01-01 00:00 plus `minutes`, as YYYYMMDDHHMMSS (days stay within 28-day months).
fn chrono_like(minutes: i64) -> String {
    let (h, m) = ((minutes / 60) % 24, minutes % 60);
    let days = minutes / 1440;
    let (month, day) = (days / 28 + 1, days % 28 + 1);
    format!("2020{month:02}{day:02}{h:02}{m:02}00")
}

/// Wall time and peak RSS (KiB) of one `xtask lint` run.
fn run(root: &Path) -> (f64, i64) {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("--root")
        .arg(root)
        .args(["lint", "--format", "json"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // wait4 gives this child's own peak RSS.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed().as_secs_f64();
    assert_eq!(waited, pid);
    let _ = child.try_wait();
    (wall, usage.ru_maxrss)
}

fn main() {
    for (services, per_service) in [(10, 1000), (1, 10_000)] {
        let dir = tempfile::tempdir().unwrap();
        let bytes = generate(dir.path(), services, per_service);
        run(dir.path()); // warm the page cache
        let mut walls = Vec::new();
        let mut peak = 0;
        for _ in 0..RUNS {
            let (wall, rss) = run(dir.path());
            walls.push(wall);
            peak = peak.max(rss);
        }
        walls.sort_by(f64::total_cmp);
        println!(
            "lint {services} x {per_service} migrations ({:.1} MB of SQL): median {:.0} ms (min {:.0}, max {:.0}) over {RUNS} runs, peak RSS {:.1} MB",
            bytes as f64 / 1e6,
            walls[RUNS / 2] * 1000.0,
            walls[0] * 1000.0,
            walls[RUNS - 1] * 1000.0,
            peak as f64 / 1024.0
        );
    }
}
