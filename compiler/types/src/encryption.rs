//! Checking `skel { encryption { … } }` (OpenTofu's state and plan encryption): key providers
//! and methods of known types with their arguments, `keys`/`method` references to blocks that
//! are declared, and key material that comes only from variables and constants.

use std::collections::BTreeMap;

use skel_db::{did_you_mean, Code};
use skel_syntax::{Block, Expr, ExprKind, TextRange};
use skel_value::Type;

use crate::infer::InferCtx;

/// An argument of a key provider: (name, type, required).
type Argument = (&'static str, Type, bool);

/// Key provider types and their arguments.
const KEY_PROVIDERS: &[(&str, &[Argument])] = &[
    (
        "pbkdf2",
        &[
            ("passphrase", Type::String, true),
            ("iterations", Type::Number, false),
            ("hash_function", Type::String, false),
            ("key_length", Type::Number, false),
            ("salt_length", Type::Number, false),
        ],
    ),
    (
        "aws_kms",
        &[
            ("kms_key_id", Type::String, true),
            ("key_spec", Type::String, true),
            ("region", Type::String, false),
        ],
    ),
];

/// Method types and whether they take `keys`.
const METHODS: &[(&str, bool)] = &[("aes_gcm", true), ("unencrypted", false)];

impl InferCtx<'_> {
    pub(crate) fn check_encryption(&mut self, block: &Block) {
        for attr in block.body.attributes() {
            self.error(
                Code::UnknownArgument,
                attr.name.range,
                format!(
                    "Unsupported argument `{}` in the encryption block",
                    attr.name.name
                ),
            )
            .help = Some(
                "the encryption block holds `key_provider`, `method`, `state` and `plan` blocks"
                    .into(),
            );
        }
        let mut providers: BTreeMap<(String, String), TextRange> = BTreeMap::new();
        let mut methods: BTreeMap<(String, String), TextRange> = BTreeMap::new();
        for inner in block.body.blocks() {
            match inner.ident.name.as_str() {
                "key_provider" => {
                    if let Some(key) = self.check_key_provider(inner) {
                        self.declare(&mut providers, key, inner, "key provider");
                    }
                }
                "method" => {
                    if let Some(key) = self.check_method_block(inner) {
                        self.declare(&mut methods, key, inner, "method");
                    }
                }
                "state" | "plan" => {}
                other => {
                    self.error(
                        Code::UnknownBlockType,
                        inner.ident.range,
                        format!("Unsupported block `{other}` in the encryption block"),
                    )
                    .help = did_you_mean(other, ["key_provider", "method", "state", "plan"]);
                }
            }
        }
        // References are checked once every block is known, so order does not matter.
        for inner in block.body.blocks() {
            match inner.ident.name.as_str() {
                "method" if inner.label(0) == Some("aes_gcm") => {
                    match inner.body.attribute("keys") {
                        Some(attr) => {
                            self.check_block_reference(&attr.expr, "key_provider", &providers)
                        }
                        None => {
                            self.error(
                                Code::MissingArgument,
                                inner.header_range(),
                                "Missing required argument `keys`",
                            )
                            .help = Some("set `keys = key_provider.TYPE.NAME`".into());
                        }
                    }
                }
                "state" | "plan" => self.check_target(inner, &methods, true),
                _ => {}
            }
        }
    }

    fn declare(
        &mut self,
        declared: &mut BTreeMap<(String, String), TextRange>,
        key: (String, String),
        block: &Block,
        what: &str,
    ) {
        if let Some(first) = declared.get(&key).copied() {
            self.error(
                Code::DuplicateDefinition,
                block.header_range(),
                format!("This {what} is declared twice"),
            )
            .with_label_here(first, "first declared here");
        } else {
            declared.insert(key, block.header_range());
        }
    }

    fn labels(&mut self, block: &Block) -> Option<(String, String)> {
        match (block.label(0), block.label(1), block.labels.len()) {
            (Some(kind), Some(name), 2) => Some((kind.to_string(), name.to_string())),
            _ => {
                self.error(
                    Code::InvalidBlockLabels,
                    block.header_range(),
                    format!(
                        "A `{}` block has two labels: its type and its name",
                        block.ident.name
                    ),
                );
                None
            }
        }
    }

    fn check_key_provider(&mut self, block: &Block) -> Option<(String, String)> {
        let (kind, name) = self.labels(block)?;
        let Some((_, arguments)) = KEY_PROVIDERS.iter().find(|(k, _)| *k == kind) else {
            self.error(
                Code::UnknownKeyProvider,
                block.labels[0].range,
                format!("Unknown key provider type `{kind}`"),
            )
            .help = did_you_mean(&kind, KEY_PROVIDERS.iter().map(|(k, _)| *k))
                .or_else(|| Some("skel supports the `pbkdf2` and `aws_kms` key providers".into()));
            return None;
        };
        for attr in block.body.attributes() {
            let Some((_, ty, _)) = arguments.iter().find(|(a, _, _)| *a == attr.name.name) else {
                self.error(
                    Code::UnknownArgument,
                    attr.name.range,
                    format!(
                        "Unsupported argument `{}` in a `{kind}` key provider",
                        attr.name.name
                    ),
                )
                .help = did_you_mean(&attr.name.name, arguments.iter().map(|(a, _, _)| *a));
                continue;
            };
            self.check_key_material(&attr.expr);
            self.expect(&attr.expr, ty, &format!("`{}`", attr.name.name));
            self.check_constant_setting(&kind, &attr.name.name, &attr.expr);
        }
        for inner in block.body.blocks() {
            self.error(
                Code::UnknownBlockType,
                inner.ident.range,
                format!("Unsupported block `{}` in a key provider", inner.ident.name),
            );
        }
        let missing: Vec<&str> = arguments
            .iter()
            .filter(|(a, _, required)| *required && block.body.attribute(a).is_none())
            .map(|(a, _, _)| *a)
            .collect();
        if !missing.is_empty() {
            self.error(
                Code::MissingArgument,
                block.header_range(),
                format!(
                    "Missing required argument{} {}",
                    if missing.len() > 1 { "s" } else { "" },
                    missing
                        .iter()
                        .map(|m| format!("`{m}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .help = (kind == "pbkdf2").then(|| {
                "pass the passphrase in a sensitive variable: `passphrase = var.state_passphrase`"
                    .to_string()
            });
        }
        Some((kind, name))
    }

    /// Key material may come from variables and constants only: it is needed before any
    /// resource, data source or local can be evaluated (to read the state).
    fn check_key_material(&mut self, expr: &Expr) {
        let mut bad = Vec::new();
        roots(expr, &mut bad);
        for (root, range) in bad {
            if root != "var" {
                self.error(
                    Code::InvalidEncryptionReference,
                    range,
                    format!("Encryption settings cannot refer to `{root}`"),
                )
                .help = Some(
                    "use a variable (`var.NAME`, given with -var or SKEL_VAR_NAME) or a constant: \
                     keys are needed to read the state, before anything else is evaluated"
                        .into(),
                );
            }
        }
    }

    /// Settings whose constant values can be checked now.
    fn check_constant_setting(&mut self, kind: &str, name: &str, expr: &Expr) {
        let value = crate::constant::constant_value(expr);
        let problem = match (kind, name, value) {
            ("pbkdf2", "passphrase", Some(skel_value::Value::String(s)))
                if s.chars().count() < 16 =>
            {
                Some("the passphrase must have at least 16 characters".to_string())
            }
            ("pbkdf2", "iterations", Some(skel_value::Value::Number(n)))
                if !(200_000.0..=100_000_000.0).contains(&n.as_f64())
                    || n.as_f64().fract() != 0.0 =>
            {
                Some("`iterations` must be a whole number from 200000 to 100000000".to_string())
            }
            ("pbkdf2", "hash_function", Some(skel_value::Value::String(s)))
                if s != "sha256" && s != "sha512" =>
            {
                Some("`hash_function` is `sha256` or `sha512`".to_string())
            }
            ("pbkdf2", "key_length", Some(skel_value::Value::Number(n))) if n.as_f64() != 32.0 => {
                Some("`key_length` must be 32 (AES-256)".to_string())
            }
            ("pbkdf2", "salt_length", Some(skel_value::Value::Number(n)))
                if !(16.0..=64.0).contains(&n.as_f64()) || n.as_f64().fract() != 0.0 =>
            {
                Some("`salt_length` must be a whole number from 16 to 64".to_string())
            }
            ("aws_kms", "key_spec", Some(skel_value::Value::String(s))) if s != "AES_256" => {
                Some("`key_spec` must be `AES_256`".to_string())
            }
            _ => None,
        };
        if let Some(problem) = problem {
            self.error(Code::TypeMismatch, expr.range, "Invalid encryption setting")
                .with_span_message(problem);
        }
    }

    fn check_method_block(&mut self, block: &Block) -> Option<(String, String)> {
        let (kind, name) = self.labels(block)?;
        let Some((_, takes_keys)) = METHODS.iter().find(|(k, _)| *k == kind) else {
            self.error(
                Code::UnknownEncryptionMethod,
                block.labels[0].range,
                format!("Unknown encryption method `{kind}`"),
            )
            .help = did_you_mean(&kind, METHODS.iter().map(|(k, _)| *k))
                .or_else(|| Some("skel supports `aes_gcm` and `unencrypted`".into()));
            return None;
        };
        for attr in block.body.attributes() {
            if !(*takes_keys && attr.name.name == "keys") {
                self.error(
                    Code::UnknownArgument,
                    attr.name.range,
                    format!(
                        "Unsupported argument `{}` in a `{kind}` method",
                        attr.name.name
                    ),
                );
            }
        }
        Some((kind, name))
    }

    fn check_target(
        &mut self,
        block: &Block,
        methods: &BTreeMap<(String, String), TextRange>,
        outer: bool,
    ) {
        for attr in block.body.attributes() {
            match attr.name.name.as_str() {
                "method" => self.check_block_reference(&attr.expr, "method", methods),
                "enforced" if outer => {
                    self.expect(&attr.expr, &Type::Bool, "`enforced`");
                }
                other => {
                    self.error(
                        Code::UnknownArgument,
                        attr.name.range,
                        format!("Unsupported argument `{other}` in `{}`", block.ident.name),
                    );
                }
            }
        }
        if block.body.attribute("method").is_none() {
            self.error(
                Code::MissingArgument,
                block.header_range(),
                "Missing required argument `method`",
            )
            .help = Some("set `method = method.aes_gcm.NAME`".into());
        }
        let mut fallbacks = 0;
        for inner in block.body.blocks() {
            if outer && inner.ident.name == "fallback" {
                fallbacks += 1;
                if fallbacks > 1 {
                    self.error(
                        Code::BlockCount,
                        inner.ident.range,
                        "At most one `fallback` block is allowed",
                    );
                }
                self.check_target(inner, methods, false);
            } else {
                self.error(
                    Code::UnknownBlockType,
                    inner.ident.range,
                    format!("Unsupported block `{}` here", inner.ident.name),
                );
            }
        }
    }

    /// `expr` must be `ROOT.TYPE.NAME` naming a declared block.
    fn check_block_reference(
        &mut self,
        expr: &Expr,
        root: &str,
        declared: &BTreeMap<(String, String), TextRange>,
    ) {
        match block_reference(expr, root) {
            Some(key) if declared.contains_key(&key) => {}
            Some((kind, name)) => {
                let known: Vec<String> = declared
                    .keys()
                    .map(|(k, n)| format!("{root}.{k}.{n}"))
                    .collect();
                self.error(
                    Code::InvalidEncryptionReference,
                    expr.range,
                    format!("No `{root} \"{kind}\" \"{name}\"` block is declared"),
                )
                .help = did_you_mean(&format!("{root}.{kind}.{name}"), known.iter().map(String::as_str))
                    .or_else(|| {
                        Some(format!(
                            "declare it in the encryption block: `{root} \"{kind}\" \"{name}\" {{ … }}`"
                        ))
                    });
            }
            None => {
                self.error(
                    Code::InvalidEncryptionReference,
                    expr.range,
                    format!("Expected a reference `{root}.TYPE.NAME`"),
                );
            }
        }
    }
}

/// `ROOT.TYPE.NAME` taken apart.
pub fn block_reference(expr: &Expr, root: &str) -> Option<(String, String)> {
    let ExprKind::GetAttr { expr: inner, name } = &expr.kind else {
        return None;
    };
    let ExprKind::GetAttr {
        expr: base,
        name: kind,
    } = &inner.kind
    else {
        return None;
    };
    match &base.kind {
        ExprKind::Variable(ident) if ident.name == root => {
            Some((kind.name.clone(), name.name.clone()))
        }
        _ => None,
    }
}

/// The root names an expression refers to, with their ranges.
fn roots(expr: &Expr, out: &mut Vec<(String, TextRange)>) {
    expr.walk(&mut |e| {
        if let ExprKind::Variable(ident) = &e.kind {
            out.push((ident.name.clone(), ident.range));
        }
    });
}
