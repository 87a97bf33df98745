//! The AWS provider's error paths against a stand-in endpoint (no moto needed): access denied,
//! throttling (retried, then reported), an HTTP 500 page from an unimplemented call, an
//! unreachable endpoint and missing credentials. Each is one line that names the resource and
//! says what to do, and a failed create reports no object.

mod support;

use std::sync::Once;

use support::*;

/// No credentials, profiles or instance metadata from the machine running the tests: every
/// provider here gets its keys from its configuration, or none at all.
fn isolated() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for name in [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_PROFILE",
            "AWS_DEFAULT_PROFILE",
            "AWS_ENDPOINT_URL",
            "AWS_ENDPOINT_URL_EC2",
            "AWS_ENDPOINT_URL_ROUTE_53",
            "AWS_MAX_ATTEMPTS",
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
            "AWS_RETRY_MODE",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_ROLE_ARN",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        ] {
            std::env::remove_var(name);
        }
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
        std::env::set_var("AWS_CONFIG_FILE", "/nonexistent/skel-test/config");
        std::env::set_var(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/skel-test/credentials",
        );
    });
}

/// A provider with keys and region in its block, talking to `url`, retrying `retries` times.
fn keyed(url: &str, retries: i64) -> AwsProvider {
    isolated();
    let cfg = obj(vec![
        ("region", s("us-east-1")),
        ("access_key", s("test")),
        ("secret_key", s("test")),
        ("max_retries", n(retries)),
    ]);
    AwsProvider::with_endpoint_url(&cfg, url).expect("provider")
}

fn vpc_config() -> Value {
    config("aws_vpc", vec![("cidr_block", s("10.0.0.0/16"))])
}

/// Tries to create a VPC; returns the error.
async fn create_vpc(p: &AwsProvider) -> ProviderError {
    let planned = plan(p, "aws_vpc", None, &vpc_config()).await.planned;
    apply(p, "aws_vpc", None, Some(&planned))
        .await
        .expect_err("the create must fail")
}

fn one_line(err: &ProviderError) -> String {
    let text = err.to_string();
    assert!(!text.contains('\n'), "not one line: {text}");
    assert!(text.len() < 600, "too long: {text}");
    text
}

#[tokio::test]
async fn access_denied_names_the_resource_and_the_permission() {
    let fake = FakeAws::ec2_error(403, "UnauthorizedOperation");
    let p = keyed(&fake.url, 0);
    let err = create_vpc(&p).await;
    assert!(matches!(err, ProviderError::Auth(_)), "{err:?}");
    let text = one_line(&err);
    assert!(
        text.starts_with("creating aws_vpc aws_vpc.test: access denied (UnauthorizedOperation"),
        "{text}"
    );
    assert!(
        text.contains("grant these credentials the permission"),
        "{text}"
    );
    assert_eq!(fake.requests(), 1, "an access error is not retried");
    assert!(fake.bodies.lock().unwrap()[0].contains("Action=CreateVpc"));

    // Reading is denied the same way, naming what was read.
    let err = p
        .read("aws_vpc", &obj(vec![("id", s("vpc-0123456789abcdef0"))]))
        .await
        .unwrap_err();
    let text = one_line(&err);
    assert!(
        text.starts_with("reading aws_vpc vpc-0123456789abcdef0: access denied"),
        "{text}"
    );
}

#[tokio::test]
async fn rejected_credentials_say_to_check_the_keys() {
    let fake = FakeAws::ec2_error(401, "AuthFailure");
    let err = create_vpc(&keyed(&fake.url, 0)).await;
    assert!(matches!(err, ProviderError::Auth(_)), "{err:?}");
    let text = one_line(&err);
    assert!(
        text.contains("AWS rejected the credentials (AuthFailure"),
        "{text}"
    );
    assert!(
        text.contains("check the access keys or the profile"),
        "{text}"
    );
}

#[tokio::test]
async fn throttling_is_retried_then_reported() {
    let fake = FakeAws::ec2_error(503, "RequestLimitExceeded");
    let err = create_vpc(&keyed(&fake.url, 1)).await;
    let text = one_line(&err);
    assert!(
        text.starts_with("creating aws_vpc aws_vpc.test: AWS kept throttling the requests (RequestLimitExceeded) after retrying"),
        "{text}"
    );
    assert!(
        text.contains("try again later or raise AWS_MAX_ATTEMPTS"),
        "{text}"
    );
    assert_eq!(fake.requests(), 2, "max_retries = 1: one retry");
}

#[tokio::test]
async fn http_500_from_an_unimplemented_call() {
    let fake = FakeAws::start(
        500,
        "text/html",
        "<!doctype html><html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1><p>The server encountered an internal error.</p></body></html>".into(),
    );
    let p = keyed(&fake.url, 0);
    let err = create_vpc(&p).await;
    assert!(matches!(err, ProviderError::Api(_)), "{err:?}");
    let text = one_line(&err);
    assert!(
        text.starts_with("creating aws_vpc aws_vpc.test: the endpoint answered HTTP 500 without an AWS error code"),
        "{text}"
    );
    assert!(
        text.contains("use a real AWS endpoint or retry later"),
        "{text}"
    );
    assert!(!text.contains("<html"), "{text}");

    // A refresh that hits it fails the same way instead of reporting the object gone.
    let err = p
        .read_batch(
            "aws_subnet",
            &[
                obj(vec![("id", s("subnet-1"))]),
                obj(vec![("id", s("subnet-2"))]),
            ],
        )
        .await
        .unwrap_err();
    let text = one_line(&err);
    assert!(
        text.starts_with("reading aws_subnet subnet-1, subnet-2: the endpoint answered HTTP 500"),
        "{text}"
    );
}

#[tokio::test]
async fn unreachable_endpoint_on_create() {
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let p = keyed(&format!("http://127.0.0.1:{free}"), 0);
    let started = Instant::now();
    let err = create_vpc(&p).await;
    assert!(started.elapsed() < Duration::from_secs(15));
    assert!(matches!(err, ProviderError::Unreachable(_)), "{err:?}");
    let text = one_line(&err);
    assert!(
        text.starts_with("creating aws_vpc aws_vpc.test: the AWS endpoint cannot be reached"),
        "{text}"
    );
    assert!(
        text.contains("check the network, the region and AWS_ENDPOINT_URL"),
        "{text}"
    );
    // Recovery after such a failure asks the API and fails the same way: no guessing.
    let planned = plan(&p, "aws_vpc", None, &vpc_config()).await.planned;
    let err = p
        .recover(skel_provider::RecoverRequest {
            type_name: "aws_vpc",
            planned: &planned,
            address: "aws_vpc.test",
            token: None,
        })
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Unreachable(_)), "{err:?}");
}

#[tokio::test]
async fn missing_credentials_send_nothing() {
    isolated();
    let fake = FakeAws::ec2_error(500, "ShouldNotBeCalled");
    let p = AwsProvider::with_endpoint_url(&obj(vec![("region", s("us-east-1"))]), &fake.url)
        .expect("provider");
    let err = create_vpc(&p).await;
    assert!(matches!(err, ProviderError::Auth(_)), "{err:?}");
    let text = one_line(&err);
    assert!(
        text.starts_with("creating aws_vpc aws_vpc.test: no AWS credentials were found"),
        "{text}"
    );
    assert!(text.contains("AWS_ACCESS_KEY_ID"), "{text}");
    assert_eq!(fake.requests(), 0, "an unsigned request went out");
}

#[tokio::test]
async fn missing_region_is_a_configuration_error() {
    isolated();
    let fake = FakeAws::ec2_error(500, "ShouldNotBeCalled");
    let p = AwsProvider::with_endpoint_url(
        &obj(vec![("access_key", s("a")), ("secret_key", s("b"))]),
        &fake.url,
    )
    .expect("provider");
    let err = create_vpc(&p).await;
    assert!(matches!(err, ProviderError::InvalidConfig(_)), "{err:?}");
    assert!(one_line(&err).contains("no region is set"), "{err}");
    assert_eq!(fake.requests(), 0);
}
