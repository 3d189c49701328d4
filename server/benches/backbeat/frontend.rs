//! Front end: what a browser downloads before a page can hydrate, as a release would
//! ship it: the app's wasm built with the `wasm-release` profile (optimized for size),
//! and the JavaScript glue wasm-bindgen writes for it, each gzipped as a server or CDN
//! would send them.

use crate::bench::{Bench, run};
use anyhow::{Context, Result};
use flate2::{Compression, write::GzEncoder};
use std::io::Write as _;
use std::path::Path;
use std::process::Command;

/// The budget for the wasm and JS together, gzipped.
const BUDGET_KIB: f64 = 400.0;

pub fn size(bench: &mut Bench) -> Result<()> {
    println!("front end: release wasm and JS");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    run(Command::new(env!("CARGO"))
        .current_dir(&root)
        .env("SQLX_OFFLINE", "true")
        .args(["build", "--quiet", "-p", "app", "--lib", "--target", "wasm32-unknown-unknown"])
        .args(["--profile", "wasm-release", "--no-default-features", "--features", "hydrate"]))
    .context("building the release wasm")?;
    let wasm = root.join("target/wasm32-unknown-unknown/wasm-release/app.wasm");
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
        "gzip level 9, name section removed; no wasm-opt pass (not installed by setup)",
    );
    Ok(())
}

fn gzipped_kib(path: &Path) -> Result<f64> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let mut gz = GzEncoder::new(Vec::new(), Compression::best());
    gz.write_all(&bytes)?;
    Ok(gz.finish()?.len() as f64 / 1024.0)
}
