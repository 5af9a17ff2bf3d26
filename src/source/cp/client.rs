//! GET requests to a control plane's REST API over hyper (HTTP/1.1) and rustls. Only
//! GET is ever built here: there is no other method in this file.

use super::{Endpoint, Tls};
use bytes::Bytes;
use http::{Request, Uri, header};
use http_body_util::{BodyExt, Empty, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls::ClientConfig;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use std::sync::Arc;
use std::time::Duration;

/// Largest answer read (one page of 1000 items is far below this).
pub const MAX_BODY_BYTES: usize = 256 * 1024 * 1024;

/// What went wrong with one request, by kind. Messages never carry a header value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    Unauthorized,
    Forbidden(String),
    NotFound,
    Timeout,
    Unreachable(String),
    Server(u16, String),
    Other(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Unauthorized => f.write_str("401 Unauthorized"),
            Failure::Forbidden(m) if m.is_empty() => f.write_str("403 Forbidden"),
            Failure::Forbidden(m) => write!(f, "403 Forbidden: {m}"),
            Failure::NotFound => f.write_str("404 Not Found"),
            Failure::Timeout => f.write_str("timed out"),
            Failure::Unreachable(m) | Failure::Other(m) => f.write_str(m),
            Failure::Server(c, m) if m.is_empty() => write!(f, "HTTP {c}"),
            Failure::Server(c, m) => write!(f, "HTTP {c}: {m}"),
        }
    }
}

/// A connection to one control plane.
pub struct Conn {
    pub endpoint: Endpoint,
    client: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
    pub timeout: Duration,
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The TLS settings as a rustls client configuration.
pub fn tls_config(t: &Tls) -> Result<ClientConfig, String> {
    let p = provider();
    let builder = ClientConfig::builder_with_provider(p.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?;
    let builder = if t.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerify(p)))
    } else {
        let mut roots = rustls::RootCertStore::empty();
        match &t.ca_file {
            Some(ca) => {
                let certs = CertificateDer::pem_file_iter(ca)
                    .map_err(|e| format!("cannot read the CA file {}: {e}", ca.display()))?;
                for c in certs {
                    let c = c.map_err(|e| format!("the CA file {}: {e}", ca.display()))?;
                    roots
                        .add(c)
                        .map_err(|e| format!("the CA file {}: {e}", ca.display()))?;
                }
                if roots.is_empty() {
                    return Err(format!(
                        "the CA file {} holds no PEM certificate",
                        ca.display()
                    ));
                }
            }
            None => {
                for c in rustls_native_certs::load_native_certs().certs {
                    let _ = roots.add(c);
                }
            }
        }
        builder.with_root_certificates(roots)
    };
    match (&t.client_cert, &t.client_key) {
        (Some(cert), Some(key)) => {
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
                .and_then(|i| i.collect::<Result<_, _>>())
                .map_err(|e| {
                    format!("cannot read the client certificate {}: {e}", cert.display())
                })?;
            // The key's content never appears in a message: only its path.
            let k = PrivateKeyDer::from_pem_file(key).map_err(|_| {
                format!(
                    "cannot read the client key {}: not a readable PEM private key",
                    key.display()
                )
            })?;
            builder
                .with_client_auth_cert(certs, k)
                .map_err(|e| format!("the client certificate and key do not go together: {e}"))
        }
        (None, None) => Ok(builder.with_no_client_auth()),
        _ => Err("a client certificate needs its key, and a key its certificate".into()),
    }
}

/// `--cp-insecure-skip-verify`: any server certificate is accepted.
#[derive(Debug)]
struct NoVerify(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The first line of an error and of each of its causes, joined, cut at 300 characters.
fn chain(e: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&dyn std::error::Error> = Some(e);
    while let Some(x) = cur {
        let s = x.to_string();
        let line = s.lines().next().unwrap_or("").trim().to_string();
        if !line.is_empty() && !parts.iter().any(|p| p.contains(&line)) {
            parts.push(line);
        }
        cur = x.source();
    }
    let s = parts.join(": ");
    let mut out: String = s.chars().take(300).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

/// The `detail` (else `title`) of a Kuma error answer, cut.
fn detail(body: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let s = v
        .get("detail")
        .or_else(|| v.get("title"))
        .and_then(|d| d.as_str())
        .unwrap_or("");
    s.lines().next().unwrap_or("").chars().take(200).collect()
}

impl Conn {
    pub fn new(endpoint: Endpoint, timeout: Duration) -> Result<Conn, String> {
        let tls = tls_config(&endpoint.tls)?;
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(Conn {
            endpoint,
            client,
            timeout,
        })
    }

    /// GET `path_and_query` (starting with `/`) below the endpoint's URL; the body of a
    /// 2xx answer.
    pub async fn get(&self, path_and_query: &str) -> Result<Bytes, Failure> {
        let uri: Uri = format!("{}{path_and_query}", self.endpoint.base)
            .parse()
            .map_err(|e| Failure::Other(format!("bad URL: {e}")))?;
        let mut req = Request::get(uri).header(header::ACCEPT, "application/json");
        for (k, v) in &self.endpoint.headers {
            req = req.header(k, v);
        }
        let req = req
            .body(Empty::new())
            .map_err(|e| Failure::Other(format!("bad request: {e}")))?;
        let fut = async {
            let resp = self
                .client
                .request(req)
                .await
                .map_err(|e| Failure::Unreachable(chain(&e)))?;
            let status = resp.status().as_u16();
            let body = Limited::new(resp.into_body(), MAX_BODY_BYTES)
                .collect()
                .await
                .map_err(|e| Failure::Other(format!("reading the answer: {}", chain(&*e))))?
                .to_bytes();
            Ok::<_, Failure>((status, body))
        };
        let (status, body) = tokio::time::timeout(self.timeout, fut)
            .await
            .map_err(|_| Failure::Timeout)??;
        match status {
            200..=299 => Ok(body),
            401 => Err(Failure::Unauthorized),
            403 => Err(Failure::Forbidden(detail(&body))),
            404 => Err(Failure::NotFound),
            c => Err(Failure::Server(c, detail(&body))),
        }
    }

    /// GET and parse JSON.
    pub async fn get_json(&self, path_and_query: &str) -> Result<serde_json::Value, Failure> {
        let b = self.get(path_and_query).await?;
        serde_json::from_slice(&b)
            .map_err(|e| Failure::Other(format!("the answer is not JSON: {e}")))
    }
}
