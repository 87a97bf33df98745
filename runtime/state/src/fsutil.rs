//! Small file-system helpers: private (0600) files, durable writes and directory fsync.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

use crate::StateError;

/// Mode of every file the store creates: they may hold secrets.
#[cfg(unix)]
pub(crate) const PRIVATE_MODE: u32 = 0o600;

/// Options that create a file readable and writable by its owner only.
pub(crate) fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(PRIVATE_MODE);
    }
    options
}

/// Force mode 0600 even when the umask or an existing file would leave other bits.
pub(crate) fn make_private(file: &File) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(PRIVATE_MODE))?;
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

/// Create `path` (which must not exist), write `bytes`, fsync. Removes the file on failure.
pub(crate) fn write_new_file(path: &Path, bytes: &[u8]) -> Result<(), StateError> {
    write_new_file_with(path, |w| w.write_all(bytes))
}

/// Create `path` (which must not exist), let `fill` write it through a buffer, fsync. Removes
/// the file on failure.
pub(crate) fn write_new_file_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), StateError> {
    let result = (|| {
        let file = private_options().write(true).create_new(true).open(path)?;
        make_private(&file)?;
        let mut buffered = io::BufWriter::with_capacity(64 * 1024, file);
        fill(&mut buffered)?;
        let file = buffered.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()
    })();
    result.map_err(|error| {
        let _ = fs::remove_file(path);
        StateError::Io {
            action: "write",
            path: path.to_path_buf(),
            error,
        }
    })
}

/// Make renames and creations inside `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StateError> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(StateError::io("sync the directory", dir))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// The file's bytes, or `None` when it does not exist.
pub(crate) fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, StateError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(StateError::Io {
            action: "read",
            path: path.to_path_buf(),
            error,
        }),
    }
}

/// Whether the open `file` is still the file at `path` (not removed or replaced since it was
/// opened).
pub(crate) fn is_same_file(file: &File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), fs::metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        path.exists()
    }
}
