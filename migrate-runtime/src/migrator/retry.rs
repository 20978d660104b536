//! Which failures a retry can cure.

/// SQLSTATE `55P03` (lock_not_available: a `lock_timeout` fired) and `40P01`
/// (deadlock_detected): the statement was refused for waiting on somebody else's lock, and
/// ran nothing that stays.
pub(crate) fn is_retryable(error: &sqlx::Error) -> bool {
    matches!(sqlstate(error).as_deref(), Some("55P03") | Some("40P01"))
}

/// The error's SQLSTATE, for a database error.
pub(crate) fn sqlstate(error: &sqlx::Error) -> Option<String> {
    match error {
        sqlx::Error::Database(e) => e.code().map(|c| c.into_owned()),
        _ => None,
    }
}
