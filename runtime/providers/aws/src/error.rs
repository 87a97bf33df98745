//! AWS errors: SDK errors flattened to a code, a message and a kind, and turned into one-sentence
//! `ProviderError`s that name the resource and say what to do.

use std::future::Future;
use std::time::Duration;

use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::waiters::error::WaiterError;
use aws_smithy_types::error::display::DisplayErrorContext;
use skel_provider::ProviderError;

/// What kind of failure an AWS call had.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrKind {
    /// The API answered (with `code`, or an HTTP status without one).
    Service,
    /// The endpoint could not be reached.
    Unreachable,
    /// The call timed out.
    Timeout,
    /// No credentials could be found.
    NoCredentials,
    /// Anything else (a request that could not be built).
    Other,
}

/// A failed AWS call.
#[derive(Clone, Debug)]
pub struct AwsErr {
    pub kind: ErrKind,
    pub code: Option<String>,
    pub message: String,
    pub status: Option<u16>,
}

impl<E> From<SdkError<E, HttpResponse>> for AwsErr
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    fn from(err: SdkError<E, HttpResponse>) -> Self {
        let chain = DisplayErrorContext(&err).to_string();
        let no_creds = {
            let lower = chain.to_ascii_lowercase();
            lower.contains("credential") || lower.contains("no matching auth scheme")
        };
        let status = err.raw_response().map(|r| r.status().as_u16());
        let (kind, code, message) = match &err {
            SdkError::DispatchFailure(d) => {
                let kind = if d.is_timeout() {
                    ErrKind::Timeout
                } else if d.is_io() {
                    ErrKind::Unreachable
                } else if no_creds {
                    ErrKind::NoCredentials
                } else {
                    ErrKind::Unreachable
                };
                (kind, None, chain)
            }
            SdkError::TimeoutError(_) => (ErrKind::Timeout, None, chain),
            SdkError::ConstructionFailure(_) => {
                let kind = if no_creds {
                    ErrKind::NoCredentials
                } else {
                    ErrKind::Other
                };
                (kind, None, chain)
            }
            _ => (
                ErrKind::Service,
                err.code().map(str::to_string),
                err.message().map(str::to_string).unwrap_or(chain),
            ),
        };
        AwsErr {
            kind,
            code,
            message,
            status,
        }
    }
}

const AUTH_CODES: &[&str] = &[
    "AuthFailure",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
    "InvalidAccessKeyId",
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "IncompleteSignature",
];
const DENIED_CODES: &[&str] = &[
    "UnauthorizedOperation",
    "AccessDenied",
    "AccessDeniedException",
    "OptInRequired",
];
const THROTTLE_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "PriorRequestNotComplete",
    "ThrottledException",
];

impl AwsErr {
    /// Whether the error code is one of `codes`.
    pub fn is(&self, codes: &[&str]) -> bool {
        self.code.as_deref().is_some_and(|c| codes.contains(&c))
    }

    /// Whether the error says the object does not exist (any `*.NotFound` or `NoSuch*` code).
    pub fn is_not_found(&self) -> bool {
        self.code
            .as_deref()
            .is_some_and(|c| c.ends_with("NotFound") || c.starts_with("NoSuch"))
    }

    /// The error for the user; `what` names the resource and the action
    /// (`creating aws_vpc module.vpc.aws_vpc.this`).
    pub fn into_provider(self, what: &str) -> ProviderError {
        let code = self.code.as_deref().unwrap_or("");
        let message = self.message.trim().trim_end_matches('.');
        match self.kind {
            ErrKind::NoCredentials => ProviderError::Auth(format!(
                "{what}: no AWS credentials were found; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or AWS_PROFILE, or `access_key`/`secret_key` in the provider block."
            )),
            ErrKind::Unreachable => ProviderError::Unreachable(format!(
                "{what}: the AWS endpoint cannot be reached ({}); check the network, the region and AWS_ENDPOINT_URL.",
                short(message)
            )),
            ErrKind::Timeout => ProviderError::Unreachable(format!(
                "{what}: the AWS endpoint did not answer in time; check the network, the region and AWS_ENDPOINT_URL."
            )),
            ErrKind::Other => ProviderError::Other(format!(
                "{what}: the request could not be sent ({}).",
                short(message)
            )),
            ErrKind::Service if AUTH_CODES.contains(&code) => ProviderError::Auth(format!(
                "{what}: AWS rejected the credentials ({code}: {message}); check the access keys or the profile."
            )),
            ErrKind::Service if DENIED_CODES.contains(&code) => ProviderError::Auth(format!(
                "{what}: access denied ({code}: {message}); grant these credentials the permission or use others."
            )),
            ErrKind::Service if THROTTLE_CODES.contains(&code) => ProviderError::Throttled {
                code: Some(code.to_string()),
                retry_after: None,
                message: format!(
                    "{what}: AWS kept throttling the requests ({code}) after retrying; try again later or raise AWS_MAX_ATTEMPTS."
                ),
            },
            ErrKind::Service if code.is_empty() && self.status.is_some_and(|s| s >= 500) => {
                ProviderError::Api(format!(
                    "{what}: the endpoint answered HTTP {} without an AWS error code (an emulator that does not implement this call, or an outage); use a real AWS endpoint or retry later.",
                    self.status.unwrap_or(500)
                ))
            }
            ErrKind::Service if code.is_empty() => ProviderError::Api(format!(
                "{what}: the endpoint answered with an unexpected response ({}); check AWS_ENDPOINT_URL.",
                short(message)
            )),
            ErrKind::Service => {
                let text = format!("{what}: {code}: {message}.");
                let code = Some(code.to_string());
                if self.is_not_found() {
                    ProviderError::NotFound {
                        code,
                        message: text,
                    }
                } else if is_conflict(code.as_deref().unwrap_or_default()) {
                    ProviderError::Conflict {
                        code,
                        message: text,
                    }
                } else {
                    ProviderError::Api(text)
                }
            }
        }
    }
}

/// Whether an error code says the change conflicts with the object's state or another object
/// (still in use, a duplicate, the wrong state).
fn is_conflict(code: &str) -> bool {
    DEPENDENCY.contains(&code)
        || code.ends_with(".Duplicate")
        || code.ends_with("AlreadyExists")
        || code.ends_with(".InUse")
        || code.starts_with("IncorrectState")
        || code == "IncorrectInstanceState"
        || code == "ConflictingDomainExists"
}

fn short(s: &str) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() > 300 {
        format!("{}…", s.chars().take(300).collect::<String>())
    } else {
        s
    }
}

/// Runs `call` again while it fails with one of `codes` (AWS dependency errors clear as other
/// deletions finish), with exponential backoff for about two minutes in all.
pub async fn retry_on<T, F, Fut>(codes: &[&str], mut call: F) -> Result<T, AwsErr>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AwsErr>>,
{
    let mut delay = Duration::from_millis(250);
    let mut waited = Duration::ZERO;
    loop {
        match call().await {
            Err(e) if e.is(codes) && waited < Duration::from_secs(120) => {
                tokio::time::sleep(delay).await;
                waited += delay;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
            other => return other,
        }
    }
}

/// The codes a delete retries.
pub const DEPENDENCY: &[&str] = &["DependencyViolation", "InvalidGroup.InUse", "VolumeInUse"];

/// `.or_fail(what)` on an SDK result: the user's error; `.aws()`: the flattened error.
pub trait SdkResultExt<T> {
    fn aws(self) -> Result<T, AwsErr>;
    fn or_fail(self, what: &str) -> Result<T, ProviderError>;
}

impl<T, E> SdkResultExt<T> for Result<T, SdkError<E, HttpResponse>>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    fn aws(self) -> Result<T, AwsErr> {
        self.map_err(AwsErr::from)
    }

    fn or_fail(self, what: &str) -> Result<T, ProviderError> {
        self.map_err(|e| AwsErr::from(e).into_provider(what))
    }
}

/// The id of the object a create call made, from its answer: an answer without one is an API
/// error (an empty id must never reach the state).
pub fn created_id(id: Option<&str>, what: &str) -> Result<String, ProviderError> {
    match id {
        Some(id) if !id.is_empty() => Ok(id.to_string()),
        _ => Err(ProviderError::Api(format!(
            "{what}: the API answered without the new object's id"
        ))),
    }
}

/// The result of a waiter, as a user's error naming what was awaited.
pub fn waited<T, O, E>(
    result: Result<T, WaiterError<O, E>>,
    what: &str,
    state: &str,
) -> Result<(), ProviderError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    result
        .map(|_| ())
        .map_err(|e| WaitFailed::new(what, state, e).into_error())
}

/// A waiter's result as the wait that failed, if it did.
pub trait WaiterResultExt {
    /// `None` when the wait ended well, else why it failed (`what` was awaited `until`).
    fn failed(self, what: &str, until: &str) -> Option<WaitFailed>;
}

impl<T, O, E> WaiterResultExt for Result<T, WaiterError<O, E>>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    fn failed(self, what: &str, until: &str) -> Option<WaitFailed> {
        self.err().map(|e| WaitFailed::new(what, until, e))
    }
}

/// A wait that failed after a change was made: what was awaited and why it failed. A create or
/// update turns it into [`ProviderError::NotReady`] with the object as it is now
/// ([`AwsProvider::not_ready`](crate::AwsProvider::not_ready)); a delete into a plain error.
#[derive(Clone, Debug)]
pub struct WaitFailed {
    /// The resource and the action (`creating aws_instance web`).
    pub what: String,
    /// The state awaited (`running`).
    pub until: String,
    /// Why the wait ended (the waiter's error).
    pub detail: String,
    /// The state last seen, when the wait itself knows it.
    pub seen: Option<String>,
}

impl WaitFailed {
    /// From a waiter's error: why the wait ended, in words.
    pub fn new<O, E>(what: &str, until: &str, e: WaiterError<O, E>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let detail = match e {
            WaiterError::ExceededMaxWait(ctx) => format!(
                "it was still not {until} after {} seconds",
                ctx.elapsed().as_secs()
            ),
            WaiterError::FailureState(_) => {
                format!("it reached a state from which it cannot become {until}")
            }
            WaiterError::OperationFailed(inner) => {
                let e = AwsErr::from(inner.into_error());
                let message = short(e.message.trim().trim_end_matches('.'));
                match e.code {
                    Some(code) => format!("checking its state failed: {code}: {message}"),
                    None => format!("checking its state failed: {message}"),
                }
            }
            other => short(&other.to_string()),
        };
        WaitFailed {
            what: what.to_string(),
            until: until.to_string(),
            detail,
            seen: None,
        }
    }

    /// From a wait of our own: why it ended (`detail`) and the state last seen.
    pub fn ended(what: &str, until: &str, detail: String, seen: Option<String>) -> Self {
        WaitFailed {
            what: what.to_string(),
            until: until.to_string(),
            detail,
            seen,
        }
    }

    /// The error when the object cannot be recorded (a delete, or it cannot be read back).
    pub fn into_error(self) -> ProviderError {
        let seen = self
            .seen
            .map(|s| format!("; last seen {s}"))
            .unwrap_or_default();
        ProviderError::Api(format!(
            "{}: waiting until it is {} failed ({}{seen}); check it in the AWS console and retry.",
            self.what, self.until, self.detail
        ))
    }

    /// The message of a [`ProviderError::NotReady`] for `object` (`aws_instance \`i-123\``),
    /// seen in state `seen`.
    pub fn not_ready_message(&self, object: &str, seen: Option<&str>) -> String {
        let seen = seen
            .or(self.seen.as_deref())
            .map(|s| format!("; AWS reports it as {s}"))
            .unwrap_or_default();
        format!(
            "{}: {object} was made but did not become {} ({}{seen}); check it in the AWS console (a quota, capacity or configuration problem) before applying again.",
            self.what, self.until, self.detail
        )
    }
}

/// How long waiters wait.
pub const WAIT: Duration = Duration::from_secs(600);

#[cfg(test)]
mod tests {
    use super::*;
    use skel_provider::ErrorKind;

    fn service(code: &str) -> AwsErr {
        AwsErr {
            kind: ErrKind::Service,
            code: Some(code.into()),
            message: "the message".into(),
            status: Some(400),
        }
    }

    #[test]
    fn service_errors_get_their_kind_and_code_with_the_message_unchanged() {
        let cases = [
            ("InvalidVpcID.NotFound", ErrorKind::NotFound),
            ("NoSuchHostedZone", ErrorKind::NotFound),
            ("DependencyViolation", ErrorKind::Conflict),
            ("InvalidGroup.Duplicate", ErrorKind::Conflict),
            ("HostedZoneAlreadyExists", ErrorKind::Conflict),
            ("InvalidParameterValue", ErrorKind::Api),
        ];
        for (code, kind) in cases {
            let err = service(code).into_provider("creating aws_vpc a");
            assert_eq!(err.kind(), kind, "{code}");
            assert_eq!(err.code(), (kind != ErrorKind::Api).then_some(code));
            assert_eq!(
                err.to_string(),
                format!("creating aws_vpc a: {code}: the message.")
            );
        }
        let throttled = service("RequestLimitExceeded").into_provider("x");
        assert_eq!(throttled.kind(), ErrorKind::Throttled);
        assert_eq!(throttled.code(), Some("RequestLimitExceeded"));
        assert!(throttled.to_string().starts_with("x: AWS kept throttling"));
        let denied = service("UnauthorizedOperation").into_provider("x");
        assert_eq!(denied.kind(), ErrorKind::Denied);
        assert_eq!(
            denied.code(),
            None,
            "credentials errors carry their code in the message"
        );
        assert!(denied
            .to_string()
            .starts_with("x: access denied (UnauthorizedOperation"));
        assert_eq!(
            service("AuthFailure").into_provider("x").kind(),
            ErrorKind::Denied
        );
    }
}
