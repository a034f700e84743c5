//! The asset and machine commands: `info` and `fetch`.

use std::io::{IsTerminal as _, Write};
use std::process::ExitCode;

use crate::assets::{Cache, FetchProgress, FetchStage, Manifest, fetch_asset};
use crate::backend::{self, BackendRequest};

pub(super) fn info(request: BackendRequest) {
    let chosen = backend::detect(request);
    println!("compute backend: {}", chosen.label());
    println!("why:             {}", chosen.reason);
    if chosen.adapters.is_empty() {
        println!("wgpu adapters:   none");
    }
    for adapter in &chosen.adapters {
        println!("wgpu adapter:    {adapter}");
        println!(
            "  limits:        buffer {} MiB, storage binding {} MiB, texture side {} px",
            adapter.max_buffer_bytes >> 20,
            adapter.max_storage_binding_bytes >> 20,
            adapter.max_texture_side
        );
    }
    if let Some(adapter) = &chosen.adapter {
        println!("graphics API:    {}", adapter.api);
        println!(
            "compute kernels: {} (burn's wgpu backend)",
            backend::COMPUTE_COMPILER
        );
    }
    let cache = Cache::user();
    let manifest = Manifest::bundled();
    println!("asset cache:     {}", cache.root().display());
    println!(
        "kernel cache:    {} (burn's compiled wgpu kernels and autotune results)",
        backend::kernel_cache_folder().display()
    );
    for asset in &manifest.assets {
        let state = if cache.is_ready(asset) {
            "ready"
        } else {
            "not fetched"
        };
        println!("  {:<13} {:<12} {}", asset.id, state, asset.title);
    }
}

pub(super) fn fetch(ids: &[String], force: bool) -> ExitCode {
    let cache = Cache::user();
    let manifest = Manifest::bundled();
    for id in ids {
        if manifest.get(id).is_none() {
            eprintln!("error: unknown asset `{id}`");
            return ExitCode::FAILURE;
        }
    }
    let selected: Vec<_> = manifest
        .assets
        .iter()
        .filter(|a| ids.is_empty() || ids.contains(&a.id))
        .collect();
    println!("asset cache: {}", cache.root().display());
    let mut failed = 0;
    // A terminal gets one redrawn bar; a log or a pipe a plain line per stage.
    let terminal = std::io::stdout().is_terminal();
    let mut shown = None;
    for asset in &selected {
        if !force && cache.is_ready(asset) {
            println!("{:<13} ready (verified)", asset.id);
            continue;
        }
        let result = fetch_asset(&cache, asset, &mut |p| {
            if terminal {
                print_progress(&p);
            } else if p.stage != FetchStage::Ready
                && shown.as_ref() != Some(&(p.asset.clone(), p.stage))
            {
                println!("{:<13} {} {}", p.asset, p.stage.label(), p.detail);
                shown = Some((p.asset.clone(), p.stage));
            }
            true
        });
        match result {
            Ok(()) if terminal => println!("\r{:<13} ready (verified){:40}", asset.id, ""),
            Ok(()) => println!("{:<13} ready (verified)", asset.id),
            Err(err) => {
                failed += 1;
                println!();
                eprintln!("{:<13} FAILED: {err}", asset.id);
            }
        }
    }
    println!(
        "{}/{} assets verified in {}",
        selected.len() - failed,
        selected.len(),
        cache.root().display()
    );
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn print_progress(progress: &FetchProgress) {
    const WIDTH: usize = 30;
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_precision_loss,
        clippy::cast_sign_loss,
        reason = "a 0..=30 bar"
    )]
    let filled = ((progress.fraction.clamp(0.0, 1.0) * WIDTH as f32) as usize).min(WIDTH);
    let bar = format!("{}{}", "#".repeat(filled), "-".repeat(WIDTH - filled));
    let detail: String = progress.detail.chars().take(48).collect();
    if progress.stage != FetchStage::Ready {
        print!(
            "\r{:<13} {:<11} [{bar}] {detail:<48}",
            progress.asset,
            progress.stage.label()
        );
        let _ = std::io::stdout().flush();
    }
}
