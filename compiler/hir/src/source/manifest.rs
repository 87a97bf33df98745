//! The module manifest `skelc init` writes (`.skel/modules/modules.json` in the root module):
//! for each installed remote module call, its source, resolved version and commit, and where
//! it was put. Module calls resolve through it to the installed directories.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use skel_db::{Db, Directory, File};

/// Where the manifest and the installed modules live, relative to the root module.
pub const MODULES_DIR: &str = ".skel/modules";
/// The manifest's file name inside [`MODULES_DIR`].
pub const MANIFEST_FILE: &str = "modules.json";

/// The manifest: one entry per installed remote module call, in installation order.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub struct Manifest {
    pub modules: Vec<ManifestEntry>,
}

/// One installed module call.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// The call path from the root, names joined by `.` (`vpc.subnets`), as Terraform keys it.
    pub key: String,
    /// The calling module's directory relative to the root (`.` for the root).
    pub caller: String,
    /// The module call's name.
    pub name: String,
    /// The `source` as written.
    pub source: String,
    /// The `version` constraint as written (registry sources).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_constraint: Option<String>,
    /// The registry version chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The git commit checked out (git sources).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Where the package was downloaded, relative to the root.
    pub package: String,
    /// The module's directory (the package and its `//SUBDIR`), relative to the root.
    pub dir: String,
}

impl Manifest {
    pub fn parse(text: &str) -> Option<Manifest> {
        serde_json::from_str(text).ok()
    }

    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// The entry of call `name` made from the module in `caller` (relative to the root).
    pub fn entry(&self, caller: &str, name: &str) -> Option<&ManifestEntry> {
        self.modules
            .iter()
            .find(|e| e.caller == caller && e.name == name)
    }
}

/// The manifest's path for a root module.
pub fn manifest_path(root: &Path) -> PathBuf {
    root.join(MODULES_DIR).join(MANIFEST_FILE)
}

#[salsa::tracked(returns(clone))]
fn parsed_manifest(db: &dyn Db, file: File) -> Option<Arc<Manifest>> {
    file.text(db)
        .as_deref()
        .and_then(Manifest::parse)
        .map(Arc::new)
}

/// The manifest that governs modules called from `caller`, with the root directory it is
/// relative to: the nearest ancestor (or `caller` itself) that has one.
pub fn manifest_for(db: &dyn Db, caller: Directory) -> Option<(PathBuf, Arc<Manifest>)> {
    let path = caller.path(db).clone();
    for root in path.ancestors() {
        let file = db.file(&manifest_path(root));
        if file.text(db).is_some() {
            return parsed_manifest(db, file).map(|m| (root.to_path_buf(), m));
        }
    }
    None
}

/// `dir` relative to `root`, `.` for the root itself, with `/` separators.
pub fn relative_to(root: &Path, dir: &Path) -> Option<String> {
    let rel = dir.strip_prefix(root).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Some(if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    })
}

/// The manifest entry for call `name` in module `caller`, and the root it is relative to.
pub fn installed_module(
    db: &dyn Db,
    caller: Directory,
    name: &str,
) -> Option<(PathBuf, ManifestEntry)> {
    let (root, manifest) = manifest_for(db, caller)?;
    let rel = relative_to(&root, caller.path(db))?;
    let entry = manifest.entry(&rel, name)?.clone();
    Some((root, entry))
}
