//! Usage errors, and the hints for Terraform commands that skel spells differently or does not
//! need (`skelc get` → "run `skelc init`").

use clap::error::{ContextKind, ContextValue, ErrorKind};

use crate::exit::ExitStatus;

/// What to do instead of a Terraform command that is not a skel command (`apply` and
/// `validate` are aliases, so they are not here).
pub fn terraform_hint(command: &str) -> Option<&'static str> {
    Some(match command {
        "get" => {
            "skel's `init` fetches the remote modules (registry, git, archives): run \
                  `skelc init`"
        }
        "taint" => {
            "skel has no `taint`: to have an object replaced, change an argument that \
                    forces replacement, or use `lifecycle { replace_triggered_by = [...] }`"
        }
        "untaint" => {
            "skel has no `untaint`: an object whose creation did not finish is tainted \
                      and replaced by the next `skelc run`"
        }
        "providers" => {
            "skel's providers are built in (null, local, random, aws, kubernetes); \
                        `skelc check` knows their schemas"
        }
        "login" | "logout" => {
            "skel has no remote service to log in to; providers take \
                               credentials from their usual places (the AWS SDK's chain, a \
                               kubeconfig)"
        }
        "test" => {
            "skel has no `test` command: `skelc check` checks the whole configuration, and \
                   `skelc plan --detailed-exitcode` tells whether anything would change"
        }
        "version" => "skel's `version` is `skelc --version`",
        "metadata" => "skel has no `metadata` command",
        _ => return None,
    })
}

/// Print a command-line parsing error and return how skelc ends: success for `--help` and
/// `--version`, a usage error otherwise, but a plain failure (1) with `--detailed-exitcode`
/// (where 2 means "changes").
pub fn usage_error(e: clap::Error, args: &[std::ffi::OsString]) -> ExitStatus {
    let failure = if args.iter().any(|a| a == "--detailed-exitcode") {
        ExitStatus::Errors
    } else {
        ExitStatus::Usage
    };
    if e.kind() == ErrorKind::InvalidSubcommand {
        if let Some(ContextValue::String(name)) = e.get(ContextKind::InvalidSubcommand) {
            if let Some(hint) = terraform_hint(name) {
                crate::render::print_error(
                    &format!("unrecognized subcommand '{name}'"),
                    None,
                    Some(hint),
                );
                eprintln!("\nFor more information, try 'skelc --help'.");
                return failure;
            }
        }
    }
    let status = if e.use_stderr() {
        failure
    } else {
        ExitStatus::Success
    };
    let _ = e.print();
    status
}
