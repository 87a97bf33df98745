//! A small blocking HTTP(S) GET for the module registry protocol and archive downloads, on the
//! hyper and rustls already in the build (through the Kubernetes client), with the system's
//! root certificates. Redirects are followed (at most 10); a bearer token is sent only to the
//! host it was configured for.

use std::time::Duration;

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// A response: status, the headers asked about, the body.
pub struct Response {
    pub status: u16,
    pub location: Option<String>,
    pub terraform_get: Option<String>,
    pub body: Vec<u8>,
}

/// Why a request got no response.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpError(pub String);

type Https = hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>;

pub struct Http {
    runtime: tokio::runtime::Runtime,
    client: Client<Https, Empty<Bytes>>,
}

const TIMEOUT: Duration = Duration::from_secs(60);

impl Http {
    pub fn new() -> anyhow::Result<Http> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::ring::default_provider())?
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(Http { runtime, client })
    }

    /// GET `url`, following redirects; `token` is sent as `Authorization: Bearer`, and dropped
    /// when a redirect leads to another host.
    pub fn get(&self, url: &str, token: Option<&str>) -> Result<Response, HttpError> {
        let mut url = url.to_string();
        let mut token = token;
        for _ in 0..10 {
            let response = self.get_once(&url, token)?;
            if (300..400).contains(&response.status) {
                if let Some(location) = &response.location {
                    let next = join_url(&url, location);
                    if authority(&next) != authority(&url) {
                        token = None;
                    }
                    url = next;
                    continue;
                }
            }
            return Ok(response);
        }
        Err(HttpError(format!("too many redirects from {url}")))
    }

    fn get_once(&self, url: &str, token: Option<&str>) -> Result<Response, HttpError> {
        let uri: hyper::Uri = url
            .parse()
            .map_err(|e| HttpError(format!("`{url}` is not a valid URL: {e}")))?;
        let mut request = hyper::Request::get(uri).header("user-agent", "skelc");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let request = request
            .body(Empty::<Bytes>::new())
            .map_err(|e| HttpError(format!("building the request for {url}: {e}")))?;
        self.runtime.block_on(async {
            let response = tokio::time::timeout(TIMEOUT, self.client.request(request))
                .await
                .map_err(|_| HttpError(format!("GET {url}: no answer within {TIMEOUT:?}")))?
                .map_err(|e| HttpError(format!("GET {url}: {}", describe(&e))))?;
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            let status = response.status().as_u16();
            let location = header("location");
            let terraform_get = header("x-terraform-get");
            let body = tokio::time::timeout(TIMEOUT, response.into_body().collect())
                .await
                .map_err(|_| {
                    HttpError(format!(
                        "GET {url}: the body did not arrive within {TIMEOUT:?}"
                    ))
                })?
                .map_err(|e| HttpError(format!("GET {url}: reading the body: {e}")))?
                .to_bytes()
                .to_vec();
            Ok(Response {
                status,
                location,
                terraform_get,
                body,
            })
        })
    }
}

/// The `host[:port]` of an absolute URL, lower-cased.
pub fn authority(url: &str) -> String {
    url.split_once("://")
        .map(|(_, r)| r.split(['/', '?', '#']).next().unwrap_or(""))
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// The error and its causes in one line ("client error (Connect): tcp connect error: …").
fn describe(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// `reference` resolved against `base` (an absolute URL), as a browser would for the forms a
/// registry uses: absolute URLs and forced getters (`git::…`) as they are, `//host/…`,
/// `/path`, and relative paths.
pub fn join_url(base: &str, reference: &str) -> String {
    if reference.contains("://") || reference.contains("::") {
        return reference.to_string();
    }
    let (scheme, rest) = base.split_once("://").unwrap_or(("https", base));
    if let Some(r) = reference.strip_prefix("//") {
        return format!("{scheme}://{r}");
    }
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let origin = format!("{scheme}://{}", &rest[..authority_end]);
    if reference.starts_with('/') {
        return format!("{origin}{reference}");
    }
    let path = rest[authority_end..].split(['?', '#']).next().unwrap_or("");
    let dir = match path.rfind('/') {
        Some(i) => &path[..=i],
        None => "/",
    };
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    let (ref_path, query) = match reference.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (reference, None),
    };
    for part in ref_path.split('/') {
        match part {
            "." | "" => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    let mut out = format!("{origin}/{}", parts.join("/"));
    if ref_path.ends_with('/') {
        out.push('/');
    }
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::join_url;

    #[test]
    fn joins_like_a_browser() {
        let base = "http://h:1/v1/modules/a/b/c/1.0.0/download";
        assert_eq!(join_url(base, "git::file:///x"), "git::file:///x");
        assert_eq!(join_url(base, "https://o/x.zip"), "https://o/x.zip");
        assert_eq!(join_url(base, "/pkg/x.tar.gz"), "http://h:1/pkg/x.tar.gz");
        assert_eq!(
            join_url(base, "../x.zip?a=1"),
            "http://h:1/v1/modules/a/b/c/x.zip?a=1"
        );
        assert_eq!(
            join_url(base, "./x.zip"),
            "http://h:1/v1/modules/a/b/c/1.0.0/x.zip"
        );
        assert_eq!(
            join_url("https://r.example/", "/v1/modules/"),
            "https://r.example/v1/modules/"
        );
        assert_eq!(
            join_url("https://r.example", "v1/"),
            "https://r.example/v1/"
        );
        assert_eq!(
            join_url(base, "//cdn.example/x.zip"),
            "http://cdn.example/x.zip"
        );
    }
}
