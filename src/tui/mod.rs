//! The terminal UI (issue 3).

use crate::cli::Common;

pub fn run(_c: &Common) -> anyhow::Result<()> {
    anyhow::bail!("the terminal UI is not built yet; use `meshtcp report`")
}
