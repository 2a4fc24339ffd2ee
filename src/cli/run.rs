//! `siyi-bridge run`.

/// Arguments of `siyi-bridge run`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `siyi-bridge run`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`siyi-bridge run` is not implemented yet")
}
