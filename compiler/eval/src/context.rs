//! The real-file-system [`Context`]: `file` reads from disk, `templatefile` parses the
//! template with `skel_syntax` and evaluates it with the given variables as its scope.

use std::path::PathBuf;

use skel_stdlib::{Context, ContextError, FileOperation};
use skel_syntax::{ExprKind, Item, TemplatePart};
use skel_value::Value;

/// File functions resolve relative paths against `base_dir` (the module directory).
#[derive(Clone, Debug, Default)]
pub struct FsContext {
    pub base_dir: PathBuf,
    /// How many `templatefile` renderings enclose this one.
    depth: usize,
}

/// The deepest `templatefile` nesting: a template that renders itself, directly or through
/// others, stops here with an error instead of exhausting the stack.
pub const MAX_TEMPLATE_DEPTH: usize = 16;

impl FsContext {
    pub fn new(base_dir: impl Into<PathBuf>) -> FsContext {
        FsContext {
            base_dir: base_dir.into(),
            depth: 0,
        }
    }

    fn resolve(&self, path: &str) -> PathBuf {
        let p = std::path::Path::new(path);
        if p.is_absolute() || self.base_dir.as_os_str().is_empty() {
            p.to_path_buf()
        } else {
            self.base_dir.join(p)
        }
    }
}

const MARKER: &str = "__SKEL_TEMPLATE_END__";

impl Context for FsContext {
    fn read_file(&self, path: &str) -> Result<String, ContextError> {
        std::fs::read_to_string(self.resolve(path)).map_err(|source| ContextError::Io {
            operation: FileOperation::Read,
            path: path.to_string(),
            source,
        })
    }

    fn file_exists(&self, path: &str) -> Result<bool, ContextError> {
        let p = self.resolve(path);
        match std::fs::metadata(&p) {
            Ok(m) if m.is_dir() => Err(ContextError::IsDirectory {
                path: path.to_string(),
            }),
            Ok(_) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(source) => Err(ContextError::Io {
                operation: FileOperation::Stat,
                path: path.to_string(),
                source,
            }),
        }
    }

    fn render_template(&self, text: &str, vars: &Value) -> Result<String, ContextError> {
        if self.depth >= MAX_TEMPLATE_DEPTH {
            return Err(ContextError::TemplateTooDeep {
                limit: MAX_TEMPLATE_DEPTH,
            });
        }
        if text.lines().any(|l| l.trim() == MARKER) {
            return Err(ContextError::ReservedMarker);
        }
        // A template file is parsed as the body of a heredoc, which has the same syntax.
        let source = format!("t = <<{MARKER}\n{text}\n{MARKER}\n");
        let parse = skel_syntax::parse(&source);
        if let Some(err) = parse.errors.first() {
            return Err(ContextError::TemplateSyntax {
                message: err.message.clone(),
            });
        }
        let expr = parse
            .file
            .items
            .first()
            .and_then(|top| match &*top.item {
                Item::Attribute(a) => Some(a.expr.clone()),
                _ => None,
            })
            .ok_or(ContextError::NotATemplate)?;
        let ExprKind::Template(mut template) = expr.kind else {
            return Err(ContextError::NotATemplate);
        };
        // The heredoc adds one newline before its closing marker: drop it from the last literal.
        if let Some(TemplatePart::Literal { value, .. }) = template.parts.last_mut() {
            if value.ends_with('\n') {
                value.pop();
            }
        }
        let scope: skel_value::ValueMap = vars.as_mapping().cloned().unwrap_or_default();
        let inner = FsContext {
            base_dir: self.base_dir.clone(),
            depth: self.depth + 1,
        };
        let value = crate::eval_template(&template, &scope, &inner)
            .map_err(|e| ContextError::TemplateEval { message: e.message })?;
        match value {
            Value::String(s) => Ok(s),
            Value::Unknown(_) => Err(ContextError::TemplateUnknown),
            other => Ok(other.to_string()),
        }
    }
}
