//! `siyi-bridge sim`.

/// Arguments of `siyi-bridge sim`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `siyi-bridge sim`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`siyi-bridge sim` is not implemented yet")
}
