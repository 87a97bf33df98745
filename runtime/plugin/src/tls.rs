//! go-plugin's automatic mutual TLS, and the connection to a plugin's gRPC server.
//!
//! skel makes a fresh self-signed client certificate per plugin process and hands its PEM to
//! the plugin in `PLUGIN_CLIENT_CERT`; the plugin answers with its own self-signed certificate
//! in the handshake line. That certificate is the only one trusted: the verifier pins its exact
//! bytes (go-plugin's certificates are CAs used as end entities, which a WebPKI path check
//! refuses, and name no host skel could check) and still checks the TLS handshake's signatures
//! against its key, so only the process holding the key can answer.
//!
//! A server key that only a legacy algorithm can verify (the Python `tf` framework makes
//! 1024-bit RSA keys) gets TLS 1.2 restricted to PKCS#1 signatures, which aws-lc-rs still
//! verifies for keys of that size; every other key gets the usual TLS 1.3/1.2.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{
    alg_id, AlgorithmIdentifier, CertificateDer, InvalidSignature, PrivateKeyDer, ServerName,
    SignatureVerificationAlgorithm, UnixTime,
};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite};

/// The client's certificate for one plugin process.
pub(crate) struct ClientCert {
    pub pem: String,
    der: CertificateDer<'static>,
    key_der: Vec<u8>,
}

/// The client certificate of this process: made once and presented to every plugin it starts
/// (each plugin only learns the certificate; the key never leaves skel), so a run that starts
/// several plugins pays for one key generation.
pub(crate) fn client_cert() -> Result<&'static ClientCert, String> {
    CLIENT_CERT
        .get_or_init(new_client_cert)
        .as_ref()
        .map_err(Clone::clone)
}

static CLIENT_CERT: OnceLock<Result<ClientCert, String>> = OnceLock::new();

/// Makes the client certificate and warms up the TLS library on a background thread, for a
/// caller that knows it will start a plugin and has other work to do first.
pub fn prepare() {
    if CLIENT_CERT.get().is_none() {
        std::thread::spawn(|| {
            let _ = client_cert();
            warm_up();
        });
    }
}

/// aws-lc (the TLS connection's crypto; `ring` cannot verify go-plugin's P-521 certificates)
/// sets itself up on first use: 15–45 ms measured here, which a plugin's first connection
/// would wait for. Called while the plugin process starts (30–45 ms for the null plugin), it
/// costs nothing; later calls return at once. The certificate's key is made with `ring`, which
/// needs no such set-up, so the plugin is spawned without waiting for this.
pub(crate) fn warm_up() {
    static WARM: OnceLock<()> = OnceLock::new();
    WARM.get_or_init(|| {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let _ = aws_lc_rs::signature::EcdsaKeyPair::generate_pkcs8(
            &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            &rng,
        );
        let _ = aws_lc_rs::agreement::EphemeralPrivateKey::generate(
            &aws_lc_rs::agreement::X25519,
            &rng,
        );
    });
}

/// A self-signed certificate as go-plugin's own client makes them (a CA usable for client and
/// server authentication, for `localhost`), with an ECDSA P-256 key.
fn new_client_cert() -> Result<ClientCert, String> {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
        KeyUsagePurpose,
    };
    let key = KeyPair::generate().map_err(|e| format!("generating a client key: {e}"))?;
    let mut params = CertificateParams::new(vec!["localhost".to_string()])
        .map_err(|e| format!("client certificate: {e}"))?;
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params
        .distinguished_name
        .push(DnType::OrganizationName, "skel");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
        KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ClientAuth,
        ExtendedKeyUsagePurpose::ServerAuth,
    ];
    let cert = params
        .self_signed(&key)
        .map_err(|e| format!("signing the client certificate: {e}"))?;
    Ok(ClientCert {
        pem: cert.pem(),
        der: cert.der().clone(),
        key_der: key.serialize_der(),
    })
}

/// The TLS configuration that trusts exactly `server_cert` and presents `client`.
pub(crate) fn client_config(
    client: &ClientCert,
    server_cert: Vec<u8>,
) -> Result<Arc<ClientConfig>, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let legacy = rsa_modulus_bits(&server_cert).is_some_and(|bits| bits < 2048);
    let versions: &[&rustls::SupportedProtocolVersion] = if legacy {
        &[&rustls::version::TLS12]
    } else {
        &[&rustls::version::TLS13, &rustls::version::TLS12]
    };
    let verifier = PinnedServer {
        cert: CertificateDer::from(server_cert),
        algorithms: if legacy {
            legacy_rsa_algorithms()
        } else {
            provider.signature_verification_algorithms
        },
    };
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_client_auth_cert(
            vec![client.der.clone()],
            PrivateKeyDer::Pkcs8(client.key_der.clone().into()),
        )
        .map_err(|e| format!("the client certificate: {e}"))?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}

#[derive(Debug)]
struct PinnedServer {
    cert: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.cert.as_ref() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "the server presented another certificate than its handshake line named".into(),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// PKCS#1 RSA signatures from 1024 bits up.
#[derive(Debug)]
struct LegacyRsa {
    params: &'static aws_lc_rs::signature::RsaParameters,
    signature_alg: AlgorithmIdentifier,
}

impl SignatureVerificationAlgorithm for LegacyRsa {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        aws_lc_rs::signature::UnparsedPublicKey::new(self.params, public_key)
            .verify(message, signature)
            .map_err(|_| InvalidSignature)
    }
    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::RSA_ENCRYPTION
    }
    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        self.signature_alg
    }
}

fn legacy_rsa_algorithms() -> WebPkiSupportedAlgorithms {
    static ALGS: OnceLock<WebPkiSupportedAlgorithms> = OnceLock::new();
    *ALGS.get_or_init(|| {
        use aws_lc_rs::signature as sig;
        let leak = |a: LegacyRsa| -> &'static dyn SignatureVerificationAlgorithm {
            Box::leak(Box::new(a))
        };
        let sha256 = leak(LegacyRsa {
            params: &sig::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
            signature_alg: alg_id::RSA_PKCS1_SHA256,
        });
        let sha512 = leak(LegacyRsa {
            params: &sig::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY,
            signature_alg: alg_id::RSA_PKCS1_SHA512,
        });
        let all: &'static [&'static dyn SignatureVerificationAlgorithm] =
            Box::leak(Box::new([sha256, sha512]));
        let mapping: &'static [(
            SignatureScheme,
            &'static [&'static dyn SignatureVerificationAlgorithm],
        )] = Box::leak(Box::new([
            (SignatureScheme::RSA_PKCS1_SHA256, &all[..1]),
            (SignatureScheme::RSA_PKCS1_SHA512, &all[1..]),
        ]));
        WebPkiSupportedAlgorithms { all, mapping }
    })
}

/// The size of an RSA certificate's modulus, read from its subject public key (the first
/// rsaEncryption algorithm identifier in a certificate is the key's; the signature's
/// identifiers are sha*WithRSAEncryption).
fn rsa_modulus_bits(cert: &[u8]) -> Option<usize> {
    const RSA_ENCRYPTION: &[u8] = &[
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
    ];
    let at = cert
        .windows(RSA_ENCRYPTION.len())
        .position(|w| w == RSA_ENCRYPTION)?;
    let mut rest = &cert[at + RSA_ENCRYPTION.len()..];
    if rest.starts_with(&[0x05, 0x00]) {
        rest = &rest[2..];
    }
    let (tag, bit_string) = der_item(rest)?;
    if tag != 0x03 || bit_string.first() != Some(&0) {
        return None;
    }
    let (tag, key) = der_item(&bit_string[1..])?;
    if tag != 0x30 {
        return None;
    }
    let (tag, modulus) = der_item(key)?;
    if tag != 0x02 {
        return None;
    }
    let significant = modulus.iter().skip_while(|b| **b == 0).count();
    Some(significant * 8)
}

/// One DER item at the start of `input`: its tag and contents.
fn der_item(input: &[u8]) -> Option<(u8, &[u8])> {
    let tag = *input.first()?;
    let first = *input.get(1)?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let bytes = input.get(2..2 + n)?;
        (
            bytes
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b)),
            2 + n,
        )
    };
    Some((tag, input.get(header..header.checked_add(len)?)?))
}

/// Where a plugin listens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Address {
    Tcp(String),
    Unix(PathBuf),
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Address::Tcp(a) => write!(f, "tcp {a}"),
            Address::Unix(p) => write!(f, "unix {}", p.display()),
        }
    }
}

/// Any byte stream the gRPC connection can run over.
pub(crate) trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// tonic's connector: opens the plugin's socket, with TLS when the plugin gave a certificate.
#[derive(Clone)]
pub(crate) struct Connector {
    pub address: Address,
    pub tls: Option<Arc<ClientConfig>>,
}

impl tower::Service<http::Uri> for Connector {
    type Response = TokioIo<Box<dyn Io>>;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _uri: http::Uri) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let stream: Box<dyn Io> = match &this.address {
                Address::Tcp(a) => {
                    let s = tokio::net::TcpStream::connect(a).await?;
                    s.set_nodelay(true)?;
                    Box::new(s)
                }
                Address::Unix(p) => Box::new(tokio::net::UnixStream::connect(p).await?),
            };
            let Some(config) = this.tls else {
                return Ok(TokioIo::new(stream));
            };
            let name = ServerName::try_from("localhost").expect("a valid DNS name");
            let tls = tokio_rustls::TlsConnector::from(config)
                .connect(name, stream)
                .await?;
            Ok(TokioIo::new(Box::new(tls) as Box<dyn Io>))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_certificate_is_a_pem_certificate_and_not_legacy_rsa() {
        let cert = client_cert().unwrap();
        assert!(cert.pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert_eq!(rsa_modulus_bits(cert.der.as_ref()), None);
        assert!(client_config(cert, cert.der.to_vec()).is_ok());
        assert!(std::ptr::eq(cert, client_cert().unwrap()), "made once");
    }

    /// Self-signed RSA certificates made with `openssl req -x509 -newkey rsa:BITS`.
    const RSA_1024: &[&str] = &[
        "MIICBDCCAW2gAwIBAgIUVmDnutyTC0FOi1i88wnUWe6vgAEwDQYJKoZIhvcNAQELBQAwFDESMBAGA1UEAwwJbG9j",
        "YWxob3N0MB4XDTI2MTIwNzA5MjMwOFoXDTI2MTIwODA5MjMwOFowFDESMBAGA1UEAwwJbG9jYWxob3N0MIGfMA0G",
        "CSqGSIb3DQEBAQUAA4GNADCBiQKBgQDqc10y4fThJMreIqimhZ67CBmqybJ8DqIrzIomaYfA7NKCIh/2EQF/IqH7",
        "k76z/Mu1Mb+g2+KZ3oLbz+tpCLvoDNNCcQXQd7TyVYtWq+ZLAepXEMkdlqxEWGQZQG260iJL6Mz3xDXwYnuZQ+yF",
        "Arl5RvCdc0dj90LPoCuZIiOxwwIDAQABo1MwUTAdBgNVHQ4EFgQU2jhNNaOSx8DhjlK0+/FYh0cUqeEwHwYDVR0j",
        "BBgwFoAU2jhNNaOSx8DhjlK0+/FYh0cUqeEwDwYDVR0TAQH/BAUwAwEB/zANBgkqhkiG9w0BAQsFAAOBgQAS5a5Q",
        "GP/ZpSazWXuVwxO5i/eOa82j53Dij7HPlsUJoY4wcW7Q3pGUEmGF0YBnJrzmXcF2pwMf+aubJuFDJuTvbLD8jYO7",
        "RaLXgO1yrn/R03S/7HiMgYD2biOYo4/8gpz6AOfvEbya5wS2BsqxV8MaJmRWI47Hxs85WTBgJFgxaA==",
    ];
    const RSA_2048: &[&str] = &[
        "MIIDCTCCAfGgAwIBAgIUNXeeRCAo2k9QmRDJ9Q/lcZqM6x8wDQYJKoZIhvcNAQELBQAwFDESMBAGA1UEAwwJbG9j",
        "YWxob3N0MB4XDTI2MTIwNzA5MjMwOFoXDTI2MTIwODA5MjMwOFowFDESMBAGA1UEAwwJbG9jYWxob3N0MIIBIjAN",
        "BgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAou/tenl4d+Enni17gIfyZpS2N2NvGdPhXjYb8MLAyyuijUDhhgXB",
        "DeNxyNGht6Z5ISWTj+JNbb4nNel4sY3RWDzectGd+Xb9EFuoq+9ikxYqc3WU9Zri6PwW/56jLlntVgDgxs9AdiQl",
        "QFL/P35QSBPnwO4q4Xcs+DPscMC1dkUr9lNgrbgkdAsz7jzXTgQYeN9XNCT8rXfJLO72rBUKvy/4vbXHlkM5F0d9",
        "Kl/TO5Y/FZiTbVBNIzFZm1j9LTZpHCmxkS9qPyZGzcjl3G3wvTSgtOcyCKI2RvC8nl+mPIVYTL5arceTese7YwQn",
        "AKKYm5WAr1Yf/SMkNdvMThqtkwIDAQABo1MwUTAdBgNVHQ4EFgQUz/uZ8GzRNwCCljtksh/kcu4jzJIwHwYDVR0j",
        "BBgwFoAUz/uZ8GzRNwCCljtksh/kcu4jzJIwDwYDVR0TAQH/BAUwAwEB/zANBgkqhkiG9w0BAQsFAAOCAQEAjQL0",
        "FT4nMcXWah5Vv0Df23NowHtOGpu558z/w5TakWyPbIeybwhGgFfU94M0JDyfd+02kig40YHItHGxBrRqthSanOdP",
        "BYArrzx5ZqZwQYx3STm19dc3tKpJrU4YZceRVnhojVDTP10yPscq2vc0+I4FpC+Wb7dV8FuH7VV8fpkG6RBwEdzs",
        "zePhVCboKKJojufmgDCC/sL2srETI8wkjZyiQWa/Qjn5RCf3xm+srKjYLYH1DUg3mNG+jdHo3YrjR7rck43MAgfx",
        "lUvsBD/P76PPzKthf8ZKScz42g6qtzdJw1RZv4nYrnryzjgXhkjCXQQucirOYOqSQzSWmK05ig==",
    ];

    fn der(lines: &[&str]) -> Vec<u8> {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(lines.concat())
            .unwrap()
    }

    #[test]
    fn small_rsa_keys_get_the_legacy_configuration() {
        assert_eq!(rsa_modulus_bits(&der(RSA_1024)), Some(1024));
        assert_eq!(rsa_modulus_bits(&der(RSA_2048)), Some(2048));
        let cert = client_cert().unwrap();
        let legacy = PinnedServer {
            cert: CertificateDer::from(der(RSA_1024)),
            algorithms: legacy_rsa_algorithms(),
        };
        assert_eq!(
            legacy.supported_verify_schemes(),
            [
                SignatureScheme::RSA_PKCS1_SHA256,
                SignatureScheme::RSA_PKCS1_SHA512
            ]
        );
        assert!(client_config(cert, der(RSA_1024)).is_ok());
    }

    #[test]
    fn only_the_pinned_certificate_is_trusted() {
        let pinned = PinnedServer {
            cert: CertificateDer::from(der(RSA_2048)),
            algorithms: rustls::crypto::aws_lc_rs::default_provider()
                .signature_verification_algorithms,
        };
        let name = ServerName::try_from("localhost").unwrap();
        let now = UnixTime::now();
        let same = CertificateDer::from(der(RSA_2048));
        assert!(pinned
            .verify_server_cert(&same, &[], &name, &[], now)
            .is_ok());
        let other = CertificateDer::from(der(RSA_1024));
        assert!(pinned
            .verify_server_cert(&other, &[], &name, &[], now)
            .is_err());
    }

    #[test]
    fn der_items_past_the_input_are_none() {
        assert_eq!(der_item(&[0x30, 0x05, 1]), None);
        assert_eq!(der_item(&[0x30, 0x81]), None);
        assert_eq!(der_item(&[0x02, 0x01, 7]), Some((0x02, &[7u8][..])));
    }
}
