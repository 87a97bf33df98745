//! Lowering the root module's `skel { encryption { … } }` (checked by `skel_types`) to
//! [`EncryptionConfig`].

use skel_db::{Db, Directory};
use skel_plan_ir::{EncryptionConfig, EncryptionTarget, KeyProviderConfig, MethodConfig};
use skel_syntax::Block;
use skel_types::block_reference;

use crate::LowerError;

/// The encryption settings of the module in `dir`, if it has an `encryption` block.
pub(crate) fn lower_encryption(
    db: &dyn Db,
    dir: Directory,
) -> Result<Option<EncryptionConfig>, LowerError> {
    for item in crate::Settings::of(db, dir) {
        let Some(settings) = item.block() else {
            continue;
        };
        let at = |block: &Block| item.at(db, block);
        let Some(block) = settings.body.blocks_of("encryption").next() else {
            continue;
        };
        let mut config = EncryptionConfig {
            location: at(block),
            ..EncryptionConfig::default()
        };
        for inner in block.body.blocks() {
            let labels = || -> Result<(String, String), LowerError> {
                match (inner.label(0), inner.label(1)) {
                    (Some(kind), Some(name)) => Ok((kind.to_string(), name.to_string())),
                    _ => Err(LowerError::at(
                        at(inner),
                        format!("a `{}` block needs two labels", inner.ident.name),
                    )),
                }
            };
            match inner.ident.name.as_str() {
                "key_provider" => {
                    let (kind, name) = labels()?;
                    config.key_providers.push(KeyProviderConfig {
                        kind,
                        name,
                        arguments: inner
                            .body
                            .attributes()
                            .map(|attr| (attr.name.name.clone(), attr.expr.clone()))
                            .collect(),
                        location: at(inner),
                    });
                }
                "method" => {
                    let (kind, name) = labels()?;
                    let keys = inner
                        .body
                        .attribute("keys")
                        .and_then(|attr| block_reference(&attr.expr, "key_provider"));
                    config.methods.push(MethodConfig {
                        kind,
                        name,
                        keys,
                        location: at(inner),
                    });
                }
                "state" | "plan" => {
                    let method_of = |body: &skel_syntax::Body| {
                        body.attribute("method")
                            .and_then(|attr| block_reference(&attr.expr, "method"))
                    };
                    let Some(method) = method_of(&inner.body) else {
                        return Err(LowerError::at(at(inner), "`method` is missing"));
                    };
                    let target = EncryptionTarget {
                        method,
                        fallback: inner
                            .body
                            .blocks_of("fallback")
                            .next()
                            .and_then(|fallback| method_of(&fallback.body)),
                    };
                    if inner.ident.name == "state" {
                        config.state = Some(target);
                    } else {
                        config.plan = Some(target);
                    }
                }
                _ => {}
            }
        }
        return Ok(Some(config));
    }
    Ok(None)
}
