//! Type-level conversion and unification, following Terraform's (cty's) rules.

use crate::{ObjectType, Type};

/// How a value of one type converts to another, from worst to best.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Conversion {
    /// No value of the source type converts.
    Impossible,
    /// Some values convert and some fail at evaluation (`"12"` → number works, `"x"` does not).
    Unsafe,
    /// Every value converts (number → string, tuple of strings → list(string)).
    Safe,
    /// The types are the same, or the target is `any`.
    Exact,
}

/// How a value of type `from` converts to type `to`.
pub fn conversion(from: &Type, to: &Type) -> Conversion {
    use Conversion::*;
    if from == to {
        return Exact;
    }
    match (from, to) {
        (_, Type::Dynamic) => Exact,
        // The type is not known statically; evaluation checks the value.
        (Type::Dynamic, _) => Safe,
        (Type::Number | Type::Bool, Type::String) => Safe,
        (Type::String, Type::Number | Type::Bool) => Unsafe,
        (Type::List(a) | Type::Set(a), Type::List(b) | Type::Set(b)) => conversion(a, b).min(Safe),
        (Type::Map(a), Type::Map(b)) => conversion(a, b).min(Safe),
        (Type::Tuple(elems), Type::List(b) | Type::Set(b)) => elems
            .iter()
            .map(|e| conversion(e, b))
            .fold(Safe, Conversion::min),
        (Type::Object(o), Type::Map(b)) => o
            .attrs
            .values()
            .map(|e| conversion(e, b))
            .fold(Safe, Conversion::min),
        (Type::Tuple(a), Type::Tuple(b)) => {
            if a.len() != b.len() {
                return Impossible;
            }
            a.iter()
                .zip(b)
                .map(|(x, y)| conversion(x, y))
                .fold(Safe, Conversion::min)
        }
        (Type::List(a) | Type::Set(a), Type::Tuple(b)) => b
            .iter()
            .map(|y| conversion(a, y))
            .fold(Unsafe, Conversion::min),
        (Type::Object(a), Type::Object(b)) => object_conversion(a, b),
        (Type::Map(a), Type::Object(b)) => b
            .attrs
            .values()
            .map(|y| conversion(a, y))
            .fold(Unsafe, Conversion::min),
        _ => Impossible,
    }
}

fn object_conversion(from: &ObjectType, to: &ObjectType) -> Conversion {
    let mut result = Conversion::Safe;
    for (name, target) in &to.attrs {
        match from.attrs.get(name) {
            Some(source) => result = result.min(conversion(source, target)),
            None if to.is_optional(name) => {}
            None => return Conversion::Impossible,
        }
    }
    // Attributes the target does not declare are dropped by the conversion, as in Terraform.
    result
}

/// The one type every given type converts to safely, used for the two results of a conditional
/// and for the elements of a collection built from a tuple. `None` when there is no such type.
pub fn unify(types: &[Type]) -> Option<Type> {
    let known: Vec<&Type> = types.iter().filter(|t| !t.is_dynamic()).collect();
    let Some(first) = known.first() else {
        return Some(Type::Dynamic);
    };
    if known.iter().all(|t| *t == *first) {
        // A null (dynamic) branch takes the other branch's type.
        return Some((*first).clone());
    }
    if known.iter().all(|t| t.is_primitive()) {
        // Mixed primitives all convert to string.
        return Some(Type::String);
    }
    // A candidate every other type converts to safely.
    for candidate in &known {
        if known
            .iter()
            .all(|t| conversion(t, candidate) >= Conversion::Safe)
        {
            return Some((*candidate).clone());
        }
    }
    match first {
        Type::List(_) | Type::Set(_) | Type::Map(_) => {
            let elems: Option<Vec<Type>> = known
                .iter()
                .map(|t| match (t, first) {
                    (Type::List(e), Type::List(_))
                    | (Type::Set(e), Type::Set(_))
                    | (Type::Map(e), Type::Map(_)) => Some((**e).clone()),
                    _ => None,
                })
                .collect();
            let elem = unify(&elems?)?;
            Some(match first {
                Type::List(_) => Type::list(elem),
                Type::Set(_) => Type::set(elem),
                _ => Type::map(elem),
            })
        }
        Type::Tuple(first_elems) => {
            let mut columns: Vec<Vec<Type>> = vec![Vec::new(); first_elems.len()];
            for t in &known {
                match t {
                    Type::Tuple(es) if es.len() == first_elems.len() => {
                        for (col, e) in columns.iter_mut().zip(es) {
                            col.push(e.clone());
                        }
                    }
                    // Tuples of different lengths unify to a list when their elements do.
                    Type::Tuple(_) | Type::List(_) => {
                        let all: Vec<Type> = known
                            .iter()
                            .flat_map(|t| match t {
                                Type::Tuple(es) => es.clone(),
                                Type::List(e) => vec![(**e).clone()],
                                _ => vec![Type::Dynamic],
                            })
                            .collect();
                        return unify(&all).map(Type::list);
                    }
                    _ => return None,
                }
            }
            let elems: Option<Vec<Type>> = columns.iter().map(|c| unify(c)).collect();
            Some(Type::Tuple(elems?))
        }
        Type::Object(first_obj) => {
            if known
                .iter()
                .all(|t| matches!(t, Type::Object(o) if o.attrs.keys().eq(first_obj.attrs.keys())))
            {
                let mut attrs = std::collections::BTreeMap::new();
                for name in first_obj.attrs.keys() {
                    let column: Vec<Type> = known
                        .iter()
                        .map(|t| match t {
                            Type::Object(o) => o.attrs[name].clone(),
                            _ => Type::Dynamic,
                        })
                        .collect();
                    attrs.insert(name.clone(), unify(&column)?);
                }
                return Some(Type::Object(ObjectType::new(attrs)));
            }
            // Objects with different attributes unify to a map when their attribute types do.
            let all: Vec<Type> = known
                .iter()
                .flat_map(|t| match t {
                    Type::Object(o) => o.attrs.values().cloned().collect(),
                    Type::Map(e) => vec![(**e).clone()],
                    _ => vec![],
                })
                .collect();
            if known
                .iter()
                .all(|t| matches!(t, Type::Object(_) | Type::Map(_)))
            {
                unify(&all).map(Type::map)
            } else {
                None
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primitive_conversions() {
        assert_eq!(conversion(&Type::Number, &Type::String), Conversion::Safe);
        assert_eq!(conversion(&Type::String, &Type::Number), Conversion::Unsafe);
        assert_eq!(
            conversion(&Type::Bool, &Type::Number),
            Conversion::Impossible
        );
        assert_eq!(conversion(&Type::String, &Type::Dynamic), Conversion::Exact);
    }

    #[test]
    fn structural_conversions() {
        let tuple = Type::Tuple(vec![Type::String, Type::Number]);
        assert_eq!(
            conversion(&tuple, &Type::list(Type::String)),
            Conversion::Safe
        );
        assert_eq!(
            conversion(&tuple, &Type::list(Type::Bool)),
            Conversion::Impossible
        );
        let obj = Type::object([("a", Type::String)]);
        let want = Type::object([("a", Type::String), ("b", Type::Number)]);
        assert_eq!(conversion(&obj, &want), Conversion::Impossible);
        let mut optional = ObjectType::new(
            [
                ("a".to_string(), Type::String),
                ("b".to_string(), Type::Number),
            ]
            .into(),
        );
        optional.optional.insert("b".into(), None);
        assert_eq!(conversion(&obj, &Type::Object(optional)), Conversion::Safe);
    }

    #[test]
    fn unification() {
        assert_eq!(unify(&[Type::String, Type::Dynamic]), Some(Type::String));
        assert_eq!(unify(&[Type::String, Type::Number]), Some(Type::String));
        assert_eq!(
            unify(&[Type::list(Type::String), Type::Tuple(vec![Type::String])]),
            Some(Type::list(Type::String))
        );
        assert_eq!(unify(&[Type::list(Type::String), Type::Bool]), None);
    }
}
