#[derive(Table)]
#[migrate(table_name = "users")]
struct User {
    #[migrate(primary_key, identity)]
    id: i64,
    email: String,
}

#[derive(Table)]
#[migrate(table_name = "entries")]
#[migrate(index(name = "entries_user_points_idx", columns(user_id, points)))]
#[migrate(index(name = "entries_points_idx", columns(points)))]
#[migrate(index(name = "entries_big_points_idx", expr = "(points / 1000)", where = "points > 0"))]
struct Entry {
    #[migrate(primary_key, identity)]
    id: i64,
    #[migrate(references = "users")]
    user_id: i64,
    #[migrate(default = "0", check = "points >= 0")]
    points: i64,
    #[migrate(unique)]
    rank: Option<i32>,
    label: String,
}
