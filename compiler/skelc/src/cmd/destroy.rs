//! `skelc destroy`: plan the deletion of everything in state, confirm, apply.

use crate::cli::DestroyArgs;

pub fn run(args: DestroyArgs) -> anyhow::Result<u8> {
    let project = match super::load_or_exit(&args.dir, &args.vars) {
        Ok(p) => p,
        Err(code) => return code,
    };
    super::run::plan_and_apply(project, &args.apply, true)
}
