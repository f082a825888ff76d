//! `cargo xtask rebase -s S --onto REV`: the guide's "migration conflict" (main moved on while a
//! branch added migrations) without re-creating anything by hand. The migrations this branch
//! added that sort before the newest migration on REV get timestamps after it, in their order:
//! the folder is renamed, the file is untouched (its checksum too). When migrations on REV
//! newer than one of them touch the same tables, the order may matter: refused, listing them,
//! unless forced. Nothing is renamed until every new name is known; a failed rename puts the
//! earlier ones back.

use std::collections::BTreeSet;

use chrono::{Duration, NaiveDateTime};

use crate::error::Error;
use crate::lint;
use crate::sql::analyse;
use crate::workspace::{Service, naming};

/// A migration of the branch and the newer migrations on REV that touch its tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlap {
    pub ours: String,
    pub theirs: String,
    pub tables: Vec<String>,
}

/// What `rebase` did (or, refused, would do).
#[derive(Debug, Clone, Default)]
pub struct Rebased {
    /// The newest migration on REV.
    pub newest_on_rev: Option<String>,
    /// Old and new folder names, in order.
    pub renamed: Vec<(String, String)>,
    /// Tables both sides touch (empty, or forced).
    pub overlaps: Vec<Overlap>,
}

/// The tables `sql` changes, as PostgreSQL names them.
fn tables(sql: &str) -> BTreeSet<String> {
    analyse(sql)
        .statements
        .iter()
        .flat_map(|s| s.actions.iter())
        .filter_map(|a| a.kind.table().map(str::to_string))
        .collect()
}

/// Renames the branch's migrations that sort before REV's newest to after it. `force`: even
/// when REV's newer migrations touch the same tables.
pub fn rebase(
    root: &std::path::Path,
    service: &Service,
    rev: &str,
    force: bool,
) -> Result<Rebased, Error> {
    let on_rev = lint::load_baseline(root, rev, std::slice::from_ref(service))?
        .remove(&service.name)
        .unwrap_or_default();
    let Some(newest) = on_rev.migrations.keys().next_back().cloned() else {
        return Ok(Rebased::default());
    };
    let local = service.migrations()?;
    let ours: Vec<_> = local
        .iter()
        .filter(|m| !on_rev.migrations.contains_key(&m.name) && m.name < newest)
        .collect();
    let mut done = Rebased {
        newest_on_rev: Some(newest.clone()),
        ..Rebased::default()
    };
    if ours.is_empty() {
        return Ok(done);
    }
    // REV's migrations that end up before ours: those newer than each of ours, each read once.
    let theirs: Vec<(&String, BTreeSet<String>)> = on_rev
        .migrations
        .range(ours[0].name.clone()..)
        .map(|(name, sql)| (name, tables(&String::from_utf8_lossy(sql))))
        .collect();
    for m in &ours {
        let mine = tables(&m.sql);
        for (theirs, touched) in theirs.iter().filter(|(name, _)| **name > m.name) {
            let shared: Vec<String> = touched.intersection(&mine).cloned().collect();
            if !shared.is_empty() {
                done.overlaps.push(Overlap {
                    ours: m.name.clone(),
                    theirs: (*theirs).clone(),
                    tables: shared,
                });
            }
        }
    }
    if !done.overlaps.is_empty() && !force {
        let list: Vec<String> = done
            .overlaps
            .iter()
            .map(|o| {
                format!(
                    "  {} and {} (on {rev}) both change {}",
                    o.ours,
                    o.theirs,
                    o.tables
                        .iter()
                        .map(|t| format!("`{t}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
            .collect();
        return Err(Error::Config(format!(
            "service `{}`: migrations on {rev} newer than this branch's change the same tables, so applying this branch's after them may not do what it did before:\n{}\nnothing was renamed: check each of this branch's migrations still does what it should after {rev}'s (edit them if not), then run again with --force",
            service.name,
            list.join("\n")
        )));
    }
    // New timestamps: one second apart after REV's newest (and after any local folder).
    let latest = local
        .iter()
        .map(|m| m.name.as_str())
        .chain(std::iter::once(newest.as_str()))
        .filter_map(|n| naming::split(n).ok().map(|(t, _)| t))
        .max();
    let mut next: NaiveDateTime = latest
        .ok_or_else(|| Error::Config(format!("`{newest}` has no timestamp")))?
        + Duration::seconds(1);
    for m in &ours {
        let (_, description) = naming::parts(&m.name).ok_or_else(|| {
            Error::Config(format!(
                "`{}` is not `<timestamp>_<description>`: rename it by hand",
                m.name
            ))
        })?;
        done.renamed.push((
            m.name.clone(),
            format!("{}_{description}", next.format("%Y%m%d%H%M%S")),
        ));
        next += Duration::seconds(1);
    }
    let dir = service.migrations_dir();
    for (i, (from, to)) in done.renamed.iter().enumerate() {
        if let Err(e) = std::fs::rename(dir.join(from), dir.join(to)) {
            // Put back what was renamed: the folder is as it was, or as asked, never between.
            for (back_from, back_to) in done.renamed[..i].iter().rev() {
                let _ = std::fs::rename(dir.join(back_to), dir.join(back_from));
            }
            return Err(Error::io(&dir.join(from), e));
        }
    }
    Ok(done)
}
