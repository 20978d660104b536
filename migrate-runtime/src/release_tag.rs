//! The `application_name` a release-bound binary connects with, and how the runner reads it
//! back from `pg_stat_activity`.
//!
//! The tag comes first (`migrate:r4 shop`) because PostgreSQL cuts `application_name` at 63
//! bytes: a long label may be cut, the release never is.

/// What every tag starts with.
pub const PREFIX: &str = "migrate:r";

/// The longest label kept (the rest is cut), so a tag always fits in 63 bytes.
pub const MAX_LABEL: usize = 40;

/// A POSIX regular expression matching a tag; its one group is the release number.
pub const PATTERN: &str = "^migrate:r([0-9]+)( |$)";

/// The `application_name` of a binary bound to `release`: `migrate:r<release>`, then a space
/// and the label, if any. The label keeps only ASCII letters, digits and `_.-:/@` (PostgreSQL
/// would turn other bytes into `?`), at most [`MAX_LABEL`] of them.
pub fn tag(release: u32, label: &str) -> String {
    let label: String = label
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "_.-:/@".contains(*c))
        .take(MAX_LABEL)
        .collect();
    if label.is_empty() {
        format!("{PREFIX}{release}")
    } else {
        format!("{PREFIX}{release} {label}")
    }
}

/// The release a tag names, if `application_name` is one.
pub fn release_of(application_name: &str) -> Option<u32> {
    let rest = application_name.strip_prefix(PREFIX)?;
    let digits = rest.split(' ').next()?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::{release_of, tag};

    #[test]
    fn a_tag_names_its_release_and_fits_in_63_bytes() {
        assert_eq!(tag(4, "shop"), "migrate:r4 shop");
        assert_eq!(tag(12, ""), "migrate:r12");
        assert_eq!(tag(3, "a b'c\u{e9}\n"), "migrate:r3 abc");
        let long = tag(u32::MAX, &"x".repeat(200));
        assert!(long.len() <= 63, "{long}");
        for t in [tag(4, "shop"), tag(12, ""), long] {
            assert!(release_of(&t).is_some(), "{t}");
        }
        assert_eq!(release_of("migrate:r4 shop"), Some(4));
        assert_eq!(release_of("migrate:r"), None);
        assert_eq!(release_of("migrate:r4x"), None);
        assert_eq!(release_of("psql"), None);
    }
}
