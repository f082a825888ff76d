//! Repository conventions, checked on the source (as rust-analyzer's `tidy.rs`):
//! - shared-migrate's layers: a module imports only from itself and from the modules before it
//!   in [`LAYERS`] (`use` items, inline `crate::`/`super::` paths, and paths inside attributes
//!   and macros, such as thiserror's `#[error(...)]`), so no import cycle crosses a folder;
//! - no two public types share a name (four `Options` and two `Report`s once did);
//! - the command line uses only the names the library's facade (`lib.rs`) re-exports.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::{self, Visit};

/// The library's layers, lowest first; inside a layer, modules are in order too.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "leaves",
        &["text", "remedy", "error", "cleanup", "process", "parallel"],
    ),
    ("psl", &["psl"]),
    ("workspace", &["workspace"]),
    ("sql", &["sql"]),
    ("db", &["db"]),
    ("diff", &["diff"]),
    ("pg_tools", &["pg_tools"]),
    ("lint", &["lint"]),
    ("config", &["config"]),
    ("ci", &["ci"]),
    ("migrate", &["migrate"]),
    ("seed", &["seed"]),
    ("commands", &["commands"]),
    ("verify", &["verify"]),
    ("schema_diff", &["schema_diff"]),
    ("bench", &["bench"]),
    ("render", &["render"]),
    // The library's own tests of its inner parts (fuzzing, Prisma's recorded diffs): above all.
    ("tests", &["tests"]),
];

/// Public type names that may appear more than once, with why.
const SHARED_NAMES: &[(&str, &str)] = &[];

fn order() -> Vec<&'static str> {
    LAYERS.iter().flat_map(|(_, m)| m.iter().copied()).collect()
}

fn layer_of(module: &str) -> Option<&'static str> {
    LAYERS
        .iter()
        .find(|(_, m)| m.contains(&module))
        .map(|(l, _)| *l)
}

/// A reference from one module to another, at a line.
#[derive(Debug)]
struct Reference {
    line: usize,
    /// The path as written, e.g. `crate::render::shell_word`.
    written: String,
    /// The top-level module it lands in (None: the crate root, an extern crate).
    target: Option<String>,
    /// Inside `#[cfg(test)]` code.
    in_test: bool,
}

/// The module path of a file under `src/`: `db/lock.rs` is `[db, lock]`, `db/mod.rs` `[db]`.
fn module_of(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let file = parts.pop().expect("a file name");
    let stem = file.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_string());
    }
    parts
}

struct Collector {
    /// The module the visitor is in (the file's, plus inline `mod`s).
    module: Vec<String>,
    test_depth: usize,
    references: Vec<Reference>,
    public_types: Vec<(String, usize)>,
}

fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg") && a.parse_args::<syn::Ident>().is_ok_and(|i| i == "test")
    })
}

impl Collector {
    /// Resolves `segments` (starting with `crate`, `super` or `self`) to the top-level module.
    fn resolve(&self, segments: &[String]) -> Option<Option<String>> {
        let (first, rest) = segments.split_first()?;
        let mut base: Vec<String> = match first.as_str() {
            "crate" => Vec::new(),
            "self" => self.module.clone(),
            "super" => {
                let mut m = self.module.clone();
                m.pop()?;
                m
            }
            _ => return None,
        };
        let mut rest = rest;
        while let Some(("super", tail)) = rest.split_first().map(|(h, t)| (h.as_str(), t)) {
            base.pop()?;
            rest = tail;
        }
        Some(base.first().cloned().or_else(|| rest.first().cloned()))
    }

    fn record(&mut self, segments: Vec<String>, line: usize) {
        if let Some(target) = self.resolve(&segments) {
            self.references.push(Reference {
                line,
                written: segments.join("::"),
                target,
                in_test: self.test_depth > 0,
            });
        }
    }

    /// `crate :: a`, `super :: a` sequences in attribute and macro tokens.
    fn scan_tokens(&mut self, tokens: TokenStream) {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        let mut i = 0;
        while i < trees.len() {
            match &trees[i] {
                TokenTree::Group(g) => self.scan_tokens(g.stream()),
                TokenTree::Ident(id) if matches!(id.to_string().as_str(), "crate" | "super") => {
                    let mut segments = vec![id.to_string()];
                    let mut j = i + 1;
                    while let (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b))) =
                        (trees.get(j), trees.get(j + 1))
                    {
                        if a.as_char() != ':' || b.as_char() != ':' {
                            break;
                        }
                        match trees.get(j + 2) {
                            Some(TokenTree::Ident(next)) => segments.push(next.to_string()),
                            _ => break,
                        }
                        j += 3;
                    }
                    if segments.len() > 1 {
                        self.record(segments, id.span().start().line);
                    }
                    i = j.max(i + 1);
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
    }
}

fn use_paths(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut Vec<(Vec<String>, usize)>) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            use_paths(&p.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) => {
            let mut v = prefix.clone();
            v.push(n.ident.to_string());
            out.push((v, n.ident.span().start().line));
        }
        syn::UseTree::Rename(r) => {
            let mut v = prefix.clone();
            v.push(r.ident.to_string());
            out.push((v, r.ident.span().start().line));
        }
        syn::UseTree::Glob(g) => {
            let mut v = prefix.clone();
            v.push("*".into());
            out.push((v, g.star_token.spans[0].start().line));
        }
        syn::UseTree::Group(g) => {
            for t in &g.items {
                use_paths(t, prefix, out);
            }
        }
    }
}

impl<'ast> Visit<'ast> for Collector {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        self.within(&m.attrs, |c| match &m.content {
            Some(_) => {
                c.module.push(m.ident.to_string());
                visit::visit_item_mod(c, m);
                c.module.pop();
            }
            None => visit::visit_item_mod(c, m),
        });
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.within(&f.attrs, |c| visit::visit_item_fn(c, f));
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        self.within(&u.attrs, |c| {
            let mut paths = Vec::new();
            use_paths(&u.tree, &mut Vec::new(), &mut paths);
            for (segments, line) in paths {
                c.record(segments, line);
            }
        });
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        let segments: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        if segments.len() > 1 {
            let line = p.segments[0].ident.span().start().line;
            self.record(segments, line);
        }
        visit::visit_path(self, p);
    }

    fn visit_attribute(&mut self, a: &'ast syn::Attribute) {
        if let syn::Meta::List(list) = &a.meta {
            self.scan_tokens(list.tokens.clone());
        }
        visit::visit_attribute(self, a);
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        self.scan_tokens(m.tokens.clone());
        visit::visit_macro(self, m);
    }

    fn visit_item_struct(&mut self, i: &'ast syn::ItemStruct) {
        self.public(&i.vis, &i.ident);
        visit::visit_item_struct(self, i);
    }

    fn visit_item_enum(&mut self, i: &'ast syn::ItemEnum) {
        self.public(&i.vis, &i.ident);
        visit::visit_item_enum(self, i);
    }

    fn visit_item_trait(&mut self, i: &'ast syn::ItemTrait) {
        self.public(&i.vis, &i.ident);
        visit::visit_item_trait(self, i);
    }

    fn visit_item_type(&mut self, i: &'ast syn::ItemType) {
        self.public(&i.vis, &i.ident);
        visit::visit_item_type(self, i);
    }
}

impl Collector {
    /// Runs `visit` inside an item with `attrs`, counting `#[cfg(test)]` items.
    fn within(&mut self, attrs: &[syn::Attribute], visit: impl FnOnce(&mut Collector)) {
        let test = usize::from(is_cfg_test(attrs));
        self.test_depth += test;
        visit(self);
        self.test_depth -= test;
    }

    fn public(&mut self, vis: &syn::Visibility, ident: &syn::Ident) {
        if matches!(vis, syn::Visibility::Public(_)) && self.test_depth == 0 {
            self.public_types
                .push((ident.to_string(), ident.span().start().line));
        }
    }
}

/// What one file of `src/` references and declares.
fn collect(relative: &Path, source: &str) -> Collector {
    let file = syn::parse_file(source)
        .unwrap_or_else(|e| panic!("{}: does not parse: {e}", relative.display()));
    let mut c = Collector {
        module: module_of(relative),
        test_depth: 0,
        references: Vec::new(),
        public_types: Vec::new(),
    };
    c.visit_file(&file);
    c
}

/// Every reference of `files` (paths relative to `src/`, sources) that points up the layers,
/// as `file:line: message`.
fn layer_violations(files: &[(PathBuf, String)]) -> Vec<String> {
    let order = order();
    let mut found = Vec::new();
    for (relative, source) in files {
        let Some(own) = module_of(relative).first().cloned() else {
            continue; // lib.rs, the facade
        };
        let Some(own_index) = order.iter().position(|m| *m == own) else {
            found.push(format!(
                "{}:1: module `{own}` is in no layer: add it to LAYERS in xtask/tests/it/tidy.rs",
                relative.display()
            ));
            continue;
        };
        for r in collect(relative, source).references {
            let Some(target) = r.target else { continue };
            if target == own {
                continue;
            }
            let Some(index) = order.iter().position(|m| *m == target) else {
                // `crate::Name`: the facade's re-export, the top of the crate.
                found.push(format!(
                    "{}:{}: `{}` goes through the facade (lib.rs), which sits above every layer: name the module that defines it",
                    relative.display(),
                    r.line,
                    r.written,
                ));
                continue;
            };
            if index > own_index {
                found.push(format!(
                    "{}:{}: `{}` points up the layers, from `{own}` (layer {}) to `{target}` (layer {}): move what it needs down to a lower layer, or pass it in",
                    relative.display(),
                    r.line,
                    r.written,
                    layer_of(&own).unwrap_or("?"),
                    layer_of(&target).unwrap_or("?"),
                ));
            }
        }
    }
    found
}

/// Module-to-module edges of `files`, for the cycle check.
fn edges(files: &[(PathBuf, String)]) -> BTreeMap<String, BTreeSet<String>> {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (relative, source) in files {
        let Some(own) = module_of(relative).first().cloned() else {
            continue;
        };
        for r in collect(relative, source).references {
            if let Some(target) = r.target
                && target != own
                && !r.in_test
                && order().contains(&target.as_str())
            {
                edges.entry(own.clone()).or_default().insert(target);
            }
        }
    }
    edges
}

/// A cycle through `edges`, if there is one.
fn cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn walk(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == node) {
            let mut c = path[i..].to_vec();
            c.push(node.to_string());
            return Some(c);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(c) = walk(next, edges, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|k| walk(k, edges, &mut Vec::new(), &mut done))
}

fn rust_files(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let source = std::fs::read_to_string(&path).unwrap();
                files.push((path.strip_prefix(dir).unwrap().to_path_buf(), source));
            }
        }
    }
    files.sort();
    files
}

fn library_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared-migrate/src")
}

#[test]
fn imports_never_point_up_the_layers() {
    let files = rust_files(&library_src());
    let found = layer_violations(&files);
    assert!(
        found.is_empty(),
        "imports that point up the layers:\n{}",
        found.join("\n")
    );
    if let Some(c) = cycle(&edges(&files)) {
        panic!("an import cycle crosses folders: {}", c.join(" -> "));
    }
}

#[test]
fn every_module_is_in_a_layer() {
    let lib = std::fs::read_to_string(library_src().join("lib.rs")).unwrap();
    let file = syn::parse_file(&lib).unwrap();
    let declared: Vec<String> = file
        .items
        .iter()
        .filter_map(|i| match i {
            syn::Item::Mod(m) => Some(m.ident.to_string()),
            _ => None,
        })
        .collect();
    let order = order();
    for m in &declared {
        assert!(
            order.contains(&m.as_str()),
            "shared-migrate/src/lib.rs declares `mod {m}`, which is in no layer: add it to LAYERS"
        );
    }
    for m in &order {
        assert!(
            declared.iter().any(|d| d == m),
            "LAYERS names `{m}`, which lib.rs does not declare"
        );
    }
}

#[test]
fn public_type_names_are_unique() {
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (relative, source) in rust_files(&library_src()) {
        for (name, line) in collect(&relative, &source).public_types {
            seen.entry(name)
                .or_default()
                .push(format!("{}:{line}", relative.display()));
        }
    }
    let clashes: Vec<String> = seen
        .into_iter()
        .filter(|(name, places)| places.len() > 1 && !SHARED_NAMES.iter().any(|(n, _)| n == name))
        .map(|(name, places)| format!("`{name}`: {}", places.join(", ")))
        .collect();
    assert!(
        clashes.is_empty(),
        "public types sharing a name (rename one, e.g. `MigrateOptions` rather than `Options`):\n{}",
        clashes.join("\n")
    );
}

#[test]
fn the_command_line_uses_only_the_facade() {
    let lib = std::fs::read_to_string(library_src().join("lib.rs")).unwrap();
    let modules: Vec<String> = syn::parse_file(&lib)
        .unwrap()
        .items
        .iter()
        .filter_map(|i| match i {
            syn::Item::Mod(m) => Some(m.ident.to_string()),
            _ => None,
        })
        .collect();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    for (relative, source) in rust_files(&src) {
        let file = syn::parse_file(&source).unwrap();
        let mut paths = FacadePaths::default();
        paths.visit_file(&file);
        for (segments, line) in paths.0 {
            let deep = segments.len() > 2;
            let module = segments.get(1).is_some_and(|s| modules.contains(s));
            if deep || module {
                found.push(format!(
                    "xtask/src/{}:{line}: `{}` reaches into the library: re-export what the command line needs in shared-migrate/src/lib.rs and use `shared_migrate::Name`",
                    relative.display(),
                    segments.join("::")
                ));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// Paths in xtask/src that start with `shared_migrate`.
#[derive(Default)]
struct FacadePaths(Vec<(Vec<String>, usize)>);

impl<'ast> Visit<'ast> for FacadePaths {
    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        let mut paths = Vec::new();
        use_paths(&u.tree, &mut Vec::new(), &mut paths);
        self.0
            .extend(paths.into_iter().filter(|(s, _)| s[0] == "shared_migrate"));
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        let segments: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        if segments.first().is_some_and(|s| s == "shared_migrate") {
            self.0
                .push((segments, p.segments[0].ident.span().start().line));
        }
        visit::visit_path(self, p);
    }
}

/// The checker itself finds each kind of upward import this repository once had (session 5's
/// list, in today's module names), and lets the allowed ones pass.
#[test]
fn the_checker_catches_the_old_knots() {
    let must_fail: &[(&str, &str)] = &[
        // error.rs called report's shell_word from inside #[error(...)].
        (
            "error.rs",
            "#[derive(thiserror::Error)] pub enum E { #[error(\"{}\", crate::render::status_summary(.0))] A(u8) }",
        ),
        // migrator, backup and resolve called report's helpers.
        ("migrate/mod.rs", "use crate::render::migrate_summary;"),
        (
            "migrate/backup.rs",
            "fn f() { let _ = crate::render::junit(&[]); }",
        ),
        (
            "commands/resolve.rs",
            "use crate::render::{self, status_summary};",
        ),
        ("lint/render.rs", "use crate::render::verify_summary;"),
        // lint's rules and settings imported config's types.
        (
            "lint/rules/set_not_null.rs",
            "use crate::config::LintSection;",
        ),
        ("lint/config.rs", "use crate::config::{self, File};"),
        // revert-todo imported the revert command.
        (
            "lint/rules/revert_todo.rs",
            "use crate::commands::create_revert;",
        ),
        // docker imported verify's backend trait.
        ("pg_tools/docker.rs", "use crate::verify::Backend;"),
        // the migrator used status's comparison.
        (
            "migrate/mod.rs",
            "fn f() { crate::commands::status_service(todo!(), todo!()); }",
        ),
        // reset called verify's seed.
        ("commands/reset.rs", "use crate::verify::verify_all;"),
        // super:: that leaves the folder.
        ("workspace/create.rs", "use super::super::db::connect;"),
        // inline paths in types and macros.
        ("db/ledger.rs", "fn f(_: crate::migrate::MigrateReport) {}"),
        (
            "sql/plan.rs",
            "fn f() { println!(\"{}\", crate::lint::REVERT_TODO); }",
        ),
        // the facade's names are the top of the crate.
        ("db/ledger.rs", "use crate::MigrateOptions;"),
        // test code may use the test support, nothing else above it.
        (
            "db/lock.rs",
            "#[cfg(test)] mod tests { use crate::verify::VerifyOptions; }",
        ),
    ];
    for (path, source) in must_fail {
        let found = layer_violations(&[(PathBuf::from(path), source.to_string())]);
        assert!(!found.is_empty(), "not caught: {path}: {source}");
        assert!(found.iter().all(|f| f.starts_with(path)), "{found:?}");
    }
    let must_pass: &[(&str, &str)] = &[
        (
            "workspace/create.rs",
            "use super::Service; use super::naming;",
        ),
        (
            "db/lock.rs",
            "use crate::error::Error; use super::database_url::DatabaseUrl;",
        ),
        ("config.rs", "use crate::lint::{self, LintConfig};"),
        (
            "render/mod.rs",
            "use crate::verify::VerifyReport; use crate::commands::State;",
        ),
        (
            "error.rs",
            "fn f() -> String { crate::remedy::migrate(\"svc\") }",
        ),
    ];
    for (path, source) in must_pass {
        let found = layer_violations(&[(PathBuf::from(path), source.to_string())]);
        assert!(found.is_empty(), "{path}: {source}: {found:?}");
    }
    let mut looped = BTreeMap::new();
    looped.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    looped.insert("b".to_string(), BTreeSet::from(["a".to_string()]));
    assert_eq!(cycle(&looped).unwrap(), ["a", "b", "a"]);
}

fn repo_file(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// README says what the tool is, the two set-up commands, adoption, a table of commands and
/// links; the rest lives in docs/, one page per topic.
#[test]
fn the_readme_stays_short() {
    let lines = repo_file("README.md").lines().count();
    assert!(
        lines <= 250,
        "README.md has {lines} lines (at most 250): move the detail to a page of docs/"
    );
}

/// The lines of `text` under the headings that `is_start` picks, each up to the next heading
/// of the same or a higher level; headings inside code fences are not headings.
fn sections(text: &str, is_start: impl Fn(&str) -> bool) -> String {
    let mut out = String::new();
    let (mut fence, mut level) = (false, None::<usize>);
    for line in text.lines() {
        if line.starts_with("```") {
            fence = !fence;
        }
        let heading = (!fence && line.starts_with('#'))
            .then(|| line.chars().take_while(|c| *c == '#').count());
        if let Some(h) = heading {
            if level.is_some_and(|l| h <= l) {
                level = None;
            }
            if is_start(line) {
                level = Some(h);
            }
        }
        if level.is_some() {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The long flags `--help` lists as options (not those its descriptions cite).
fn help_flags(args: &[&str]) -> Vec<String> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .arg("--help")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut flags: Vec<String> = text
        .lines()
        .filter_map(|l| {
            let l = l.trim_start();
            let l = l
                .strip_prefix('-')
                .filter(|r| r.chars().nth(1) == Some(','))
                .map_or(l, |r| r[2..].trim_start());
            let flag: String = l
                .strip_prefix("--")?
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            Some(format!("--{flag}"))
        })
        .filter(|f| f != "--help" && f != "--version")
        .collect();
    flags.dedup();
    flags
}

/// Every flag `--help` lists is documented: in the command's section of docs/ (its heading
/// names `cargo xtask <command>`; affected and ci-plan on the CI page, bench on the performance
/// page) or among the flags every command shares.
#[test]
fn every_flag_of_help_is_documented() {
    let docs: Vec<(String, String)> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "md"))
            .map(|p| {
                (
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    std::fs::read_to_string(&p).unwrap(),
                )
            })
            .collect();
    let page = |name: &str| {
        docs.iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.clone())
            .unwrap_or_else(|| panic!("docs/{name} is missing"))
    };
    let shared = sections(&page("commands.md"), |l| {
        l.contains("Flags every command shares")
    });
    assert!(!shared.is_empty(), "docs/commands.md lost its shared flags");
    let top = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("--help")
        .output()
        .unwrap();
    let top = String::from_utf8_lossy(&top.stdout).into_owned();
    let commands: Vec<String> = top
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|c| c != "help")
        .collect();
    assert!(commands.len() >= 15, "{top}");
    let mentions = |text: &str, flag: &str| {
        text.match_indices(flag).any(|(i, _)| {
            !text[i + flag.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '-')
        })
    };
    let mut missing = Vec::new();
    for command in &commands {
        let own = match command.as_str() {
            "affected" | "ci-plan" => page("ci.md"),
            "bench" => page("performance.md"),
            _ => docs
                .iter()
                .map(|(_, t)| sections(t, |l| l.contains(&format!("`cargo xtask {command}`"))))
                .collect(),
        };
        assert!(
            !own.is_empty(),
            "no section of docs/ documents `cargo xtask {command}`"
        );
        for flag in help_flags(&[command]) {
            if !mentions(&own, &flag) && !mentions(&shared, &flag) && flag != "--root" {
                missing.push(format!("{command} {flag}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "flags `--help` lists that docs/ does not mention (in the command's section, or the shared flags of docs/commands.md):\n{}",
        missing.join("\n")
    );
}

/// One integration-test binary per crate (`tests/it/main.rs`, a module per subject): one link
/// of the library and one shared test cluster per run, instead of one each per file.
#[test]
fn each_crate_has_one_test_binary() {
    for krate in ["xtask", "shared-migrate", "test-support"] {
        let tests = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(krate)
            .join("tests");
        let Ok(entries) = std::fs::read_dir(&tests) else {
            continue;
        };
        let binaries: Vec<String> = entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "rs") || p.join("main.rs").is_file())
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert!(
            binaries.len() <= 1,
            "{}: {} test binaries ({}): make them modules of tests/it/main.rs",
            tests.display(),
            binaries.len(),
            binaries.join(", ")
        );
    }
}

/// The library keeps its public face small: the compiler warns on a `pub` item the root does not
/// reach (and CI's clippy denies warnings), so this line must stay; and `pub(crate)` is what the
/// rest is.
#[test]
fn the_library_denies_unreachable_pub() {
    let lib = std::fs::read_to_string(library_src().join("lib.rs")).unwrap();
    for lint in ["unreachable_pub", "missing_docs"] {
        assert!(
            lib.lines().any(|l| l.trim() == format!("#![warn({lint})]")),
            "shared-migrate/src/lib.rs lost `#![warn({lint})]`"
        );
    }
    // The public face is the facade's re-exports: no module is public as a whole.
    let public_modules: Vec<&str> = lib.lines().filter(|l| l.starts_with("pub mod ")).collect();
    assert!(
        public_modules.is_empty(),
        "modules public as a whole (make them `pub(crate)` and re-export what callers need): {public_modules:?}"
    );
    let ci = repo_file("ci/test.sh");
    assert!(
        ci.contains("cargo clippy --workspace --all-targets --locked -- -D warnings"),
        "ci/test.sh must deny warnings, or the lint above checks nothing"
    );
}
