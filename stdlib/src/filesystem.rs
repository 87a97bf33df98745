//! File and path functions: file, fileexists, filebase64, templatefile, abspath, basename,
//! dirname, pathexpand. All file access goes through the [`Context`](crate::Context).

use base64::Engine;
use skel_value::{Type, Value};

use crate::util::{arg, func, p, ret_bool, ret_string, str_arg};
use crate::{CallError, Function, TypeError};

pub(crate) fn functions() -> Vec<Function> {
    let s = || vec![p("path", Type::String)];
    vec![
        func(
            "abspath",
            "Converts a relative filesystem path to an absolute one.",
            s(),
            ret_string,
            |a, _| {
                let path = str_arg(a, 0)?;
                std::path::absolute(path)
                    .map(|p| Value::String(p.to_string_lossy().replace('\\', "/")))
                    .map_err(|e| CallError::at(0, format!("cannot make {path:?} absolute: {e}")))
            },
        ),
        func(
            "basename",
            "Returns the last element of a filesystem path.",
            s(),
            ret_string,
            |a, _| {
                let path = str_arg(a, 0)?;
                let trimmed = path.trim_end_matches('/');
                if trimmed.is_empty() {
                    return Ok(Value::string(if path.is_empty() { "." } else { "/" }));
                }
                Ok(Value::string(trimmed.rsplit('/').next().unwrap_or(trimmed)))
            },
        ),
        func(
            "dirname",
            "Removes the last element of a filesystem path.",
            s(),
            ret_string,
            |a, _| {
                let path = str_arg(a, 0)?;
                Ok(Value::String(match path.rfind('/') {
                    None => ".".into(),
                    Some(0) => "/".into(),
                    Some(i) => path[..i].trim_end_matches('/').to_string(),
                }))
            },
        ),
        func(
            "file",
            "Reads the contents of a file as a UTF-8 string.",
            s(),
            ret_string,
            |a, c| {
                c.read_file(str_arg(a, 0)?)
                    .map(Value::String)
                    .map_err(|e| CallError::at(0, e.to_string()))
            },
        ),
        func(
            "filebase64",
            "Reads the contents of a file and encodes them as Base64.",
            s(),
            ret_string,
            |a, c| {
                let text = c
                    .read_file(str_arg(a, 0)?)
                    .map_err(|e| CallError::at(0, e.to_string()))?;
                Ok(Value::String(
                    base64::engine::general_purpose::STANDARD.encode(text),
                ))
            },
        ),
        func(
            "fileexists",
            "Returns whether a file exists at the given path.",
            s(),
            ret_bool,
            |a, c| {
                c.file_exists(str_arg(a, 0)?)
                    .map(Value::Bool)
                    .map_err(|e| CallError::at(0, e.to_string()))
            },
        ),
        func(
            "pathexpand",
            "Replaces a leading ~ in a path with the current user's home directory.",
            s(),
            ret_string,
            |a, _| {
                let path = str_arg(a, 0)?;
                let home = std::env::var("HOME").unwrap_or_default();
                Ok(Value::String(match path.strip_prefix('~') {
                    Some(rest) if rest.is_empty() || rest.starts_with('/') => {
                        format!("{home}{rest}")
                    }
                    _ => path.to_string(),
                }))
            },
        ),
        func(
            "templatefile",
            "Reads a file and renders it as a template with the given variables.",
            vec![p("path", Type::String), p("vars", Type::Dynamic)],
            |ts| match &ts[1] {
                Type::Map(_) | Type::Object(_) | Type::Dynamic => Ok(Type::String),
                t => Err(TypeError::at(1, format!("map or object required, got {t}"))),
            },
            |a, c| {
                let vars = arg(a, 1)?;
                if vars.as_mapping().is_none() {
                    return Err(CallError::at(
                        1,
                        "invalid vars value: must be a map or object",
                    ));
                }
                let text = c
                    .read_file(str_arg(a, 0)?)
                    .map_err(|e| CallError::at(0, e.to_string()))?;
                c.render_template(&text, vars)
                    .map(Value::String)
                    .map_err(|e| CallError::new(format!("error in template: {e}")))
            },
        ),
    ]
}

#[cfg(test)]
mod tests {
    use crate::{call_by_name, Context, ContextError, FileOperation, NoContext};
    use skel_value::Value;

    struct Fake;
    impl Context for Fake {
        fn read_file(&self, path: &str) -> Result<String, ContextError> {
            if path == "a.txt" {
                Ok("hi".into())
            } else {
                Err(ContextError::Io {
                    operation: FileOperation::Read,
                    path: path.into(),
                    source: std::io::ErrorKind::NotFound.into(),
                })
            }
        }
        fn file_exists(&self, path: &str) -> Result<bool, ContextError> {
            Ok(path == "a.txt")
        }
        fn render_template(&self, text: &str, vars: &Value) -> Result<String, ContextError> {
            Ok(format!("{text}:{vars}"))
        }
    }
    fn s(v: &str) -> Value {
        Value::string(v)
    }

    #[test]
    fn files() {
        assert_eq!(call_by_name("file", &[s("a.txt")], &Fake), Ok(s("hi")));
        assert!(call_by_name("file", &[s("b.txt")], &Fake).is_err());
        assert!(call_by_name("file", &[s("a.txt")], &NoContext).is_err());
        assert_eq!(
            call_by_name("fileexists", &[s("b.txt")], &Fake),
            Ok(Value::Bool(false))
        );
        assert_eq!(
            call_by_name("filebase64", &[s("a.txt")], &Fake),
            Ok(s("aGk="))
        );
        let vars = Value::Object([("x".into(), s("y"))].into());
        assert_eq!(
            call_by_name("templatefile", &[s("a.txt"), vars], &Fake),
            Ok(s("hi:{x = \"y\"}"))
        );
        assert!(call_by_name("templatefile", &[s("a.txt"), s("no")], &Fake).is_err());
    }

    #[test]
    fn context_errors_keep_their_messages() {
        let err = |f: &str| call_by_name(f, &[s("x.txt")], &NoContext).unwrap_err();
        assert_eq!(
            err("file").to_string(),
            "cannot read \"x.txt\": no file system in this context"
        );
        assert_eq!(
            err("fileexists").to_string(),
            "cannot stat \"x.txt\": no file system in this context"
        );
        let vars = Value::Object(Default::default());
        let e = NoContext.render_template("t", &vars).unwrap_err();
        assert!(matches!(e, ContextError::NoTemplates));
        assert_eq!(
            e.to_string(),
            "templates cannot be rendered in this context"
        );
        let e = Fake.read_file("b.txt").unwrap_err();
        let ContextError::Io {
            operation, path, ..
        } = &e
        else {
            panic!("{e:?}")
        };
        assert_eq!((*operation, path.as_str()), (FileOperation::Read, "b.txt"));
        assert!(e.to_string().starts_with("cannot read \"b.txt\": "), "{e}");
        let tpl = |n: usize| ContextError::TemplateTooDeep { limit: n }.to_string();
        assert_eq!(
            tpl(16),
            "templates nest more than 16 deep: a template renders itself, directly or through \
             other templates"
        );
    }

    #[test]
    fn paths() {
        let c = |f: &str, v: &str| call_by_name(f, &[s(v)], &NoContext).unwrap();
        assert_eq!(c("basename", "foo/bar/baz.txt"), s("baz.txt"));
        assert_eq!(c("basename", "/"), s("/"));
        assert_eq!(c("dirname", "foo/bar/baz.txt"), s("foo/bar"));
        assert_eq!(c("dirname", "baz.txt"), s("."));
        assert_eq!(c("dirname", "/baz"), s("/"));
        assert!(c("abspath", "x").as_str().unwrap().starts_with('/'));
        assert_eq!(c("pathexpand", "/abs"), s("/abs"));
    }
}
