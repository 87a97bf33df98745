//! `skelc refresh`: read every object back through its provider and record what changed
//! outside skel in state (no configuration change is applied).

use skel_runtime::PlanOptions;

use crate::cli::RefreshArgs;
use crate::glue;

pub fn run(args: RefreshArgs) -> anyhow::Result<u8> {
    let project = match super::load_or_exit(&args.dir, &args.vars) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let registry = glue::registry();
    glue::runtime()?.block_on(async {
        let options = PlanOptions {
            destroy: false,
            refresh: true,
            variables: project.variables.clone(),
        };
        let (locked, planned) =
            match super::lock_and_plan(&project, &registry, "refresh", options, false).await? {
                Ok(x) => x,
                Err(code) => return Ok(code),
            };
        super::plan::print_drift(&planned);
        if planned.drift.is_empty() {
            println!("No changes outside skel.");
            return Ok(0);
        }
        let mut state = planned.prior.clone();
        state.serial = locked.state.serial;
        locked.store.write(&locked.lock, &mut state)?;
        println!(
            "State updated with {} change(s) found outside skel.",
            planned.drift.len()
        );
        Ok(0)
    })
}
