//! Building diagnostics: the just-recorded diagnostic to add details to, and the hints of
//! common mistakes.

use skel_db::{Diagnostic, ItemRef};
use skel_syntax::TextRange;
use skel_value::Type;

/// A just-recorded diagnostic, to add details to in place.
pub struct DiagMut<'a>(pub(super) &'a mut Diagnostic, pub(super) ItemRef);

impl DiagMut<'_> {
    pub fn with_span_message(self, message: impl Into<String>) -> Self {
        self.0.span_message = message.into();
        self
    }

    pub fn with_label(self, span: skel_db::Span, message: impl Into<String>) -> Self {
        self.0.labels.push(skel_db::Label {
            span,
            message: message.into(),
        });
        self
    }

    /// A label at a range of the same item.
    pub fn with_label_here(self, range: TextRange, message: impl Into<String>) -> Self {
        let span = self.1.span(range);
        self.with_label(span, message)
    }

    pub fn with_note(self, note: impl Into<String>) -> Self {
        self.0.notes.push(note.into());
        self
    }
}

impl std::ops::Deref for DiagMut<'_> {
    type Target = Diagnostic;
    fn deref(&self) -> &Diagnostic {
        self.0
    }
}

impl std::ops::DerefMut for DiagMut<'_> {
    fn deref_mut(&mut self) -> &mut Diagnostic {
        self.0
    }
}

pub(super) fn list_names<'a>(names: impl Iterator<Item = &'a String>) -> String {
    let v: Vec<String> = names.map(|n| format!("`{n}`")).collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// Whether values of these two types can never compare equal (both known, different kinds).
pub(super) fn never_equal(a: &Type, b: &Type) -> bool {
    let kind = |t: &Type| match t {
        Type::Dynamic => None,
        Type::String => Some(0),
        Type::Number => Some(1),
        Type::Bool => Some(2),
        Type::List(_) | Type::Tuple(_) | Type::Set(_) => Some(3),
        Type::Map(_) | Type::Object(_) => Some(4),
    };
    matches!((kind(a), kind(b)), (Some(x), Some(y)) if x != y)
}

/// A hint for a common type mismatch.
pub(super) fn conversion_hint(found: &Type, expected: &Type) -> Option<String> {
    match (found, expected) {
        (Type::List(_) | Type::Tuple(_) | Type::Set(_), Type::String) => {
            Some("pick one element with an index (`x[0]`) or join them: `join(\",\", x)`".into())
        }
        (Type::String, Type::List(_) | Type::Set(_)) => Some("wrap it in brackets: `[x]`".into()),
        (Type::Tuple(_) | Type::List(_), Type::Map(_) | Type::Object(_)) => {
            Some("build an object with `{ for … : k => v }`".into())
        }
        (Type::Object(_) | Type::Map(_), Type::String) => {
            Some("use jsonencode(…) to turn a structure into a string".into())
        }
        _ => None,
    }
}
