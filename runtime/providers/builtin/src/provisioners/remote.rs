//! `file` and `remote-exec`: upload files and run commands over an SSH [`Session`].
//!
//! Files are written with `cat` on the remote side (any POSIX host has it; no SFTP subsystem
//! or `scp` binary is needed). A `source` directory ending in `/` uploads its contents into
//! `destination`; without the slash the directory itself is created inside `destination`, as
//! Terraform does. Inline commands run as one `/bin/sh` script that starts with `set -e`, so
//! the first failing command fails the provisioner.

use std::path::{Path, PathBuf};

use rand::RngExt;
use skel_provider::ProviderError;
use skel_value::Value;

use super::ssh::{Connection, ExecResult, Session};
use super::{string_arg, strings_arg};

/// Quotes a string for a POSIX shell.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn failed(kind: &str, session: &Session, what: &str, result: &ExecResult) -> ProviderError {
    ProviderError::Provisioner(format!(
        "{kind} on {}: {what} {}.{}",
        session.target(),
        result.describe(),
        result.stderr_tail
    ))
}

/// Runs a command that must succeed.
async fn must_run(
    kind: &str,
    session: &Session,
    what: &str,
    command: &str,
    stdin: Option<&[u8]>,
    output: &mut (dyn FnMut(&str) + Send),
) -> Result<(), ProviderError> {
    let result = session.exec(command, stdin, output).await?;
    if result.success() {
        Ok(())
    } else {
        Err(failed(kind, session, what, &result))
    }
}

/// Uploads `bytes` to `path`; when `into_dir_name` is given and `path` is a directory on the
/// remote side, the file is written inside it under that name.
async fn upload_bytes(
    session: &Session,
    bytes: &[u8],
    path: &str,
    into_dir_name: Option<&str>,
    output: &mut (dyn FnMut(&str) + Send),
) -> Result<(), ProviderError> {
    let dest = sh_quote(path);
    let command = match into_dir_name {
        Some(name) => format!(
            "if [ -d {dest} ]; then cat > {dest}/{}; else cat > {dest}; fi",
            sh_quote(name)
        ),
        None => format!("cat > {dest}"),
    };
    must_run(
        "file",
        session,
        &format!("writing `{path}`"),
        &command,
        Some(bytes),
        output,
    )
    .await
}

fn local_error(path: &Path, e: &std::io::Error) -> ProviderError {
    ProviderError::Provisioner(format!(
        "file: could not read the local `{}`: {e}.",
        path.display()
    ))
}

/// Uploads the local directory `dir` to the remote directory `dest` (created if missing).
async fn upload_dir(
    session: &Session,
    dir: &Path,
    dest: &str,
    output: &mut (dyn FnMut(&str) + Send),
) -> Result<(), ProviderError> {
    let mut pending: Vec<(PathBuf, String)> = vec![(dir.to_path_buf(), dest.to_string())];
    while let Some((local, remote)) = pending.pop() {
        must_run(
            "file",
            session,
            &format!("creating the directory `{remote}`"),
            &format!("mkdir -p {}", sh_quote(&remote)),
            None,
            output,
        )
        .await?;
        let mut entries = tokio::fs::read_dir(&local)
            .await
            .map_err(|e| local_error(&local, &e))?;
        let mut children = Vec::new();
        while let Some(entry) = entries
            .next_entry()
            .await
            .map_err(|e| local_error(&local, &e))?
        {
            children.push(entry.path());
        }
        children.sort();
        for child in children {
            let name = child
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let remote_child = format!("{}/{name}", remote.trim_end_matches('/'));
            let meta = tokio::fs::metadata(&child)
                .await
                .map_err(|e| local_error(&child, &e))?;
            if meta.is_dir() {
                pending.push((child, remote_child));
            } else {
                let bytes = tokio::fs::read(&child)
                    .await
                    .map_err(|e| local_error(&child, &e))?;
                upload_bytes(session, &bytes, &remote_child, None, output).await?;
            }
        }
    }
    Ok(())
}

/// The `file` provisioner.
pub(super) async fn file(
    args: &Value,
    conn: &Connection,
    output: &mut (dyn FnMut(&str) + Send),
) -> Result<(), ProviderError> {
    let Some(destination) = string_arg(args, "destination") else {
        return Err(ProviderError::InvalidConfig(
            "file: `destination` must be set.".into(),
        ));
    };
    let source = string_arg(args, "source");
    let content = string_arg(args, "content");
    let source = match (source, content) {
        (Some(_), Some(_)) => {
            return Err(ProviderError::InvalidConfig(
                "file: set only one of `source` and `content`.".into(),
            ))
        }
        (None, None) => {
            return Err(ProviderError::InvalidConfig(
                "file: one of `source` and `content` must be set.".into(),
            ))
        }
        (s, _) => s,
    };
    // Check the local side before connecting.
    let source_meta = match source {
        Some(s) => Some(
            tokio::fs::metadata(s)
                .await
                .map_err(|e| local_error(Path::new(s), &e))?,
        ),
        None => None,
    };
    let session = Session::connect(conn).await?;
    if let Some(warning) = &session.warning {
        output(warning);
    }
    let result = match (source, source_meta) {
        (Some(src), Some(meta)) if meta.is_dir() => {
            let path = Path::new(src);
            let dest = if src.ends_with('/') {
                destination.to_string()
            } else {
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                format!("{}/{name}", destination.trim_end_matches('/'))
            };
            upload_dir(&session, path, &dest, output).await
        }
        (Some(src), _) => {
            let path = Path::new(src);
            match tokio::fs::read(path).await {
                Ok(bytes) => {
                    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
                    upload_bytes(&session, &bytes, destination, name.as_deref(), output).await
                }
                Err(e) => Err(local_error(path, &e)),
            }
        }
        (None, _) => {
            let bytes = content.unwrap_or_default().as_bytes();
            upload_bytes(&session, bytes, destination, None, output).await
        }
    };
    session.close().await;
    result
}

/// The `remote-exec` provisioner.
pub(super) async fn remote_exec(
    args: &Value,
    conn: &Connection,
    output: &mut (dyn FnMut(&str) + Send),
) -> Result<(), ProviderError> {
    const KIND: &str = "remote-exec";
    let inline = strings_arg(KIND, args, "inline")?;
    let script = string_arg(args, "script");
    let scripts = strings_arg(KIND, args, "scripts")?;
    let given = [inline.is_some(), script.is_some(), scripts.is_some()]
        .iter()
        .filter(|b| **b)
        .count();
    if given != 1 {
        return Err(ProviderError::InvalidConfig(
            "remote-exec: set exactly one of `inline`, `script` and `scripts`.".into(),
        ));
    }
    // (what the script is called in messages, its content, run it with /bin/sh)
    let mut to_run: Vec<(String, Vec<u8>, bool)> = Vec::new();
    if let Some(lines) = inline {
        let mut text = String::from("#!/bin/sh\nset -e\n");
        for line in &lines {
            text.push_str(line);
            text.push('\n');
        }
        to_run.push(("the inline commands".into(), text.into_bytes(), true));
    }
    for path in script
        .map(|s| vec![s.to_string()])
        .or(scripts)
        .unwrap_or_default()
    {
        let bytes = tokio::fs::read(&path).await.map_err(|e| {
            ProviderError::Provisioner(format!(
                "remote-exec: could not read the local script `{path}`: {e}."
            ))
        })?;
        to_run.push((format!("the script `{path}`"), bytes, false));
    }
    let session = Session::connect(conn).await?;
    if let Some(warning) = &session.warning {
        output(warning);
    }
    let mut result = Ok(());
    for (what, bytes, with_sh) in &to_run {
        result = run_script(&session, conn, what, bytes, *with_sh, output).await;
        if result.is_err() {
            break;
        }
    }
    session.close().await;
    result
}

/// Uploads one script with mode 0700 and runs it. By default it goes into a private directory
/// made by `mktemp -d` (mode 0700) and the directory is removed when the script ends, whatever
/// its outcome, all in one remote shell; with `script_path` it goes there (created under
/// `umask 077`) and is removed afterwards.
async fn run_script(
    session: &Session,
    conn: &Connection,
    what: &str,
    bytes: &[u8],
    with_sh: bool,
    output: &mut (dyn FnMut(&str) + Send),
) -> Result<(), ProviderError> {
    const KIND: &str = "remote-exec";
    let Some(path) = &conn.script_path else {
        let run = if with_sh {
            r#"/bin/sh "$d/script""#
        } else {
            r#""$d/script""#
        };
        let command = format!(
            r#"umask 077; d=$(mktemp -d) || exit 125; trap 'rm -rf "$d"' EXIT; cat > "$d/script" && chmod 0700 "$d/script" && {run}"#
        );
        let result = session.exec(&command, Some(bytes), output).await?;
        return if result.success() {
            Ok(())
        } else {
            Err(failed(KIND, session, what, &result))
        };
    };
    let n: u32 = rand::rng().random_range(0..u32::MAX);
    let remote = path.replace("%RAND%", &n.to_string());
    let quoted = sh_quote(&remote);
    must_run(
        KIND,
        session,
        &format!("uploading {what} to `{remote}`"),
        &format!("(umask 077 && cat > {quoted}) && chmod 0700 {quoted}"),
        Some(bytes),
        output,
    )
    .await?;
    let command = if with_sh {
        format!("/bin/sh {quoted}")
    } else {
        quoted.clone()
    };
    let run = session.exec(&command, None, output).await;
    // Best effort: the script is not needed any more.
    let _ = session
        .exec(&format!("rm -f {quoted}"), None, &mut |_| {})
        .await;
    match run {
        Ok(r) if r.success() => Ok(()),
        Ok(r) => Err(failed(KIND, session, what, &r)),
        Err(e) => Err(e),
    }
}
