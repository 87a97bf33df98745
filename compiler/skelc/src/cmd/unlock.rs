//! `skelc force-unlock ID`: remove a lock left behind, after checking its id and asking for
//! confirmation (`--force` skips it).

use std::io::{BufRead, IsTerminal, Write};

use crate::cli::UnlockArgs;
use crate::exit::ExitStatus;
use crate::workdir::{self, DirUse};

pub fn run(args: UnlockArgs) -> anyhow::Result<ExitStatus> {
    let dir = workdir::root_dir(&args.dir.get()?, "force-unlock", DirUse::Changes)?;
    let store = crate::encryption::store_in(&dir, &Default::default())?;
    if !args.force {
        if !std::io::stdin().is_terminal() {
            return Err(workdir::hinted(
                "standard input is not a terminal, so the force-unlock cannot be confirmed",
                "pass --force to remove the lock without asking",
            ));
        }
        print!(
            "Remove the lock {} of {}? A run still holding it could then write over another \
             run's changes. Only 'yes' is accepted: ",
            args.id,
            store.location().display()
        );
        std::io::stdout().flush()?;
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        if line.trim() != "yes" {
            println!("Force-unlock cancelled; the lock is still held.");
            return Ok(ExitStatus::Errors);
        }
    }
    let info = store.force_unlock(&args.id)?;
    println!(
        "Unlocked the state (lock {} held by {} for `{}`, pid {}).",
        info.id, info.who, info.operation, info.pid
    );
    Ok(ExitStatus::Success)
}
