#[derive(Table)]
#[migrate(table_name = "users")]
struct User {
    #[migrate(primary_key, identity)]
    id: i64,
    #[migrate(unique)]
    email: String,
    #[migrate(renamed_from = "nickname", backfill = "'anonymous'")]
    handle: String,
    #[migrate(backfill = "gen_random_uuid()", default = "gen_random_uuid()")]
    token: uuid::Uuid,
    legacy: String,
}
