//! The example shop: prints its accepted plan (no database needed).

mod schema;

migrate_runtime::include_schema!();

fn main() {
    use migrate_runtime::Table as _;
    println!("example-shop: accepted release {RELEASE}, views schema `{VIEWS_SCHEMA}`");
    println!(
        "tables: {}",
        [
            schema::Customer::TABLE,
            schema::Product::TABLE,
            schema::Order::TABLE,
            schema::OrderItem::TABLE
        ]
        .join(", ")
    );
    println!();
    println!("{PLAN_SUMMARY}");
    match PENDING {
        Some(pending) => println!(
            "PENDING (not accepted yet; accept with MIGRATE_ACCEPT=1 cargo build):\n\n{pending}"
        ),
        None => println!("No pending changes: the structs match migrate.snapshot.json."),
    }
}
