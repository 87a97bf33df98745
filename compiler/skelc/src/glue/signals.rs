//! Ctrl-C during a run (the first also sends the provider plugins `StopProvider`, the second
//! kills them).

use std::sync::Arc;

use skel_runtime::Cancel;

/// Ctrl-C: the first stops new operations, the second exits at once (the journal stays
/// consistent: every call it has an intent for is reconciled by the next command).
pub fn install_ctrl_c(cancel: Arc<Cancel>) {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\nInterrupt received: starting nothing new, waiting for operations in flight to finish (Ctrl-C again to stop now)…");
            cancel.request();
            // As Terraform does: the plugins are asked to stop what they are doing (beside
            // waiting for a second Ctrl-C).
            tokio::spawn(async {
                let stopped = super::registry::request_plugin_stop().await;
                if stopped > 0 {
                    eprintln!("Asked {stopped} provider plugin(s) to stop (StopProvider).");
                }
            });
            if tokio::signal::ctrl_c().await.is_ok() {
                super::kill_plugins();
                eprintln!("Stopped. The next command will reconcile the journal.");
                std::process::exit(crate::exit::ExitStatus::Interrupted.code().into());
            }
        }
    });
}
