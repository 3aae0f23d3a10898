//! TLS options (Go: the `*tls.Config` in `TLSConfig`) and the rustls client configuration built
//! from them.

use std::fmt;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::error::{BrokerError, Result};

/// TLS settings for a connection (Go: the `tls.Config` of `TLSConfig`; TLS is used only when a
/// `TlsOptions` is present).
///
/// * Trust: the PEM certificates of [`ca_file`](Self::ca_file), or the operating system's root
///   certificates when it is `None` (as Go does with a nil `RootCAs`).
/// * Client authentication (mutual TLS): [`cert_file`](Self::cert_file) and
///   [`key_file`](Self::key_file), both PEM, both or neither.
/// * [`server_name`](Self::server_name): the name the server certificate must carry (Go
///   `ServerName`); default: the host of the address being dialled.
/// * [`insecure_skip_verify`](Self::insecure_skip_verify): accept any certificate (Go
///   `InsecureSkipVerify`). The handshake signatures are still checked, so the peer must hold
///   the key of the certificate it shows, but anyone can be that peer. For tests only; every
///   client set up this way logs one `tracing` warning.
/// * [`client_config`](Self::client_config): a ready rustls configuration used as-is, for
///   anything the fields above cannot say.
///
/// A certificate or key file that is missing, unreadable or holds no usable PEM item makes
/// connecting fail with [`BrokerError::InvalidConnOpt`] naming the file.
///
/// `Debug` shows the file paths only, never what the files hold, and `client_config` as
/// `ClientConfig { .. }` (a rustls configuration may hold a client private key).
#[derive(Clone, Default)]
pub struct TlsOptions {
    /// PEM file with the CA certificate(s) to trust (Go `RootCAs`). `None`: system roots.
    pub ca_file: Option<PathBuf>,
    /// PEM file with the client certificate chain (Go `Certificates`). Requires `key_file`.
    pub cert_file: Option<PathBuf>,
    /// PEM file with the client private key (PKCS#8, PKCS#1 or SEC1). Requires `cert_file`.
    pub key_file: Option<PathBuf>,
    /// Name to verify the server certificate against, a DNS name or an IP address (Go
    /// `ServerName`). `None`: the host being dialled.
    pub server_name: Option<String>,
    /// Accept any server certificate (Go `InsecureSkipVerify`). Default `false`. When it takes
    /// effect (no `client_config`), setting up a client logs one `tracing::warn!` saying that
    /// TLS certificate verification is disabled: once per client (per `connect`, and once for
    /// a Pub/Sub client), not per command or reconnect.
    pub insecure_skip_verify: bool,
    /// A complete rustls configuration that replaces everything above except `server_name`
    /// (which still selects the name sent in SNI). Default `None`.
    pub client_config: Option<Arc<ClientConfig>>,
}

impl fmt::Debug for TlsOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsOptions")
            .field("ca_file", &self.ca_file)
            .field("cert_file", &self.cert_file)
            .field("key_file", &self.key_file)
            .field("server_name", &self.server_name)
            .field("insecure_skip_verify", &self.insecure_skip_verify)
            .field(
                "client_config",
                &self.client_config.as_ref().map(|_| "ClientConfig { .. }"),
            )
            .finish()
    }
}

impl PartialEq for TlsOptions {
    /// Field-wise; two `client_config`s are equal only when they are the same `Arc`.
    fn eq(&self, other: &Self) -> bool {
        self.ca_file == other.ca_file
            && self.cert_file == other.cert_file
            && self.key_file == other.key_file
            && self.server_name == other.server_name
            && self.insecure_skip_verify == other.insecure_skip_verify
            && match (&self.client_config, &other.client_config) {
                (None, None) => true,
                (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                _ => false,
            }
    }
}

impl Eq for TlsOptions {}

impl TlsOptions {
    /// TLS with the system roots and no client certificate.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`ca_file`](Self::ca_file).
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_file = Some(path.into());
        self
    }

    /// Sets [`cert_file`](Self::cert_file) and [`key_file`](Self::key_file).
    pub fn client_cert(
        mut self,
        cert_file: impl Into<PathBuf>,
        key_file: impl Into<PathBuf>,
    ) -> Self {
        self.cert_file = Some(cert_file.into());
        self.key_file = Some(key_file.into());
        self
    }

    /// Sets [`server_name`](Self::server_name).
    pub fn server_name(mut self, name: impl Into<String>) -> Self {
        self.server_name = Some(name.into());
        self
    }

    /// Sets [`insecure_skip_verify`](Self::insecure_skip_verify).
    pub fn insecure_skip_verify(mut self, skip: bool) -> Self {
        self.insecure_skip_verify = skip;
        self
    }

    /// Sets [`client_config`](Self::client_config).
    pub fn client_config(mut self, config: Arc<ClientConfig>) -> Self {
        self.client_config = Some(config);
        self
    }

    /// Builds the rustls client configuration (ring crypto provider, TLS 1.2 and 1.3), reading
    /// the certificate files now. Called by connect; public so that options can be checked
    /// early.
    ///
    /// # Errors
    /// [`BrokerError::InvalidConnOpt`] when a file is missing, unreadable or malformed, when only
    /// one of `cert_file`/`key_file` is set, when `server_name` is not a valid DNS name or IP
    /// address, or when there is no CA to trust (no `ca_file` and no system roots).
    pub fn build_client_config(&self) -> Result<Arc<ClientConfig>> {
        if let Some(config) = &self.client_config {
            return Ok(config.clone());
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier: Arc<dyn ServerCertVerifier> = if self.insecure_skip_verify {
            Arc::new(AcceptAnyServerCert {
                algorithms: provider.signature_verification_algorithms,
            })
        } else {
            let roots = match &self.ca_file {
                Some(path) => load_roots(path)?,
                None => system_roots(),
            };
            if roots.is_empty() {
                return Err(invalid(
                    "no CA certificates to trust: set ca_file (no system roots found)",
                ));
            }
            let webpki =
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()
                    .map_err(|e| invalid(format!("cannot build the certificate verifier: {e}")))?;
            match &self.server_name {
                Some(name) => Arc::new(FixedNameVerifier {
                    inner: webpki,
                    name: parse_server_name(name)?,
                }),
                None => webpki,
            }
        };
        if let Some(name) = &self.server_name {
            parse_server_name(name)?;
        }
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| invalid(format!("TLS protocol versions: {e}")))?
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let config = match (&self.cert_file, &self.key_file) {
            (None, None) => builder.with_no_client_auth(),
            (Some(cert), Some(key)) => {
                let chain = load_certs(cert)?;
                let key_der = load_key(key)?;
                builder.with_client_auth_cert(chain, key_der).map_err(|e| {
                    invalid(format!(
                        "client certificate {} and key {} do not form a usable pair: {e}",
                        cert.display(),
                        key.display()
                    ))
                })?
            }
            (Some(_), None) => return Err(invalid("tls cert_file is set but key_file is not")),
            (None, Some(_)) => return Err(invalid("tls key_file is set but cert_file is not")),
        };
        Ok(Arc::new(config))
    }
}

fn invalid(msg: impl Into<String>) -> BrokerError {
    BrokerError::InvalidConnOpt(msg.into())
}

fn parse_server_name(name: &str) -> Result<ServerName<'static>> {
    ServerName::try_from(name.to_string()).map_err(|_| {
        invalid(format!(
            "tls server_name {name:?} is not a valid DNS name or IP address"
        ))
    })
}

fn open(path: &Path, what: &str) -> Result<BufReader<File>> {
    File::open(path)
        .map(BufReader::new)
        .map_err(|e| invalid(format!("cannot open {what} file {}: {e}", path.display())))
}

/// Every certificate of a PEM file; at least one.
fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let mut reader = open(path, "certificate")?;
    let certs = rustls_pemfile::certs(&mut reader)
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|e| {
            invalid(format!(
                "cannot read certificate file {}: {e}",
                path.display()
            ))
        })?;
    if certs.is_empty() {
        return Err(invalid(format!(
            "no PEM certificate found in {}",
            path.display()
        )));
    }
    Ok(certs)
}

fn load_roots(path: &Path) -> Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    for cert in load_certs(path)? {
        roots
            .add(cert)
            .map_err(|e| invalid(format!("invalid CA certificate in {}: {e}", path.display())))?;
    }
    Ok(roots)
}

fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>> {
    let mut reader = open(path, "private key")?;
    rustls_pemfile::private_key(&mut reader)
        .map_err(|e| {
            invalid(format!(
                "cannot read private key file {}: {e}",
                path.display()
            ))
        })?
        .ok_or_else(|| invalid(format!("no PEM private key found in {}", path.display())))
}

/// The operating system's trusted roots; unreadable ones are skipped.
fn system_roots() -> RootCertStore {
    let mut roots = RootCertStore::empty();
    let loaded = rustls_native_certs::load_native_certs();
    for err in &loaded.errors {
        tracing::debug!(error = %err, "skipping unreadable system root certificates");
    }
    let (added, ignored) = roots.add_parsable_certificates(loaded.certs);
    tracing::trace!(added, ignored, "loaded system root certificates");
    roots
}

/// Verifies the certificate chain normally but against a fixed name instead of the host being
/// dialled (Go's `tls.Config.ServerName`). Needed where the client learns addresses at run time
/// (Sentinel masters, Cluster nodes announced by IP).
#[derive(Debug)]
struct FixedNameVerifier {
    inner: Arc<WebPkiServerVerifier>,
    name: ServerName<'static>,
}

impl ServerCertVerifier for FixedNameVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        self.inner
            .verify_server_cert(end_entity, intermediates, &self.name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Go `InsecureSkipVerify`: any certificate chain and name is accepted; the handshake
/// signatures are still verified with the certificate's key.
#[derive(Debug)]
struct AcceptAnyServerCert {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for AcceptAnyServerCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err_text(r: Result<Arc<ClientConfig>>) -> String {
        match r {
            Err(BrokerError::InvalidConnOpt(m)) => m,
            other => panic!("expected InvalidConnOpt, got {other:?}"),
        }
    }

    #[test]
    fn missing_ca_file_names_the_path() {
        let m = err_text(
            TlsOptions::new()
                .ca_file("/nonexistent/ca.pem")
                .build_client_config(),
        );
        assert!(m.contains("/nonexistent/ca.pem"), "{m}");
    }

    #[test]
    fn malformed_ca_file_names_the_path() {
        let dir = std::env::temp_dir().join(format!("asynq-conn-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let garbage = dir.join("garbage.pem");
        std::fs::write(&garbage, "not a certificate\n").unwrap();
        let m = err_text(TlsOptions::new().ca_file(&garbage).build_client_config());
        assert!(m.contains("garbage.pem"), "{m}");

        let bad_pem = dir.join("bad.pem");
        std::fs::write(
            &bad_pem,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let m = err_text(TlsOptions::new().ca_file(&bad_pem).build_client_config());
        assert!(m.contains("bad.pem"), "{m}");

        let m = err_text(
            TlsOptions::new()
                .insecure_skip_verify(true)
                .client_cert(&garbage, &garbage)
                .build_client_config(),
        );
        assert!(m.contains("garbage.pem"), "{m}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn half_a_client_cert_is_refused() {
        let mut o = TlsOptions::new().insecure_skip_verify(true);
        o.cert_file = Some("/x/cert.pem".into());
        assert!(err_text(o.build_client_config()).contains("key_file"));
        let mut o = TlsOptions::new().insecure_skip_verify(true);
        o.key_file = Some("/x/key.pem".into());
        assert!(err_text(o.build_client_config()).contains("cert_file"));
    }

    #[test]
    fn bad_server_name_is_refused() {
        let m = err_text(
            TlsOptions::new()
                .insecure_skip_verify(true)
                .server_name("a b")
                .build_client_config(),
        );
        assert!(m.contains("server_name"), "{m}");
    }

    #[test]
    fn insecure_config_builds_without_files() {
        TlsOptions::new()
            .insecure_skip_verify(true)
            .build_client_config()
            .unwrap();
    }

    #[test]
    fn custom_config_is_used_as_is() {
        let base = TlsOptions::new()
            .insecure_skip_verify(true)
            .build_client_config()
            .unwrap();
        let got = TlsOptions::new()
            .client_config(base.clone())
            .build_client_config()
            .unwrap();
        assert!(Arc::ptr_eq(&base, &got));
        assert_eq!(
            TlsOptions::new().client_config(base.clone()),
            TlsOptions::new().client_config(base)
        );
    }
}
