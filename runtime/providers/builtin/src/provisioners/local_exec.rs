//! `local-exec`: runs `command` through `interpreter` (default `/bin/sh -c`) on the machine
//! running skel, with `environment` added to skel's own and in `working_dir`.

use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;

use skel_provider::ProviderError;
use skel_value::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use super::{string_arg, strings_arg, Lines};
use crate::common::get;

const KIND: &str = "local-exec";

pub(super) async fn run(
    args: &Value,
    output: &mut (dyn FnMut(&str) + Send),
) -> Result<(), ProviderError> {
    let Some(command) = string_arg(args, "command") else {
        return Err(ProviderError::InvalidConfig(
            "local-exec: `command` must be set.".into(),
        ));
    };
    let interpreter = strings_arg(KIND, args, "interpreter")?
        .unwrap_or_else(|| vec!["/bin/sh".to_string(), "-c".to_string()]);
    let Some((program, interpreter_args)) = interpreter.split_first() else {
        return Err(ProviderError::InvalidConfig(
            "local-exec: `interpreter` must name a program.".into(),
        ));
    };
    let mut cmd = Command::new(program);
    cmd.args(interpreter_args)
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(env) = get(args, "environment").as_mapping() {
        for (k, v) in env {
            match v {
                Value::String(s) => {
                    cmd.env(k, s);
                }
                Value::Null => {}
                other => {
                    cmd.env(k, other.to_string());
                }
            }
        }
    }
    if let Some(dir) = string_arg(args, "working_dir") {
        cmd.current_dir(dir);
    }
    let mut child = cmd.spawn().map_err(|e| {
        let mut message = format!("local-exec: could not start `{program}`: {e}.");
        if let Some(dir) = string_arg(args, "working_dir") {
            message.push_str(&format!(" (working_dir is `{dir}`)"));
        }
        ProviderError::Provisioner(message)
    })?;
    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(ProviderError::Provisioner(
            "local-exec: could not capture the command's output.".into(),
        ));
    };
    let mut stdout = BufReader::new(stdout);
    let mut stderr = BufReader::new(stderr);
    let (mut out_buf, mut err_buf) = (Vec::new(), Vec::new());
    let (mut out_open, mut err_open) = (true, true);
    let mut out_lines = Lines::default();
    let mut err_lines = Lines::default();
    // `read_until` keeps partial data in the buffer when another branch wins, so the buffers
    // live across iterations and are cleared only after a complete read.
    while out_open || err_open {
        tokio::select! {
            r = stdout.read_until(b'\n', &mut out_buf), if out_open => {
                match r {
                    Ok(0) | Err(_) => out_open = false,
                    Ok(_) => {}
                }
                out_lines.push(&out_buf, output);
                out_buf.clear();
            }
            r = stderr.read_until(b'\n', &mut err_buf), if err_open => {
                match r {
                    Ok(0) | Err(_) => err_open = false,
                    Ok(_) => {}
                }
                err_lines.push(&err_buf, output);
                err_buf.clear();
            }
        }
    }
    out_lines.finish(output);
    err_lines.finish(output);
    let status = child.wait().await.map_err(|e| {
        ProviderError::Provisioner(format!("local-exec: waiting for the command failed: {e}."))
    })?;
    if status.success() {
        return Ok(());
    }
    let how = match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(signal)) => format!("was killed by signal {signal}"),
        (None, None) => "failed".to_string(),
    };
    Err(ProviderError::Provisioner(format!(
        "local-exec: the command {how}.{}",
        err_lines.tail_message()
    )))
}
