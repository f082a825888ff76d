//! A service's schema.prisma, read and turned into the PostgreSQL schema Prisma would create
//! for it, with the schemas a multi-schema datasource lists.

use super::calculate;
use super::model::SqlSchema;
use crate::error::Error;
use crate::psl;
use crate::workspace::Service;

/// What schema.prisma asks for.
#[derive(Debug, Clone)]
pub(crate) struct Expected {
    pub schema: SqlSchema,
    /// The URL's schema first, then the datasource's `schemas` (multi-schema projects).
    pub namespaces: Vec<String>,
    pub multi_schema: bool,
    /// `previewFeatures` has `partialIndexes`: partial indexes are compared and generated.
    pub partial_indexes: bool,
}

impl Expected {
    /// Takes the extensions the datasource declares out of a list of what Prisma does not
    /// manage (`extension "x"` entries, as introspection names them): they are managed.
    pub(crate) fn remove_declared_extensions(&self, unmanaged: &mut Vec<String>) {
        if !self.schema.manages_extensions {
            return;
        }
        unmanaged.retain(|u| {
            !self
                .schema
                .extensions
                .iter()
                .any(|x| *u == format!("extension \"{}\"", x.name))
        });
    }
}

/// The schema the service's schema.prisma describes; None when the service has no schema file.
/// `default_schema`: the URL's `?schema=` (`public` without one).
pub(crate) fn expected(service: &Service, default_schema: &str) -> Result<Option<Expected>, Error> {
    if service.layout.schema.is_none() {
        return Ok(None);
    }
    let files = service.layout.schema_files()?;
    let dm = psl::datamodel(&files)?;
    let datasource = psl::datasource(&files)?;
    // Declared extensions are Prisma's to create and compare (postgresqlExtensions).
    let declared = datasource
        .as_ref()
        .and_then(|d| d.extensions.as_ref())
        .map(|(list, _)| list.clone());
    let listed = datasource.map(|d| d.schemas).unwrap_or_default();
    let mut namespaces = vec![default_schema.to_string()];
    for s in &listed {
        if !namespaces.contains(s) {
            namespaces.push(s.clone());
        }
    }
    let mut schema = calculate(&dm, &files, default_schema);
    if let Some(list) = declared {
        schema.manages_extensions = true;
        schema.extensions = list
            .into_iter()
            .map(|e| super::model::SqlExtension {
                name: e.name,
                schema: e.schema,
                version: e.version,
                relocatable: false,
            })
            .collect();
        schema.extensions.sort_by(|a, b| a.name.cmp(&b.name));
    }
    Ok(Some(Expected {
        schema,
        multi_schema: !listed.is_empty(),
        partial_indexes: dm.has_preview("partialIndexes"),
        namespaces,
    }))
}
