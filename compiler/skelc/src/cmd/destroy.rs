//! `skelc destroy`: plan the deletion of everything in state, confirm, apply.

use crate::cli::DestroyArgs;
use crate::exit::ExitStatus;
use crate::workdir::{self, DirUse};

pub fn run(args: DestroyArgs) -> anyhow::Result<ExitStatus> {
    let root = workdir::root_dir(&args.dir.get()?, "destroy", DirUse::Changes)?;
    let project = super::load(&root, Some(&args.vars), args.apply.input.input)?;
    super::run::plan_and_apply(project, &args.apply, true)
}
