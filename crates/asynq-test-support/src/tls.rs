//! A TLS-only `redis-server` with certificates generated on the fly.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tempfile::TempDir;

use crate::node::server_command;
use crate::process::{self, OwnedChild, Probe};
use crate::raw::Raw;

/// Server name (DNS SAN) of the generated server certificate.
const SERVER_NAME: &str = "localhost";

/// A TLS-only `redis-server` (`--port 0`, `--tls-port PORT`, `--tls-auth-clients yes`) on a free
/// loopback port, without persistence.
///
/// Its certificates are generated with rcgen for each instance, in its private temp dir: a CA, a
/// server certificate for DNS name `localhost` and IP `127.0.0.1`, and a client certificate signed
/// by the same CA. Clients must present the client certificate. All files are PEM; the client key
/// is PKCS#8. The process is SIGKILLed and reaped on drop.
#[derive(Debug)]
pub struct TlsRedisNode {
    port: u16,
    ca_cert: PathBuf,
    server_cert: PathBuf,
    server_key: PathBuf,
    client_cert: PathBuf,
    client_key: PathBuf,
    ca_der: CertificateDer<'static>,
    client_cert_der: CertificateDer<'static>,
    client_key_der: Vec<u8>,
    child: OwnedChild,
    // Declared last so the process is killed before its directory is removed.
    dir: TempDir,
}

/// Certificates written to disk, with the DER forms a rustls client needs.
struct Certs {
    ca_der: CertificateDer<'static>,
    client_cert_der: CertificateDer<'static>,
    client_key_der: Vec<u8>,
}

fn write(path: &Path, contents: &str) {
    std::fs::write(path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// Generates CA, server and client certificates into `dir`.
fn generate_certs(dir: &Path) -> Certs {
    let ca_key = KeyPair::generate().expect("generate CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "asynq test CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params.self_signed(&ca_key).expect("self-sign CA");
    let issuer = Issuer::new(ca_params, ca_key);

    let server_key = KeyPair::generate().expect("generate server key");
    let mut server_params =
        CertificateParams::new(vec![SERVER_NAME.to_owned(), "127.0.0.1".to_owned()])
            .expect("server params");
    server_params
        .distinguished_name
        .push(DnType::CommonName, SERVER_NAME);
    server_params.use_authority_key_identifier_extension = true;
    server_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_cert = server_params
        .signed_by(&server_key, &issuer)
        .expect("sign server certificate");

    let client_key = KeyPair::generate().expect("generate client key");
    let mut client_params = CertificateParams::new(Vec::<String>::new()).expect("client params");
    client_params
        .distinguished_name
        .push(DnType::CommonName, "asynq test client");
    client_params.use_authority_key_identifier_extension = true;
    client_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    client_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let client_cert = client_params
        .signed_by(&client_key, &issuer)
        .expect("sign client certificate");

    write(&dir.join("ca.crt"), &ca_cert.pem());
    write(&dir.join("server.crt"), &server_cert.pem());
    write(&dir.join("server.key"), &server_key.serialize_pem());
    write(&dir.join("client.crt"), &client_cert.pem());
    write(&dir.join("client.key"), &client_key.serialize_pem());

    Certs {
        ca_der: ca_cert.der().clone(),
        client_cert_der: client_cert.der().clone(),
        client_key_der: client_key.serialize_der(),
    }
}

impl TlsRedisNode {
    /// Generates certificates, starts the server and waits until it answers over TLS with the
    /// client certificate.
    pub async fn start() -> TlsRedisNode {
        let dir = tempfile::Builder::new()
            .prefix("asynq-redis-tls-")
            .tempdir()
            .expect("create temp dir for redis-server");
        let certs = generate_certs(dir.path());
        let path = |name: &str| dir.path().join(name);
        let mut node = TlsRedisNode {
            port: 0,
            ca_cert: path("ca.crt"),
            server_cert: path("server.crt"),
            server_key: path("server.key"),
            client_cert: path("client.crt"),
            client_key: path("client.key"),
            ca_der: certs.ca_der,
            client_cert_der: certs.client_cert_der,
            client_key_der: certs.client_key_der,
            child: OwnedChild::default(),
            dir,
        };
        let probe = node.probe();
        let (child, port) = process::spawn_on_free_port(
            node.dir.path(),
            false,
            "redis-server (TLS)",
            &probe,
            |port| node.command(port),
        )
        .await;
        node.child = child;
        node.port = port;
        node
    }

    fn probe(&self) -> Probe<'_> {
        Probe::Tls {
            ca: &self.ca_cert,
            cert: &self.client_cert,
            key: &self.client_key,
        }
    }

    fn command(&self, tls_port: u16) -> Command {
        let path = |p: &Path| p.display().to_string();
        let extra = [
            "--tls-port".to_owned(),
            tls_port.to_string(),
            "--tls-cert-file".to_owned(),
            path(&self.server_cert),
            "--tls-key-file".to_owned(),
            path(&self.server_key),
            "--tls-ca-cert-file".to_owned(),
            path(&self.ca_cert),
            "--tls-auth-clients".to_owned(),
            "yes".to_owned(),
        ];
        server_command(0, self.dir.path(), &extra)
    }

    /// The TLS port the server listens on (127.0.0.1 only; there is no plain-text port).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `"127.0.0.1:PORT"`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `"rediss://127.0.0.1:PORT"` (the server certificate also covers IP 127.0.0.1; a client
    /// certificate is still required).
    pub fn url(&self) -> String {
        format!("rediss://127.0.0.1:{}", self.port)
    }

    /// PEM file of the CA that signed both the server and the client certificate.
    pub fn ca_cert_path(&self) -> &Path {
        &self.ca_cert
    }

    /// PEM file of the client certificate.
    pub fn client_cert_path(&self) -> &Path {
        &self.client_cert
    }

    /// PEM file of the client's private key (PKCS#8, `BEGIN PRIVATE KEY`).
    pub fn client_key_path(&self) -> &Path {
        &self.client_key
    }

    /// The DNS name in the server certificate: `"localhost"`.
    pub fn server_name(&self) -> &str {
        SERVER_NAME
    }

    /// The server's log file, stdout and stderr, for diagnostics.
    pub fn log(&self) -> String {
        process::read_logs(self.dir.path())
    }

    /// SIGKILLs the server and reaps it. Does nothing if it is not running.
    pub fn kill(&mut self) {
        self.child.kill();
    }

    /// Starts the server again on the same port with the same certificates (killing it first if
    /// it still runs) and waits until it answers.
    pub async fn restart(&mut self) {
        self.child.kill();
        let probe = self.probe();
        let child = process::spawn_on_port(
            self.dir.path(),
            self.port,
            "redis-server (TLS)",
            &probe,
            |port| self.command(port),
        )
        .await;
        self.child = child;
    }

    /// A rustls client configuration (ring provider) that trusts the test CA and presents the
    /// client certificate. Use it with server name [`server_name`](Self::server_name) or IP
    /// 127.0.0.1.
    pub fn rustls_client_config(&self) -> rustls::ClientConfig {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.ca_der.clone()).expect("add test CA");
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.client_key_der.clone()));
        rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("rustls protocol versions")
        .with_root_certificates(roots)
        .with_client_auth_cert(vec![self.client_cert_der.clone()], key)
        .expect("rustls client certificate")
    }

    /// A connected raw-command client (over TLS, server name `localhost`, with the client
    /// certificate) for assertions.
    pub async fn raw(&self) -> Raw {
        Raw::connect_tls(self.port, SERVER_NAME, self.rustls_client_config()).await
    }
}
