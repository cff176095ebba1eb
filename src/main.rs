//! The native `apiary` command: the same engine as the page, on files.

#[cfg(not(target_arch = "wasm32"))]
mod cli;

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    apiary::ingest::parquet::quiet_decoder_panics();
    std::process::exit(cli::main());
}

#[cfg(target_arch = "wasm32")]
fn main() {}
