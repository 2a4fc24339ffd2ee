//! `siyi-bridge camera`.

/// Arguments of `siyi-bridge camera`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `siyi-bridge camera`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`siyi-bridge camera` is not implemented yet")
}
