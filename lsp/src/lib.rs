//! The language server: tower-lsp glue around the compiler database, one session actor owning it.
//!
//! - [`session`]: the actor thread owning the mutable `SkelDatabase`; document events in order,
//!   diagnostics for the changed module and its callers.
//! - [`server`]: the tower-lsp handlers; read requests on snapshots on blocking threads.
//! - [`requests`]: one module per request, LSP types to and from `skel_ide`'s plain data.
//! - [`progress`]: sends the session's diagnostics in order, and reports the workspace's
//!   first check as work-done progress (its end: every file with diagnostics was published).
//! - [`diagnostics`], [`position`], [`system`], [`snapshot`]: conversions and the overlay file
//!   system that lets open buffers override the disk.

pub mod diagnostics;
pub mod position;
pub mod progress;
pub mod requests;
pub mod server;
pub mod session;
pub mod snapshot;
pub mod system;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::sync::{mpsc, oneshot};
use tower_lsp::jsonrpc::Request;
use tower_lsp::{LspService, Server};
use tower_service::Service;

/// Serve the language server protocol on stdin/stdout until the client says `exit`. Returns
/// whether `shutdown` came first (the exit status is 0 then, 1 otherwise).
pub fn run_stdio() -> anyhow::Result<bool> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let clean = runtime.block_on(async {
        let (events, events_rx) = mpsc::unbounded_channel();
        let (publish, publish_rx) = mpsc::unbounded_channel::<session::Outgoing>();
        session::spawn(events_rx, publish);
        let shut_down = Arc::new(AtomicBool::new(false));
        let flag = shut_down.clone();
        let progress = Arc::new(AtomicBool::new(false));
        let (service, socket) = LspService::new(|client| {
            // One task sends the notifications, so they reach the client in the actor's order.
            tokio::spawn(progress::forward(
                client.clone(),
                publish_rx,
                progress.clone(),
            ));
            server::Backend {
                client,
                events,
                shut_down: flag,
                progress,
            }
        });
        let (exit, exited) = oneshot::channel();
        let service = ExitWatch {
            inner: service,
            exit: Some(exit),
        };
        // tower-lsp 0.20 keeps reading stdin after `exit` (its serve loop only ends at EOF), so
        // `exit` itself ends the server.
        tokio::select! {
            () = Server::new(tokio::io::stdin(), tokio::io::stdout(), socket).serve(service) => {}
            _ = exited => {}
        }
        shut_down.load(Ordering::SeqCst)
    });
    // The session thread and the blocked stdin reader may still be running; the process ends
    // anyway, so do not wait for them.
    runtime.shutdown_background();
    Ok(clean)
}

/// Passes every message to the service and signals when the `exit` notification arrives.
struct ExitWatch<S> {
    inner: S,
    exit: Option<oneshot::Sender<()>>,
}

impl<S: Service<Request>> Service<Request> for ExitWatch<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let is_exit = request.method() == "exit";
        let future = self.inner.call(request);
        if is_exit {
            if let Some(exit) = self.exit.take() {
                let _ = exit.send(());
            }
        }
        future
    }
}
