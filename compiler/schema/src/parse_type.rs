//! A parser for Terraform type-constraint strings (`list(string)`, `object({a=string})`, `any`).

use skel_value::{ObjectType, Type, Value};

/// Parses a Terraform type constraint into a [`Type`].
///
/// Accepts `any`, `string`, `number`, `bool`, `list(T)`, `set(T)`, `map(T)`, the bare
/// collection keywords `list`/`set`/`map` (meaning element type `any`), `tuple([T, ...])` and
/// `object({name = T, ...})`, where an object attribute may be `optional(T)` or
/// `optional(T, default)` with a literal default (string, number, bool or null). Attribute
/// separators may be commas or newlines; whitespace is insignificant. The output of
/// `Type`'s `Display` parses back to the same type.
pub fn parse_type(s: &str) -> Result<Type, TypeSyntaxError> {
    let mut p = Parser { src: s, pos: 0 };
    let ty = p.ty()?;
    p.skip_ws();
    if p.pos != s.len() {
        return Err(p.error(TypeProblem::TrailingInput));
    }
    Ok(ty)
}

/// A type constraint that does not parse: the text, what was wrong, and the byte offset where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid type `{text}`: {problem} at offset {offset}")]
pub struct TypeSyntaxError {
    pub text: String,
    pub problem: TypeProblem,
    pub offset: usize,
}

/// What is wrong in a type constraint.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TypeProblem {
    #[error("unexpected trailing input")]
    TrailingInput,
    #[error("expected `{0}`")]
    Expected(char),
    #[error("expected a name")]
    ExpectedName,
    #[error("duplicate attribute `{0}`")]
    DuplicateAttribute(String),
    #[error("unknown type `{0}`")]
    UnknownType(String),
    #[error("expected a literal default (string, number, bool or null)")]
    ExpectedLiteral,
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &str {
        &self.src[self.pos..]
    }

    fn error(&self, problem: TypeProblem) -> TypeSyntaxError {
        TypeSyntaxError {
            text: self.src.to_string(),
            problem,
            offset: self.pos,
        }
    }

    fn skip_ws(&mut self) {
        let trimmed = self.rest().trim_start();
        self.pos = self.src.len() - trimmed.len();
    }

    fn peek(&mut self) -> Option<char> {
        self.skip_ws();
        self.rest().chars().next()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char) -> Result<(), TypeSyntaxError> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.error(TypeProblem::Expected(c)))
        }
    }

    fn ident(&mut self) -> Result<&'a str, TypeSyntaxError> {
        self.skip_ws();
        let start = self.pos;
        let len = self
            .rest()
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(self.rest().len());
        if len == 0 {
            return Err(self.error(TypeProblem::ExpectedName));
        }
        self.pos += len;
        Ok(&self.src[start..start + len])
    }

    fn ty(&mut self) -> Result<Type, TypeSyntaxError> {
        let start = self.pos;
        let word = self.ident()?;
        match word {
            "any" => Ok(Type::Dynamic),
            "string" => Ok(Type::String),
            "number" => Ok(Type::Number),
            "bool" => Ok(Type::Bool),
            "list" | "set" | "map" => {
                let elem = if self.eat('(') {
                    let t = self.ty()?;
                    self.expect(')')?;
                    t
                } else {
                    Type::Dynamic
                };
                Ok(match word {
                    "list" => Type::list(elem),
                    "set" => Type::set(elem),
                    _ => Type::map(elem),
                })
            }
            "tuple" => {
                self.expect('(')?;
                self.expect('[')?;
                let mut elems = Vec::new();
                while !self.eat(']') {
                    elems.push(self.ty()?);
                    if !self.eat(',') {
                        self.expect(']')?;
                        break;
                    }
                }
                self.expect(')')?;
                Ok(Type::Tuple(elems))
            }
            "object" => {
                self.expect('(')?;
                self.expect('{')?;
                let mut obj = ObjectType::default();
                while !self.eat('}') {
                    let name = self.ident()?.to_string();
                    if !self.eat('=') {
                        self.expect(':')?;
                    }
                    let (ty, optional) = self.object_attr_type()?;
                    if obj.attrs.insert(name.clone(), ty).is_some() {
                        return Err(self.error(TypeProblem::DuplicateAttribute(name)));
                    }
                    if let Some(default) = optional {
                        obj.optional.insert(name, default);
                    }
                    // Commas are optional separators (HCL allows newlines instead).
                    self.eat(',');
                }
                self.expect(')')?;
                Ok(Type::Object(obj))
            }
            _ => {
                self.pos = start;
                Err(self.error(TypeProblem::UnknownType(word.to_string())))
            }
        }
    }

    /// An object attribute's type; the second part is `Some(default)` when it is `optional(…)`.
    fn object_attr_type(&mut self) -> Result<(Type, Option<Option<Value>>), TypeSyntaxError> {
        self.skip_ws();
        if let Some(after) = self.rest().strip_prefix("optional") {
            if after.trim_start().starts_with('(') {
                self.pos += "optional".len();
                self.expect('(')?;
                let ty = self.ty()?;
                let default = if self.eat(',') {
                    Some(self.literal()?)
                } else {
                    None
                };
                self.expect(')')?;
                return Ok((ty, Some(default)));
            }
        }
        Ok((self.ty()?, None))
    }

    /// A literal default value: a JSON string, a number, `true`, `false` or `null`.
    fn literal(&mut self) -> Result<Value, TypeSyntaxError> {
        self.skip_ws();
        let rest = self.rest();
        let len = if rest.starts_with('"') {
            let mut escaped = false;
            rest.char_indices()
                .skip(1)
                .find(|&(_, c)| {
                    let end = c == '"' && !escaped;
                    escaped = c == '\\' && !escaped;
                    end
                })
                .map_or(rest.len(), |(i, _)| i + 1)
        } else {
            rest.find(|c: char| c == ',' || c == ')' || c == '}' || c.is_whitespace())
                .unwrap_or(rest.len())
        };
        match serde_json::from_str::<serde_json::Value>(&rest[..len]) {
            Ok(json) if !json.is_array() && !json.is_object() => {
                self.pos += len;
                Ok(Value::from_json(&json))
            }
            _ => Err(self.error(TypeProblem::ExpectedLiteral)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primitives_and_collections() {
        assert_eq!(parse_type("string").unwrap(), Type::String);
        assert_eq!(parse_type(" any ").unwrap(), Type::Dynamic);
        assert_eq!(
            parse_type("list(string)").unwrap(),
            Type::list(Type::String)
        );
        assert_eq!(parse_type("map").unwrap(), Type::map(Type::Dynamic));
        assert_eq!(
            parse_type("set( map( number ) )").unwrap(),
            Type::set(Type::map(Type::Number))
        );
    }

    #[test]
    fn structural() {
        let t = parse_type("object({a=string,b=number})").unwrap();
        assert_eq!(t, Type::object([("a", Type::String), ("b", Type::Number)]));
        let t = parse_type("tuple([string, bool])").unwrap();
        assert_eq!(t, Type::Tuple(vec![Type::String, Type::Bool]));
        assert_eq!(parse_type("tuple([])").unwrap(), Type::Tuple(vec![]));
        assert_eq!(
            parse_type("object({})").unwrap(),
            Type::object::<[(&str, Type); 0], &str>([])
        );
    }

    #[test]
    fn optional_attributes() {
        let t = parse_type(r#"object({a = optional(string, "x"), b = optional(number)})"#).unwrap();
        let Type::Object(o) = &t else { panic!() };
        assert_eq!(o.optional["a"], Some(Value::string("x")));
        assert_eq!(o.optional["b"], None);
        assert_eq!(parse_type(&t.to_string()).unwrap(), t);
    }

    #[test]
    fn round_trip_through_display() {
        for s in [
            "any",
            "list(string)",
            "set(map(bool))",
            "tuple([string, number, list(any)])",
            "object({a = string, b = list(object({c = number}))})",
            "object({a = optional(bool, true), n = optional(number, 3)})",
        ] {
            let t = parse_type(s).unwrap();
            assert_eq!(t.to_string(), s);
            assert_eq!(parse_type(&t.to_string()).unwrap(), t);
        }
    }

    #[test]
    fn errors() {
        for s in [
            "",
            "strin",
            "list(",
            "list(string",
            "object({a})",
            "string x",
            "tuple(string)",
            "object({a=string,a=number})",
        ] {
            assert!(parse_type(s).is_err(), "{s:?} should not parse");
        }
        let e = parse_type("list(strin)").unwrap_err();
        assert_eq!(e.problem, TypeProblem::UnknownType("strin".into()));
        assert_eq!(e.offset, 5);
        assert_eq!(
            e.to_string(),
            "invalid type `list(strin)`: unknown type `strin` at offset 5"
        );
        let e = parse_type("object({a=string,a=number})").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid type `object({a=string,a=number})`: duplicate attribute `a` at offset 25"
        );
        assert_eq!(
            parse_type("list(string").unwrap_err().to_string(),
            "invalid type `list(string`: expected `)` at offset 11"
        );
    }
}
