//! `skelc force-unlock ID`: remove a lock left behind, after checking its id.

use crate::cli::UnlockArgs;
use crate::exit::ExitStatus;
use crate::workdir::{self, DirUse};

pub fn run(args: UnlockArgs) -> anyhow::Result<ExitStatus> {
    let dir = workdir::root_dir(&args.dir.get()?, "force-unlock", DirUse::Changes)?;
    let store = skel_state::StateStore::open(&dir)?;
    let info = store.force_unlock(&args.id)?;
    println!(
        "Unlocked the state (lock {} held by {} for `{}`, pid {}).",
        info.id, info.who, info.operation, info.pid
    );
    Ok(ExitStatus::Success)
}
