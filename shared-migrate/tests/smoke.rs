use shared_migrate::migrator;
use shared_migrate::testing::{TempRepo, fresh_database};

#[test]
fn examples_migrate() {
    let repo = TempRepo::new();
    for svc in ["azora-education", "azora-wallet", "azora-notifications"] {
        let service = repo.copy_example(svc);
        let url = fresh_database("smoke");
        let r =
            migrator::migrate_service(&service, Ok(url), &migrator::Options::default(), &|s, m| {
                eprintln!("[{s}] {m}")
            });
        println!(
            "{}",
            shared_migrate::report::migrate_summary(std::slice::from_ref(&r))
        );
        r.result.unwrap();
    }
}
