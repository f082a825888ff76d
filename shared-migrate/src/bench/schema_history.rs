//! A deterministic Prisma project for the drift figures: a schema.prisma that grows, one change
//! per migration, to `models` models (fields of every common type, enums, optional relations
//! with their indexes, uniques), then keeps changing (added fields, indexes, enum values,
//! narrowed text, new defaults) until the history has `migrations` migrations. Each migration
//! is what `new --from-schema` writes for its change (our differ, Prisma's SQL), so the history
//! builds exactly its last schema.prisma.

use std::fmt::Write as _;
use std::path::Path;

use super::generate::Rng;
use crate::diff::{self, Naming, SqlSchema};
use crate::error::Error;
use crate::psl::{self, SourceFile};

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct SchemaShape {
    /// Models in the final schema.
    pub models: usize,
    /// Migrations that build it.
    pub migrations: usize,
    /// The random seed: the same seed writes the same files.
    pub seed: u64,
}

struct Model {
    name: String,
    /// Field lines, in order.
    fields: Vec<String>,
    /// `@@index` / `@@unique` lines.
    attributes: Vec<String>,
}

struct Project {
    enums: Vec<(String, Vec<String>)>,
    models: Vec<Model>,
    next: usize,
}

const DATASOURCE: &str = "datasource db {\n  provider = \"postgresql\"\n  url      = env(\"DATABASE_URL\")\n}\n\ngenerator client {\n  provider = \"prisma-client-js\"\n}\n";

const NOUNS: &[&str] = &[
    "Account", "Invoice", "Product", "Shipment", "Ticket", "Address", "Coupon", "Review",
    "Payment", "Refund", "Supplier", "Order",
];

impl Project {
    fn text(&self) -> String {
        let mut out = DATASOURCE.to_string();
        for (name, values) in &self.enums {
            let _ = write!(out, "\nenum {name} {{\n");
            for v in values {
                let _ = writeln!(out, "  {v}");
            }
            out.push_str("}\n");
        }
        for m in &self.models {
            let _ = write!(out, "\nmodel {} {{\n", m.name);
            for f in &m.fields {
                let _ = writeln!(out, "  {f}");
            }
            if !m.attributes.is_empty() {
                out.push('\n');
                for a in &m.attributes {
                    let _ = writeln!(out, "  {a}");
                }
            }
            out.push_str("}\n");
        }
        out
    }

    fn fresh(&mut self) -> usize {
        self.next += 1;
        self.next
    }

    /// A new model: an id, a few scalar fields, sometimes an enum field, a relation to an
    /// earlier model with its index, a unique.
    fn add_model(&mut self, rng: &mut Rng) -> String {
        let n = self.fresh();
        let name = format!("{}{n}", NOUNS[rng.below(NOUNS.len())]);
        let mut fields = vec![
            "id        String   @id @default(cuid())".to_string(),
            "title     String".to_string(),
            format!("amount{n}  Decimal  @db.Decimal(12, 2)"),
            "quantity  Int      @default(0)".to_string(),
            "active    Boolean  @default(true)".to_string(),
            "createdAt DateTime @default(now())".to_string(),
            "updatedAt DateTime @updatedAt".to_string(),
        ];
        let mut attributes = Vec::new();
        if !self.enums.is_empty() && rng.below(2) == 0 {
            let (e, values) = &self.enums[rng.below(self.enums.len())];
            fields.push(format!("state     {e} @default({})", values[0]));
        }
        if !self.models.is_empty() && rng.below(3) != 0 {
            let parent = rng.below(self.models.len());
            let parent_name = self.models[parent].name.clone();
            fields.push("parentId  String?".to_string());
            fields.push(format!(
                "parent    {parent_name}? @relation(fields: [parentId], references: [id], onDelete: SetNull)"
            ));
            attributes.push("@@index([parentId])".to_string());
            self.models[parent]
                .fields
                .push(format!("children{n} {name}[]"));
        }
        if rng.below(3) == 0 {
            fields.push("code      String   @unique".to_string());
        }
        self.models.push(Model {
            name: name.clone(),
            fields,
            attributes,
        });
        format!("add_{}", name.to_lowercase())
    }

    /// A change to an existing model or enum.
    fn change(&mut self, rng: &mut Rng) -> String {
        let n = self.fresh();
        let m = rng.below(self.models.len());
        match rng.below(5) {
            0 => {
                self.models[m].fields.push(format!("note{n}    String?"));
                format!("add_note{n}")
            }
            1 => {
                let index = "@@index([createdAt(sort: Desc), title])".to_string();
                let model = &mut self.models[m];
                if model.attributes.contains(&index) {
                    model.fields.push(format!("note{n}    String?"));
                    return format!("add_note{n}");
                }
                model.attributes.push(index);
                format!("index_{}_created", model.name.to_lowercase())
            }
            2 if !self.enums.is_empty() => {
                let e = rng.below(self.enums.len());
                self.enums[e].1.push(format!("STATE_{n}"));
                format!("add_state_{n}")
            }
            3 => {
                let fields = &mut self.models[m].fields;
                if let Some(f) = fields.iter_mut().find(|f| *f == "title     String") {
                    *f = "title     String   @db.VarChar(200)".to_string();
                    format!("limit_{}_title", self.models[m].name.to_lowercase())
                } else {
                    fields.push(format!("count{n}   Int      @default(1)"));
                    format!("add_count{n}")
                }
            }
            _ => {
                self.models[m]
                    .fields
                    .push(format!("label{n}   String   @default(\"none\")"));
                format!("add_label{n}")
            }
        }
    }
}

fn calculated(text: &str) -> Result<SqlSchema, Error> {
    let files = vec![SourceFile::parse(
        Path::new("schema.prisma"),
        text.to_string(),
    )];
    let dm = psl::datamodel(&files)?;
    Ok(diff::calculate(&dm, &files, "public"))
}

/// Writes `root/services/<service>/prisma/{schema.prisma,migrations/}`; returns the number of
/// migrations written.
pub fn write(root: &Path, service: &str, shape: SchemaShape) -> Result<usize, Error> {
    let mut rng = Rng(shape.seed ^ 0x5eed_5c4e);
    let mut project = Project {
        enums: vec![
            (
                "Status".to_string(),
                vec!["DRAFT".into(), "ACTIVE".into(), "ARCHIVED".into()],
            ),
            ("Channel".to_string(), vec!["EMAIL".into(), "SMS".into()]),
        ],
        models: Vec::new(),
        next: 0,
    };
    let prisma = root.join("services").join(service).join("prisma");
    let migrations = prisma.join("migrations");
    std::fs::create_dir_all(&migrations).map_err(|e| Error::io(&migrations, e))?;
    let naming = Naming {
        default_schema: "public".into(),
        multi_schema: false,
    };
    let mut previous = SqlSchema::default();
    let mut written = 0;
    for i in 0..shape.migrations {
        let name = if i < shape.models.max(1) || project.models.is_empty() {
            project.add_model(&mut rng)
        } else {
            project.change(&mut rng)
        };
        let next = calculated(&project.text())?;
        let m = diff::compare(&previous, &next, &["public".into()], &["public".into()]);
        if m.is_empty() {
            continue;
        }
        let sql = diff::migration_file(&m, &naming);
        let folder = migrations.join(format!(
            "20250101{:02}{:02}{:02}_{name}",
            i / 3600,
            i / 60 % 60,
            i % 60
        ));
        std::fs::create_dir_all(&folder).map_err(|e| Error::io(&folder, e))?;
        let path = folder.join("migration.sql");
        std::fs::write(&path, sql).map_err(|e| Error::io(&path, e))?;
        previous = next;
        written += 1;
    }
    let path = prisma.join("schema.prisma");
    std::fs::write(&path, project.text()).map_err(|e| Error::io(&path, e))?;
    Ok(written)
}

/// The project's schema.prisma with one more model and one more field: the change whose
/// migration the generation figure times.
pub(crate) fn next_change(schema: &str) -> String {
    let mut out = schema.to_string();
    out.push_str(
        "\nmodel BenchAddedModel {\n  id        String   @id @default(cuid())\n  title     String\n  createdAt DateTime @default(now())\n\n  @@index([createdAt])\n}\n",
    );
    out
}
