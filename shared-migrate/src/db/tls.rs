//! TLS to PostgreSQL with libpq's semantics, through OpenSSL (the library libpq itself uses, so
//! certificate stores, PKCS#12 and encrypted keys behave as they do for psql and pg_dump).
//!
//! The URL's settings, libpq's and Prisma's:
//! - `sslmode`: disable, allow, prefer (default), require, verify-ca, verify-full. `require`
//!   checks the certificate chain when a root certificate is given (or `~/.postgresql/root.crt`
//!   exists), as libpq does. `sslrootcert=system` trusts OpenSSL's default store and makes
//!   `verify-full` the default (a weaker mode is refused, as by libpq 16).
//! - `sslrootcert`, `sslcert` + `sslkey` (PEM; an encrypted key is opened with `sslpassword`),
//!   with libpq's defaults in `~/.postgresql/` when not given.
//! - Prisma: `sslidentity` (PKCS#12 client identity) with `sslpassword`; `sslcert` alone (no
//!   `sslkey`, no `sslrootcert`) is the server's root certificate, as Prisma reads it;
//!   `sslaccept=accept_invalid_certs` checks no certificate, `sslaccept=strict` turns `require`
//!   into `verify-full`.
//! - `PGSSLMODE`, `PGSSLROOTCERT`, `PGSSLCERT`, `PGSSLKEY` fill in what the URL leaves out.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use openssl::pkcs12::Pkcs12;
use openssl::pkey::{PKey, Private};
use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::{X509, X509Ref, X509StoreContextRef, X509VerifyResult};
use postgres_openssl::MakeTlsConnector;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    pub fn parse(s: &str) -> Result<SslMode, String> {
        Ok(match s {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(format!(
                    "sslmode={other} is not an sslmode: use disable, allow, prefer, require, verify-ca or verify-full"
                ));
            }
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

/// Where trusted root certificates come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootCert {
    File(PathBuf),
    /// `sslrootcert=system`: OpenSSL's default store.
    System,
}

impl fmt::Display for RootCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RootCert::File(p) => write!(f, "sslrootcert {}", p.display()),
            RootCert::System => f.write_str("the system's trusted roots (sslrootcert=system)"),
        }
    }
}

/// What the certificate check covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verify {
    Nothing,
    /// The chain up to a trusted root (verify-ca).
    Chain,
    /// The chain and the host name (verify-full).
    ChainAndHost,
}

/// The TLS settings of a URL, as written (paths resolved by [`Tls::resolve_paths`]).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Tls {
    pub mode: Option<SslMode>,
    pub root_cert: Option<RootCert>,
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    /// Prisma's `sslidentity`: a PKCS#12 file.
    pub identity: Option<PathBuf>,
    /// `sslpassword`: of the PKCS#12 file or the encrypted key. Never shown.
    password: Option<String>,
    /// Prisma's `sslaccept`: `Some(true)` for accept_invalid_certs, `Some(false)` for strict.
    pub accept_invalid_certs: Option<bool>,
    /// The root certificate was given as Prisma's `sslcert` (shown again that way).
    prisma_root: bool,
}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tls")
            .field("mode", &self.mode)
            .field("root_cert", &self.root_cert)
            .field("client_cert", &self.client_cert)
            .field("client_key", &self.client_key)
            .field("identity", &self.identity)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .finish()
    }
}

/// The URL parameters this module reads.
pub const PARAMS: &[&str] = &[
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "sslidentity",
    "sslpassword",
    "sslaccept",
];

/// What a connection does, decided from the settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsPlan {
    pub mode: SslMode,
    pub verify: Verify,
    pub roots: Option<RootCert>,
}

impl Tls {
    /// Reads the TLS parameters of a URL (`params`: every key and value, in order).
    pub fn from_params(params: &[(String, String)]) -> Result<Tls, String> {
        let get = |k: &str| {
            params
                .iter()
                .rev()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        let mut tls = Tls {
            mode: get("sslmode").map(|m| SslMode::parse(&m)).transpose()?,
            client_key: get("sslkey").map(PathBuf::from),
            identity: get("sslidentity").map(PathBuf::from),
            password: get("sslpassword"),
            ..Tls::default()
        };
        tls.root_cert = get("sslrootcert").map(|r| {
            if r == "system" {
                RootCert::System
            } else {
                RootCert::File(PathBuf::from(r))
            }
        });
        if let Some(cert) = get("sslcert") {
            // libpq: the client certificate. Prisma: the server's root certificate. With a key
            // or a root certificate beside it, it can only be libpq's.
            if tls.client_key.is_some() || tls.root_cert.is_some() {
                tls.client_cert = Some(PathBuf::from(cert));
            } else {
                tls.root_cert = Some(RootCert::File(PathBuf::from(cert)));
                tls.prisma_root = true;
            }
        }
        tls.accept_invalid_certs = match get("sslaccept").as_deref() {
            None => None,
            Some("accept_invalid_certs") => Some(true),
            Some("strict") => Some(false),
            Some(other) => {
                return Err(format!(
                    "sslaccept={other}: use strict or accept_invalid_certs (Prisma's values)"
                ));
            }
        };
        if tls.client_key.is_some() && tls.client_cert.is_none() {
            return Err("sslkey is given without sslcert: give the client certificate too".into());
        }
        if tls.identity.is_some() && tls.client_cert.is_some() {
            return Err(
                "sslidentity and sslcert+sslkey both give a client certificate: keep one".into(),
            );
        }
        // Checked whole by `plan` once libpq's environment has filled in the rest.
        Ok(tls)
    }

    /// Fills in what the URL leaves out from libpq's environment variables. Relative paths
    /// there are relative to the current directory, as for libpq.
    pub fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) -> Result<(), String> {
        let set = |k: &str| env(k).filter(|v| !v.is_empty());
        if self.mode.is_none()
            && let Some(m) = set("PGSSLMODE")
        {
            self.mode = Some(SslMode::parse(&m).map_err(|e| format!("PGSSLMODE: {e}"))?);
        }
        if self.root_cert.is_none()
            && let Some(r) = set("PGSSLROOTCERT")
        {
            self.root_cert = Some(if r == "system" {
                RootCert::System
            } else {
                RootCert::File(PathBuf::from(r))
            });
        }
        if self.client_cert.is_none()
            && self.identity.is_none()
            && let Some(c) = set("PGSSLCERT")
        {
            self.client_cert = Some(PathBuf::from(c));
            if self.client_key.is_none() {
                self.client_key = set("PGSSLKEY").map(PathBuf::from);
            }
        }
        Ok(())
    }

    /// Makes relative certificate paths relative to `base` (the schema file's directory).
    pub fn resolve_paths(&mut self, base: &Path) {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        if let Some(RootCert::File(p)) = &mut self.root_cert {
            fix(p);
        }
        for p in [
            &mut self.client_cert,
            &mut self.client_key,
            &mut self.identity,
        ]
        .into_iter()
        .flatten()
        {
            fix(p);
        }
    }

    pub fn expose_password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// The mode, what is verified, and against which roots; an error for contradictions.
    pub fn plan(&self) -> Result<TlsPlan, String> {
        let explicit_roots = self.root_cert.clone();
        let system = explicit_roots == Some(RootCert::System);
        let mut mode = self.mode.unwrap_or(if system {
            SslMode::VerifyFull
        } else {
            SslMode::Prefer
        });
        if system && mode != SslMode::VerifyFull && mode != SslMode::Disable {
            return Err(format!(
                "weak sslmode \"{}\" may not be used with sslrootcert=system (use \"verify-full\"), as libpq refuses it",
                mode.as_str()
            ));
        }
        match self.accept_invalid_certs {
            Some(true) => {
                if matches!(mode, SslMode::VerifyCa | SslMode::VerifyFull) {
                    return Err(format!(
                        "sslaccept=accept_invalid_certs contradicts sslmode={}: drop one of them",
                        mode.as_str()
                    ));
                }
                return Ok(TlsPlan {
                    mode,
                    verify: Verify::Nothing,
                    roots: None,
                });
            }
            Some(false) if mode == SslMode::Require => mode = SslMode::VerifyFull,
            _ => {}
        }
        let roots = explicit_roots.or_else(default_root);
        let verify = match mode {
            SslMode::VerifyFull => Verify::ChainAndHost,
            SslMode::VerifyCa => Verify::Chain,
            SslMode::Require if roots.is_some() => Verify::Chain,
            _ => Verify::Nothing,
        };
        if verify != Verify::Nothing && roots.is_none() {
            return Err(format!(
                "sslmode={} checks the server's certificate, and no root certificate is given: set sslrootcert=PATH (the CA that signed the server's certificate), or sslrootcert=system for the system's trusted roots",
                mode.as_str()
            ));
        }
        Ok(TlsPlan {
            mode,
            verify,
            roots: if verify == Verify::Nothing {
                None
            } else {
                roots
            },
        })
    }

    /// The parameters to write into a URL, in a stable order (absolute paths once resolved).
    pub fn params(&self, show_password: bool) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let path = |p: &Path| p.to_string_lossy().into_owned();
        if let Some(m) = self.mode {
            out.push(("sslmode".into(), m.as_str().into()));
        }
        match &self.root_cert {
            Some(RootCert::System) => out.push(("sslrootcert".into(), "system".into())),
            Some(RootCert::File(p)) if self.prisma_root => out.push(("sslcert".into(), path(p))),
            Some(RootCert::File(p)) => out.push(("sslrootcert".into(), path(p))),
            None => {}
        }
        if let Some(c) = &self.client_cert {
            out.push(("sslcert".into(), path(c)));
        }
        if let Some(k) = &self.client_key {
            out.push(("sslkey".into(), path(k)));
        }
        if let Some(i) = &self.identity {
            out.push(("sslidentity".into(), path(i)));
        }
        if let Some(p) = &self.password {
            let shown = if show_password {
                p.clone()
            } else {
                "***".into()
            };
            out.push(("sslpassword".into(), shown));
        }
        match self.accept_invalid_certs {
            Some(true) => out.push(("sslaccept".into(), "accept_invalid_certs".into())),
            Some(false) => out.push(("sslaccept".into(), "strict".into())),
            None => {}
        }
        out
    }
}

/// libpq's default root certificate, `~/.postgresql/root.crt`, when it exists.
fn default_root() -> Option<RootCert> {
    let home = std::env::var_os("HOME")?;
    let p = Path::new(&home).join(".postgresql/root.crt");
    p.is_file().then_some(RootCert::File(p))
}

/// libpq's default client certificate and key in `~/.postgresql/`, when both exist.
fn default_client() -> Option<(PathBuf, PathBuf)> {
    let home = std::env::var_os("HOME")?;
    let dir = Path::new(&home).join(".postgresql");
    let (c, k) = (dir.join("postgresql.crt"), dir.join("postgresql.key"));
    (c.is_file() && k.is_file()).then_some((c, k))
}

// --- the connector --------------------------------------------------------------------------

/// Why the server's certificate was refused, as seen by the verify callback.
#[derive(Debug, Clone)]
pub struct CertProblem {
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
pub struct Connector {
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
pub fn connector(tls: &Tls, plan: &TlsPlan) -> Result<Connector, String> {
    let ssl = shared_connector(tls, plan)?;
    let problem: Arc<Mutex<Option<CertProblem>>> = Arc::new(Mutex::new(None));
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
pub enum ClientPem {
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
pub fn client_identity_pem(tls: &Tls) -> Result<ClientPem, String> {
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

fn problem_of(ctx: &X509StoreContextRef) -> CertProblem {
    let error: X509VerifyResult = ctx.error();
    let leaf = ctx
        .chain()
        .and_then(|c| c.iter().next().map(|c| c.to_owned()));
    let current = ctx.current_cert().map(|c| c.to_owned());
    let (subject, issuer, names) = match leaf.as_ref().or(current.as_ref()) {
        Some(c) => (
            name_text(c, false),
            name_text(c, true),
            certificate_names(c),
        ),
        None => (String::from("?"), String::from("?"), Vec::new()),
    };
    CertProblem {
        code: error.as_raw(),
        reason: error.error_string().to_string(),
        subject,
        issuer,
        names,
        stopped_at: current.map_or_else(|| "?".into(), |c| name_text(&c, false)),
    }
}

/// `CN=db, O=Example` of a certificate's subject (or issuer).
fn name_text(cert: &X509Ref, issuer: bool) -> String {
    let name = if issuer {
        cert.issuer_name()
    } else {
        cert.subject_name()
    };
    let parts: Vec<String> = name
        .entries()
        .map(|e| {
            let key = e.object().nid().short_name().unwrap_or("?");
            let value = String::from_utf8_lossy(e.data().as_slice());
            format!("{key}={value}")
        })
        .collect();
    parts.join(", ")
}

/// The DNS names and addresses a certificate is for; its CN when it lists none.
fn certificate_names(cert: &X509Ref) -> Vec<String> {
    let mut names: Vec<String> = cert
        .subject_alt_names()
        .map(|sans| {
            sans.iter()
                .filter_map(|n| {
                    n.dnsname().map(str::to_string).or_else(|| {
                        n.ipaddress().and_then(|ip| match ip.len() {
                            4 => Some(
                                std::net::Ipv4Addr::new(ip[0], ip[1], ip[2], ip[3]).to_string(),
                            ),
                            16 => <[u8; 16]>::try_from(ip)
                                .ok()
                                .map(|b| std::net::Ipv6Addr::from(b).to_string()),
                            _ => None,
                        })
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    if names.is_empty() {
        names = cert
            .subject_name()
            .entries_by_nid(openssl::nid::Nid::COMMONNAME)
            .map(|e| String::from_utf8_lossy(e.data().as_slice()).into_owned())
            .collect();
    }
    names
}

/// OpenSSL's codes for a certificate nobody we trust signed.
const UNTRUSTED: &[i32] = &[2, 18, 19, 20, 21];
const EXPIRED: i32 = 10;
const NOT_YET_VALID: i32 = 9;
const HOSTNAME_MISMATCH: i32 = 62;
const IP_MISMATCH: i32 = 64;

/// What a failed handshake means, for people: `problem` (from the verify callback) first, then
/// the error's own text.
pub fn describe_failure(
    error: &postgres::Error,
    problem: Option<CertProblem>,
    plan: &TlsPlan,
    host: &str,
) -> String {
    if let Some(p) = problem {
        let cert = format!(
            "the server's certificate (subject `{}`, issued by `{}`)",
            p.subject, p.issuer
        );
        let roots = plan
            .roots
            .as_ref()
            .map_or_else(|| "the given roots".to_string(), |r| r.to_string());
        return match p.code {
            HOSTNAME_MISMATCH | IP_MISMATCH => format!(
                "the server's certificate is for {}, not `{host}`: sslmode=verify-full checks that the host name is one the certificate names; connect with one of those names, or use sslmode=verify-ca to check the chain only",
                if p.names.is_empty() {
                    "no host name".to_string()
                } else {
                    p.names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
            c if UNTRUSTED.contains(&c) => format!(
                "{cert} is not trusted: its chain ends at `{}`, which is not in {roots} ({}); give the CA that signed it with sslrootcert=PATH",
                p.stopped_at, p.reason
            ),
            EXPIRED => format!("{cert} has expired: the server needs a new certificate"),
            NOT_YET_VALID => format!("{cert} is not valid yet: check the clocks"),
            _ => format!("{cert} was refused: {}", p.reason),
        };
    }
    let text = error_chain(error);
    let lower = text.to_lowercase();
    if lower.contains("server does not support tls") {
        format!(
            "the server does not accept TLS connections, and sslmode={} requires TLS: turn `ssl = on` on the server, or use sslmode=prefer (or disable)",
            plan.mode.as_str()
        )
    } else if lower.contains("certificate required") || lower.contains("handshake failure") {
        "the server requires a client certificate: give sslcert and sslkey (or Prisma's sslidentity with sslpassword)".into()
    } else if lower.contains("unknown ca") || lower.contains("bad certificate") {
        "the server refused our client certificate: it was not signed by a CA the server trusts (its ssl_ca_file)".into()
    } else if lower.contains("certificate expired") {
        "the server refused our client certificate: it has expired".into()
    } else {
        format!("the TLS handshake failed: {text}")
    }
}

/// An error and its sources on one line.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let t = s.to_string();
        if !text.contains(&t) {
            text.push_str(": ");
            text.push_str(&t);
        }
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(q: &[(&str, &str)]) -> Vec<(String, String)> {
        q.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn plan(q: &[(&str, &str)]) -> Result<TlsPlan, String> {
        Tls::from_params(&params(q)).and_then(|t| t.plan())
    }

    #[test]
    fn libpq_modes() {
        let p = plan(&[]).unwrap();
        assert_eq!((p.mode, p.verify), (SslMode::Prefer, Verify::Nothing));
        let p = plan(&[("sslmode", "require")]).unwrap();
        assert_eq!(p.verify, Verify::Nothing);
        // require with a root certificate is verify-ca.
        let p = plan(&[("sslmode", "require"), ("sslrootcert", "ca.crt")]).unwrap();
        assert_eq!(p.verify, Verify::Chain);
        let p = plan(&[("sslmode", "verify-full"), ("sslrootcert", "ca.crt")]).unwrap();
        assert_eq!(p.verify, Verify::ChainAndHost);
        assert!(
            plan(&[("sslmode", "verify-ca")])
                .unwrap_err()
                .contains("sslrootcert=PATH")
        );
        // system: verify-full by default, weaker refused.
        let p = plan(&[("sslrootcert", "system")]).unwrap();
        assert_eq!(
            (p.mode, p.roots),
            (SslMode::VerifyFull, Some(RootCert::System))
        );
        assert!(
            plan(&[("sslrootcert", "system"), ("sslmode", "require")])
                .unwrap_err()
                .contains("weak sslmode")
        );
        assert!(
            plan(&[("sslmode", "verify_full")])
                .unwrap_err()
                .contains("not an sslmode")
        );
    }

    #[test]
    fn prisma_parameters() {
        // sslcert alone is Prisma's root certificate.
        let t =
            Tls::from_params(&params(&[("sslmode", "require"), ("sslcert", "ca.pem")])).unwrap();
        assert_eq!(t.root_cert, Some(RootCert::File("ca.pem".into())));
        assert_eq!(t.plan().unwrap().verify, Verify::Chain);
        // with a key it is libpq's client certificate.
        let t = Tls::from_params(&params(&[("sslcert", "c.crt"), ("sslkey", "c.key")])).unwrap();
        assert_eq!(
            (t.client_cert.is_some(), t.root_cert.is_none()),
            (true, true)
        );
        let p = plan(&[
            ("sslmode", "require"),
            ("sslaccept", "strict"),
            ("sslcert", "ca.pem"),
        ])
        .unwrap();
        assert_eq!(p.verify, Verify::ChainAndHost);
        let p = plan(&[
            ("sslmode", "require"),
            ("sslaccept", "accept_invalid_certs"),
            ("sslcert", "ca.pem"),
        ])
        .unwrap();
        assert_eq!(p.verify, Verify::Nothing);
        assert!(
            plan(&[
                ("sslmode", "verify-full"),
                ("sslaccept", "accept_invalid_certs")
            ])
            .is_err()
        );
        assert!(plan(&[("sslaccept", "lenient")]).is_err());
    }

    #[test]
    fn environment_fills_in_and_paths_resolve() {
        let mut t = Tls::from_params(&params(&[("sslcert", "ca.pem")])).unwrap();
        t.apply_env(&|k| match k {
            "PGSSLMODE" => Some("verify-ca".into()),
            "PGSSLROOTCERT" => Some("/etc/other.pem".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(t.mode, Some(SslMode::VerifyCa));
        // The URL's root wins over PGSSLROOTCERT.
        assert_eq!(t.root_cert, Some(RootCert::File("ca.pem".into())));
        t.resolve_paths(Path::new("/svc/prisma"));
        assert_eq!(
            t.root_cert,
            Some(RootCert::File("/svc/prisma/ca.pem".into()))
        );
        assert_eq!(
            t.params(false),
            params(&[("sslmode", "verify-ca"), ("sslcert", "/svc/prisma/ca.pem")])
        );
    }

    #[test]
    fn the_password_is_never_shown() {
        let t = Tls::from_params(&params(&[
            ("sslidentity", "id.p12"),
            ("sslpassword", "hunter2"),
        ]))
        .unwrap();
        assert!(!format!("{t:?}").contains("hunter2"));
        assert!(t.params(false).iter().all(|(_, v)| v != "hunter2"));
        assert!(t.params(true).iter().any(|(_, v)| v == "hunter2"));
    }
}
