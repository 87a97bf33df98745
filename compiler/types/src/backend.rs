//! Checking `skel { backend "TYPE" { … } }`: a backend skel has, arguments that backend takes
//! (Terraform's names), and values that are constants, since the backend is opened before
//! anything is evaluated (`docs/backends.md`). `skelc init` and the commands read the same
//! lists ([`backend_arguments`]), so what `skelc check` accepts is exactly what runs.

use skel_db::{did_you_mean, Code};
use skel_syntax::{Block, Body, ExprKind};

use crate::infer::InferCtx;

/// Each backend and the arguments (and nested blocks) it takes.
const BACKENDS: &[(&str, &[&str])] = &[
    ("local", &[]),
    (
        "s3",
        &[
            "bucket",
            "key",
            "region",
            "endpoint",
            "endpoints",
            "use_path_style",
            "force_path_style",
            "workspace_key_prefix",
            "use_lockfile",
            "dynamodb_table",
            "dynamodb_endpoint",
            "encrypt",
            "kms_key_id",
            "profile",
            "access_key",
            "secret_key",
            "token",
            "skip_credentials_validation",
            "skip_region_validation",
            "skip_metadata_api_check",
            "skip_requesting_account_id",
        ],
    ),
    (
        "kubernetes",
        &[
            "secret_suffix",
            "namespace",
            "labels",
            "in_cluster_config",
            "load_config_file",
            "config_path",
            "config_paths",
            "config_context",
            "config_context_auth_info",
            "config_context_cluster",
            "host",
            "username",
            "password",
            "token",
            "insecure",
            "client_certificate",
            "client_key",
            "cluster_ca_certificate",
            "exec",
        ],
    ),
];

/// The arguments backend `kind` takes, or `None` for a backend skel does not have.
pub fn backend_arguments(kind: &str) -> Option<&'static [&'static str]> {
    BACKENDS
        .iter()
        .find(|(name, _)| *name == kind)
        .map(|(_, arguments)| *arguments)
}

/// The backends skel has.
pub fn backend_kinds() -> impl Iterator<Item = &'static str> {
    BACKENDS.iter().map(|(name, _)| *name)
}

impl InferCtx<'_> {
    pub(crate) fn check_backend(&mut self, block: &Block) {
        let Some(kind) = block.label(0).filter(|_| block.labels.len() == 1) else {
            self.error(
                Code::InvalidBlockLabels,
                block.header_range(),
                "A `backend` block has one label: the backend's type",
            )
            .help = Some("write `backend \"s3\" { … }`".into());
            return;
        };
        let Some(arguments) = backend_arguments(kind) else {
            let range = block.labels[0].range;
            self.error(
                Code::UnknownBackend,
                range,
                format!("skel has no `{kind}` backend"),
            )
            .help = Some(match did_you_mean(kind, backend_kinds()) {
                Some(hint) => format!("{hint} (the backends: local, s3, kubernetes)"),
                None => "the backends are `local`, `s3` and `kubernetes`".into(),
            });
            return;
        };
        self.check_backend_body(kind, &block.body, arguments, true);
    }

    fn check_backend_body(&mut self, kind: &str, body: &Body, arguments: &[&str], top: bool) {
        for attr in body.attributes() {
            let name = attr.name.name.as_str();
            if top && !arguments.contains(&name) {
                self.error(
                    Code::InvalidBackendArgument,
                    attr.name.range,
                    format!("The `{kind}` backend has no argument `{name}`"),
                )
                .help = Some(match did_you_mean(name, arguments.iter().copied()) {
                    Some(hint) => hint,
                    None if arguments.is_empty() => format!(
                        "the `{kind}` backend takes no arguments (its state is skel.state.json \
                         beside the root module)"
                    ),
                    None => format!("its arguments: {}", arguments.join(", ")),
                });
                continue;
            }
            // A bare object key (`{ team = "x" }`) is a literal string, not a reference.
            let mut keys = Vec::new();
            attr.expr.walk(&mut |e| {
                if let ExprKind::Object(items) = &e.kind {
                    keys.extend(
                        items
                            .iter()
                            .filter(|i| matches!(i.key.kind, ExprKind::Variable(_)))
                            .map(|i| i.key.range),
                    );
                }
            });
            let mut reference = None;
            attr.expr.walk(&mut |e| {
                if let ExprKind::Variable(root) = &e.kind {
                    if !keys.contains(&e.range) {
                        reference.get_or_insert((root.name.clone(), e.range));
                    }
                }
            });
            if let Some((root, range)) = reference {
                self.error(
                    Code::InvalidBackendArgument,
                    range,
                    format!(
                        "`{name}` of the `{kind}` backend refers to `{root}`: a backend's \
                         settings must be constants"
                    ),
                )
                .help = Some(format!(
                    "the backend is opened before anything is evaluated; give a value that \
                     differs per environment with `skelc init -backend-config={name}=…`"
                ));
            }
        }
        for inner in body.blocks() {
            let name = inner.ident.name.as_str();
            if top && !arguments.contains(&name) {
                self.error(
                    Code::InvalidBackendArgument,
                    inner.ident.range,
                    format!("The `{kind}` backend has no block `{name}`"),
                )
                .help = Some(format!("its arguments: {}", arguments.join(", ")));
                continue;
            }
            self.check_backend_body(kind, &inner.body, arguments, false);
        }
    }
}
