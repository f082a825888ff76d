//! OpenSSL's connector for a plan: the trusted roots, the client identity (PEM, an encrypted
//! key, PKCS#12), the verify callback that keeps a refused certificate for the message.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use openssl::pkcs12::Pkcs12;
use openssl::pkey::{PKey, Private};
use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};
use openssl::x509::X509;
use openssl::x509::store::X509StoreBuilder;
use postgres::Socket;
use postgres::tls::{MakeTlsConnect, TlsConnect};
use postgres_openssl::{MakeTlsConnector, TlsStream};

use super::diagnose::problem_of;
use super::{RootCert, Tls, TlsPlan, Verify, default_client};

/// Why the server's certificate was refused, as seen by the verify callback.
#[derive(Debug, Clone)]
pub(crate) struct CertProblem {
    pub code: i32,
    pub reason: String,
    /// The server's own certificate: subject, issuer, and the names it is for
    /// (subjectAltName, else CN).
    pub subject: String,
    pub issuer: String,
    pub names: Vec<String>,
    /// The certificate the check stopped at (the top of the chain the server sent, when no
    /// trusted root signed it).
    pub stopped_at: String,
}

/// A connector for one connection attempt, and where it leaves a refused certificate.
pub(crate) struct Connector {
    pub make: MakeTlsConnector,
    pub problem: Arc<Mutex<Option<CertProblem>>>,
}

/// A client identity: certificate (and chain) and key.
struct Identity {
    cert: X509,
    chain: Vec<X509>,
    key: PKey<Private>,
}

/// Builds the connector for `plan`, loading the roots and the client identity. Errors say which
/// file and what is wrong with it.
pub(crate) fn connector(tls: &Tls, plan: &TlsPlan) -> Result<Connector, String> {
    connector_into(tls, plan, Arc::new(Mutex::new(None)))
}

fn connector_into(
    tls: &Tls,
    plan: &TlsPlan,
    problem: Arc<Mutex<Option<CertProblem>>>,
) -> Result<Connector, String> {
    let ssl = shared_connector(tls, plan)?;
    let verify = plan.verify;
    let mut make = MakeTlsConnector::new(ssl);
    let seen = problem.clone();
    make.set_callback(move |config, _domain| {
        config.set_verify_hostname(verify == Verify::ChainAndHost);
        let mode = if verify == Verify::Nothing {
            SslVerifyMode::NONE
        } else {
            SslVerifyMode::PEER
        };
        let seen = seen.clone();
        config.set_verify_callback(mode, move |ok, ctx| {
            if !ok && let Ok(mut slot) = seen.lock() {
                slot.get_or_insert_with(|| problem_of(ctx));
            }
            ok
        });
        Ok(())
    });
    Ok(Connector { make, problem })
}

/// The OpenSSL context for these settings, built once per process: loading a CA bundle and
/// a client identity costs tens of milliseconds, a connection only a handshake.
fn shared_connector(tls: &Tls, plan: &TlsPlan) -> Result<SslConnector, String> {
    type Cache = Mutex<Vec<((Tls, TlsPlan), SslConnector)>>;
    static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    let key = (tls.clone(), plan.clone());
    if let Some((_, c)) = cache
        .lock()
        .ok()
        .and_then(|c| c.iter().find(|(k, _)| *k == key).cloned())
    {
        return Ok(c);
    }
    let built = build_connector(tls, plan)?;
    if let Ok(mut c) = cache.lock() {
        c.push((key, built.clone()));
    }
    Ok(built)
}

fn build_connector(tls: &Tls, plan: &TlsPlan) -> Result<SslConnector, String> {
    let mut b = SslConnector::builder(SslMethod::tls_client())
        .map_err(|e| format!("cannot set up TLS: {e}"))?;
    match &plan.roots {
        Some(RootCert::File(p)) => {
            let pem = read(p, "sslrootcert")?;
            let certs = X509::stack_from_pem(&pem).map_err(|_| {
                format!(
                    "sslrootcert {}: not a PEM certificate file (-----BEGIN CERTIFICATE-----)",
                    p.display()
                )
            })?;
            if certs.is_empty() {
                return Err(format!("sslrootcert {}: holds no certificate", p.display()));
            }
            // Only these: the builder's default store holds the system's roots, which libpq
            // does not trust unless told to (`sslrootcert=system`).
            let mut store = X509StoreBuilder::new().map_err(|e| e.to_string())?;
            for c in certs {
                // A certificate listed twice is not an error.
                let _ = store.add_cert(c);
            }
            b.set_cert_store(store.build());
        }
        // The builder loaded OpenSSL's default store already.
        Some(RootCert::System) => {}
        None => {}
    }
    if let Some(id) = identity(tls)? {
        b.set_certificate(&id.cert)
            .map_err(|e| format!("cannot use the client certificate: {e}"))?;
        for c in id.chain {
            b.add_extra_chain_cert(c)
                .map_err(|e| format!("cannot use the client certificate chain: {e}"))?;
        }
        // OpenSSL refuses a key that is not the certificate's when it is set.
        b.set_private_key(&id.key).and_then(|()| b.check_private_key()).map_err(|_| {
            match (&tls.client_key, &tls.client_cert, &tls.identity) {
                (Some(k), Some(c), _) => format!(
                    "sslkey {} is not the key of sslcert {}: give the key that belongs to the certificate",
                    k.display(),
                    c.display()
                ),
                (_, _, Some(i)) => format!(
                    "sslidentity {}: its key does not belong to its certificate",
                    i.display()
                ),
                _ => "the client key does not belong to the client certificate".into(),
            }
        })?;
    }
    Ok(b.build())
}

/// The client identity as libpq reads it: PEM files.
pub(crate) enum ClientPem {
    None,
    /// Usable as they are.
    Files {
        cert: PathBuf,
        key: PathBuf,
    },
    /// Converted (from PKCS#12, or an encrypted key opened with `sslpassword`): to be written
    /// to private files.
    Written {
        cert: Vec<u8>,
        key: Vec<u8>,
    },
}

/// The client identity for libpq's programs (pg_dump) and configured commands.
pub(crate) fn client_identity_pem(tls: &Tls) -> Result<ClientPem, String> {
    let pem_err = |e: openssl::error::ErrorStack| {
        format!("cannot convert the client certificate to PEM: {e}")
    };
    if let Some(p) = &tls.identity {
        let id = pkcs12(p, tls.password.as_deref())?;
        let mut cert = id.cert.to_pem().map_err(pem_err)?;
        for c in &id.chain {
            cert.extend(c.to_pem().map_err(pem_err)?);
        }
        let key = id.key.private_key_to_pem_pkcs8().map_err(pem_err)?;
        return Ok(ClientPem::Written { cert, key });
    }
    let (Some(cert), Some(key)) = (&tls.client_cert, &tls.client_key) else {
        return Ok(ClientPem::None);
    };
    let encrypted = std::fs::read_to_string(key).is_ok_and(|t| t.contains("ENCRYPTED"));
    if encrypted {
        let pkey = private_key(key, tls.password.as_deref())?;
        return Ok(ClientPem::Written {
            cert: read(cert, "sslcert")?,
            key: pkey.private_key_to_pem_pkcs8().map_err(pem_err)?,
        });
    }
    Ok(ClientPem::Files {
        cert: cert.clone(),
        key: key.clone(),
    })
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{what} {}: {e}", path.display()))
}

/// The client identity: PKCS#12 (`sslidentity`), PEM (`sslcert` + `sslkey`), else libpq's
/// default files.
fn identity(tls: &Tls) -> Result<Option<Identity>, String> {
    if let Some(p) = &tls.identity {
        return pkcs12(p, tls.password.as_deref()).map(Some);
    }
    let (cert, key) = match (&tls.client_cert, &tls.client_key) {
        (Some(c), Some(k)) => (c.clone(), k.clone()),
        (Some(c), None) => {
            let home = std::env::var_os("HOME").unwrap_or_default();
            (
                c.clone(),
                Path::new(&home).join(".postgresql/postgresql.key"),
            )
        }
        _ => match default_client() {
            Some(pair) => pair,
            None => return Ok(None),
        },
    };
    let pem = read(&cert, "sslcert")?;
    let mut certs = X509::stack_from_pem(&pem)
        .ok()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| format!("sslcert {}: not a PEM certificate file", cert.display()))?;
    let first = certs.remove(0);
    let key = private_key(&key, tls.password.as_deref())?;
    Ok(Some(Identity {
        cert: first,
        chain: certs,
        key,
    }))
}

/// A PEM private key; encrypted ones are opened with `sslpassword`. Like libpq, refuses a key
/// file others can read.
fn private_key(path: &Path, password: Option<&str>) -> Result<PKey<Private>, String> {
    check_key_permissions(path)?;
    let pem = read(path, "sslkey")?;
    let encrypted = String::from_utf8_lossy(&pem).contains("ENCRYPTED");
    match (encrypted, password) {
        (true, None) => Err(format!(
            "sslkey {}: the key is encrypted: give its password with sslpassword=...",
            path.display()
        )),
        (true, Some(p)) => PKey::private_key_from_pem_passphrase(&pem, p.as_bytes()).map_err(|_| {
            format!(
                "sslkey {}: cannot decrypt the key with sslpassword: check the password",
                path.display()
            )
        }),
        (false, _) => PKey::private_key_from_pem(&pem).map_err(|_| {
            format!(
                "sslkey {}: not a PEM private key (-----BEGIN PRIVATE KEY----- or RSA/EC PRIVATE KEY)",
                path.display()
            )
        }),
    }
}

/// libpq's rule: the key must not be readable by group or others (0600), except that a
/// root-owned key may be group-readable (0640).
fn check_key_permissions(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(()); // read() says what is wrong
    };
    let allowed = if meta.uid() == 0 { 0o640 } else { 0o600 };
    let mode = meta.mode() & 0o777;
    if mode & !allowed != 0 {
        return Err(format!(
            "sslkey {}: other users can read it (mode {mode:o}): `chmod 600` it (libpq refuses such keys too)",
            path.display()
        ));
    }
    Ok(())
}

fn pkcs12(path: &Path, password: Option<&str>) -> Result<Identity, String> {
    let der = read(path, "sslidentity")?;
    let p12 = Pkcs12::from_der(&der).map_err(|_| {
        format!(
            "sslidentity {}: not a PKCS#12 file (.p12/.pfx, DER): make one with `openssl pkcs12 -export -in client.crt -inkey client.key -out client.p12`",
            path.display()
        )
    })?;
    let parsed = p12.parse2(password.unwrap_or("")).map_err(|e| {
        let text = e.to_string();
        if text.contains("mac verify failure") || text.contains("mac_verify") {
            match password {
                None => format!(
                    "sslidentity {}: the file is protected by a password: give it with sslpassword=...",
                    path.display()
                ),
                Some(_) => format!(
                    "sslidentity {}: wrong sslpassword (the file's integrity check fails with it)",
                    path.display()
                ),
            }
        } else {
            format!("sslidentity {}: cannot read it: {text}", path.display())
        }
    })?;
    let (Some(cert), Some(key)) = (parsed.cert, parsed.pkey) else {
        return Err(format!(
            "sslidentity {}: holds no certificate with its key",
            path.display()
        ));
    };
    Ok(Identity {
        cert,
        chain: parsed
            .ca
            .map(|s| s.into_iter().collect())
            .unwrap_or_default(),
        key,
    })
}

/// `sslmode=prefer`'s connector, made only once the server has said yes to TLS: loading
/// OpenSSL and its store took 25 ms of every command against a server without TLS (a local or
/// CI database), as long as the rest of a `migrate` with nothing to apply. libpq, too, reads
/// the certificates only then.
pub(crate) struct Deferred {
    tls: Tls,
    plan: TlsPlan,
    pub problem: Arc<Mutex<Option<CertProblem>>>,
    /// Why the connector could not be made (a root or identity file), once it was asked for.
    pub refused: Arc<Mutex<Option<String>>>,
}

impl Deferred {
    pub(crate) fn new(tls: &Tls, plan: &TlsPlan) -> Deferred {
        Deferred {
            tls: tls.clone(),
            plan: plan.clone(),
            problem: Arc::default(),
            refused: Arc::default(),
        }
    }
}

/// [`Deferred`] for one host.
pub(crate) struct DeferredConnect {
    tls: Tls,
    plan: TlsPlan,
    domain: String,
    problem: Arc<Mutex<Option<CertProblem>>>,
    refused: Arc<Mutex<Option<String>>>,
}

type TlsFuture = Pin<
    Box<
        dyn Future<Output = Result<TlsStream<Socket>, Box<dyn std::error::Error + Send + Sync>>>
            + Send,
    >,
>;

impl MakeTlsConnect<Socket> for Deferred {
    type Stream = TlsStream<Socket>;
    type TlsConnect = DeferredConnect;
    type Error = std::convert::Infallible;

    fn make_tls_connect(&mut self, domain: &str) -> Result<DeferredConnect, Self::Error> {
        Ok(DeferredConnect {
            tls: self.tls.clone(),
            plan: self.plan.clone(),
            domain: domain.to_string(),
            problem: self.problem.clone(),
            refused: self.refused.clone(),
        })
    }
}

impl TlsConnect<Socket> for DeferredConnect {
    type Stream = TlsStream<Socket>;
    type Error = Box<dyn std::error::Error + Send + Sync>;
    type Future = TlsFuture;

    fn connect(self, stream: Socket) -> TlsFuture {
        let made = connector_into(&self.tls, &self.plan, self.problem).and_then(|mut c| {
            MakeTlsConnect::<Socket>::make_tls_connect(&mut c.make, &self.domain)
                .map_err(|e| format!("cannot set up TLS: {e}"))
        });
        match made {
            Ok(connect) => connect.connect(stream),
            Err(reason) => {
                if let Ok(mut slot) = self.refused.lock() {
                    *slot = Some(reason.clone());
                }
                Box::pin(async move { Err(reason.into()) })
            }
        }
    }
}
