//! What a database's schema holds, read from `pg_catalog`: the one reader behind diff's
//! introspection (`diff/introspect.rs`: these facts into Prisma's model), `verify --data`
//! (`verify/data/`: rows generated for these tables) and migrate's prechecks
//! (`migrate/precheck.rs`: the probes on a table a pending migration changes). Plain SELECTs,
//! no lock; each function is one query, and returns the catalog's facts as they are.

use postgres::GenericClient;
use postgres::types::Type;

/// Objects that belong to an extension are the extension's, not the schema's.
fn not_extension(oid: &str) -> String {
    format!("NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = {oid} AND d.deptype = 'e')")
}

/// A table (or a partitioned table's parent).
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub oid: u32,
    pub schema: String,
    pub name: String,
}

/// The tables of `schemas`, by schema and name: not partitions, not the ledger
/// (`_prisma_migrations`), not an extension's.
pub(crate) fn tables(
    client: &mut impl GenericClient,
    schemas: &[String],
) -> Result<Vec<Table>, postgres::Error> {
    Ok(client
        .query_typed(
            &format!(
                "SELECT c.oid, n.nspname::text, c.relname::text FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p') AND NOT c.relispartition \
               AND c.relname <> '_prisma_migrations' AND {} \
             ORDER BY n.nspname, c.relname",
                not_extension("c.oid")
            ),
            &[(&schemas, Type::NAME_ARRAY)],
        )?
        .iter()
        .map(|r| Table {
            oid: r.get(0),
            schema: r.get(1),
            name: r.get(2),
        })
        .collect())
}

/// A column, with its type as every reader needs it.
#[derive(Debug, Clone)]
pub(crate) struct Column {
    /// Its table's oid.
    pub table: u32,
    pub name: String,
    pub not_null: bool,
    /// `format_type` of the column's type, e.g. `character varying(20)`, `"Role"`, `integer[]`.
    pub formatted: String,
    /// The type's name, kind (`typtype`: `e` for an enum) and namespace; an array's element's.
    pub typname: String,
    pub typtype: String,
    pub type_schema: String,
    pub typmod: i32,
    pub is_array: bool,
    /// `format_type` of the element type (the type itself when not an array).
    pub element_formatted: String,
    /// The type values are made of (a domain's base type): its category and name, the length
    /// of a `varchar`/`char`, and an enum's labels in order.
    pub base_category: String,
    pub base_name: String,
    pub base_length: Option<i32>,
    pub enum_labels: Vec<String>,
    /// The default's expression, as the server prints it.
    pub default: Option<String>,
    /// `attidentity`: `a` (always), `d` (by default), or empty.
    pub identity: String,
    /// A generated column.
    pub generated: bool,
}

/// The columns of the tables `oids`, by table oid and position.
pub(crate) fn columns(
    client: &mut impl GenericClient,
    oids: &[u32],
) -> Result<Vec<Column>, postgres::Error> {
    Ok(client
        .query_typed(
        "SELECT a.attrelid, a.attname::text, a.attnotnull, format_type(a.atttypid, a.atttypmod), \
                coalesce(et.typname, t.typname)::text, coalesce(et.typtype, t.typtype)::text, \
                tn.nspname::text, a.atttypmod, et.oid IS NOT NULL, \
                format_type(coalesce(et.oid, t.oid), a.atttypmod), \
                b.typcategory::text, b.typname::text, \
                CASE WHEN b.typname IN ('varchar', 'bpchar') \
                     THEN nullif(greatest(a.atttypmod, t.typtypmod), -1) - 4 END, \
                (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e \
                  WHERE e.enumtypid = b.oid), \
                pg_get_expr(ad.adbin, ad.adrelid), a.attidentity::text, a.attgenerated <> '' \
         FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid \
         LEFT JOIN pg_type et ON t.typcategory = 'A' AND et.oid = t.typelem \
         JOIN pg_namespace tn ON tn.oid = coalesce(et.typnamespace, t.typnamespace) \
         JOIN pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END \
         LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum \
         WHERE a.attrelid = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped \
         ORDER BY a.attrelid, a.attnum",
        &[(&oids, Type::OID_ARRAY)],
    )?
    .iter()
    .map(|r| Column {
        table: r.get(0),
        name: r.get(1),
        not_null: r.get(2),
        formatted: r.get(3),
        typname: r.get(4),
        typtype: r.get(5),
        type_schema: r.get(6),
        typmod: r.get(7),
        is_array: r.get(8),
        element_formatted: r.get(9),
        base_category: r.get(10),
        base_name: r.get(11),
        base_length: r.get(12),
        enum_labels: r.get::<_, Option<Vec<String>>>(13).unwrap_or_default(),
        default: r.get(14),
        identity: r.get(15),
        generated: r.get(16),
    })
    .collect())
}

/// The enums of `schemas` (not an extension's), by schema and name, labels in order.
pub(crate) fn enums(
    client: &mut impl GenericClient,
    schemas: &[String],
) -> Result<Vec<(String, String, Vec<String>)>, postgres::Error> {
    Ok(client
        .query_typed(
            &format!(
                "SELECT n.nspname::text, t.typname::text, \
                    array_agg(e.enumlabel::text ORDER BY e.enumsortorder) \
             FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid \
             JOIN pg_namespace n ON n.oid = t.typnamespace \
             WHERE n.nspname = ANY($1) AND {} \
             GROUP BY n.nspname, t.typname ORDER BY n.nspname, t.typname",
                not_extension("t.oid")
            ),
            &[(&schemas, Type::NAME_ARRAY)],
        )?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect())
}

/// A primary key or an index, its key columns in order.
#[derive(Debug, Clone)]
pub(crate) struct Index {
    /// Its table's oid.
    pub table: u32,
    pub name: String,
    pub primary: bool,
    pub unique: bool,
    /// The access method: `btree`, `gin`, ...
    pub method: String,
    pub columns: Vec<IndexColumn>,
    /// On an expression, not only columns.
    pub on_expression: bool,
    /// A partial index's condition, as the server prints it.
    pub predicate: Option<String>,
}

/// A key column of an index.
#[derive(Debug, Clone)]
pub(crate) struct IndexColumn {
    pub name: String,
    pub descending: bool,
    /// Its operator class, and whether that is its type's default.
    pub opclass: Option<String>,
    pub opclass_default: bool,
}

/// The primary keys and indexes of the tables `oids`, by table and name.
pub(crate) fn indexes(
    client: &mut impl GenericClient,
    oids: &[u32],
) -> Result<Vec<Index>, postgres::Error> {
    Ok(client
        .query_typed(
        "SELECT ix.indrelid, i.relname::text, ix.indisprimary, ix.indisunique, am.amname::text, \
                array_agg(a.attname::text ORDER BY k.ord), \
                array_agg(((ix.indoption::int2[])[k.ord - 1] & 1) = 1 ORDER BY k.ord), \
                array_agg(opc.opcname::text ORDER BY k.ord), \
                bool_or(k.attnum = 0) OR ix.indexprs IS NOT NULL, \
                array_agg(coalesce(opc.opcdefault, true) ORDER BY k.ord), \
                pg_get_expr(ix.indpred, ix.indrelid) \
         FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid \
         JOIN pg_am am ON am.oid = i.relam \
         CROSS JOIN LATERAL unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
         LEFT JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum \
         LEFT JOIN pg_opclass opc ON opc.oid = (ix.indclass::oid[])[k.ord - 1] \
         WHERE ix.indrelid = ANY($1) AND k.ord <= ix.indnkeyatts \
         GROUP BY ix.indrelid, i.relname, ix.indisprimary, ix.indisunique, am.amname, \
                  ix.indexprs, ix.indpred \
         ORDER BY ix.indrelid, i.relname",
        &[(&oids, Type::OID_ARRAY)],
    )?
    .iter()
    .map(|r| {
        let names: Vec<Option<String>> = r.get(5);
        let descending: Vec<bool> = r.get(6);
        let opclasses: Vec<Option<String>> = r.get(7);
        let defaults: Vec<bool> = r.get(9);
        Index {
            table: r.get(0),
            name: r.get(1),
            primary: r.get(2),
            unique: r.get(3),
            method: r.get(4),
            columns: names
                .into_iter()
                .zip(descending)
                .zip(opclasses.into_iter().zip(defaults))
                .map(
                    |((name, descending), (opclass, opclass_default))| IndexColumn {
                        name: name.unwrap_or_default(),
                        descending,
                        opclass,
                        opclass_default,
                    },
                )
                .collect(),
            on_expression: r.get(8),
            predicate: r.get(10),
        }
    })
    .collect())
}

/// A foreign key, its columns in key order.
#[derive(Debug, Clone)]
pub(crate) struct ForeignKey {
    pub name: String,
    /// The child (the table holding the key): its oid, and its name as the session names it
    /// (`regclass`).
    pub child: u32,
    pub child_regclass: String,
    pub columns: Vec<String>,
    /// The parent (the table it points at): the same, and its schema and name: it may be in
    /// another schema.
    pub parent: u32,
    pub parent_schema: String,
    pub parent_table: String,
    pub parent_regclass: String,
    pub parent_columns: Vec<String>,
    /// `confdeltype` and `confupdtype`: `a` no action, `r` restrict, `c` cascade, `n` set
    /// null, `d` set default.
    pub on_delete: String,
    pub on_update: String,
    pub deferrable: bool,
    /// The child's key columns are unique (a one-to-one relation).
    pub unique: bool,
}

/// The foreign keys of the tables in `schemas`, by schema, table name and key name.
pub(crate) fn foreign_keys(
    client: &mut impl GenericClient,
    schemas: &[String],
) -> Result<Vec<ForeignKey>, postgres::Error> {
    Ok(client
        .query_typed(
        "SELECT k.conname::text, k.conrelid, k.conrelid::regclass::text, \
                ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY u(n, i) \
                      JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.i), \
                k.confrelid, rn.nspname::text, rt.relname::text, k.confrelid::regclass::text, \
                ARRAY(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY u(n, i) \
                      JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n ORDER BY u.i), \
                k.confdeltype::text, k.confupdtype::text, k.condeferrable, \
                EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = k.conrelid AND i.indisunique \
                        AND i.indpred IS NULL AND i.indexprs IS NULL \
                        AND i.indkey::int2[] <@ k.conkey) \
         FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         JOIN pg_class rt ON rt.oid = k.confrelid JOIN pg_namespace rn ON rn.oid = rt.relnamespace \
         WHERE k.contype = 'f' AND n.nspname = ANY($1) \
         ORDER BY n.nspname, t.relname, k.conname",
        &[(&schemas, Type::NAME_ARRAY)],
    )?
    .iter()
    .map(|r| ForeignKey {
        name: r.get(0),
        child: r.get(1),
        child_regclass: r.get(2),
        columns: r.get(3),
        parent: r.get(4),
        parent_schema: r.get(5),
        parent_table: r.get(6),
        parent_regclass: r.get(7),
        parent_columns: r.get(8),
        on_delete: r.get(9),
        on_update: r.get(10),
        deferrable: r.get(11),
        unique: r.get(12),
    })
    .collect())
}

/// A CHECK constraint on up to four columns: its table, expression and columns in order.
#[derive(Debug, Clone)]
pub(crate) struct Check {
    pub table: u32,
    pub expression: String,
    pub columns: Vec<String>,
}

/// The CHECK constraints on one to four columns of the tables `oids`, by table and name.
pub(crate) fn checks(
    client: &mut impl GenericClient,
    oids: &[u32],
) -> Result<Vec<Check>, postgres::Error> {
    Ok(client
        .query_typed(
        "SELECT k.conrelid, pg_get_expr(k.conbin, k.conrelid), \
                ARRAY(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY u(n, i) \
                      JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.i) \
         FROM pg_constraint k \
         WHERE k.contype = 'c' AND cardinality(k.conkey) BETWEEN 1 AND 4 AND k.conrelid = ANY($1) \
         ORDER BY k.conrelid, k.conname",
        &[(&oids, Type::OID_ARRAY)],
    )?
    .iter()
    .map(|r| Check {
        table: r.get(0),
        expression: r.get(1),
        columns: r.get(2),
    })
    .collect())
}

/// What `schemas` hold that Prisma does not manage, each named as `view "v"`, `function
/// "f"(int)`, `trigger "t" on "a"`, `check constraint "c" on "a"`, `extension "e"`.
pub(crate) fn unmanaged(
    client: &mut impl GenericClient,
    schemas: &[String],
) -> Result<Vec<String>, postgres::Error> {
    Ok(client
        .query_typed(
        &format!(
            "SELECT CASE c.relkind WHEN 'v' THEN 'view' ELSE 'materialized view' END || ' \"' || c.relname || '\"' \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = ANY($1) AND c.relkind IN ('v', 'm') AND {} \
             UNION ALL \
             SELECT 'function \"' || p.proname || '\"(' || pg_get_function_identity_arguments(p.oid) || ')' \
             FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
             WHERE n.nspname = ANY($1) AND {} \
             UNION ALL \
             SELECT 'trigger \"' || tg.tgname || '\" on \"' || c.relname || '\"' \
             FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = ANY($1) AND NOT tg.tgisinternal \
             UNION ALL \
             SELECT 'check constraint \"' || con.conname || '\" on \"' || c.relname || '\"' \
             FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = ANY($1) AND con.contype IN ('c', 'x') \
             UNION ALL \
             SELECT 'extension \"' || e.extname || '\"' FROM pg_extension e \
             JOIN pg_namespace n ON n.oid = e.extnamespace \
             WHERE n.nspname = ANY($1) \
             ORDER BY 1",
            not_extension("c.oid"),
            not_extension("p.oid")
        ),
        &[(&schemas, Type::NAME_ARRAY)],
    )?
    .iter()
    .map(|r| r.get(0))
    .collect())
}

/// An installed extension.
#[derive(Debug, Clone)]
pub(crate) struct Extension {
    pub name: String,
    pub schema: String,
    pub version: String,
    pub relocatable: bool,
}

/// Every installed extension, by name.
pub(crate) fn extensions(
    client: &mut impl GenericClient,
) -> Result<Vec<Extension>, postgres::Error> {
    Ok(client
        .query_typed(
            "SELECT e.extname::text, n.nspname::text, e.extversion::text, e.extrelocatable \
         FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace ORDER BY 1",
            &[],
        )?
        .iter()
        .map(|r| Extension {
            name: r.get(0),
            schema: r.get(1),
            version: r.get(2),
            relocatable: r.get(3),
        })
        .collect())
}

/// Probes of one table that a pending migration changes, as SQL for migrate's prechecks,
/// which run each in a savepoint with a time limit on the target database. `table`: its name
/// as the session resolves it (quoted as needed).
pub(crate) mod probe {
    fn literal(s: &str) -> String {
        format!("'{}'", s.replace('\'', "''"))
    }

    /// The primary key's columns, in order (no row: no key, or no table).
    pub(crate) fn primary_key(table: &str) -> String {
        format!(
            "SELECT a.attname::text FROM pg_constraint k \
             CROSS JOIN LATERAL unnest(k.conkey) WITH ORDINALITY AS u(attnum, n) \
             JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum \
             WHERE k.conrelid = to_regclass({}) AND k.contype = 'p' ORDER BY u.n",
            literal(table)
        )
    }

    /// The planner's row estimate (-1: never analysed) and the size on disk, bytes.
    pub(crate) fn size(table: &str) -> String {
        format!(
            "SELECT c.reltuples::bigint, pg_total_relation_size(c.oid) FROM pg_class c \
             WHERE c.oid = to_regclass({})",
            literal(table)
        )
    }

    /// The column's type when no assignment cast leads from it to `ty` (what `ALTER COLUMN
    /// ... TYPE` without USING needs); no row when there is one, or when it cannot be told
    /// (arrays, domains, strings: the server decides).
    pub(crate) fn no_assignment_cast(table: &str, column: &str, ty: &str) -> String {
        format!(
            "SELECT format_type(a.atttypid, NULL) FROM pg_attribute a \
             JOIN pg_type s ON s.oid = a.atttypid \
             JOIN pg_type t ON t.oid = to_regtype({ty}) \
             WHERE a.attrelid = to_regclass({table}) AND a.attname = {column} AND NOT a.attisdropped \
               AND a.atttypid <> t.oid \
               AND s.typcategory <> 'A' AND t.typcategory <> 'A' AND s.typtype <> 'd' AND t.typtype <> 'd' \
               AND t.typcategory <> 'S' \
               AND NOT EXISTS (SELECT 1 FROM pg_cast c WHERE c.castsource = a.atttypid \
                               AND c.casttarget = t.oid AND c.castcontext IN ('a', 'i'))",
            ty = literal(ty),
            table = literal(table),
            column = literal(column),
        )
    }
}
