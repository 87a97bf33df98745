//! The built-in functions: signatures for the checker and implementations for evaluation, in one place.
//!
//! Each [`Function`] is data: its parameters (with types), a `return_type` rule that computes
//! the static result type from the argument types, and a `call` implementation. The checker
//! calls [`check_call`]; the evaluator calls [`call`], which converts arguments to the
//! parameter types, rejects nulls, and short-cuts to an unknown result when an argument is
//! unknown. `try` and `can` only have signatures here: the evaluator handles their laziness.

use std::sync::OnceLock;

use skel_value::{conversion, convert, Conversion, Marks, Type, Value};

mod collection;
#[cfg(test)]
mod collection_tests;
mod conversion;
mod crypto;
mod datetime;
mod encoding;
mod filesystem;
mod format;
mod maps;
mod network;
mod numeric;
mod sensitivity;
mod sets;
mod string;
#[cfg(test)]
mod testutil;
mod util;
mod yaml;

pub use format::format_value;

/// A built-in function.
pub struct Function {
    pub name: &'static str,
    pub description: &'static str,
    pub params: Vec<Param>,
    /// The parameter that repeats after the fixed ones, if any.
    pub variadic: Option<Param>,
    /// The static result type from the argument types (`Dynamic` = not known statically).
    pub return_type: fn(&[Type]) -> Result<Type, TypeError>,
    /// The implementation; arguments are already converted to the parameter types.
    pub call: fn(&[Value], &dyn Context) -> Result<Value, CallError>,
    /// Whether the result can differ between calls with the same arguments (`uuid`, `timestamp`).
    pub impure: bool,
    /// Whether `call` handles unknown arguments itself instead of [`call`] returning an
    /// unknown result as soon as one argument is unknown.
    pub handles_unknown: bool,
    /// Whether `call` sees its arguments' marks (`sensitive`, `nonsensitive`, `issensitive`).
    /// Every other function gets them unmarked, and its result carries the marks of all of
    /// them: a result is sensitive when any argument (or any part of one) is.
    pub handles_marks: bool,
}

impl std::fmt::Debug for Function {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&signature_string(self))
    }
}

/// A parameter of a built-in function.
#[derive(Clone, Debug)]
pub struct Param {
    pub name: &'static str,
    pub ty: Type,
    pub allow_null: bool,
}

/// A static type error in a call; `arg` is the index of the offending argument.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct TypeError {
    pub arg: Option<usize>,
    pub message: String,
}

impl TypeError {
    pub fn new(message: impl Into<String>) -> TypeError {
        TypeError {
            arg: None,
            message: message.into(),
        }
    }

    pub fn at(arg: usize, message: impl Into<String>) -> TypeError {
        TypeError {
            arg: Some(arg),
            message: message.into(),
        }
    }
}

/// An error while calling a function; `arg` is the index of the offending argument.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CallError {
    pub arg: Option<usize>,
    pub message: String,
}

impl CallError {
    pub fn new(message: impl Into<String>) -> CallError {
        CallError {
            arg: None,
            message: message.into(),
        }
    }

    pub fn at(arg: usize, message: impl Into<String>) -> CallError {
        CallError {
            arg: Some(arg),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// What functions that touch the outside world go through.
pub trait Context {
    fn read_file(&self, path: &str) -> Result<String, ContextError>;
    fn file_exists(&self, path: &str) -> Result<bool, ContextError>;
    /// Render template text with `vars` (an object or map) as its variables.
    fn render_template(&self, text: &str, vars: &Value) -> Result<String, ContextError>;
}

/// Why a [`Context`] could not read a file or render a template; `path` is the path as the
/// configuration wrote it.
#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    /// This context has no file system (pure evaluation).
    #[error("cannot {} {path:?}: no file system in this context", operation.verb())]
    NoFileSystem {
        operation: FileOperation,
        path: String,
    },
    /// The file system refused.
    #[error("cannot {} {path:?}: {source}", operation.verb())]
    Io {
        operation: FileOperation,
        path: String,
        source: std::io::Error,
    },
    /// A directory where a file was expected.
    #[error("{path:?} is a directory, not a file")]
    IsDirectory { path: String },
    /// This context renders no templates.
    #[error("templates cannot be rendered in this context")]
    NoTemplates,
    /// Templates rendering themselves, directly or through others.
    #[error(
        "templates nest more than {limit} deep: a template renders itself, directly or \
         through other templates"
    )]
    TemplateTooDeep { limit: usize },
    /// A template with a line the renderer reserves.
    #[error("the template contains a reserved marker line")]
    ReservedMarker,
    /// A template that does not parse, with the parser's message.
    #[error("{message}")]
    TemplateSyntax { message: String },
    /// A template that is no template expression.
    #[error("the template could not be parsed")]
    NotATemplate,
    /// A template whose evaluation failed, with the evaluator's message.
    #[error("{message}")]
    TemplateEval { message: String },
    /// A template that refers to values known only after apply.
    #[error("the template refers to values known only after apply")]
    TemplateUnknown,
}

/// What a [`Context`] was doing with a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileOperation {
    Read,
    Stat,
}

impl FileOperation {
    fn verb(self) -> &'static str {
        match self {
            FileOperation::Read => "read",
            FileOperation::Stat => "stat",
        }
    }
}

/// A context for pure evaluation: no file system, no templates.
pub struct NoContext;

impl Context for NoContext {
    fn read_file(&self, path: &str) -> Result<String, ContextError> {
        Err(ContextError::NoFileSystem {
            operation: FileOperation::Read,
            path: path.to_string(),
        })
    }
    fn file_exists(&self, path: &str) -> Result<bool, ContextError> {
        Err(ContextError::NoFileSystem {
            operation: FileOperation::Stat,
            path: path.to_string(),
        })
    }
    fn render_template(&self, _text: &str, _vars: &Value) -> Result<String, ContextError> {
        Err(ContextError::NoTemplates)
    }
}

/// Every built-in function, sorted by name.
pub fn all() -> &'static [Function] {
    static ALL: OnceLock<Vec<Function>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut fs = Vec::new();
        fs.extend(numeric::functions());
        fs.extend(string::functions());
        fs.extend(format::functions());
        fs.extend(collection::functions());
        fs.extend(sets::functions());
        fs.extend(maps::functions());
        fs.extend(encoding::functions());
        fs.extend(conversion::functions());
        fs.extend(network::functions());
        fs.extend(filesystem::functions());
        fs.extend(crypto::functions());
        fs.extend(datetime::functions());
        fs.extend(sensitivity::functions());
        fs.sort_by_key(|f| f.name);
        fs
    })
}

/// The function of that name.
pub fn lookup(name: &str) -> Option<&'static Function> {
    let fs = all();
    fs.binary_search_by_key(&name, |f| f.name)
        .ok()
        .map(|i| &fs[i])
}

/// The signature for hover: `join(separator: string, lists: list(string)...) string`.
pub fn signature_string(f: &Function) -> String {
    let mut params: Vec<String> = f
        .params
        .iter()
        .map(|p| format!("{}: {}", p.name, p.ty))
        .collect();
    if let Some(v) = &f.variadic {
        params.push(format!("{}: {}...", v.name, v.ty));
    }
    let generic: Vec<Type> = f
        .params
        .iter()
        .chain(f.variadic.as_ref())
        .map(|p| p.ty.clone())
        .collect();
    let ret = (f.return_type)(&generic)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| "any".into());
    format!("{}({}) {}", f.name, params.join(", "), ret)
}

/// The parameter an argument at `index` binds to.
pub fn param_for(f: &Function, index: usize) -> Option<&Param> {
    f.params.get(index).or(f.variadic.as_ref())
}

fn arity_error(f: &Function, given: usize) -> Option<String> {
    let min = f.params.len();
    if given < min {
        let noun = if min == 1 { "argument" } else { "arguments" };
        let least = if f.variadic.is_some() {
            "at least "
        } else {
            ""
        };
        return Some(format!(
            "{}() takes {least}{min} {noun}, but {given} were given",
            f.name
        ));
    }
    if f.variadic.is_none() && given > min {
        let noun = if min == 1 { "argument" } else { "arguments" };
        return Some(format!(
            "{}() takes {min} {noun}, but {given} were given",
            f.name
        ));
    }
    None
}

/// Type-check a call: arity, each argument against its parameter type (conversions that may
/// fail at evaluation are allowed), then the function's own return-type rule.
pub fn check_call(f: &Function, args: &[Type]) -> Result<Type, TypeError> {
    if let Some(message) = arity_error(f, args.len()) {
        return Err(TypeError::new(message));
    }
    for (i, ty) in args.iter().enumerate() {
        let Some(param) = param_for(f, i) else {
            continue;
        };
        if conversion(ty, &param.ty) == Conversion::Impossible {
            return Err(TypeError::at(
                i,
                format!(
                    "invalid value for \"{}\" parameter: {} required, got {}",
                    param.name, param.ty, ty
                ),
            ));
        }
    }
    (f.return_type)(args)
}

/// Call a function on argument values (after `...` expansion). Converts each argument to its
/// parameter type, rejects nulls where the parameter does not allow them, and returns an
/// unknown value of the result type when an argument is unknown. Marks: the arguments are
/// unmarked, the result gets the marks of every argument, and an error about a marked
/// argument does not repeat the function's message (it could quote the value).
pub fn call(f: &Function, args: &[Value], ctx: &dyn Context) -> Result<Value, CallError> {
    if f.handles_marks {
        return call_unmarked(f, args, ctx);
    }
    let marks = args.iter().fold(Marks::NONE, |acc, a| acc | a.deep_marks());
    if marks.is_empty() {
        return call_unmarked(f, args, ctx);
    }
    let plain: Vec<Value> = args.iter().map(|a| a.clone().unmark_deep().0).collect();
    match call_unmarked(f, &plain, ctx) {
        Ok(v) => Ok(v.mark(marks)),
        Err(e) => Err(CallError {
            arg: e.arg,
            message: "the call failed on a sensitive argument (the details are not shown)"
                .to_string(),
        }),
    }
}

fn call_unmarked(f: &Function, args: &[Value], ctx: &dyn Context) -> Result<Value, CallError> {
    if let Some(message) = arity_error(f, args.len()) {
        return Err(CallError::new(message));
    }
    let mut converted = Vec::with_capacity(args.len());
    for (i, arg) in args.iter().enumerate() {
        let Some(param) = param_for(f, i) else {
            continue;
        };
        if arg.is_null() && !param.allow_null {
            return Err(CallError::at(
                i,
                format!(
                    "invalid value for \"{}\" parameter: argument must not be null",
                    param.name
                ),
            ));
        }
        let value = convert(arg, &param.ty).map_err(|e| {
            CallError::at(
                i,
                format!("invalid value for \"{}\" parameter: {e}", param.name),
            )
        })?;
        converted.push(value);
    }
    if !f.handles_unknown && converted.iter().any(Value::has_unknown) {
        let types: Vec<Type> = converted.iter().map(Value::type_of).collect();
        let ty = (f.return_type)(&types).unwrap_or(Type::Dynamic);
        return Ok(Value::Unknown(ty));
    }
    (f.call)(&converted, ctx)
}

/// Call a function by name.
pub fn call_by_name(name: &str, args: &[Value], ctx: &dyn Context) -> Result<Value, CallError> {
    let f = lookup(name)
        .ok_or_else(|| CallError::new(format!("there is no function named {name:?}")))?;
    call(f, args, ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_sorted_and_complete() {
        let names: Vec<&str> = all().iter().map(|f| f.name).collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(names, sorted, "names are sorted and unique");
        for name in [
            "abs",
            "ceil",
            "floor",
            "log",
            "max",
            "min",
            "parseint",
            "pow",
            "signum",
            "chomp",
            "endswith",
            "format",
            "formatlist",
            "indent",
            "join",
            "lower",
            "regex",
            "regexall",
            "replace",
            "split",
            "startswith",
            "strrev",
            "substr",
            "title",
            "trim",
            "trimprefix",
            "trimsuffix",
            "trimspace",
            "upper",
            "alltrue",
            "anytrue",
            "chunklist",
            "coalesce",
            "coalescelist",
            "compact",
            "concat",
            "contains",
            "distinct",
            "element",
            "flatten",
            "index",
            "keys",
            "length",
            "lookup",
            "matchkeys",
            "merge",
            "one",
            "range",
            "reverse",
            "setintersection",
            "setproduct",
            "setsubtract",
            "setunion",
            "slice",
            "sort",
            "sum",
            "transpose",
            "values",
            "zipmap",
            "base64decode",
            "base64encode",
            "jsondecode",
            "jsonencode",
            "urlencode",
            "yamldecode",
            "yamlencode",
            "tostring",
            "tonumber",
            "tobool",
            "tolist",
            "toset",
            "tomap",
            "try",
            "can",
            "cidrhost",
            "cidrnetmask",
            "cidrsubnet",
            "cidrsubnets",
            "file",
            "fileexists",
            "templatefile",
            "md5",
            "sha1",
            "sha256",
            "uuid",
            "timestamp",
        ] {
            assert!(lookup(name).is_some(), "{name} is missing");
        }
        assert!(lookup("nope").is_none());
    }

    #[test]
    fn signatures() {
        let join = lookup("join").unwrap();
        assert_eq!(
            signature_string(join),
            "join(separator: string, lists: list(string)...) string"
        );
        for f in all() {
            assert!(f.description.ends_with('.'), "{} description", f.name);
            let _ = signature_string(f);
        }
    }

    #[test]
    fn check_call_arity_and_types() {
        let upper = lookup("upper").unwrap();
        assert_eq!(check_call(upper, &[Type::String]), Ok(Type::String));
        assert_eq!(check_call(upper, &[Type::Number]), Ok(Type::String));
        let err = check_call(upper, &[Type::list(Type::String)]).unwrap_err();
        assert_eq!(err.arg, Some(0));
        assert!(err.message.contains("string required"), "{}", err.message);
        assert!(check_call(upper, &[])
            .unwrap_err()
            .message
            .contains("takes 1 argument"));
        let join = lookup("join").unwrap();
        assert!(check_call(join, &[Type::String]).is_err());
        assert_eq!(
            check_call(
                join,
                &[Type::String, Type::list(Type::String), Type::Dynamic]
            ),
            Ok(Type::String)
        );
    }

    #[test]
    fn call_converts_rejects_null_and_propagates_unknown() {
        let ctx = NoContext;
        assert_eq!(
            call_by_name("upper", &[Value::number(1)], &ctx),
            Ok(Value::string("1"))
        );
        assert!(call_by_name("upper", &[Value::Null], &ctx).is_err());
        assert_eq!(
            call_by_name("upper", &[Value::Unknown(Type::String)], &ctx),
            Ok(Value::Unknown(Type::String))
        );
        assert!(call_by_name("nope", &[], &ctx).is_err());
    }
}
