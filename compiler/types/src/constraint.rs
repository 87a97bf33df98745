//! Type constraints: Terraform's type-constraint language (`list(string)`, `object({…})`,
//! `optional(T, default)`) read from an expression.

use std::collections::BTreeMap;

use skel_syntax::{Expr, ExprKind, TextRange};
use skel_value::{ObjectType, Type, Value};

/// An error in a type constraint, at a range inside it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ConstraintError {
    pub message: String,
    pub range: TextRange,
    pub help: Option<String>,
}

const PRIMITIVES: &[&str] = &["string", "number", "bool", "any"];
const CONSTRUCTORS: &[&str] = &["list", "set", "map", "tuple", "object"];

/// Read a type constraint. On error the result is `any` so checking can go on.
pub fn type_from_expr(expr: &Expr) -> Result<Type, ConstraintError> {
    read(expr, false)
}

fn err(range: TextRange, message: impl Into<String>) -> ConstraintError {
    ConstraintError {
        message: message.into(),
        range,
        help: None,
    }
}

fn read(expr: &Expr, in_object: bool) -> Result<Type, ConstraintError> {
    match &expr.kind {
        ExprKind::Variable(ident) => match ident.name.as_str() {
            "string" => Ok(Type::String),
            "number" => Ok(Type::Number),
            "bool" => Ok(Type::Bool),
            "any" => Ok(Type::Dynamic),
            // Legacy bare collection kinds mean a collection of `any`.
            "list" => Ok(Type::list(Type::Dynamic)),
            "set" => Ok(Type::set(Type::Dynamic)),
            "map" => Ok(Type::map(Type::Dynamic)),
            other => Err(ConstraintError {
                help: skel_db::did_you_mean(other, PRIMITIVES.iter().chain(CONSTRUCTORS).copied()),
                ..err(expr.range, format!("`{other}` is not a type"))
            }),
        },
        // Terraform 0.11 quoted type names.
        ExprKind::Template(t) => match t.as_literal().as_deref() {
            Some("string") => Ok(Type::String),
            Some("list") => Ok(Type::list(Type::Dynamic)),
            Some("map") => Ok(Type::map(Type::Dynamic)),
            _ => Err(ConstraintError {
                help: Some("write the type without quotes, for example `string`".into()),
                ..err(expr.range, "a type constraint is a type expression, not a string")
            }),
        },
        ExprKind::Call { name, args, .. } => {
            let one = |what: &str| -> Result<&Expr, ConstraintError> {
                match args.as_slice() {
                    [arg] => Ok(arg),
                    _ => Err(err(
                        expr.range,
                        format!("`{}({what})` takes exactly one argument", name.name),
                    )),
                }
            };
            match name.name.as_str() {
                "list" => Ok(Type::list(read(one("T")?, false)?)),
                "set" => Ok(Type::set(read(one("T")?, false)?)),
                "map" => Ok(Type::map(read(one("T")?, false)?)),
                "tuple" => match &one("[T, …]")?.kind {
                    ExprKind::Tuple(items) => Ok(Type::Tuple(
                        items
                            .iter()
                            .map(|e| read(e, false))
                            .collect::<Result<_, _>>()?,
                    )),
                    _ => Err(err(args[0].range, "`tuple` takes a list of types: `tuple([string, number])`")),
                },
                "object" => match &one("{…}")?.kind {
                    ExprKind::Object(items) => {
                        let mut object = ObjectType::new(BTreeMap::new());
                        for item in items {
                            let key = object_key(&item.key).ok_or_else(|| {
                                err(item.key.range, "an object type's attribute names must be plain names")
                            })?;
                            match optional(&item.value)? {
                                Some((ty, default)) => {
                                    object.attrs.insert(key.clone(), ty);
                                    object.optional.insert(key, default);
                                }
                                None => {
                                    object.attrs.insert(key, read(&item.value, true)?);
                                }
                            }
                        }
                        Ok(Type::Object(object))
                    }
                    _ => Err(err(args[0].range, "`object` takes an object of attribute types: `object({ name = string })`")),
                },
                "optional" if !in_object => Err(ConstraintError {
                    help: Some("use it for an attribute: `object({ port = optional(number, 80) })`".into()),
                    ..err(expr.range, "`optional` is only allowed for attributes of an object type")
                }),
                "optional" => Err(err(expr.range, "`optional` must be the whole type of an attribute")),
                other => Err(ConstraintError {
                    help: skel_db::did_you_mean(other, CONSTRUCTORS.iter().copied()),
                    ..err(name.range, format!("`{other}` is not a type constructor"))
                }),
            }
        }
        ExprKind::Parens(inner) => read(inner, in_object),
        _ => Err(ConstraintError {
            help: Some("types are written `string`, `number`, `bool`, `any`, `list(T)`, `set(T)`, `map(T)`, `tuple([…])` or `object({…})`".into()),
            ..err(expr.range, "not a type constraint")
        }),
    }
}

/// `optional(T)` or `optional(T, default)` as an object attribute's type.
fn optional(expr: &Expr) -> Result<Option<(Type, Option<Value>)>, ConstraintError> {
    let ExprKind::Call { name, args, .. } = &expr.kind else {
        return Ok(None);
    };
    if name.name != "optional" {
        return Ok(None);
    }
    match args.as_slice() {
        [ty] => Ok(Some((read(ty, false)?, None))),
        [ty, default] => {
            let ty = read(ty, false)?;
            let value = crate::constant::constant_value(default).ok_or_else(|| {
                err(
                    default.range,
                    "an optional attribute's default must be a constant value",
                )
            })?;
            let value = skel_value::convert(&value, &ty).map_err(|e| {
                err(
                    default.range,
                    format!("default value does not match the attribute type {ty}: {e}"),
                )
            })?;
            Ok(Some((ty, Some(value))))
        }
        _ => Err(err(
            expr.range,
            "`optional` takes a type and an optional default value",
        )),
    }
}

/// The literal name of an object key (`name` or `"name"`).
pub fn object_key(key: &Expr) -> Option<String> {
    match &key.kind {
        ExprKind::Variable(ident) => Some(ident.name.clone()),
        ExprKind::Template(t) => t.as_literal(),
        ExprKind::Parens(inner) => object_key(inner),
        _ => None,
    }
}
