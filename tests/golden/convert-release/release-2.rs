#[derive(Table)]
#[migrate(table_name = "parcels")]
#[migrate(index(columns(weight)))]
struct Parcel {
    #[migrate(primary_key, identity)]
    id: i64,
    #[migrate(default = "0", convert(to_new = "nullif(trim(weight), '')::integer", to_old = "weight::text"))]
    weight: Option<i32>,
    label: String,
}
