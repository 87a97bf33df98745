//! Evaluating a long chain of locals does not recurse once per link: a chain of 10,000 locals
//! that starts at a resource's id (unknown while planning, so the whole chain is evaluated again
//! once the resource is created) plans and applies on a thread with a 1 MiB stack, where a
//! recursive evaluation overflows.

mod common;

use std::sync::Arc;

use common::{config, null_registry, NoSink};
use skel_plan_ir::State;
use skel_runtime::{apply, plan, ApplyOptions, PlanOptions, Silent};

#[test]
fn a_chain_of_ten_thousand_locals_applies_on_a_small_stack() {
    let n = 10_000;
    // Declared last link first, so evaluating them in source order starts at the far end.
    let mut text = String::from("locals {\n");
    for i in (1..n).rev() {
        text.push_str(&format!("  l{i} = local.l{} + 1\n", i - 1));
    }
    text.push_str(
        r#"  l0 = length(null_resource.a.id)
}

resource "null_resource" "a" {}

resource "null_resource" "b" {
  triggers = { n = local.l9999 }
}

output "last" {
  value = local.l9999
}
"#,
    );
    // Checked on a thread of its own with a large stack: the checker is not what this test is
    // about.
    let config = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || config(&text))
        .unwrap()
        .join()
        .unwrap();
    let report = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let registry = null_registry();
                let planned = plan(
                    config,
                    &State::new("l"),
                    &registry,
                    &PlanOptions::default(),
                    &Silent,
                )
                .await
                .map_err(|e| e.to_string())?;
                let report = apply(
                    planned,
                    &registry,
                    Arc::new(NoSink),
                    Arc::new(Silent),
                    ApplyOptions::default(),
                )
                .await;
                Ok::<_, String>(report)
            })
        })
        .unwrap()
        .join()
        .expect("the thread did not crash")
        .expect("plans");
    assert!(report.errors.0.is_empty(), "{}", report.errors);
    // The id of the first object is "0": length 1, plus 9,999.
    let last = report.state.outputs.get("last").map(|o| o.value.clone());
    assert_eq!(last, Some(serde_json::json!(10_000)));
    assert_eq!(report.state.resources.len(), 2);
}
