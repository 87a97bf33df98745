//! `skelc destroy`: plan the deletion of everything in state, confirm, apply.

use crate::cli::DestroyArgs;
use crate::workdir::{self, DirUse};

pub fn run(args: DestroyArgs) -> anyhow::Result<u8> {
    let root = workdir::root_dir(&args.dir.get()?, "destroy", DirUse::Changes)?;
    let project = match super::load_or_exit(&root, Some(&args.vars), args.apply.input.input) {
        Ok(p) => p,
        Err(code) => return code,
    };
    super::run::plan_and_apply(project, &args.apply, true)
}
