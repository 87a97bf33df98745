//! A read-only view of the session for one request: a database clone plus what the request
//! needs to convert between LSP and compiler positions. Dropped when the request is answered,
//! so the session actor's next input change does not wait on it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use skel_db::{Db, File, SkelDatabase};
use skel_ide::{FilePosition, SourceChange};
use skel_syntax::TextRange;
use tower_lsp::lsp_types::{Location, Position, TextEdit, Url, WorkspaceEdit};

use crate::position::{Encoding, Lines};

pub struct Snapshot {
    pub db: SkelDatabase,
    pub encoding: Encoding,
    /// The module directories the session knows (under the workspace roots, or with open files).
    pub known_dirs: Arc<[PathBuf]>,
}

/// The absolute, lexically normalized path of a `file:` URI.
pub fn uri_to_path(uri: &Url) -> Option<PathBuf> {
    if uri.scheme() != "file" {
        return None;
    }
    let path = uri.to_file_path().ok()?;
    Some(skel_hir::normalize_path(&path))
}

pub fn path_to_uri(path: &Path) -> Option<Url> {
    Url::from_file_path(path).ok()
}

/// Text and line index of a file as the database sees it.
pub fn file_lines(db: &dyn Db, file: File, encoding: Encoding) -> Lines {
    Lines {
        index: skel_db::line_index(db, file).clone(),
        text: file.text(db).clone().unwrap_or_else(|| Arc::from("")),
        encoding,
    }
}

impl Snapshot {
    pub fn file(&self, uri: &Url) -> Option<File> {
        let path = uri_to_path(uri)?;
        Some(self.db.file(&path))
    }

    pub fn lines(&self, file: File) -> Lines {
        file_lines(&self.db, file, self.encoding)
    }

    pub fn position(&self, uri: &Url, position: Position) -> Option<FilePosition> {
        let file = self.file(uri)?;
        let offset = self.lines(file).offset(position);
        Some(FilePosition { file, offset })
    }

    pub fn uri(&self, file: File) -> Option<Url> {
        path_to_uri(file.path(&self.db))
    }

    pub fn location(&self, file: File, range: TextRange) -> Option<Location> {
        Some(Location {
            uri: self.uri(file)?,
            range: self.lines(file).range(range),
        })
    }

    pub fn text_edits(&self, file: File, edits: &[skel_ide::TextEdit]) -> Vec<TextEdit> {
        let lines = self.lines(file);
        edits
            .iter()
            .map(|e| TextEdit {
                range: lines.range(e.range),
                new_text: e.new_text.clone(),
            })
            .collect()
    }

    pub fn workspace_edit(&self, change: &SourceChange) -> WorkspaceEdit {
        let mut changes = std::collections::HashMap::new();
        for (file, edits) in &change.edits {
            if let Some(uri) = self.uri(*file) {
                changes
                    .entry(uri)
                    .or_insert_with(Vec::new)
                    .extend(self.text_edits(*file, edits));
            }
        }
        WorkspaceEdit {
            changes: Some(changes),
            ..WorkspaceEdit::default()
        }
    }

    /// Every `.skel` file of the known modules.
    pub fn workspace_files(&self) -> Vec<File> {
        let mut files = Vec::new();
        for path in self.known_dirs.iter() {
            let dir = self.db.directory(path);
            files.extend(skel_hir::module_index(&self.db, dir).files.iter().copied());
        }
        files
    }
}
