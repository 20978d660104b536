#[derive(Table)]
#[migrate(table_name = "parcels")]
#[migrate(index(columns(weight)))]
struct Parcel {
    #[migrate(primary_key, identity)]
    id: i64,
    #[migrate(default = "'0'")]
    weight: String,
    label: String,
}
