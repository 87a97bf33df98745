//! `data "aws_iam_policy_document"`: an IAM policy rendered locally, as the Terraform AWS
//! provider renders it, byte for byte: statements from `statement` blocks (a single action,
//! resource, principal identifier or condition value as a string, several as a list; actions,
//! resources and identifiers in reverse lexical order, condition values in configuration
//! order; `&{…}` written as IAM's `${…}`), merged with `source_policy_documents` (first) and
//! `override_policy_documents` (last) by `Sid`: a later statement with the same `Sid` replaces
//! the earlier one in its place, one without a `Sid` is appended.
//!
//! Where Terraform's own behaviour depends on hash order of a set (two `principals` blocks of
//! the same `type`, two `condition` blocks with the same `test` and `variable`, whose values
//! are concatenated), the configuration's order is used. A source document's numeric condition
//! value is kept (as its text) where Terraform silently drops the condition.

use skel_provider::ProviderError;
use skel_value::{Value, ValueMap};

use super::json::{crc32, J};
use crate::common::{blocks, get_str, get_strs};

const TY: &str = "data.aws_iam_policy_document";

/// One value or several.
#[derive(Clone, Debug, PartialEq)]
enum Ids {
    One(String),
    Many(Vec<String>),
}

#[derive(Clone, Debug)]
struct Principal {
    ty: String,
    ids: Ids,
}

#[derive(Clone, Debug)]
struct Condition {
    test: String,
    variable: String,
    values: Ids,
}

#[derive(Clone, Debug, Default)]
struct Statement {
    sid: String,
    effect: String,
    action: Option<J>,
    not_action: Option<J>,
    resource: Option<J>,
    not_resource: Option<J>,
    principals: Vec<Principal>,
    not_principals: Vec<Principal>,
    conditions: Vec<Condition>,
}

#[derive(Clone, Debug, Default)]
struct Doc {
    version: String,
    id: String,
    statements: Vec<Statement>,
}

fn invalid(message: String) -> ProviderError {
    ProviderError::InvalidConfig(format!("{TY}: {message}"))
}

impl Doc {
    /// Terraform's merge: `newer`'s id, the later version, statements replaced by `Sid`.
    fn merge(&mut self, newer: Doc) {
        if !newer.id.is_empty() {
            self.id = newer.id;
        }
        if newer.version > self.version {
            self.version = newer.version;
        }
        for stmt in newer.statements {
            if stmt.sid.is_empty() {
                self.statements.push(stmt);
                continue;
            }
            match self.statements.iter_mut().find(|s| s.sid == stmt.sid) {
                Some(existing) => *existing = stmt,
                None => self.statements.push(stmt),
            }
        }
    }

    fn to_json(&self) -> J {
        let mut out = Vec::new();
        if !self.version.is_empty() {
            out.push(("Version".to_string(), J::Str(self.version.clone())));
        }
        if !self.id.is_empty() {
            out.push(("Id".to_string(), J::Str(self.id.clone())));
        }
        if !self.statements.is_empty() {
            out.push((
                "Statement".to_string(),
                J::List(self.statements.iter().map(Statement::to_json).collect()),
            ));
        }
        J::Obj(out)
    }
}

impl Statement {
    fn to_json(&self) -> J {
        let mut out: Vec<(String, J)> = Vec::new();
        let mut put = |k: &str, v: J| out.push((k.to_string(), v));
        if !self.sid.is_empty() {
            put("Sid", J::Str(self.sid.clone()));
        }
        if !self.effect.is_empty() {
            put("Effect", J::Str(self.effect.clone()));
        }
        for (k, v) in [
            ("Action", &self.action),
            ("NotAction", &self.not_action),
            ("Resource", &self.resource),
            ("NotResource", &self.not_resource),
        ] {
            if let Some(v) = v {
                put(k, v.clone());
            }
        }
        if !self.principals.is_empty() {
            put("Principal", principals_json(&self.principals));
        }
        if !self.not_principals.is_empty() {
            put("NotPrincipal", principals_json(&self.not_principals));
        }
        if !self.conditions.is_empty() {
            put("Condition", conditions_json(&self.conditions));
        }
        J::Obj(out)
    }
}

/// Principals as Terraform writes them: `"*"` for the single principal `*` of type `*`, else
/// an object by type (sorted), identifiers of a list in reverse order, principals of the same
/// type concatenated.
fn principals_json(ps: &[Principal]) -> J {
    if let [p] = ps {
        let star = match &p.ids {
            Ids::One(s) => s == "*",
            Ids::Many(v) => v.len() == 1 && v[0] == "*",
        };
        if p.ty == "*" && star {
            return J::Str("*".into());
        }
    }
    let mut raw: std::collections::BTreeMap<String, Ids> = Default::default();
    for p in ps {
        let merged = match (raw.remove(&p.ty), &p.ids) {
            (None, Ids::One(s)) => Ids::One(s.clone()),
            (None, Ids::Many(v)) => Ids::Many(reverse_sorted(v.clone())),
            (Some(Ids::One(old)), Ids::One(s)) => Ids::Many(vec![old, s.clone()]),
            (Some(Ids::One(old)), Ids::Many(v)) => {
                let mut out = vec![old];
                out.extend(reverse_sorted(v.clone()));
                Ids::Many(out)
            }
            (Some(Ids::Many(mut old)), Ids::One(s)) => {
                old.push(s.clone());
                Ids::Many(old)
            }
            (Some(Ids::Many(mut old)), Ids::Many(v)) => {
                old.extend(reverse_sorted(v.clone()));
                Ids::Many(old)
            }
        };
        raw.insert(p.ty.clone(), merged);
    }
    J::Obj(raw.into_iter().map(|(k, v)| (k, ids_json(v))).collect())
}

/// Conditions by test and variable (both sorted), values in order, a single one as a string.
fn conditions_json(cs: &[Condition]) -> J {
    let mut raw: std::collections::BTreeMap<
        String,
        std::collections::BTreeMap<String, Vec<String>>,
    > = Default::default();
    for c in cs {
        let values = raw
            .entry(c.test.clone())
            .or_default()
            .entry(c.variable.clone())
            .or_default();
        match &c.values {
            Ids::One(s) => values.push(s.clone()),
            Ids::Many(v) => values.extend(v.iter().cloned()),
        }
    }
    J::Obj(
        raw.into_iter()
            .map(|(test, vars)| {
                let vars = vars
                    .into_iter()
                    .map(|(var, mut values)| {
                        let v = if values.len() == 1 {
                            J::Str(values.remove(0))
                        } else {
                            J::strs(values)
                        };
                        (var, v)
                    })
                    .collect();
                (test, J::Obj(vars))
            })
            .collect(),
    )
}

fn ids_json(ids: Ids) -> J {
    match ids {
        Ids::One(s) => J::Str(s),
        Ids::Many(v) => J::strs(v),
    }
}

fn reverse_sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.reverse();
    v
}

/// A set from the configuration: one value as itself, several in reverse lexical order.
fn decode(mut items: Vec<String>) -> Ids {
    items.sort();
    items.dedup();
    if items.len() == 1 {
        Ids::One(items.remove(0))
    } else {
        Ids::Many(reverse_sorted(items))
    }
}

/// `&{var}` written as IAM's `${var}` (HCL would interpolate `${…}`); not in version
/// 2008-10-17, which has no policy variables.
fn replace_vars(ids: Ids, version: &str) -> Result<Ids, ProviderError> {
    let one = |s: String| {
        if version == "2008-10-17" && s.contains("&{") {
            Err(invalid(format!(
                "found &{{ sequence in ({s}), which is not supported in document version 2008-10-17"
            )))
        } else {
            Ok(s.replace("&{", "${"))
        }
    };
    Ok(match ids {
        Ids::One(s) => Ids::One(one(s)?),
        Ids::Many(v) => Ids::Many(v.into_iter().map(one).collect::<Result<_, _>>()?),
    })
}

fn principals(block: &Value, name: &str, version: &str) -> Result<Vec<Principal>, ProviderError> {
    blocks(block, name)
        .iter()
        .map(|p| {
            Ok(Principal {
                ty: get_str(p, "type").unwrap_or_default().to_string(),
                ids: replace_vars(decode(get_strs(p, "identifiers")), version)?,
            })
        })
        .collect()
}

/// The statement of one `statement` block.
fn statement(block: &Value, version: &str) -> Result<Statement, ProviderError> {
    let effect = get_str(block, "effect").unwrap_or("Allow");
    if effect != "Allow" && effect != "Deny" {
        return Err(invalid(format!(
            "statement effect {effect:?} must be \"Allow\" or \"Deny\"."
        )));
    }
    let sid = get_str(block, "sid").unwrap_or_default();
    if !sid.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(invalid(format!(
            "statement sid {sid:?} must only include alphanumeric characters."
        )));
    }
    let set = |name: &str, vars: bool| -> Result<Option<J>, ProviderError> {
        let items = get_strs(block, name);
        if items.is_empty() {
            return Ok(None);
        }
        let ids = decode(items);
        let ids = if vars {
            replace_vars(ids, version)?
        } else {
            ids
        };
        Ok(Some(ids_json(ids)))
    };
    let conditions = blocks(block, "condition")
        .iter()
        .map(|c| {
            let mut values = get_strs(c, "values");
            let values = if values.len() == 1 {
                Ids::One(values.remove(0))
            } else {
                Ids::Many(values)
            };
            Ok(Condition {
                test: get_str(c, "test").unwrap_or_default().to_string(),
                variable: get_str(c, "variable").unwrap_or_default().to_string(),
                values: replace_vars(values, version)?,
            })
        })
        .collect::<Result<_, ProviderError>>()?;
    Ok(Statement {
        sid: sid.to_string(),
        effect: effect.to_string(),
        action: set("actions", false)?,
        not_action: set("not_actions", false)?,
        resource: set("resources", true)?,
        not_resource: set("not_resources", true)?,
        principals: principals(block, "principals", version)?,
        not_principals: principals(block, "not_principals", version)?,
        conditions,
    })
}

/// The member `name` of a JSON object, matched as Go matches struct fields (exact name first,
/// then ignoring ASCII case).
fn member<'a>(
    m: &'a serde_json::Map<String, serde_json::Value>,
    name: &str,
) -> Option<&'a serde_json::Value> {
    m.get(name).or_else(|| {
        m.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

fn text_of(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A policy document given as JSON text (a source or override document).
fn parse_doc(text: &str, what: &str) -> Result<Doc, ProviderError> {
    let fail = |m: String| invalid(format!("merging {what}: {m}"));
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| fail(format!("not JSON: {e}")))?;
    let serde_json::Value::Object(m) = &v else {
        return Err(fail("the document is not a JSON object".into()));
    };
    let string = |name: &str| -> Result<String, ProviderError> {
        match member(m, name) {
            None | Some(serde_json::Value::Null) => Ok(String::new()),
            Some(serde_json::Value::String(s)) => Ok(s.clone()),
            Some(other) => Err(fail(format!("{name} must be a string, not {other}"))),
        }
    };
    let mut doc = Doc {
        version: string("Version")?,
        id: string("Id")?,
        statements: Vec::new(),
    };
    let stmts: Vec<&serde_json::Value> = match member(m, "Statement") {
        None | Some(serde_json::Value::Null) => Vec::new(),
        Some(serde_json::Value::Array(items)) => items.iter().collect(),
        Some(one @ serde_json::Value::Object(_)) => vec![one],
        Some(other) => return Err(fail(format!("Statement must be a list, not {other}"))),
    };
    for (i, s) in stmts.into_iter().enumerate() {
        let serde_json::Value::Object(s) = s else {
            return Err(fail(format!("statement {i} is not a JSON object")));
        };
        doc.statements
            .push(parse_statement(s).map_err(|m| fail(format!("statement {i}: {m}")))?);
    }
    Ok(doc)
}

fn parse_statement(s: &serde_json::Map<String, serde_json::Value>) -> Result<Statement, String> {
    let string = |name: &str| -> Result<String, String> {
        match member(s, name) {
            None | Some(serde_json::Value::Null) => Ok(String::new()),
            Some(serde_json::Value::String(v)) => Ok(v.clone()),
            Some(other) => Err(format!("{name} must be a string, not {other}")),
        }
    };
    let any = |name: &str| match member(s, name) {
        None | Some(serde_json::Value::Null) => None,
        Some(v) => Some(J::from_serde(v)),
    };
    Ok(Statement {
        sid: string("Sid")?,
        effect: string("Effect")?,
        action: any("Action"),
        not_action: any("NotAction"),
        resource: any("Resource"),
        not_resource: any("NotResource"),
        principals: parse_principals(member(s, "Principal"))?,
        not_principals: parse_principals(member(s, "NotPrincipal"))?,
        conditions: parse_conditions(member(s, "Condition"))?,
    })
}

fn parse_principals(v: Option<&serde_json::Value>) -> Result<Vec<Principal>, String> {
    match v {
        None | Some(serde_json::Value::Null) => Ok(Vec::new()),
        Some(serde_json::Value::String(_)) => Ok(vec![Principal {
            ty: "*".into(),
            ids: Ids::Many(vec!["*".into()]),
        }]),
        Some(serde_json::Value::Object(types)) => types
            .iter()
            .map(|(ty, ids)| {
                let ids = match ids {
                    serde_json::Value::String(s) => Ids::One(s.clone()),
                    serde_json::Value::Array(items) => {
                        let mut v = items
                            .iter()
                            .map(|i| {
                                i.as_str().map(str::to_string).ok_or_else(|| {
                                    format!("principal {ty:?} identifiers must be strings, not {i}")
                                })
                            })
                            .collect::<Result<Vec<_>, _>>()?;
                        v.sort();
                        Ids::Many(v)
                    }
                    other => {
                        return Err(format!(
                            "principal {ty:?} must be a string or a list, not {other}"
                        ))
                    }
                };
                Ok(Principal {
                    ty: ty.clone(),
                    ids,
                })
            })
            .collect(),
        Some(other) => Err(format!("Principal must be \"*\" or an object, not {other}")),
    }
}

fn parse_conditions(v: Option<&serde_json::Value>) -> Result<Vec<Condition>, String> {
    let tests = match v {
        None | Some(serde_json::Value::Null) => return Ok(Vec::new()),
        Some(serde_json::Value::Object(tests)) => tests,
        Some(other) => return Err(format!("Condition must be an object, not {other}")),
    };
    let mut out = Vec::new();
    for (test, vars) in tests {
        let serde_json::Value::Object(vars) = vars else {
            return Err(format!("Condition {test:?} must be an object, not {vars}"));
        };
        for (var, values) in vars {
            let values = match values {
                serde_json::Value::Array(items) => Ids::Many(items.iter().map(text_of).collect()),
                serde_json::Value::Null => continue,
                one => Ids::Many(vec![text_of(one)]),
            };
            out.push(Condition {
                test: test.clone(),
                variable: var.clone(),
                values,
            });
        }
    }
    Ok(out)
}

/// The JSON texts of list argument `name` (null items skipped).
fn documents(config: &Value, name: &str) -> Vec<String> {
    get_strs(config, name)
}

/// Renders the data source: `json`, `minified_json`, `id` and the `version` in effect.
pub(crate) fn read(config: &Value) -> Result<ValueMap, ProviderError> {
    let version = get_str(config, "version")
        .unwrap_or("2012-10-17")
        .to_string();
    if version != "2012-10-17" && version != "2008-10-17" {
        return Err(invalid(format!(
            "version {version:?} must be \"2012-10-17\" or \"2008-10-17\"."
        )));
    }
    let mut merged = Doc::default();
    let mut sids = std::collections::BTreeSet::new();
    for (i, text) in documents(config, "source_policy_documents")
        .iter()
        .enumerate()
    {
        let source = parse_doc(text, &format!("source document {i}"))?;
        for (n, s) in source.statements.iter().enumerate() {
            if !s.sid.is_empty() && !sids.insert(s.sid.clone()) {
                return Err(invalid(format!(
                    "merging source document {i}: duplicate Sid ({}) in source_policy_documents (statement {n}). Remove the Sid or ensure Sids are unique.",
                    s.sid
                )));
            }
        }
        merged.merge(source);
    }
    let mut doc = Doc {
        version: version.clone(),
        id: get_str(config, "policy_id").unwrap_or_default().to_string(),
        statements: Vec::new(),
    };
    let mut own_sids = std::collections::BTreeSet::new();
    for block in blocks(config, "statement") {
        let stmt = statement(block, &version)?;
        if !stmt.sid.is_empty() && !own_sids.insert(stmt.sid.clone()) {
            return Err(invalid(format!(
                "duplicate Sid ({}). Remove the Sid or ensure the Sid is unique.",
                stmt.sid
            )));
        }
        doc.statements.push(stmt);
    }
    merged.merge(doc);
    for (i, text) in documents(config, "override_policy_documents")
        .iter()
        .enumerate()
    {
        merged.merge(parse_doc(text, &format!("override document {i}"))?);
    }
    let json = merged.to_json();
    let pretty = json.pretty();
    Ok(ValueMap::from([
        ("id".to_string(), Value::string(crc32(&pretty).to_string())),
        ("minified_json".to_string(), Value::string(json.compact())),
        ("json".to_string(), Value::string(pretty)),
        ("version".to_string(), Value::string(version)),
    ]))
}

#[cfg(test)]
#[path = "policy_document_tests.rs"]
mod tests;
