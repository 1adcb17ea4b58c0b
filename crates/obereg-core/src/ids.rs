//! Identifier rules shared by tenants and catalog entries.

/// Whether `id` is a valid tenant id: 1–63 characters, lowercase ASCII letters, digits and
/// `-`, starting with a letter. Tenant ids appear in URLs and file names, so they stay plain.
pub fn is_valid_tenant_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some('a'..='z')) && id.len() <= 63 && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '-'))
}

/// Whether `id` is a valid catalog id (category, purpose, role …): 1–64 characters of
/// lowercase ASCII letters, digits, `_`, `-` and `.`, starting with a letter. Dots group ids
/// (`contact.phone`); the id is what the API, the journal and documents refer to.
pub fn is_valid_catalog_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some('a'..='z')) && id.len() <= 64 && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_' | '-' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_ids() {
        assert!(is_valid_tenant_id("default"));
        assert!(is_valid_tenant_id("acme-2"));
        for bad in ["", "Default", "2acme", "acme_x", "a/b", &"a".repeat(64)] {
            assert!(!is_valid_tenant_id(bad), "{bad}");
        }
    }

    #[test]
    fn catalog_ids() {
        assert!(is_valid_catalog_id("contact.phone"));
        assert!(is_valid_catalog_id("robot_calls-2"));
        for bad in ["", "Contact", ".x", "телефон", "a b", &"a".repeat(65)] {
            assert!(!is_valid_catalog_id(bad), "{bad}");
        }
    }
}
