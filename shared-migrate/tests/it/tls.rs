//! TLS against real servers: a PostgreSQL with `ssl = on`, a throwaway CA, server and client
//! certificates, and a pg_hba.conf that takes only `hostssl` (one role needs a client
//! certificate, `clientcert=verify-full`); and the shared test server, which has no TLS. Every
//! sslmode and certificate setting against both, with the outcome of each (TLS or not, or the
//! error) in one snapshot.

use std::path::Path;
use std::sync::OnceLock;

use shared_migrate::Pki;
use shared_migrate::{DatabaseUrl, connect};
use test_support::{TlsServer, with_cluster};

fn server() -> &'static TlsServer {
    static SERVER: OnceLock<TlsServer> = OnceLock::new();
    SERVER.get_or_init(TlsServer::start)
}

/// `ok, TLS` / `ok, no TLS`, or the error, for a URL made from `query`.
fn outcome(host: &str, port: u16, user: &str, query: &str) -> String {
    let text = format!("postgresql://{user}@{host}:{port}/postgres?connect_timeout=5&{query}");
    let mut url = match DatabaseUrl::parse(&text) {
        Ok(u) => u,
        Err(e) => return format!("invalid: {e}"),
    };
    if let Err(e) = url.complete(&|_| None, Path::new("/")) {
        return format!("invalid: {e}");
    }
    match connect(&url) {
        Ok(mut c) => {
            let tls: bool = c
                .query_one(
                    "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                    &[],
                )
                .unwrap()
                .get(0);
            if tls { "ok, TLS" } else { "ok, no TLS" }.into()
        }
        Err(e) => e.to_string(),
    }
}

#[test]
fn every_sslmode_against_a_tls_server_and_a_plain_one() {
    let s = server();
    let pki = &s.pki;
    let p = |path: &Path| path.display().to_string();
    let (ca, other) = (p(&pki.ca), p(&pki.other_ca));
    let (cert, key, enc, p12) = (
        p(&pki.client_cert),
        p(&pki.client_key),
        p(&pki.client_key_encrypted),
        p(&pki.client_p12),
    );
    // A copy of the key others can read.
    let loose = pki.dir.join("loose.key");
    std::fs::copy(&pki.client_key, &loose).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let pw = Pki::PASSWORD;
    let tls_port = s.cluster.port();
    let cases: Vec<(&str, &str, String)> = vec![
        ("localhost", "postgres", "sslmode=disable".into()),
        ("localhost", "postgres", "sslmode=allow".into()),
        ("localhost", "postgres", "sslmode=prefer".into()),
        (
            "localhost",
            "postgres",
            "application_name=default_mode".into(),
        ),
        ("localhost", "postgres", "sslmode=require".into()),
        (
            "localhost",
            "postgres",
            format!("sslmode=require&sslrootcert={ca}"),
        ),
        (
            "localhost",
            "postgres",
            format!("sslmode=require&sslrootcert={other}"),
        ),
        (
            "127.0.0.1",
            "postgres",
            format!("sslmode=verify-ca&sslrootcert={ca}"),
        ),
        (
            "localhost",
            "postgres",
            format!("sslmode=verify-full&sslrootcert={ca}"),
        ),
        (
            "127.0.0.1",
            "postgres",
            format!("sslmode=verify-full&sslrootcert={ca}"),
        ),
        (
            "localhost",
            "postgres",
            format!("sslmode=verify-full&sslrootcert={other}"),
        ),
        ("localhost", "postgres", "sslrootcert=system".into()),
        ("localhost", "postgres", "sslmode=verify-ca".into()),
        // Prisma's spelling: sslcert alone is the server's root certificate.
        (
            "localhost",
            "postgres",
            format!("sslmode=require&sslcert={ca}"),
        ),
        (
            "localhost",
            "postgres",
            format!("sslmode=require&sslcert={other}"),
        ),
        (
            "localhost",
            "postgres",
            format!("sslmode=require&sslcert={other}&sslaccept=accept_invalid_certs"),
        ),
        (
            "127.0.0.1",
            "postgres",
            format!("sslmode=require&sslcert={ca}&sslaccept=strict"),
        ),
        // A role that needs a client certificate.
        (
            "localhost",
            "certuser",
            format!("sslmode=verify-full&sslrootcert={ca}"),
        ),
        (
            "localhost",
            "certuser",
            format!("sslmode=verify-full&sslrootcert={ca}&sslcert={cert}&sslkey={key}"),
        ),
        (
            "localhost",
            "certuser",
            format!("sslmode=require&sslcert={cert}&sslkey={enc}&sslpassword={pw}"),
        ),
        (
            "localhost",
            "certuser",
            format!("sslmode=require&sslcert={cert}&sslkey={enc}"),
        ),
        (
            "localhost",
            "certuser",
            format!("sslmode=require&sslcert={cert}&sslkey={enc}&sslpassword=wrong"),
        ),
        (
            "localhost",
            "certuser",
            format!(
                "sslmode=require&sslcert={cert}&sslkey={}",
                p(&pki.server_key)
            ),
        ),
        (
            "localhost",
            "certuser",
            format!("sslmode=require&sslcert={cert}&sslkey={}", p(&loose)),
        ),
        (
            "localhost",
            "certuser",
            format!("sslmode=require&sslcert={ca}&sslidentity={p12}&sslpassword={pw}"),
        ),
        (
            "localhost",
            "certuser",
            format!("sslmode=require&sslidentity={p12}&sslpassword=wrong"),
        ),
        (
            "localhost",
            "certuser",
            format!("sslmode=require&sslidentity={p12}"),
        ),
        (
            "localhost",
            "certuser",
            format!("sslmode=require&sslidentity={ca}&sslpassword={pw}"),
        ),
    ];
    let mut out = String::from("TLS server (hostssl only):\n");
    for (host, user, query) in &cases {
        let result = outcome(host, tls_port, user, query);
        out.push_str(&format!("{user}@{host} ?{query}\n    => {result}\n"));
    }
    let plain_port = with_cluster(|c| c.port());
    out.push_str("\nserver without TLS:\n");
    for query in [
        "sslmode=disable",
        "sslmode=allow",
        "sslmode=prefer",
        "sslmode=require",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    ] {
        let result = outcome("127.0.0.1", plain_port, "postgres", query);
        out.push_str(&format!("postgres@127.0.0.1 ?{query}\n    => {result}\n"));
    }
    let out = out
        .replace(&pki.dir.display().to_string(), "[pki]")
        .replace(&format!(":{tls_port}/"), ":[tls-port]/")
        .replace(&format!(":{plain_port}/"), ":[port]/")
        .replace(&format!("{tls_port}"), "[tls-port]")
        .replace(&format!("{plain_port}"), "[port]");
    insta::assert_snapshot!(out);
}

#[test]
fn libpq_environment_fills_in_the_url() {
    let s = server();
    let mut url = DatabaseUrl::parse(&format!(
        "postgresql://postgres@127.0.0.1:{}/postgres",
        s.cluster.port()
    ))
    .unwrap();
    let ca = s.pki.ca.display().to_string();
    url.complete(
        &|k| match k {
            "PGSSLMODE" => Some("verify-full".into()),
            "PGSSLROOTCERT" => Some(ca.clone()),
            _ => None,
        },
        Path::new("/"),
    )
    .unwrap();
    // verify-full from PGSSLMODE: 127.0.0.1 is not a name the certificate holds.
    let e = connect(&url).err().unwrap().to_string();
    assert!(e.contains("is for `localhost`, not `127.0.0.1`"), "{e}");
}
