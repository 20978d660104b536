#[derive(PgEnum)]
#[migrate(type_name = "priority", schema = "inventory")]
enum Priority { Low, Normal, High }

#[derive(Table)]
#[migrate(table_name = "warehouses", schema = "inventory")]
#[migrate(unique(region, code))]
#[migrate(check(name = "warehouses_capacity_positive", expr = "capacity > 0"))]
struct Warehouse {
    #[migrate(primary_key, identity)]
    id: i32,
    #[migrate(column_type = "char(2)")]
    region: String,
    #[migrate(column_type = "varchar(16)")]
    code: String,
    capacity: i64,
    #[migrate(column_type = "numeric(9,6)")]
    latitude: Option<f64>,
    opened_on: Option<chrono::NaiveDate>,
    closes_at: Option<chrono::NaiveTime>,
    #[migrate(column_type = "interval")]
    lead_time: Option<String>,
}

#[derive(Table)]
#[migrate(table_name = "stock_items", schema = "inventory", primary_key(warehouse_id, sku))]
#[migrate(index(name = "stock_items_lower_label_idx", expr = "lower(label)"))]
#[migrate(index(columns(warehouse_id, updated_at), where = "deleted_at IS NULL"))]
#[migrate(index(columns(updated_at), method = "brin"))]
#[migrate(foreign_key(columns(parent_warehouse, parent_sku), references = "stock_items(warehouse_id, sku)", on_delete = "set null"))]
struct StockItem {
    #[migrate(references = "warehouses", on_delete = "cascade", on_update = "cascade")]
    warehouse_id: i32,
    sku: String,
    label: String,
    #[migrate(check = "quantity >= 0", default = "0")]
    quantity: i16,
    #[migrate(index(method = "gin"))]
    tags: Vec<String>,
    priorities: Vec<Priority>,
    #[migrate(default = "'normal'")]
    priority: Priority,
    weight_kg: f32,
    volume_l: f64,
    fragile: bool,
    photo: Option<Vec<u8>>,
    external_id: Option<uuid::Uuid>,
    #[migrate(default = "'{}'::jsonb")]
    attributes: serde_json::Value,
    #[migrate(default = "now()")]
    updated_at: chrono::DateTime<chrono::Utc>,
    deleted_at: Option<chrono::NaiveDateTime>,
    parent_warehouse: Option<i32>,
    parent_sku: Option<String>,
}
