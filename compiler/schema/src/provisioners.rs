//! Schemas of provisioners and of the `connection` block: built into the engine rather than a
//! provider, but data both the checker and the runtime read, like provider schemas.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use skel_value::Type;

use crate::{AttributeSchema, BlockSchema};

pub(crate) fn attr(ty: Type, required: bool, description: &str) -> AttributeSchema {
    AttributeSchema {
        ty,
        required,
        optional: !required,
        computed: false,
        sensitive: false,
        force_new: false,
        derived_from: Vec::new(),
        description: description.into(),
        default: None,
        deprecated: None,
        removed: None,
    }
}

pub(crate) fn schema(attrs: &[(&str, Type, bool, &str)]) -> BlockSchema {
    BlockSchema {
        attributes: attrs
            .iter()
            .map(|(n, t, r, d)| (n.to_string(), attr(t.clone(), *r, d)))
            .collect::<BTreeMap<_, _>>(),
        blocks: BTreeMap::new(),
        description: String::new(),
    }
}

/// The `connection` block's arguments (SSH).
pub fn connection_schema() -> &'static BlockSchema {
    static SCHEMA: OnceLock<BlockSchema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        schema(&[
            (
                "type",
                Type::String,
                false,
                "Connection type: `ssh` (default).",
            ),
            ("host", Type::String, true, "The address to connect to."),
            ("port", Type::Number, false, "The port (22)."),
            ("user", Type::String, false, "The user to log in as (root)."),
            ("password", Type::String, false, "The password."),
            (
                "private_key",
                Type::String,
                false,
                "The private key's contents, e.g. file(\"~/.ssh/id_ed25519\").",
            ),
            (
                "certificate",
                Type::String,
                false,
                "A signed certificate for the key.",
            ),
            ("agent", Type::Bool, false, "Use the SSH agent."),
            (
                "host_key",
                Type::String,
                false,
                "The expected public host key.",
            ),
            (
                "timeout",
                Type::String,
                false,
                "How long to wait for the connection (5m).",
            ),
            (
                "script_path",
                Type::String,
                false,
                "Where remote scripts are uploaded.",
            ),
            (
                "bastion_host",
                Type::String,
                false,
                "A bastion host to connect through.",
            ),
            (
                "bastion_user",
                Type::String,
                false,
                "The user on the bastion host.",
            ),
            (
                "bastion_port",
                Type::Number,
                false,
                "The port of the bastion host.",
            ),
            (
                "bastion_private_key",
                Type::String,
                false,
                "The private key for the bastion host.",
            ),
        ])
    })
}

/// The schema of a provisioner type, or `None` if there is no such provisioner.
pub fn provisioner_schema(kind: &str) -> Option<&'static BlockSchema> {
    static SCHEMAS: OnceLock<BTreeMap<&'static str, BlockSchema>> = OnceLock::new();
    let common = |mut s: BlockSchema| {
        s.attributes.insert(
            "when".into(),
            attr(Type::String, false, "`create` (default) or `destroy`."),
        );
        s.attributes.insert(
            "on_failure".into(),
            attr(Type::String, false, "`fail` (default) or `continue`."),
        );
        s
    };
    SCHEMAS
        .get_or_init(|| {
            BTreeMap::from([
                (
                    "local-exec",
                    common(schema(&[
                        (
                            "command",
                            Type::String,
                            true,
                            "The command to run on the machine running skel.",
                        ),
                        (
                            "working_dir",
                            Type::String,
                            false,
                            "The directory to run it in.",
                        ),
                        (
                            "interpreter",
                            Type::list(Type::String),
                            false,
                            "The interpreter and its arguments.",
                        ),
                        (
                            "environment",
                            Type::map(Type::String),
                            false,
                            "Extra environment variables.",
                        ),
                        ("quiet", Type::Bool, false, "Do not print the command."),
                    ])),
                ),
                (
                    "remote-exec",
                    common(schema(&[
                        (
                            "inline",
                            Type::list(Type::String),
                            false,
                            "Commands to run in order on the remote machine.",
                        ),
                        (
                            "script",
                            Type::String,
                            false,
                            "A local script to upload and run.",
                        ),
                        (
                            "scripts",
                            Type::list(Type::String),
                            false,
                            "Local scripts to upload and run in order.",
                        ),
                    ])),
                ),
                (
                    "file",
                    common(schema(&[
                        (
                            "source",
                            Type::String,
                            false,
                            "A local file or directory to upload.",
                        ),
                        (
                            "content",
                            Type::String,
                            false,
                            "Content to upload instead of a file.",
                        ),
                        ("destination", Type::String, true, "The remote path."),
                    ])),
                ),
            ])
        })
        .get(kind)
}
