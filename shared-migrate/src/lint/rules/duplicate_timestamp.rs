//! `duplicate-timestamp`: two migrations of one service with the same timestamp; their order
//! then depends on the rest of the name, which is usually two branches colliding.

use super::{Place, Rule, ServiceCx, Sink};
use crate::sql::Catalog;

pub(super) struct DuplicateTimestamp;

impl Rule for DuplicateTimestamp {
    fn name(&self) -> &'static str {
        "duplicate-timestamp"
    }
    fn about(&self) -> &'static str {
        "two migrations of a service share a timestamp"
    }
    fn check_service(&self, cx: &ServiceCx, _catalog: &Catalog, out: &mut Sink) {
        let stamp = |name: &str| {
            name.get(..14)
                .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
                .map(str::to_string)
        };
        for (i, m) in cx.migrations.iter().enumerate().skip(1) {
            let previous = &cx.migrations[i - 1].name;
            if let Some(ts) = stamp(&m.name)
                && stamp(previous).as_ref() == Some(&ts)
            {
                out.report(
                    Place::Migration(i),
                    None,
                    format!("migration `{}` has the same timestamp as `{previous}`: their order depends on the rest of the name", m.name),
                    "give the newer one a later timestamp (`cargo xtask new` makes one) before it is applied anywhere",
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::rules::test_support::check_with;

    #[test]
    fn fires_on_a_shared_timestamp() {
        insta::assert_snapshot!(check_with(
            &Default::default(),
            &[
                ("20250110120000_add_grades", "SELECT 1;\n"),
                ("20250110120000_add_wallets", "SELECT 1;\n"),
            ],
            None,
            false
        ));
    }
}
