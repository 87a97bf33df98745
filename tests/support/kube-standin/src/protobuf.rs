//! Protobuf request bodies (`application/vnd.kubernetes.protobuf`), which kubectl's typed
//! clients send for built-in kinds (`kubectl create configmap|secret|deployment|namespace|
//! serviceaccount|service`): the `k8s\x00` envelope around a `runtime.Unknown`, its `raw` decoded
//! with hand-written tables of the published `generated.proto` field numbers into the JSON the
//! rest of the stand-in handles. client-go has no JSON fallback for a protobuf body (its 415
//! fallback is for CBOR only), so declining is no option for the kinds kubectl writes this way.
//! Custom kinds get 415 as from a real server; a built-in kind or field without a table here is
//! answered with an error naming what the stand-in does not decode.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::store::{ApiError, Kind, Request};

/// The Kubernetes protobuf media type.
pub const MEDIA_TYPE: &str = "application/vnd.kubernetes.protobuf";

/// The four bytes before every Kubernetes protobuf object.
pub const MAGIC: &[u8] = b"k8s\x00";

/// How one field's value turns into JSON.
#[derive(Clone, Copy)]
enum Ty {
    /// A string, left out when empty (Go's `omitempty`).
    Str,
    /// An integer, left out when 0.
    Int,
    /// An integer kept even when 0 (a pointer, or a field without `omitempty`).
    IntKeep,
    /// A bool, left out when false.
    Bool,
    /// A bool kept even when false (a pointer).
    BoolKeep,
    /// A nested message (always kept: Go emits non-pointer structs even when empty).
    Msg(&'static [Field]),
    /// `metav1.Time` (`seconds`, `nanos`), left out when empty (the zero time).
    Time,
    /// `intstr.IntOrString` (`type`, `intVal`, `strVal`); `false`: left out when it is int 0.
    IntOrStr(bool),
    /// `map<string, string>`.
    MapStr,
    /// `map<string, bytes>` (base64 in JSON).
    MapBytes,
    /// `map<string, Quantity>`.
    MapQuantity,
    /// `repeated string`.
    RepStr,
    /// `repeated` message.
    RepMsg(&'static [Field]),
    /// A field the server ignores on writes (`status`, `managedFields`): skipped.
    Skip,
}

#[derive(Clone, Copy)]
struct Field {
    number: u64,
    name: &'static str,
    ty: Ty,
}

const fn f(number: u64, name: &'static str, ty: Ty) -> Field {
    Field { number, name, ty }
}

// Field numbers from k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto.
const OWNER_REFERENCE: &[Field] = &[
    f(1, "kind", Ty::Str),
    f(3, "name", Ty::Str),
    f(4, "uid", Ty::Str),
    f(5, "apiVersion", Ty::Str),
    f(6, "controller", Ty::BoolKeep),
    f(7, "blockOwnerDeletion", Ty::BoolKeep),
];
const OBJECT_META: &[Field] = &[
    f(1, "name", Ty::Str),
    f(2, "generateName", Ty::Str),
    f(3, "namespace", Ty::Str),
    f(4, "selfLink", Ty::Str),
    f(5, "uid", Ty::Str),
    f(6, "resourceVersion", Ty::Str),
    f(7, "generation", Ty::Int),
    f(8, "creationTimestamp", Ty::Time),
    f(9, "deletionTimestamp", Ty::Time),
    f(10, "deletionGracePeriodSeconds", Ty::IntKeep),
    f(11, "labels", Ty::MapStr),
    f(12, "annotations", Ty::MapStr),
    f(13, "ownerReferences", Ty::RepMsg(OWNER_REFERENCE)),
    f(14, "finalizers", Ty::RepStr),
    f(17, "managedFields", Ty::Skip),
];
const LABEL_SELECTOR_REQUIREMENT: &[Field] = &[
    f(1, "key", Ty::Str),
    f(2, "operator", Ty::Str),
    f(3, "values", Ty::RepStr),
];
const LABEL_SELECTOR: &[Field] = &[
    f(1, "matchLabels", Ty::MapStr),
    f(
        2,
        "matchExpressions",
        Ty::RepMsg(LABEL_SELECTOR_REQUIREMENT),
    ),
];

// Field numbers from k8s.io/api/core/v1/generated.proto.
const CONFIG_MAP: &[Field] = &[
    f(1, "metadata", Ty::Msg(OBJECT_META)),
    f(2, "data", Ty::MapStr),
    f(3, "binaryData", Ty::MapBytes),
    f(4, "immutable", Ty::BoolKeep),
];
const SECRET: &[Field] = &[
    f(1, "metadata", Ty::Msg(OBJECT_META)),
    f(2, "data", Ty::MapBytes),
    f(3, "type", Ty::Str),
    f(4, "stringData", Ty::MapStr),
    f(5, "immutable", Ty::BoolKeep),
];
const NAMESPACE_SPEC: &[Field] = &[f(1, "finalizers", Ty::RepStr)];
const NAMESPACE: &[Field] = &[
    f(1, "metadata", Ty::Msg(OBJECT_META)),
    f(2, "spec", Ty::Msg(NAMESPACE_SPEC)),
    f(3, "status", Ty::Skip),
];
const OBJECT_REFERENCE: &[Field] = &[
    f(1, "kind", Ty::Str),
    f(2, "namespace", Ty::Str),
    f(3, "name", Ty::Str),
    f(4, "uid", Ty::Str),
    f(5, "apiVersion", Ty::Str),
    f(6, "resourceVersion", Ty::Str),
    f(7, "fieldPath", Ty::Str),
];
const LOCAL_OBJECT_REFERENCE: &[Field] = &[f(1, "name", Ty::Str)];
const SERVICE_ACCOUNT: &[Field] = &[
    f(1, "metadata", Ty::Msg(OBJECT_META)),
    f(2, "secrets", Ty::RepMsg(OBJECT_REFERENCE)),
    f(3, "imagePullSecrets", Ty::RepMsg(LOCAL_OBJECT_REFERENCE)),
    f(4, "automountServiceAccountToken", Ty::BoolKeep),
];
const SERVICE_PORT: &[Field] = &[
    f(1, "name", Ty::Str),
    f(2, "protocol", Ty::Str),
    f(3, "port", Ty::IntKeep),
    f(4, "targetPort", Ty::IntOrStr(false)),
    f(5, "nodePort", Ty::Int),
    f(6, "appProtocol", Ty::Str),
];
const SERVICE_SPEC: &[Field] = &[
    f(1, "ports", Ty::RepMsg(SERVICE_PORT)),
    f(2, "selector", Ty::MapStr),
    f(3, "clusterIP", Ty::Str),
    f(4, "type", Ty::Str),
    f(5, "externalIPs", Ty::RepStr),
    f(7, "sessionAffinity", Ty::Str),
    f(8, "loadBalancerIP", Ty::Str),
    f(9, "loadBalancerSourceRanges", Ty::RepStr),
    f(10, "externalName", Ty::Str),
    f(11, "externalTrafficPolicy", Ty::Str),
    f(12, "healthCheckNodePort", Ty::Int),
    f(13, "publishNotReadyAddresses", Ty::Bool),
    f(17, "ipFamilyPolicy", Ty::Str),
    f(18, "clusterIPs", Ty::RepStr),
    f(19, "ipFamilies", Ty::RepStr),
    f(20, "allocateLoadBalancerNodePorts", Ty::BoolKeep),
    f(21, "loadBalancerClass", Ty::Str),
    f(22, "internalTrafficPolicy", Ty::Str),
    f(23, "trafficDistribution", Ty::Str),
];
const SERVICE: &[Field] = &[
    f(1, "metadata", Ty::Msg(OBJECT_META)),
    f(2, "spec", Ty::Msg(SERVICE_SPEC)),
    f(3, "status", Ty::Skip),
];
const CONTAINER_PORT: &[Field] = &[
    f(1, "name", Ty::Str),
    f(2, "hostPort", Ty::Int),
    f(3, "containerPort", Ty::IntKeep),
    f(4, "protocol", Ty::Str),
    f(5, "hostIP", Ty::Str),
];
const ENV_VAR: &[Field] = &[f(1, "name", Ty::Str), f(2, "value", Ty::Str)];
const RESOURCE_REQUIREMENTS: &[Field] = &[
    f(1, "limits", Ty::MapQuantity),
    f(2, "requests", Ty::MapQuantity),
];
const CONTAINER: &[Field] = &[
    f(1, "name", Ty::Str),
    f(2, "image", Ty::Str),
    f(3, "command", Ty::RepStr),
    f(4, "args", Ty::RepStr),
    f(5, "workingDir", Ty::Str),
    f(6, "ports", Ty::RepMsg(CONTAINER_PORT)),
    f(7, "env", Ty::RepMsg(ENV_VAR)),
    f(8, "resources", Ty::Msg(RESOURCE_REQUIREMENTS)),
    f(13, "terminationMessagePath", Ty::Str),
    f(14, "imagePullPolicy", Ty::Str),
    f(16, "stdin", Ty::Bool),
    f(17, "stdinOnce", Ty::Bool),
    f(18, "tty", Ty::Bool),
    f(20, "terminationMessagePolicy", Ty::Str),
    f(24, "restartPolicy", Ty::Str),
];
const POD_SPEC: &[Field] = &[
    f(2, "containers", Ty::RepMsg(CONTAINER)),
    f(3, "restartPolicy", Ty::Str),
    f(4, "terminationGracePeriodSeconds", Ty::IntKeep),
    f(5, "activeDeadlineSeconds", Ty::IntKeep),
    f(6, "dnsPolicy", Ty::Str),
    f(7, "nodeSelector", Ty::MapStr),
    f(8, "serviceAccountName", Ty::Str),
    f(9, "serviceAccount", Ty::Str),
    f(10, "nodeName", Ty::Str),
    f(11, "hostNetwork", Ty::Bool),
    f(12, "hostPID", Ty::Bool),
    f(13, "hostIPC", Ty::Bool),
    f(15, "imagePullSecrets", Ty::RepMsg(LOCAL_OBJECT_REFERENCE)),
    f(16, "hostname", Ty::Str),
    f(17, "subdomain", Ty::Str),
    f(19, "schedulerName", Ty::Str),
    f(20, "initContainers", Ty::RepMsg(CONTAINER)),
    f(21, "automountServiceAccountToken", Ty::BoolKeep),
    f(24, "priorityClassName", Ty::Str),
    f(25, "priority", Ty::IntKeep),
    f(27, "shareProcessNamespace", Ty::BoolKeep),
    f(29, "runtimeClassName", Ty::Str),
    f(30, "enableServiceLinks", Ty::BoolKeep),
    f(31, "preemptionPolicy", Ty::Str),
    f(35, "setHostnameAsFQDN", Ty::BoolKeep),
    f(37, "hostUsers", Ty::BoolKeep),
];
const POD_TEMPLATE_SPEC: &[Field] = &[
    f(1, "metadata", Ty::Msg(OBJECT_META)),
    f(2, "spec", Ty::Msg(POD_SPEC)),
];

// Field numbers from k8s.io/api/apps/v1/generated.proto.
const ROLLING_UPDATE_DEPLOYMENT: &[Field] = &[
    f(1, "maxUnavailable", Ty::IntOrStr(true)),
    f(2, "maxSurge", Ty::IntOrStr(true)),
];
const DEPLOYMENT_STRATEGY: &[Field] = &[
    f(1, "type", Ty::Str),
    f(2, "rollingUpdate", Ty::Msg(ROLLING_UPDATE_DEPLOYMENT)),
];
const DEPLOYMENT_SPEC: &[Field] = &[
    f(1, "replicas", Ty::IntKeep),
    f(2, "selector", Ty::Msg(LABEL_SELECTOR)),
    f(3, "template", Ty::Msg(POD_TEMPLATE_SPEC)),
    f(4, "strategy", Ty::Msg(DEPLOYMENT_STRATEGY)),
    f(5, "minReadySeconds", Ty::Int),
    f(6, "revisionHistoryLimit", Ty::IntKeep),
    f(7, "paused", Ty::Bool),
    f(9, "progressDeadlineSeconds", Ty::IntKeep),
];
const DEPLOYMENT: &[Field] = &[
    f(1, "metadata", Ty::Msg(OBJECT_META)),
    f(2, "spec", Ty::Msg(DEPLOYMENT_SPEC)),
    f(3, "status", Ty::Skip),
];

/// The message table of a kind the stand-in decodes.
fn message_of(group: &str, kind: &str) -> Option<&'static [Field]> {
    Some(match (group, kind) {
        ("", "ConfigMap") => CONFIG_MAP,
        ("", "Secret") => SECRET,
        ("", "Namespace") => NAMESPACE,
        ("", "ServiceAccount") => SERVICE_ACCOUNT,
        ("", "Service") => SERVICE,
        ("apps", "Deployment") => DEPLOYMENT,
        _ => return None,
    })
}

/// The hook for `http.rs`: a POST or PUT with a protobuf body gets it decoded into JSON (and
/// `Content-Type: application/json`), or the error a server would answer.
pub(crate) fn decode_request(kinds: &[Kind], req: &mut Request) -> Result<(), ApiError> {
    let media = req.content_type.split(';').next().unwrap_or("").trim();
    if media != MEDIA_TYPE || !matches!(req.method.as_str(), "POST" | "PUT") {
        return Ok(());
    }
    let Some(kind) = kinds
        .iter()
        .find(|k| k.group == req.group && k.version == req.version && k.plural == req.plural)
    else {
        // The resource does not exist: let the store answer its 404.
        return Ok(());
    };
    if !crate::table::builtin_group(&kind.group) {
        return Err(ApiError::new(
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml",
        ));
    }
    let value = decode(kind, &req.body)?;
    req.body = value.to_string().into_bytes();
    req.content_type = "application/json".to_string();
    Ok(())
}

/// The JSON object of a protobuf-encoded `kind` (envelope included).
pub fn decode(kind: &Kind, body: &[u8]) -> Result<Value, ApiError> {
    let bad = |why: String| {
        ApiError::new(
            400,
            "BadRequest",
            format!("the object provided is unrecognized: {why}"),
        )
    };
    let Some(envelope) = body.strip_prefix(MAGIC) else {
        return Err(bad("provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]".into()));
    };
    let mut api_version = String::new();
    let mut type_kind = String::new();
    let mut raw: &[u8] = &[];
    for item in Reader::new(envelope) {
        let (number, wire) = item.map_err(bad)?;
        match (number, wire) {
            (1, Wire::Bytes(type_meta)) => {
                for item in Reader::new(type_meta) {
                    match item.map_err(bad)? {
                        (1, Wire::Bytes(b)) => api_version = utf8(b).map_err(bad)?,
                        (2, Wire::Bytes(b)) => type_kind = utf8(b).map_err(bad)?,
                        _ => {}
                    }
                }
            }
            (2, Wire::Bytes(b)) => raw = b,
            (3, Wire::Bytes(b)) if !b.is_empty() => {
                return Err(bad(format!(
                    "content encoding {:?} is not supported",
                    String::from_utf8_lossy(b)
                )))
            }
            _ => {}
        }
    }
    if api_version != kind.api_version() || type_kind != kind.kind {
        return Err(bad(format!(
            "the body is a {type_kind} of {api_version}, the URL names {} of {}",
            kind.kind,
            kind.api_version()
        )));
    }
    let Some(fields) = message_of(&kind.group, &kind.kind) else {
        return Err(ApiError::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the stand-in decodes protobuf only for ConfigMap, Secret, Namespace, ServiceAccount, Service and Deployment, not {}: send application/json",
                kind.kind
            ),
        ));
    };
    let mut obj = message(fields, raw, kind.kind.as_str()).map_err(bad)?;
    if let Some(m) = obj.as_object_mut() {
        m.insert("apiVersion".into(), json!(api_version));
        m.insert("kind".into(), json!(type_kind));
    }
    Ok(obj)
}

/// One decoded wire value.
enum Wire<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

/// The (field number, value) pairs of a message.
struct Reader<'a> {
    data: &'a [u8],
    failed: bool,
}

impl<'a> Reader<'a> {
    fn new(data: &'a [u8]) -> Reader<'a> {
        Reader {
            data,
            failed: false,
        }
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut value = 0u64;
        for shift in (0..70).step_by(7) {
            let Some((&byte, rest)) = self.data.split_first() else {
                return Err("truncated varint".into());
            };
            self.data = rest;
            if shift < 64 {
                value |= u64::from(byte & 0x7f) << shift;
            }
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("varint too long".into())
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.data.len() < n {
            return Err("truncated field".into());
        }
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        Ok(head)
    }

    fn next_field(&mut self) -> Result<(u64, Wire<'a>), String> {
        let tag = self.varint()?;
        let number = tag >> 3;
        let wire = match tag & 7 {
            0 => Wire::Varint(self.varint()?),
            1 => {
                self.take(8)?;
                Wire::Fixed
            }
            2 => {
                let len = usize::try_from(self.varint()?).map_err(|_| "length too large")?;
                Wire::Bytes(self.take(len)?)
            }
            5 => {
                self.take(4)?;
                Wire::Fixed
            }
            w => return Err(format!("unsupported wire type {w}")),
        };
        Ok((number, wire))
    }
}

impl<'a> Iterator for Reader<'a> {
    type Item = Result<(u64, Wire<'a>), String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.data.is_empty() || self.failed {
            return None;
        }
        let item = self.next_field();
        self.failed = item.is_err();
        Some(item)
    }
}

fn utf8(b: &[u8]) -> Result<String, String> {
    String::from_utf8(b.to_vec()).map_err(|_| "a string is not UTF-8".to_string())
}

fn bytes_of<'a>(wire: Wire<'a>, at: &str) -> Result<&'a [u8], String> {
    match wire {
        Wire::Bytes(b) => Ok(b),
        _ => Err(format!("{at}: expected a length-delimited field")),
    }
}

fn varint_of(wire: Wire<'_>, at: &str) -> Result<u64, String> {
    match wire {
        Wire::Varint(v) => Ok(v),
        _ => Err(format!("{at}: expected a varint field")),
    }
}

/// A map entry's key (1) and raw value (2).
fn entry<'a>(b: &'a [u8], at: &str) -> Result<(String, Option<Wire<'a>>), String> {
    let mut key = String::new();
    let mut value = None;
    for item in Reader::new(b) {
        match item? {
            (1, Wire::Bytes(k)) => key = utf8(k)?,
            (2, w) => value = Some(w),
            (n, _) => return Err(format!("{at}: unexpected map entry field {n}")),
        }
    }
    Ok((key, value))
}

fn quantity(b: &[u8]) -> Result<Value, String> {
    let mut text = String::new();
    for item in Reader::new(b) {
        if let (1, Wire::Bytes(s)) = item? {
            text = utf8(s)?;
        }
    }
    Ok(json!(text))
}

/// Decodes one message by its table, naming the path of an unknown field in the error.
fn message(fields: &[Field], data: &[u8], at: &str) -> Result<Value, String> {
    let mut out = Map::new();
    let mut maps: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
    for item in Reader::new(data) {
        let (number, wire) = item?;
        let Some(field) = fields.iter().find(|f| f.number == number) else {
            return Err(format!(
                "{at}: field {number} is not decoded by the stand-in (send application/json)"
            ));
        };
        let here = format!("{at}.{}", field.name);
        let name = field.name.to_string();
        match field.ty {
            Ty::Skip => {}
            Ty::Str => {
                let s = utf8(bytes_of(wire, &here)?)?;
                if !s.is_empty() {
                    out.insert(name, json!(s));
                }
            }
            Ty::Int | Ty::IntKeep => {
                let v = varint_of(wire, &here)? as i64;
                if v != 0 || matches!(field.ty, Ty::IntKeep) {
                    out.insert(name, json!(v));
                }
            }
            Ty::Bool | Ty::BoolKeep => {
                let v = varint_of(wire, &here)? != 0;
                if v || matches!(field.ty, Ty::BoolKeep) {
                    out.insert(name, json!(v));
                }
            }
            Ty::Msg(inner) => {
                let v = message(inner, bytes_of(wire, &here)?, &here)?;
                out.insert(name, v);
            }
            Ty::RepMsg(inner) => {
                let v = message(inner, bytes_of(wire, &here)?, &here)?;
                push(&mut out, name, v);
            }
            Ty::RepStr => {
                let s = utf8(bytes_of(wire, &here)?)?;
                push(&mut out, name, json!(s));
            }
            Ty::Time => {
                let (mut seconds, mut nanos) = (0i64, 0i64);
                let b = bytes_of(wire, &here)?;
                for item in Reader::new(b) {
                    match item? {
                        (1, Wire::Varint(v)) => seconds = v as i64,
                        (2, Wire::Varint(v)) => nanos = v as i64,
                        _ => {}
                    }
                }
                if !b.is_empty() {
                    let t = chrono::DateTime::from_timestamp(seconds, nanos as u32)
                        .ok_or_else(|| format!("{here}: time out of range"))?;
                    out.insert(name, json!(t.format("%Y-%m-%dT%H:%M:%SZ").to_string()));
                }
            }
            Ty::IntOrStr(keep_zero) => {
                let (mut ty, mut int, mut text) = (0u64, 0i64, String::new());
                for item in Reader::new(bytes_of(wire, &here)?) {
                    match item? {
                        (1, Wire::Varint(v)) => ty = v,
                        (2, Wire::Varint(v)) => int = v as i64,
                        (3, Wire::Bytes(s)) => text = utf8(s)?,
                        _ => {}
                    }
                }
                if ty == 1 {
                    out.insert(name, json!(text));
                } else if int != 0 || keep_zero {
                    out.insert(name, json!(int));
                }
            }
            Ty::MapStr | Ty::MapBytes | Ty::MapQuantity => {
                let (key, value) = entry(bytes_of(wire, &here)?, &here)?;
                let value = match (field.ty, value) {
                    (_, None) => match field.ty {
                        Ty::MapQuantity => json!("0"),
                        _ => json!(""),
                    },
                    (Ty::MapStr, Some(w)) => json!(utf8(bytes_of(w, &here)?)?),
                    (Ty::MapBytes, Some(w)) => {
                        use base64::Engine;
                        json!(base64::engine::general_purpose::STANDARD.encode(bytes_of(w, &here)?))
                    }
                    (_, Some(w)) => quantity(bytes_of(w, &here)?)?,
                };
                maps.entry(field.name).or_default().insert(key, value);
            }
        }
    }
    for (name, map) in maps {
        out.insert(name.to_string(), Value::Object(map));
    }
    Ok(Value::Object(out))
}

fn push(out: &mut Map<String, Value>, name: String, v: Value) {
    match out.entry(name).or_insert_with(|| json!([])) {
        Value::Array(a) => a.push(v),
        other => *other = json!([v]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint(mut v: u64, out: &mut Vec<u8>) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }

    fn bytes(n: u64, b: &[u8], out: &mut Vec<u8>) {
        varint(n << 3 | 2, out);
        varint(b.len() as u64, out);
        out.extend_from_slice(b);
    }

    fn entry(k: &str, v: &[u8]) -> Vec<u8> {
        let mut e = Vec::new();
        bytes(1, k.as_bytes(), &mut e);
        bytes(2, v, &mut e);
        e
    }

    fn envelope(api_version: &str, kind: &str, raw: &[u8]) -> Vec<u8> {
        let mut tm = Vec::new();
        bytes(1, api_version.as_bytes(), &mut tm);
        bytes(2, kind.as_bytes(), &mut tm);
        let mut unknown = Vec::new();
        bytes(1, &tm, &mut unknown);
        bytes(2, raw, &mut unknown);
        bytes(3, b"", &mut unknown);
        bytes(4, b"", &mut unknown);
        let mut body = MAGIC.to_vec();
        body.extend(unknown);
        body
    }

    #[test]
    fn a_secret_decodes_to_the_json_kubectl_would_have_sent() {
        let mut meta = Vec::new();
        bytes(1, b"s", &mut meta);
        bytes(2, b"", &mut meta);
        varint(7 << 3, &mut meta);
        varint(0, &mut meta);
        bytes(8, b"", &mut meta);
        let mut raw = Vec::new();
        bytes(1, &meta, &mut raw);
        bytes(2, &entry("k", b"\x00\xff"), &mut raw);
        bytes(3, b"Opaque", &mut raw);
        let kind = Kind::new("", "v1", "Secret", "secrets", true);
        let v = decode(&kind, &envelope("v1", "Secret", &raw)).expect("decodes");
        assert_eq!(
            v,
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
                "data": {"k": "AP8="}, "type": "Opaque"})
        );
    }

    #[test]
    fn unknown_fields_kinds_and_garbage_are_errors() {
        let kind = Kind::new("", "v1", "ConfigMap", "configmaps", true);
        let mut raw = Vec::new();
        bytes(9, b"x", &mut raw);
        let e = decode(&kind, &envelope("v1", "ConfigMap", &raw)).unwrap_err();
        assert!(e.message.contains("ConfigMap: field 9"), "{}", e.message);
        let e = decode(&kind, &envelope("v1", "Secret", &[])).unwrap_err();
        assert_eq!(e.code, 400);
        let e = decode(&kind, b"{\"kind\": \"ConfigMap\"}").unwrap_err();
        assert_eq!(e.code, 400);
        let e = decode(&kind, b"k8s\x00\x0a\xff").unwrap_err();
        assert_eq!(e.code, 400);
        let lease = Kind::new("coordination.k8s.io", "v1", "Lease", "leases", true);
        let e = decode(&lease, &envelope("coordination.k8s.io/v1", "Lease", &[])).unwrap_err();
        assert_eq!(e.code, 415);
    }
}
