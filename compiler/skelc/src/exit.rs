//! How skelc ends: an [`ExitStatus`] per outcome, turned into the process's exit code in one
//! place, and [`Reported`], the error of a command that has already printed why it failed.

use std::process::ExitCode;

/// The outcome of a command, as its exit code tells it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ExitStatus {
    /// 0: done (with `plan --detailed-exitcode`: done, and nothing to change).
    Success,
    /// 1: the command ran and failed: diagnostics, a failed plan or apply, a declined
    /// confirmation, files `fmt --check` would change, an error of a command that touches
    /// infrastructure (a held lock, an unreachable provider).
    Errors,
    /// 2 with `plan --detailed-exitcode`: the plan has changes.
    ChangesPresent,
    /// 2: the command line or its input cannot be used (an unknown option, a missing
    /// directory, an unreadable file for `check` and `fmt`).
    Usage,
    /// 101: a bug (skelc panicked).
    Internal,
    /// 130: stopped at once by a second Ctrl-C.
    Interrupted,
}

impl ExitStatus {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Errors => 1,
            ExitStatus::ChangesPresent | ExitStatus::Usage => 2,
            ExitStatus::Internal => 101,
            ExitStatus::Interrupted => 130,
        }
    }

    /// [`Errors`](Self::Errors) when `failed`, else [`Success`](Self::Success).
    pub fn failed_if(failed: bool) -> ExitStatus {
        if failed {
            ExitStatus::Errors
        } else {
            ExitStatus::Success
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> ExitCode {
        ExitCode::from(status.code())
    }
}

/// A command failed and has already printed why (diagnostics, engine errors, a refusal):
/// nothing more is printed, and skelc ends with `status`.
#[derive(Debug)]
pub struct Reported {
    pub status: ExitStatus,
}

impl std::fmt::Display for Reported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the command failed (already reported)")
    }
}

impl std::error::Error for Reported {}

impl Reported {
    /// Failed with [`ExitStatus::Errors`], the errors printed.
    pub fn errors() -> anyhow::Error {
        anyhow::Error::new(Reported {
            status: ExitStatus::Errors,
        })
    }
}

/// The status of a command's result, printing its error unless it was [`Reported`]. An
/// unreported error is a usage error (2) for the commands that only read files (`usage`),
/// a failure (1) for the others.
pub fn finish(result: anyhow::Result<ExitStatus>, usage: bool) -> ExitStatus {
    let e = match result {
        Ok(status) => return status,
        Err(e) => e,
    };
    if let Some(reported) = e.downcast_ref::<Reported>() {
        return reported.status;
    }
    match e.downcast_ref::<crate::workdir::Hinted>() {
        Some(h) => crate::render::print_error(&h.message, None, Some(&h.help)),
        None => crate::render::print_error(&format!("{e:#}"), None, None),
    }
    if usage {
        ExitStatus::Usage
    } else {
        ExitStatus::Errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        let all = [
            (ExitStatus::Success, 0),
            (ExitStatus::Errors, 1),
            (ExitStatus::ChangesPresent, 2),
            (ExitStatus::Usage, 2),
            (ExitStatus::Internal, 101),
            (ExitStatus::Interrupted, 130),
        ];
        for (status, code) in all {
            assert_eq!(status.code(), code, "{status:?}");
        }
        assert_eq!(ExitStatus::failed_if(true), ExitStatus::Errors);
        assert_eq!(ExitStatus::failed_if(false), ExitStatus::Success);
    }

    #[test]
    fn a_reported_failure_keeps_its_status() {
        let status = finish(
            Err(anyhow::Error::new(Reported {
                status: ExitStatus::Usage,
            })),
            false,
        );
        assert_eq!(status, ExitStatus::Usage);
        assert_eq!(finish(Err(Reported::errors()), true), ExitStatus::Errors);
        assert_eq!(
            finish(Ok(ExitStatus::ChangesPresent), true),
            ExitStatus::ChangesPresent
        );
    }

    #[test]
    fn an_unreported_error_is_usage_or_failure_by_command() {
        assert_eq!(finish(Err(anyhow::anyhow!("x")), true), ExitStatus::Usage);
        assert_eq!(finish(Err(anyhow::anyhow!("x")), false), ExitStatus::Errors);
    }
}
