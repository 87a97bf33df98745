//! `skelc refresh`: read every object back through its provider and record what changed
//! outside skel in state (no configuration change is applied).

use skel_runtime::PlanOptions;

use crate::cli::RefreshArgs;
use crate::exit::ExitStatus;
use crate::glue;
use crate::workdir::{self, DirUse};

pub fn run(args: RefreshArgs) -> anyhow::Result<ExitStatus> {
    let root = workdir::root_dir(&args.dir.get()?, "refresh", DirUse::Changes)?;
    let project = super::load(&root, Some(&args.vars), args.input.input)?;
    let registry = glue::registry();
    glue::runtime()?.block_on(async {
        let options = PlanOptions {
            destroy: false,
            refresh: true,
            variables: project.variables.clone(),
            ..Default::default()
        };
        let (locked, planned) =
            super::lock_and_plan(&project, &registry, "refresh", options, false).await?;
        super::plan::print_drift(&planned);
        if planned.drift.is_empty() {
            println!("No changes outside skel.");
            return Ok(ExitStatus::Success);
        }
        let mut state = planned.prior.clone();
        state.serial = locked.state.serial;
        locked.store.write(&locked.lock, &mut state)?;
        println!(
            "State updated with {} change(s) found outside skel.",
            planned.drift.len()
        );
        Ok(ExitStatus::Success)
    })
}
