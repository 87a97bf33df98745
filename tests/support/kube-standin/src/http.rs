//! The HTTP/1.1 front: routing of API paths, bearer-token checks, the forbidden switch.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;

use crate::store::{self, ApiError};
use crate::{discovery, fieldcheck, protobuf, table, watch, Shared};

/// A response body: a whole JSON document, or a watch's stream of events.
pub(crate) type Body = BoxBody<Bytes, Infallible>;

/// Serves connections until `stop` fires.
pub(crate) async fn serve(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    loop {
        let accepted = tokio::select! {
            _ = &mut stop => return,
            a = listener.accept() => a,
        };
        let Ok((stream, _)) = accepted else { continue };
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let shared = shared.clone();
                async move { Ok::<_, Infallible>(answer(shared, req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

pub(crate) fn respond(code: u16, body: &Value) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())).boxed());
    *response.status_mut() =
        hyper::StatusCode::from_u16(code).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

fn error(e: &ApiError) -> Response<Body> {
    respond(e.code, &e.status())
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn answer(shared: Arc<Shared>, req: Request<Incoming>) -> Response<Body> {
    let header = |name: hyper::header::HeaderName| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let auth = header(hyper::header::AUTHORIZATION);
    let content_type = header(hyper::header::CONTENT_TYPE);
    let user_agent = header(hyper::header::USER_AGENT);
    let accept = header(hyper::header::ACCEPT);
    let expected = shared.token.lock().ok().and_then(|t| t.clone());
    if let Some(token) = expected {
        if auth.strip_prefix("Bearer ") != Some(token.as_str()) {
            return error(&ApiError::new(401, "Unauthorized", "Unauthorized"));
        }
    }
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let query: HashMap<String, String> = req
        .uri()
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|s| !s.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (decode(k), decode(v))
        })
        .collect();
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes().to_vec(),
        Err(_) => Vec::new(),
    };
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let forbidden = shared.forbidden.lock().map(|f| *f).unwrap_or(false);
    if forbidden {
        let resource = segments.iter().rev().nth(1).copied().unwrap_or("resources");
        let verb = match method.as_str() {
            "GET" => "get",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => "delete",
            _ => "access",
        };
        let message = format!(
            "{resource} is forbidden: User \"system:serviceaccount:default:skel\" cannot {verb} resource \"{resource}\" at the cluster scope"
        );
        return error(&ApiError::new(403, "Forbidden", message));
    }
    let Ok(mut store) = shared.store.lock() else {
        return error(&ApiError::new(
            500,
            "InternalError",
            "the store is poisoned",
        ));
    };
    if let Some(doc) = discovery::serve(&store.options.kinds, &method, &segments, &query, &accept) {
        return document(doc);
    }
    let (group, version, rest) = match segments.as_slice() {
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => {
            return error(&ApiError::new(
                404,
                "NotFound",
                "the server could not find the requested resource",
            ))
        }
    };
    let (namespace, rest) = match rest {
        ["namespaces", ns, rest @ ..] if !rest.is_empty() => (Some(ns.to_string()), rest),
        _ => (None, rest),
    };
    let (plural, name, sub) = match rest {
        [p] => (*p, None, None),
        [p, n] => (*p, Some(n.to_string()), None),
        [p, n, s] => (*p, Some(n.to_string()), Some(s.to_string())),
        _ => {
            return error(&ApiError::new(
                404,
                "NotFound",
                "the server could not find the requested resource",
            ))
        }
    };
    let mut request = store::Request {
        method,
        group: group.into(),
        version: version.into(),
        plural: plural.into(),
        namespace,
        name,
        subresource: sub,
        query,
        content_type,
        user_agent,
        body,
    };
    if let Err(e) = protobuf::decode_request(&store.options.kinds, &mut request) {
        return error(&e);
    }
    if watch::requested(&request) {
        return watch::start(&shared, &mut store, request, &accept);
    }
    let warnings = match fieldcheck::check(&store, &mut request) {
        Ok(warnings) => warnings,
        Err(doc) => return document(doc),
    };
    let mut response = match store.handle(&request) {
        Ok((code, body)) => match table::respond(&store.options.kinds, &request, &accept, &body) {
            Some(doc) => document(doc),
            None => respond(code, &body),
        },
        Err(e) => error(&e),
    };
    for warning in warnings {
        // `299 - "text"`, the form of the API server's warnings (RFC 7234 warn-text quoting).
        let text = format!("299 - {}", Value::from(warning));
        if let Ok(value) = hyper::header::HeaderValue::from_str(&text) {
            response.headers_mut().append(hyper::header::WARNING, value);
        }
    }
    response
}

fn document(doc: discovery::Doc) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(doc.body)).boxed());
    *response.status_mut() =
        hyper::StatusCode::from_u16(doc.code).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = [("Content-Type", doc.content_type)]
        .into_iter()
        .chain(doc.headers);
    for (name, value) in headers {
        if let Ok(value) = hyper::header::HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}
