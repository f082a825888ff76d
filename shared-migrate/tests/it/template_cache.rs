//! The local backend's initdb template, cached between runs: built once (also when runs race
//! for it), reused, rebuilt when incomplete, and entries of another PostgreSQL or other
//! settings removed unless a run is using them.

use std::path::{Path, PathBuf};

use shared_migrate::Template;

/// The cache's entries (directories), by name.
fn entries(cache: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(cache)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn works(template: &Template) {
    let cluster = template.start().unwrap();
    let mut client = shared_migrate::connect(&cluster.url("postgres")).unwrap();
    let one: i32 = client.query_one("SELECT 1", &[]).unwrap().get(0);
    assert_eq!(one, 1);
}

/// An entry as an older PostgreSQL would have left it.
fn stale_entry(cache: &Path, name: &str) -> PathBuf {
    let entry = cache.join(name);
    std::fs::create_dir_all(entry.join("data/global")).unwrap();
    std::fs::write(entry.join("data/PG_VERSION"), "9\n").unwrap();
    std::fs::write(entry.join("data/global/pg_control"), "").unwrap();
    std::fs::write(entry.join("complete"), "").unwrap();
    entry
}

#[test]
fn the_template_is_built_once_reused_and_rebuilt_when_stale() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("pg-template");

    // Two runs racing for an empty cache: both get a working template, one entry results.
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| Template::cached(&cache).unwrap());
        let b = s.spawn(|| Template::cached(&cache).unwrap());
        (a.join().unwrap(), b.join().unwrap())
    });
    assert!(!(a.from_cache && b.from_cache), "one of them built it");
    works(&a);
    works(&b);
    let ours = entries(&cache);
    assert_eq!(ours.len(), 1, "{ours:?}");
    drop((a, b));

    // The next run finds it.
    let again = Template::cached(&cache).unwrap();
    assert!(again.from_cache);
    works(&again);
    drop(again);

    // Another PostgreSQL's entry goes, unless a run holds it.
    let stale = stale_entry(&cache, "pg9-0123456789ab");
    let lock = std::fs::File::create(cache.join("pg9-0123456789ab.lock")).unwrap();
    lock.lock_shared().unwrap();
    drop(Template::cached(&cache).unwrap());
    assert!(stale.exists(), "in use by another run: kept");
    lock.unlock().unwrap();
    drop(Template::cached(&cache).unwrap());
    assert!(!stale.exists(), "stale: removed");
    assert_eq!(entries(&cache), ours);

    // An incomplete entry (a copy cut short, a file removed) is rebuilt.
    std::fs::remove_file(cache.join(&ours[0]).join("data/PG_VERSION")).unwrap();
    let rebuilt = Template::cached(&cache).unwrap();
    assert!(!rebuilt.from_cache);
    works(&rebuilt);
    assert_eq!(entries(&cache), ours);
}
