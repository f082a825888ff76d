//! A database URL in Prisma's format: what it means, and how it is shown (always with the
//! password redacted). Where a service's URL comes from is [`super::url_sources`].

use std::fmt;
use std::path::Path;
use std::time::Duration;

use super::tls::{self, Tls};

/// A parsed PostgreSQL URL in Prisma's format. `Display` and `Debug` redact the password.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    /// The user name.
    pub user: String,
    password: Option<String>,
    /// A host name or address, or a socket directory (starts with `/`).
    pub host: String,
    /// The server's port.
    pub port: u16,
    /// The database name.
    pub dbname: String,
    /// Prisma's `?schema=`: where the ledger and the migrations' objects go.
    pub schema: String,
    /// `sslmode` and the certificates (libpq's and Prisma's parameters).
    pub tls: Tls,
    /// `connect_timeout`: how long opening a session may take.
    pub connect_timeout: Duration,
    /// libpq's `options` (e.g. `-c statement_timeout=0`).
    pub options: Option<String>,
    /// Prisma's `pgbouncer=true`: the URL goes through PgBouncer in transaction mode.
    pub pgbouncer: bool,
    /// How a connection that stops answering is ended ([`super::socket`]).
    pub net: Network,
}

/// libpq's `keepalives*` and `tcp_user_timeout`, Prisma's `socket_timeout`. Defaults suit a
/// deploy: a peer gone silent is given up after about a minute, where the system's defaults
/// wait two hours; nothing bounds a slow answer unless `socket_timeout` is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    pub keepalives: bool,
    pub keepalives_idle: Duration,
    pub keepalives_interval: Duration,
    pub keepalives_count: u32,
    /// How long sent data may stay unacknowledged before the kernel ends the connection.
    pub tcp_user_timeout: Duration,
    /// How long a request may go unanswered before we end the connection.
    pub socket_timeout: Option<Duration>,
}

impl Default for Network {
    fn default() -> Network {
        Network {
            keepalives: true,
            keepalives_idle: Duration::from_secs(30),
            keepalives_interval: Duration::from_secs(10),
            keepalives_count: 3,
            tcp_user_timeout: Duration::from_secs(60),
            socket_timeout: None,
        }
    }
}

/// URL parameters the Prisma CLI knows; accepted and ignored unless used above.
const PRISMA_PARAMS: &[&str] = &[
    "connection_limit",
    "pool_timeout",
    "pgbouncer",
    "statement_cache_size",
    "application_name",
    "channel_binding",
    "single_use_connections",
    "max_connection_lifetime",
    "max_idle_connection_lifetime",
    "target_session_attrs",
];

impl DatabaseUrl {
    /// Reads a URL as Prisma does; the error says why, never the URL itself.
    pub fn parse(text: &str) -> Result<DatabaseUrl, String> {
        let text = text.trim();
        let url = url::Url::parse(text).map_err(|e| {
            if text.contains("://") {
                format!("not a URL ({e})")
            } else {
                // A libpq keyword/value string (host=... user=...), or a bare host name.
                format!(
                    "not a URL ({e}): write it as postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
                )
            }
        })?;
        match url.scheme() {
            "postgresql" | "postgres" => {}
            "prisma" | "prisma+postgres" => {
                return Err("Prisma Accelerate / Data Proxy URLs cannot run migrations: use the direct postgresql:// URL of the database".into());
            }
            other => {
                return Err(format!(
                    "scheme `{other}` is not PostgreSQL: the URL must start with postgresql://"
                ));
            }
        }
        let decode = |s: &str| -> Result<String, String> {
            percent_decode(s).ok_or_else(|| "invalid percent-encoding".to_string())
        };
        let mut out = DatabaseUrl {
            user: decode(url.username())?,
            password: url.password().map(decode).transpose()?,
            host: url
                .host_str()
                .unwrap_or("")
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
            port: url.port().unwrap_or(5432),
            dbname: decode(url.path().trim_start_matches('/'))?,
            schema: "public".into(),
            tls: Tls::default(),
            connect_timeout: Duration::from_secs(5),
            options: None,
            pgbouncer: false,
            net: Network::default(),
        };
        let params: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        out.tls = Tls::from_params(&params)?;
        for (key, value) in url.query_pairs() {
            match key.as_ref() {
                "schema" => out.schema = value.into_owned(),
                "host" => out.host = value.into_owned(),
                "user" => out.user = value.into_owned(),
                "password" => out.password = Some(value.into_owned()),
                "port" => out.port = number(&key, &value, "a number")?,
                "connect_timeout" => {
                    let d = seconds(&key, &value)?;
                    // 0 means "no timeout" for libpq and Prisma.
                    out.connect_timeout = if d.is_zero() {
                        Duration::from_secs(3600)
                    } else {
                        d
                    };
                }
                "options" => out.options = Some(value.into_owned()),
                "keepalives" => out.net.keepalives = value != "0",
                "keepalives_idle" => out.net.keepalives_idle = seconds(&key, &value)?,
                "keepalives_interval" => out.net.keepalives_interval = seconds(&key, &value)?,
                "keepalives_count" => out.net.keepalives_count = number(&key, &value, "a number")?,
                // libpq's unit: milliseconds.
                "tcp_user_timeout" => {
                    let ms = number(&key, &value, "a number of milliseconds")?;
                    out.net.tcp_user_timeout = Duration::from_millis(ms);
                }
                // Prisma's unit: seconds; 0 or absent: no limit.
                "socket_timeout" => {
                    let d = seconds(&key, &value)?;
                    out.net.socket_timeout = (!d.is_zero()).then_some(d);
                }
                "pgbouncer" => out.pgbouncer = value == "true",
                k if PRISMA_PARAMS.contains(&k) || tls::PARAMS.contains(&k) => {}
                _ => {} // Prisma ignores parameters it does not know; so do we.
            }
        }
        if out.host.is_empty() {
            out.host = "localhost".into();
        }
        if out.user.is_empty() {
            return Err("no user name: write postgresql://USER:PASSWORD@HOST:PORT/DATABASE".into());
        }
        if out.dbname.is_empty() {
            out.dbname = "postgres".into();
        }
        if out.schema.is_empty() {
            return Err("`schema=` is empty: name a schema or leave the parameter out".into());
        }
        Ok(out)
    }

    /// The password in clear, for a child process's environment. Never print it.
    pub fn expose_password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// `text` (a child's output) with this URL's password, in clear or percent-encoded,
    /// replaced by `***`: a test that prints its DATABASE_URL must not leak it through us.
    pub fn redact_in(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in [self.password.as_deref(), self.tls.expose_password()]
            .into_iter()
            .flatten()
            .filter(|p| !p.is_empty())
        {
            let encoded = percent_encode(secret);
            out = out.replace(secret, "***").replace(encoded.as_str(), "***");
        }
        out
    }

    /// The same server and credentials, another database.
    pub fn with_dbname(&self, dbname: &str) -> DatabaseUrl {
        DatabaseUrl {
            dbname: dbname.to_string(),
            ..self.clone()
        }
    }

    /// The URL with its password in clear, for handing to a child process (tests, seeds).
    /// Never print it.
    pub fn expose(&self) -> String {
        self.render(true)
    }

    /// Reads what the URL leaves out from libpq's `PG*` environment variables, makes relative
    /// certificate paths relative to `base` (the schema's directory, as Prisma resolves them),
    /// and checks the TLS settings as a whole.
    pub fn complete(
        &mut self,
        env: &dyn Fn(&str) -> Option<String>,
        base: &Path,
    ) -> Result<(), String> {
        self.tls.resolve_paths(base);
        self.tls.apply_env(env)?;
        self.tls.plan()?;
        Ok(())
    }

    /// Whether the server is reached through a Unix socket (never TLS, as with libpq).
    pub fn is_socket(&self) -> bool {
        self.host.starts_with('/')
    }

    /// Whether the server is on this machine (loopback address or a socket directory).
    pub fn is_local(&self) -> bool {
        self.host.starts_with('/')
            || matches!(self.host.as_str(), "localhost" | "::1")
            || self.host.starts_with("127.")
    }

    /// The client configuration, TLS left to the caller ([`super::connection`]).
    pub fn config(&self) -> postgres::Config {
        let mut c = postgres::Config::new();
        c.user(&self.user)
            .dbname(&self.dbname)
            .port(self.port)
            .connect_timeout(self.connect_timeout)
            .application_name("cargo-xtask-migrate");
        if let Some(p) = &self.password {
            c.password(p);
        }
        if let Some(o) = &self.options {
            c.options(o);
        }
        let net = &self.net;
        c.keepalives(net.keepalives);
        if net.keepalives {
            c.keepalives_idle(net.keepalives_idle)
                .keepalives_interval(net.keepalives_interval)
                .keepalives_retries(net.keepalives_count);
        }
        if !net.tcp_user_timeout.is_zero() {
            c.tcp_user_timeout(net.tcp_user_timeout);
        }
        if self.host.starts_with('/') {
            c.host_path(&self.host);
        } else {
            c.host(&self.host);
        }
        c
    }

    /// The URL; `secrets`: passwords in clear (for a child process), else `***`.
    fn render(&self, secrets: bool) -> String {
        let password = self.password.as_ref().map(|p| {
            if secrets {
                percent_encode(p)
            } else {
                "***".to_string()
            }
        });
        let mut s = format!("postgresql://{}", percent_encode(&self.user));
        if let Some(p) = password {
            s.push(':');
            s.push_str(&p);
        }
        s.push('@');
        let socket = self.host.starts_with('/');
        if socket {
            s.push_str("localhost");
        } else if self.host.contains(':') {
            s.push_str(&format!("[{}]", self.host));
        } else {
            s.push_str(&self.host);
        }
        s.push_str(&format!(":{}/{}", self.port, percent_encode(&self.dbname)));
        let mut params = vec![format!("schema={}", percent_encode(&self.schema))];
        if socket {
            params.push(format!("host={}", percent_encode(&self.host)));
        }
        if self.pgbouncer {
            params.push("pgbouncer=true".into());
        }
        let (net, default) = (&self.net, Network::default());
        if net.keepalives != default.keepalives {
            params.push("keepalives=0".into());
        }
        for (key, value, default) in [
            (
                "keepalives_idle",
                net.keepalives_idle,
                default.keepalives_idle,
            ),
            (
                "keepalives_interval",
                net.keepalives_interval,
                default.keepalives_interval,
            ),
        ] {
            if value != default {
                params.push(format!("{key}={}", value.as_secs()));
            }
        }
        if net.keepalives_count != default.keepalives_count {
            params.push(format!("keepalives_count={}", net.keepalives_count));
        }
        if net.tcp_user_timeout != default.tcp_user_timeout {
            params.push(format!(
                "tcp_user_timeout={}",
                net.tcp_user_timeout.as_millis()
            ));
        }
        if let Some(t) = net.socket_timeout {
            params.push(format!("socket_timeout={}", t.as_secs()));
        }
        for (k, v) in self.tls.params(secrets) {
            // Paths stay readable: `/` needs no escape in a query.
            params.push(format!("{k}={}", percent_encode(&v).replace("%2F", "/")));
        }
        s.push('?');
        s.push_str(&params.join("&"));
        s
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// The error for a URL `text` (from `origin`) that [`DatabaseUrl::parse`] or
/// [`DatabaseUrl::complete`] refused with `reason`. The text is never copied into the message;
/// any word of `reason` that is part of the text's credentials is masked, and the usual
/// mistakes are named by their shape.
pub(crate) fn invalid_url(
    text: &str,
    origin: impl Into<String>,
    reason: String,
) -> crate::error::Error {
    let mut reason = reason;
    for secret in credentials(text) {
        reason = reason.replace(&secret, "***");
    }
    let lower = text.trim().to_ascii_lowercase();
    let scheme = ["postgresql", "postgres"]
        .into_iter()
        .find(|s| lower.starts_with(s));
    if let Some(scheme) = scheme {
        let rest = &lower[scheme.len()..];
        if rest.starts_with(":/") && !rest.starts_with("://") {
            reason.push_str(&format!(
                "; the URL must start with {scheme}:// (two slashes)"
            ));
        } else if rest.starts_with("//") {
            reason.push_str(&format!(
                "; the URL must start with {scheme}:// (a colon after the scheme)"
            ));
        }
    }
    if let Some(authority) = text.split_once("://").map(|(_, r)| r)
        && let Some(at) = authority.rfind('@')
        && authority[..at].contains(['/', '?', '#', '@'])
    {
        reason.push_str(
            "; the user name or password holds a character that ends that part of a URL: percent-encode it (`/` as %2F, `?` as %3F, `#` as %23, `@` as %40)",
        );
    }
    crate::error::Error::InvalidUrl {
        origin: origin.into(),
        reason,
    }
}

/// What in a URL's text may be a credential, longest first: the password as far as it can be
/// told (after the user name, up to the last `@`), each piece of it between the characters
/// that end parts of a URL (`/?#@&=:`; parameter names aside), and the values of `password`,
/// `sslpassword` and `api_key`.
fn credentials(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let after_scheme = text.find(':').map_or(text, |i| &text[i + 1..]);
    if let Some(at) = after_scheme.rfind('@') {
        let userinfo = after_scheme[..at].trim_start_matches('/');
        if let Some((_, password)) = userinfo.split_once(':') {
            out.push(password.to_string());
            out.extend(
                password
                    .split(['/', '?', '#', '@', '&', '=', ':'])
                    .filter(|piece| !PRISMA_PARAMS.contains(piece) && !is_param_name(piece))
                    .map(str::to_string),
            );
        }
    }
    for key in ["password=", "sslpassword=", "api_key="] {
        for (i, _) in text.match_indices(key) {
            let value = &text[i + key.len()..];
            let end = value.find('&').unwrap_or(value.len());
            out.push(value[..end].to_string());
        }
    }
    out.retain(|s| s.len() >= 3);
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out
}

/// A URL parameter this parser knows, by name.
fn is_param_name(piece: &str) -> bool {
    tls::PARAMS.contains(&piece)
        || [
            "schema",
            "host",
            "user",
            "password",
            "port",
            "connect_timeout",
            "options",
            "keepalives",
            "keepalives_idle",
            "keepalives_interval",
            "keepalives_count",
            "tcp_user_timeout",
            "socket_timeout",
        ]
        .contains(&piece)
}

/// Redacts the password of a URL that may not even parse: `user:secret@` becomes `user:***@`,
/// and `password=` / `sslpassword=` parameters lose their values.
pub(crate) fn redact(text: &str) -> String {
    let mut out = text.to_string();
    if let Some(scheme_end) = out.find("://") {
        let rest_start = scheme_end + 3;
        let authority_end = out[rest_start..]
            .find(['/', '?'])
            .map_or(out.len(), |i| rest_start + i);
        if let Some(at) = out[rest_start..authority_end].rfind('@') {
            let userinfo = &out[rest_start..rest_start + at];
            if let Some(colon) = userinfo.find(':') {
                out.replace_range(rest_start + colon + 1..rest_start + at, "***");
            }
        }
    }
    for key in ["password=", "sslpassword="] {
        let mut from = 0;
        while let Some(i) = out[from..].find(key) {
            let start = from + i + key.len();
            let end = out[start..].find('&').map_or(out.len(), |j| start + j);
            out.replace_range(start..end, "***");
            from = start + 3;
        }
    }
    out
}

fn seconds(key: &str, value: &str) -> Result<Duration, String> {
    number(key, value, "a number of seconds").map(Duration::from_secs)
}

/// A URL parameter's number; else an error that names the parameter, its value and `what`
/// was expected.
fn number<T: std::str::FromStr>(key: &str, value: &str, what: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{key} `{value}` is not {what}"))
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn percent_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prisma_urls() {
        let u = DatabaseUrl::parse(
            "postgresql://app:s%40cret@db.example.com:6543/edu?schema=education&connection_limit=5&pgbouncer=true",
        )
        .unwrap();
        assert_eq!(
            (u.user.as_str(), u.host.as_str(), u.port),
            ("app", "db.example.com", 6543)
        );
        assert_eq!((u.dbname.as_str(), u.schema.as_str()), ("edu", "education"));
        assert_eq!(u.password.as_deref(), Some("s@cret"));
        assert_eq!(
            u.to_string(),
            "postgresql://app:***@db.example.com:6543/edu?schema=education&pgbouncer=true"
        );
        assert!(!format!("{u:?}").contains("cret"));
        assert!(u.expose().contains("s%40cret"));
        assert_eq!(DatabaseUrl::parse(&u.expose()).unwrap(), u);
    }

    #[test]
    fn socket_and_defaults() {
        let u = DatabaseUrl::parse("postgres://me@localhost/db?host=/run/pg").unwrap();
        assert_eq!(u.host, "/run/pg");
        assert_eq!(u.schema, "public");
        assert!(u.is_local());
        assert_eq!(DatabaseUrl::parse(&u.expose()).unwrap(), u);
        let v6 = DatabaseUrl::parse("postgresql://me@[::1]:5433/db").unwrap();
        assert_eq!(v6.host, "::1");
        assert_eq!(DatabaseUrl::parse(&v6.expose()).unwrap(), v6);
    }

    #[test]
    fn refuses_what_it_cannot_do() {
        assert!(
            DatabaseUrl::parse("mysql://a@b/c")
                .unwrap_err()
                .contains("not PostgreSQL")
        );
        assert!(DatabaseUrl::parse("prisma://accelerate.prisma-data.net/?api_key=x").is_err());
        assert!(
            DatabaseUrl::parse("postgresql://a@b/c?sslmode=required")
                .unwrap_err()
                .contains("not an sslmode")
        );
        assert!(DatabaseUrl::parse("postgresql://a@b:notaport/c").is_err());
    }

    #[test]
    fn redacts_unparseable_urls() {
        assert_eq!(
            redact("postgresql://u:p@ss:w@h/db"),
            "postgresql://u:***@h/db"
        );
        assert_eq!(
            redact("postgres://u@h/db?password=x&a=b"),
            "postgres://u@h/db?password=***&a=b"
        );
        assert_eq!(redact("not a url"), "not a url");
    }
}
