//! Front end: what a browser downloads before a page can hydrate, as a release would
//! ship it: the app's wasm built with the `wasm-release` profile (optimized for size),
//! and the JavaScript glue wasm-bindgen writes for it, each gzipped as a server or CDN
//! would send them.

use crate::bench::{Bench, run};
use anyhow::{Context, Result};
use flate2::{Compression, write::GzEncoder};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The budget for the wasm and JS together, gzipped.
const BUDGET_KIB: f64 = 400.0;

/// Builds the release front end, records its gzipped size, and lays it out as a site
/// (pkg/ beside the public files) for `backbeat serve`; returns the site's folder.
pub fn size(bench: &mut Bench) -> Result<PathBuf> {
    println!("front end: release wasm and JS");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    run(Command::new(env!("CARGO"))
        .current_dir(&root)
        .env("SQLX_OFFLINE", "true")
        .args(["build", "--quiet", "-p", "app", "--lib", "--target", "wasm32-unknown-unknown"])
        .args(["--profile", "wasm-release", "--no-default-features", "--features", "hydrate"]))
    .context("building the release wasm")?;
    // Where cargo put it: CARGO_TARGET_DIR when set (a worktree sharing a build).
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(|dir| root.join(dir))
        .unwrap_or_else(|| root.join("target"));
    let wasm = target.join("wasm32-unknown-unknown/wasm-release/app.wasm");
    let out = bench.dir.join("site-pkg");
    run(Command::new("wasm-bindgen")
        // Function names are 7 MB of the module; a browser needs none of them.
        .args(["--target", "web", "--no-typescript", "--remove-name-section"])
        .args(["--out-name", "backbeat", "--out-dir"])
        .arg(&out)
        .arg(&wasm))
    .context("wasm-bindgen")?;
    let wasm = gzipped_kib(&out.join("backbeat_bg.wasm"))?;
    let js = gzipped_kib(&out.join("backbeat.js"))?;
    bench.record("front end", "release wasm (wasm-release profile)", "gzipped", "KiB", vec![wasm]);
    bench.record("front end", "JavaScript glue (wasm-bindgen)", "gzipped", "KiB", vec![js]);
    let total = wasm + js;
    bench.verdict(
        "front end: release wasm and JS, gzipped",
        &format!("< {BUDGET_KIB:.0} KiB"),
        format!("{total:.0} KiB"),
        total < BUDGET_KIB,
        "gzip level 9, name section removed, components erased; no wasm-opt (its -Oz gzips larger)",
    );
    site(&root, &out, &bench.dir.join("site"))
}

/// `make site`'s layout with the release wasm: what the benchmarks' server serves.
fn site(root: &Path, pkg: &Path, site: &Path) -> Result<PathBuf> {
    let _ = std::fs::remove_dir_all(site);
    std::fs::create_dir_all(site.join("pkg"))?;
    for name in ["backbeat.js", "backbeat_bg.wasm"] {
        std::fs::copy(pkg.join(name), site.join("pkg").join(name))?;
    }
    std::fs::copy(root.join("style/main.css"), site.join("pkg/backbeat.css"))?;
    for entry in std::fs::read_dir(root.join("public"))? {
        let entry = entry?;
        std::fs::copy(entry.path(), site.join(entry.file_name()))?;
    }
    Ok(site.to_path_buf())
}

/// Time to interactive of the artist overview in headless Chromium on localhost: from
/// navigation start until the page is hydrated (the app marks the body), each run in a
/// fresh browser context so nothing is cached. Playwright drives it: the script lives in
/// end2end/, where Node resolves its packages from.
pub fn time_to_interactive(bench: &mut Bench, address: &str, email: &str) -> Result<()> {
    println!("front end: time to interactive of the artist overview");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let script = root.join("end2end/time-to-interactive.mjs");
    let output = run(Command::new("node")
        .current_dir(root.join("end2end"))
        .arg(&script)
        .args([address, email, server::generate::catalog::PASSWORD])
        .arg(bench.scale.runs.max(3).to_string()))
    .context("measuring time to interactive (needs `make setup-test`'s Playwright)")?;
    let samples: Vec<f64> = output
        .lines()
        .filter_map(|l| l.strip_prefix("tti-ms "))
        .map(|v| v.trim().parse())
        .collect::<Result<_, _>>()
        .context("reading the script's timings")?;
    if samples.is_empty() {
        anyhow::bail!("the time-to-interactive script measured nothing:\n{output}");
    }
    let name = "artist overview in headless Chromium, empty cache, localhost";
    bench.record("front end", name, "time to interactive", "ms", samples);
    Ok(())
}

fn gzipped_kib(path: &Path) -> Result<f64> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let mut gz = GzEncoder::new(Vec::new(), Compression::best());
    gz.write_all(&bytes)?;
    Ok(gz.finish()?.len() as f64 / 1024.0)
}
