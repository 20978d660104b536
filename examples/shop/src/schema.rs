//! The shop's schema, declared as Rust structs.
#![allow(dead_code)]

use chrono::Utc;
use migrate_runtime::{PgEnum, Table};
// Well-known types by their full path (`uuid::Uuid`): the derive does not see `use` items.

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PgEnum)]
#[migrate(type_name = "order_status")]
pub enum OrderStatus {
    Pending,
    Paid,
    Shipped,
    Cancelled,
}

/// A customer account.
#[derive(Debug, Table)]
#[migrate(table_name = "customers")]
#[migrate(index(name = "customers_lower_email_idx", expr = "lower(email)", unique))]
pub struct Customer {
    #[migrate(primary_key, identity)]
    pub id: i64,
    #[migrate(column_type = "varchar(320)")]
    pub email: String,
    pub display_name: String,
    #[migrate(default = "now()")]
    pub created_at: chrono::DateTime<Utc>,
    /// Added in release 2: nullable, so old binaries' inserts still work.
    pub phone: Option<String>,
    /// Added in release 2: a constant default is metadata-only on PostgreSQL 11+. Widened to
    /// bigint in release 4: a shadow column kept in step by a trigger, filled by a batched
    /// backfill, swapped in at contract.
    #[migrate(default = "0")]
    pub loyalty_points: i64,
}

/// Something for sale.
#[derive(Debug, Table)]
#[migrate(table_name = "products")]
// Added in release 3: the running binary could still write blank names, so the check is added
// NOT VALID and validated in contract.
#[migrate(check(name = "products_name_not_blank", expr = "length(name) > 0"))]
pub struct Product {
    #[migrate(primary_key, default = "gen_random_uuid()")]
    pub id: uuid::Uuid,
    #[migrate(unique, column_type = "varchar(64)")]
    pub sku: String,
    pub name: String,
    #[migrate(check = "price_cents >= 0")]
    pub price_cents: i64,
    #[migrate(default = "'{}'::jsonb")]
    pub attributes: serde_json::Value,
    #[migrate(index(method = "gin"))]
    pub tags: Vec<String>,
}

/// An order placed by a customer.
#[derive(Debug, Table)]
#[migrate(table_name = "orders")]
#[migrate(index(columns(customer_id, placed_at)))]
pub struct Order {
    #[migrate(primary_key, identity)]
    pub id: i64,
    #[migrate(references = "customers", on_delete = "cascade")]
    pub customer_id: i64,
    /// Indexed in release 2: built CONCURRENTLY, in a file of its own.
    #[migrate(default = "'pending'", index)]
    pub status: OrderStatus,
    #[migrate(default = "now()")]
    pub placed_at: chrono::DateTime<Utc>,
    /// Renamed in release 3: the new views called it `customer_note` at once, and contract
    /// renamed the column. The `renamed_from` hint went in release 4.
    pub customer_note: Option<String>,
    /// Added in release 4 with a volatile default: new rows get theirs from the default at
    /// once, and a batched backfill, which the new binary does not wait for, fills the rows
    /// that existed before.
    #[migrate(default = "gen_random_uuid()")]
    pub public_ref: Option<uuid::Uuid>,
}

/// One line of an order.
#[derive(Debug, Table)]
#[migrate(table_name = "order_items", primary_key(order_id, product_id))]
pub struct OrderItem {
    #[migrate(references = "orders", on_delete = "cascade")]
    pub order_id: i64,
    #[migrate(references = "products(id)")]
    pub product_id: uuid::Uuid,
    #[migrate(check = "quantity > 0")]
    pub quantity: i32,
}
