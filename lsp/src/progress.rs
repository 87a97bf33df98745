//! Sends what the session produces to the client, in the session's order: diagnostics, and the
//! workspace's first check as work-done progress (`window/workDoneProgress/create`, then
//! `$/progress` begin, reports at most ten times a second, and end), when the client accepts
//! it. The end tells the client (and `bench/lsp/driver.py`) that the first check is complete:
//! clean files nobody opened are not published, so without it a client could not tell "clean"
//! from "not checked yet".

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tower_lsp::lsp_types::notification::Progress;
use tower_lsp::lsp_types::request::WorkDoneProgressCreate;
use tower_lsp::lsp_types::*;
use tower_lsp::Client;

use crate::session::Outgoing;

/// The token of the first check's progress.
pub const FIRST_CHECK: &str = "skel/first-check";

/// How long to wait for the client to accept the progress token before going on without it
/// (diagnostics wait behind it).
const CREATE_TIMEOUT: Duration = Duration::from_secs(5);

/// Forward the session's messages until it stops. `accepted`: the client's
/// `window.workDoneProgress`, set by `initialize` (read when the first check starts).
pub async fn forward(
    client: Client,
    mut outgoing: mpsc::UnboundedReceiver<Outgoing>,
    accepted: Arc<AtomicBool>,
) {
    let token = NumberOrString::String(FIRST_CHECK.into());
    let mut reporting = false;
    while let Some(message) = outgoing.recv().await {
        match message {
            Outgoing::Diagnostics(p) => {
                client
                    .publish_diagnostics(p.uri, p.diagnostics, p.version)
                    .await;
            }
            Outgoing::CheckStarted { modules } => {
                if !accepted.load(Ordering::SeqCst) {
                    continue;
                }
                let create =
                    client.send_request::<WorkDoneProgressCreate>(WorkDoneProgressCreateParams {
                        token: token.clone(),
                    });
                // A client that refuses the token, or never answers, gets no progress.
                reporting = matches!(
                    tokio::time::timeout(CREATE_TIMEOUT, create).await,
                    Ok(Ok(()))
                );
                if reporting {
                    let begin = WorkDoneProgressBegin {
                        title: "skel: checking the workspace".into(),
                        cancellable: Some(false),
                        message: Some(format!("{modules} modules")),
                        percentage: Some(0),
                    };
                    send(&client, &token, WorkDoneProgress::Begin(begin)).await;
                }
            }
            Outgoing::CheckProgress { checked, modules } => {
                if reporting {
                    let report = WorkDoneProgressReport {
                        cancellable: Some(false),
                        message: Some(format!("{checked} of {modules} modules")),
                        percentage: Some(percent(checked, modules)),
                    };
                    send(&client, &token, WorkDoneProgress::Report(report)).await;
                }
            }
            Outgoing::CheckDone {
                modules,
                files_with_diagnostics,
            } => {
                if !std::mem::take(&mut reporting) {
                    continue;
                }
                let files = match files_with_diagnostics {
                    1 => "1 file".to_string(),
                    n => format!("{n} files"),
                };
                let end = WorkDoneProgressEnd {
                    message: Some(format!(
                        "{modules} modules checked, {files} with diagnostics"
                    )),
                };
                send(&client, &token, WorkDoneProgress::End(end)).await;
            }
        }
    }
}

/// `checked` of `modules` as a whole percentage, 0 to 100.
fn percent(checked: usize, modules: usize) -> u32 {
    let share = checked.min(modules) * 100 / modules.max(1);
    u32::try_from(share).unwrap_or(100)
}

async fn send(client: &Client, token: &NumberOrString, value: WorkDoneProgress) {
    client
        .send_notification::<Progress>(ProgressParams {
            token: token.clone(),
            value: ProgressParamsValue::WorkDone(value),
        })
        .await;
}

#[cfg(test)]
mod tests {
    use super::percent;

    #[test]
    fn percentages_stay_between_0_and_100() {
        assert_eq!(percent(0, 2000), 0);
        assert_eq!(percent(999, 2000), 49);
        assert_eq!(percent(2000, 2000), 100);
        assert_eq!(percent(2500, 2000), 100);
        assert_eq!(percent(0, 0), 0);
    }
}
