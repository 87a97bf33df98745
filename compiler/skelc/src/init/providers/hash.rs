//! The lock file's package hashes, as Terraform computes them: `h1:` is the base64 SHA-256 of
//! the sorted lines `"<hex SHA-256 of the file>  <relative path>\n"` over a package's files (Go's
//! `dirhash` "Hash1"; the same over an unpacked directory as over the zip's entries), and `zh:`
//! the hex SHA-256 of the release zip.

use std::path::Path;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use skel_hir::provider_lock::SCHEMA_FILE;

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `zh:` of a zip's bytes.
pub fn zip_hash(bytes: &[u8]) -> String {
    format!("zh:{}", sha256_hex(bytes))
}

/// `h1:` of an unpacked package directory. The schema skel stores next to the plugin
/// (`schema.json` at the top) is not part of the package and is left out.
pub fn dir_hash(dir: &Path) -> std::io::Result<String> {
    let mut files = Vec::new();
    collect(dir, "", &mut files)?;
    files.retain(|(rel, _)| rel != SCHEMA_FILE);
    files.sort();
    let mut summary = String::new();
    for (rel, path) in &files {
        let bytes = std::fs::read(path)?;
        summary.push_str(&format!("{}  {rel}\n", sha256_hex(&bytes)));
    }
    let digest = Sha256::digest(summary.as_bytes());
    Ok(format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    ))
}

fn collect(
    dir: &Path,
    prefix: &str,
    out: &mut Vec<(String, std::path::PathBuf)>,
) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let kind = entry.file_type()?;
        if kind.is_dir() {
            collect(&entry.path(), &rel, out)?;
        } else {
            out.push((rel, entry.path()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash1_of_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("b"), "bee").unwrap();
        std::fs::write(dir.path().join("sub/a"), "a").unwrap();
        std::fs::write(dir.path().join(SCHEMA_FILE), "{}").unwrap();
        // The summary Go's dirhash.Hash1 builds: sorted "sha  name\n" lines.
        let summary = format!("{}  b\n{}  sub/a\n", sha256_hex(b"bee"), sha256_hex(b"a"));
        let want = format!(
            "h1:{}",
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(summary.as_bytes()))
        );
        assert_eq!(dir_hash(dir.path()).unwrap(), want);
        assert_eq!(
            zip_hash(b""),
            "zh:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
