//! `siyi-bridge replay`.

/// Arguments of `siyi-bridge replay`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `siyi-bridge replay`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("`siyi-bridge replay` is not implemented yet")
}
