//! PostgreSQL over TLS (rustls), as `sslmode` in `DATABASE_URL` asks, with libpq's meanings:
//! `disable` — plain; `prefer` (the default) — TLS when the server offers it; `require` — TLS or
//! nothing, the certificate not checked (libpq's `require`); `verify-ca` / `verify-full` — TLS
//! with the certificate checked against the web's roots and `sslrootcert` (a PEM file), the host
//! name too for `verify-full`.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::{StoreError, StoreResult};

/// What the URL asks for, and the URL as `tokio_postgres` reads it (which knows only
/// `disable`, `prefer` and `require`, and no `sslrootcert`).
#[derive(Debug, Clone, PartialEq)]
pub struct TlsMode {
    pub url: String,
    pub mode: String,
    pub root_cert: Option<String>,
}

pub fn mode(url: &str) -> StoreResult<TlsMode> {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, q),
        None => (url, ""),
    };
    let (mut mode, mut root_cert, mut kept) = ("prefer".to_string(), None, Vec::new());
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("sslmode", v)) => mode = v.to_owned(),
            Some(("sslrootcert", v)) => root_cert = Some(v.to_owned()),
            _ => kept.push(pair.to_owned()),
        }
    }
    let as_read = match mode.as_str() {
        "disable" | "prefer" | "require" => mode.clone(),
        "verify-ca" | "verify-full" => "require".into(),
        "allow" => "prefer".into(),
        other => {
            return Err(StoreError::Failed(format!(
                "DATABASE_URL: sslmode={other} is not one of disable, allow, prefer, require, verify-ca, verify-full"
            )))
        }
    };
    kept.push(format!("sslmode={as_read}"));
    Ok(TlsMode { url: format!("{base}?{}", kept.join("&")), mode, root_cert })
}

/// The TLS connector for `mode` (`None`: plain connections).
pub fn connector(m: &TlsMode) -> StoreResult<Option<MakeRustlsConnect>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Failed(format!("TLS: {e}")))?;
    let config = match m.mode.as_str() {
        "disable" => return Ok(None),
        "verify-ca" | "verify-full" => {
            let mut roots = RootCertStore::empty();
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            if let Some(path) = &m.root_cert {
                for cert in CertificateDer::pem_file_iter(path)
                    .map_err(|e| StoreError::Failed(format!("sslrootcert {path}: {e}")))?
                {
                    let cert = cert.map_err(|e| StoreError::Failed(format!("sslrootcert {path}: {e}")))?;
                    roots.add(cert).map_err(|e| StoreError::Failed(format!("sslrootcert {path}: {e}")))?;
                }
            }
            let verifier =
                rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()
                    .map_err(|e| StoreError::Failed(format!("TLS: {e}")))?;
            let verifier: Arc<dyn ServerCertVerifier> =
                if m.mode == "verify-ca" { Arc::new(AnyName(verifier)) } else { verifier };
            builder.dangerous().with_custom_certificate_verifier(verifier).with_no_client_auth()
        }
        _ => builder.dangerous().with_custom_certificate_verifier(Arc::new(Unchecked(provider))).with_no_client_auth(),
    };
    Ok(Some(MakeRustlsConnect::new(config)))
}

/// libpq's `require`/`prefer`: encrypted, the certificate taken as it comes (signatures still
/// checked).
#[derive(Debug)]
struct Unchecked(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for Unchecked {
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
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// libpq's `verify-ca`: the chain checked, the host name not.
#[derive(Debug)]
struct AnyName(Arc<rustls::client::WebPkiServerVerifier>);

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.0.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName))
            | Err(rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForNameContext { .. })) => {
                Ok(ServerCertVerified::assertion())
            }
            other => other,
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmode_is_read_as_libpq_means_it() {
        let m = mode("postgres://u:p@db/x?sslmode=verify-full&sslrootcert=/etc/ca.pem&application_name=l").unwrap();
        assert_eq!(m.mode, "verify-full");
        assert_eq!(m.root_cert.as_deref(), Some("/etc/ca.pem"));
        assert_eq!(m.url, "postgres://u:p@db/x?application_name=l&sslmode=require");
        assert_eq!(mode("postgres://db/x").unwrap().mode, "prefer");
        assert!(connector(&mode("postgres://db/x?sslmode=disable").unwrap()).unwrap().is_none());
        assert!(connector(&mode("postgres://db/x?sslmode=require").unwrap()).unwrap().is_some());
        assert!(mode("postgres://db/x?sslmode=maybe").is_err());
        assert!(connector(&mode("postgres://db/x?sslmode=verify-ca&sslrootcert=/no/such.pem").unwrap()).is_err());
    }
}
