//! `cargo xtask squash`.

use shared_migrate::{DataStatements, ExitCode, SquashOptions, UrlSources, Workspace, squash};

use crate::cx;
use crate::flags::Squash;

impl Squash {
    pub fn run(self, ws: &Workspace) -> anyhow::Result<ExitCode> {
        let service = cx::named(ws, self.target.service.as_deref())?;
        // Only the URL's `?schema=` matters (the squash leaves it unqualified); no database
        // is touched, so a service without a URL squashes its `public` schema.
        let sources = UrlSources {
            flag: self.target.database_url.as_deref(),
            selected: 1,
            env: &cx::env_var,
        };
        let schema = sources
            .resolve(&service)
            .map_or_else(|_| "public".to_string(), |(url, _)| url.schema);
        let data = match (self.keep_data_statements, self.drop_data_statements) {
            (true, _) => DataStatements::Keep,
            (_, true) => DataStatements::Drop,
            _ => DataStatements::Ask,
        };
        let throwaway = cx::Throwaway::new(ws)?;
        let places = throwaway.places(ws, None);
        let done = squash(
            &places,
            &service,
            &SquashOptions {
                up_to: self.up_to.as_deref(),
                data,
                name: &self.name,
                schema: &schema,
            },
        )?;
        let n = done.replaced.len();
        let s = &service.name;
        println!(
            "{s}: proved in {:.1} s: the squash builds what the {n} migrations build ({} statements of pg_dump compared, and the extensions)",
            done.prove_millis as f64 / 1000.0,
            done.statements
        );
        if !done.data_statements.is_empty() {
            let how = if done.kept_data {
                "kept (the rows they leave are INSERTs in the squash)"
            } else {
                "dropped (the squash holds the schema only)"
            };
            println!(
                "{s}: {} {how}:",
                shared_migrate::plural(done.data_statements.len(), "data statement")
            );
            for d in &done.data_statements {
                println!("  {}: {}", d.at, d.text);
            }
        }
        let shown = done.folder.strip_prefix(&ws.root).unwrap_or(&done.folder);
        println!(
            "{s}: wrote {} (migration.sql, squash.toml) in place of {} .. {} ({n} folders removed{})",
            shown.display(),
            done.replaced[0],
            done.replaced[n - 1],
            match done.remaining {
                0 => String::new(),
                k => format!(", {} after it kept", shared_migrate::plural(k, "migration")),
            }
        );
        println!(
            "\nDatabases: `cargo xtask migrate` records {name} as applied without running it where all {n} are applied, runs it on an empty database, and refuses a database that applied only some of them (`status` says which).\n\
             A database deployed only with the Prisma CLI needs `npx prisma migrate resolve --applied {name}` before its next `prisma migrate deploy`.\n\
             Commit the squash once every database has applied the migrations it replaces.",
            name = done.name
        );
        Ok(ExitCode::Success)
    }
}
