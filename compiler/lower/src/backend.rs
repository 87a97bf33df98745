//! Lowering the root module's `skel { backend "TYPE" { … } }` to [`BackendConfig`]: every
//! argument must be a constant (the backend is opened before anything can be evaluated, as in
//! Terraform), nested blocks (`endpoints { s3 = … }`, `assume_role { … }`) become objects.

use std::collections::BTreeMap;

use skel_db::{Db, Directory};
use skel_plan_ir::BackendConfig;
use skel_syntax::Body;
use skel_value::{Value, ValueMap};

use crate::LowerError;

/// The backend of the module in `dir`, if its settings block has one.
pub(crate) fn lower_backend(
    db: &dyn Db,
    dir: Directory,
) -> Result<Option<BackendConfig>, LowerError> {
    let mut found = None;
    for item in crate::Settings::of(db, dir) {
        let Some(settings) = item.block() else {
            continue;
        };
        for block in settings.body.blocks_of("backend") {
            let location = item.at(db, block);
            let Some(kind) = block.label(0) else {
                return Err(LowerError::at(
                    location,
                    "a `backend` block needs the backend's type as its label: `backend \"s3\" { … }`",
                ));
            };
            if found.is_some() {
                return Err(LowerError::at(
                    location,
                    "a module has at most one `backend` block",
                ));
            }
            let arguments = constants(&block.body, &location, kind)?;
            found = Some(BackendConfig {
                kind: kind.to_string(),
                arguments,
                location,
            });
        }
    }
    Ok(found)
}

fn constants(
    body: &Body,
    location: &skel_plan_ir::SourceLocation,
    kind: &str,
) -> Result<BTreeMap<String, Value>, LowerError> {
    let mut out = BTreeMap::new();
    for attr in body.attributes() {
        let value = skel_eval::eval_with(&attr.expr, &BTreeMap::new(), &skel_stdlib::NoContext)
            .ok()
            .filter(|v| !v.has_unknown())
            .ok_or_else(|| {
                LowerError::at(
                    location.clone(),
                    format!(
                        "backend \"{kind}\": `{}` must be a constant: a backend cannot use \
                         variables, locals or references (it is opened before anything is \
                         evaluated). Pass values that differ per environment with `skelc init \
                         -backend-config={}=…`",
                        attr.name.name, attr.name.name
                    ),
                )
            })?;
        out.insert(attr.name.name.clone(), value);
    }
    for block in body.blocks() {
        let inner = constants(&block.body, location, kind)?;
        let mut object = ValueMap::default();
        for (k, v) in inner {
            object.insert(k, v);
        }
        out.insert(block.ident.name.clone(), Value::Object(object));
    }
    Ok(out)
}
