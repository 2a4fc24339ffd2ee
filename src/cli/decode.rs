//! `siyi-bridge decode`.

/// Arguments of `siyi-bridge decode`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `siyi-bridge decode`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`siyi-bridge decode` is not implemented yet")
}
