//! Fixture harness in the style of rust-analyzer: `//- /path` headers split files, `$0` marks
//! the cursor; files live in a `MemorySystem`.

mod edit;
mod nav;
mod plugins;
mod robust;

use std::path::Path;
use std::sync::Arc;

use skel_db::{Db, File, MemorySystem, SkelDatabase};
use skel_syntax::{TextRange, TextSize};

use crate::FilePosition;

pub(crate) struct Fixture {
    pub db: SkelDatabase,
    pub files: Vec<File>,
    pub position: Option<FilePosition>,
}

/// Remove the common indentation of a fixture's lines.
fn trim_indent(text: &str) -> String {
    let text = text.strip_prefix('\n').unwrap_or(text);
    let indent = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut out: String = text
        .lines()
        .map(|l| l.get(indent..).unwrap_or("").trim_end())
        .collect::<Vec<_>>()
        .join("\n");
    out.push('\n');
    out
}

pub(crate) fn fixture(text: &str) -> Fixture {
    let text = trim_indent(text);
    let mut chunks: Vec<(String, String)> = Vec::new();
    for line in text.split_inclusive('\n') {
        if let Some(path) = line.strip_prefix("//- ") {
            chunks.push((path.trim().to_string(), String::new()));
        } else {
            if chunks.is_empty() {
                chunks.push(("/main.skel".into(), String::new()));
            }
            chunks.last_mut().expect("one chunk").1.push_str(line);
        }
    }
    let system = MemorySystem::new();
    let mut cursor = None;
    for (path, content) in &mut chunks {
        if let Some(at) = content.find("$0") {
            content.replace_range(at..at + 2, "");
            cursor = Some((path.clone(), at as TextSize));
        }
        system.write(path.as_str(), content.as_str());
    }
    let db = SkelDatabase::new(Arc::new(system));
    let files: Vec<File> = chunks.iter().map(|(p, _)| db.file(Path::new(p))).collect();
    let position = cursor.map(|(path, offset)| FilePosition {
        file: db.file(Path::new(&path)),
        offset,
    });
    Fixture {
        db,
        files,
        position,
    }
}

impl Fixture {
    pub fn pos(&self) -> FilePosition {
        self.position.expect("the fixture has no $0")
    }

    pub fn path(&self, file: File) -> String {
        file.path(&self.db).display().to_string()
    }

    pub fn slice(&self, file: File, range: TextRange) -> String {
        let text = file.text(&self.db).clone().unwrap_or_default();
        text.get(range.as_usize_range())
            .unwrap_or("<bad range>")
            .to_string()
    }

    /// `path@start..end "text"`
    pub fn show(&self, file: File, range: TextRange) -> String {
        format!(
            "{}@{}..{} {:?}",
            self.path(file),
            range.start(),
            range.end(),
            self.slice(file, range)
        )
    }

    pub fn db(&self) -> &dyn Db {
        &self.db
    }
}
