//! The tower-lsp `LanguageServer`: document notifications go to the session actor in order;
//! requests take a snapshot from it and run on a blocking thread, where a salsa cancellation
//! (an edit arrived) answers `ContentModified` and a panic answers an internal error.

use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use tower_lsp::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp::lsp_types::*;
use tower_lsp::{Client, LanguageServer};

use crate::position::Encoding;
use crate::requests;
use crate::session::Event;
use crate::snapshot::{uri_to_path, Snapshot};

pub struct Backend {
    pub client: Client,
    pub events: mpsc::UnboundedSender<Event>,
    /// Set by `shutdown`: `exit` then ends the process with status 0.
    pub shut_down: Arc<AtomicBool>,
    /// The client accepts server-initiated work-done progress (`window.workDoneProgress`).
    pub progress: Arc<AtomicBool>,
}

fn internal_error(message: &str) -> Error {
    Error {
        code: ErrorCode::InternalError,
        message: message.to_string().into(),
        data: None,
    }
}

impl Backend {
    fn send(&self, event: Event) {
        // Fails only when the session thread is gone, after shutdown.
        let _ = self.events.send(event);
    }

    /// Run a read request on a fresh snapshot, on a blocking thread.
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Snapshot) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (reply, snapshot) = oneshot::channel();
        self.send(Event::Snapshot(reply));
        let snapshot = snapshot
            .await
            .map_err(|_| internal_error("the session has stopped"))?;
        let outcome = tokio::task::spawn_blocking(move || {
            // The snapshot is dropped on this thread when the closure returns.
            let snapshot = snapshot;
            guarded(|| f(&snapshot))
        })
        .await;
        outcome.unwrap_or_else(|_| Err(internal_error("the request's thread was lost")))
    }
}

/// Run a request: a salsa cancellation (an input changed meanwhile) answers `ContentModified`,
/// any other panic an internal error; neither takes the server down.
pub fn guarded<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
        salsa::Cancelled::catch(AssertUnwindSafe(f))
    }));
    match outcome {
        Ok(Ok(result)) => result,
        Ok(Err(_cancelled)) => Err(Error {
            code: ErrorCode::ContentModified,
            message: "the document changed while answering".into(),
            data: None,
        }),
        Err(_) => Err(internal_error(
            "skel hit an internal error answering this request (a bug)",
        )),
    }
}

fn workspace_roots(params: &InitializeParams) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = params
        .workspace_folders
        .iter()
        .flatten()
        .filter_map(|folder| uri_to_path(&folder.uri))
        .collect();
    if roots.is_empty() {
        #[allow(deprecated)] // still what many clients send
        roots.extend(params.root_uri.as_ref().and_then(uri_to_path));
    }
    roots
}

fn capabilities(encoding: Encoding) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(encoding.kind()),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..TextDocumentSyncOptions::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".into(), "\"".into()]),
            ..CompletionOptions::default()
        }),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: WorkDoneProgressOptions::default(),
        })),
        document_symbol_provider: Some(OneOf::Left(true)),
        workspace_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        semantic_tokens_provider: Some(SemanticTokensServerCapabilities::SemanticTokensOptions(
            SemanticTokensOptions {
                legend: requests::semantic_tokens::legend(),
                full: Some(SemanticTokensFullOptions::Bool(true)),
                range: None,
                ..SemanticTokensOptions::default()
            },
        )),
        inlay_hint_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..CodeActionOptions::default()
        })),
        ..ServerCapabilities::default()
    }
}

#[tower_lsp::async_trait]
impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let offered = params
            .capabilities
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.as_deref());
        let encoding = Encoding::negotiate(offered);
        let progress = params
            .capabilities
            .window
            .as_ref()
            .and_then(|w| w.work_done_progress)
            .unwrap_or(false);
        self.progress.store(progress, Ordering::SeqCst);
        self.send(Event::Initialize {
            roots: workspace_roots(&params),
            encoding,
        });
        Ok(InitializeResult {
            capabilities: capabilities(encoding),
            server_info: Some(ServerInfo {
                name: "skel".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        self.send(Event::Initialized);
        let watch = Registration {
            id: "skel-watch".into(),
            method: "workspace/didChangeWatchedFiles".into(),
            register_options: serde_json::to_value(DidChangeWatchedFilesRegistrationOptions {
                watchers: [
                    "**/*.skel",
                    "**/*.tf",
                    "**/*.tf.json",
                    "**/.skel/modules/modules.json",
                    "**/.skel.lock.hcl",
                    "**/.skel/providers/**/schema.json",
                ]
                .into_iter()
                .map(|glob| FileSystemWatcher {
                    glob_pattern: GlobPattern::String(glob.into()),
                    kind: None,
                })
                .collect(),
            })
            .ok(),
        };
        // Clients without dynamic registration answer with an error; nothing to do then.
        let client = self.client.clone();
        tokio::spawn(async move {
            let _ = client.register_capability(vec![watch]).await;
        });
    }

    async fn shutdown(&self) -> Result<()> {
        self.shut_down.store(true, Ordering::SeqCst);
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let doc = params.text_document;
        if let Some(path) = uri_to_path(&doc.uri) {
            self.send(Event::Open {
                path,
                text: doc.text,
                version: doc.version,
            });
        }
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        if let Some(path) = uri_to_path(&params.text_document.uri) {
            self.send(Event::Change {
                path,
                version: params.text_document.version,
                changes: params.content_changes,
            });
        }
    }

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        if let Some(path) = uri_to_path(&params.text_document.uri) {
            self.send(Event::Save { path });
        }
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        if let Some(path) = uri_to_path(&params.text_document.uri) {
            self.send(Event::Close { path });
        }
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        let changes = params
            .changes
            .into_iter()
            .filter_map(|c| Some((uri_to_path(&c.uri)?, c.typ)))
            .collect();
        self.send(Event::Disk(changes));
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        self.read(move |s| Ok(requests::hover::hover(s, params)))
            .await
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        self.read(move |s| Ok(requests::completion::completion(s, params)))
            .await
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        self.read(move |s| Ok(requests::navigation::definition(s, params)))
            .await
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        self.read(move |s| Ok(requests::navigation::references(s, params)))
            .await
    }

    async fn prepare_rename(
        &self,
        params: TextDocumentPositionParams,
    ) -> Result<Option<PrepareRenameResponse>> {
        self.read(move |s| requests::rename::prepare_rename(s, params))
            .await
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        self.read(move |s| requests::rename::rename(s, params))
            .await
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        self.read(move |s| Ok(requests::symbols::document_symbols(s, params)))
            .await
    }

    async fn symbol(
        &self,
        params: WorkspaceSymbolParams,
    ) -> Result<Option<Vec<SymbolInformation>>> {
        self.read(move |s| Ok(requests::symbols::workspace_symbols(s, params)))
            .await
    }

    async fn formatting(&self, params: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        self.read(move |s| Ok(requests::formatting::formatting(s, params)))
            .await
    }

    async fn semantic_tokens_full(
        &self,
        params: SemanticTokensParams,
    ) -> Result<Option<SemanticTokensResult>> {
        self.read(move |s| Ok(requests::semantic_tokens::semantic_tokens(s, params)))
            .await
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        self.read(move |s| Ok(requests::inlay_hints::inlay_hints(s, params)))
            .await
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        self.read(move |s| Ok(requests::code_actions::code_actions(s, params)))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_and_cancellations_become_error_responses() {
        assert_eq!(guarded(|| Ok(1)), Ok(1));
        let cancelled: Result<()> =
            guarded(|| std::panic::resume_unwind(Box::new(salsa::Cancelled::PendingWrite)));
        assert_eq!(cancelled.unwrap_err().code, ErrorCode::ContentModified);
        let panicked: Result<()> = guarded(|| panic!("a bug"));
        assert_eq!(panicked.unwrap_err().code, ErrorCode::InternalError);
    }
}
