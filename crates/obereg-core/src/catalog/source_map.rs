//! Maps a path in the catalog document back to its place in the TOML source.
//!
//! The typed model carries no spans (that keeps it clean for the rest of obereg), so after the
//! rules run we parse the source once more into toml's spanned tree and walk each finding's
//! path, stopping at the deepest node that exists. A finding about a missing field therefore
//! points at the table that lacks it.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::diagnostic::{DocPath, PathSeg, Position};

/// A parsed, spanned view of one catalog source.
pub struct SourceMap<'s> {
    source: &'s str,
    root: Option<Spanned<DeTable<'s>>>,
}

impl std::fmt::Debug for SourceMap<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceMap").field("len", &self.source.len()).finish()
    }
}

impl<'s> SourceMap<'s> {
    pub fn new(source: &'s str) -> Self {
        Self { source, root: DeTable::parse(source).ok() }
    }

    /// The source position of `path`, or of its deepest existing ancestor.
    pub fn position(&self, path: &DocPath) -> Option<Position> {
        let root = self.root.as_ref()?;
        let mut span = None;
        let mut table: Option<&DeTable<'s>> = Some(root.get_ref());
        let mut array: Option<&[Spanned<DeValue<'s>>]> = None;
        for seg in &path.0 {
            let next = match (seg, table, array) {
                (PathSeg::Key(k), Some(t), _) => t.iter().find(|(key, _)| key.get_ref().as_ref() == k.as_str()).map(|(_, v)| v),
                (PathSeg::Index(i), _, Some(a)) => a.get(*i),
                _ => None,
            };
            let Some(value) = next else { break };
            span = Some(value.span());
            table = None;
            array = None;
            match value.get_ref() {
                DeValue::Table(t) => table = Some(t),
                DeValue::Array(a) => array = Some(a),
                _ => {}
            }
        }
        Some(Position::of_offset(self.source, span.unwrap_or(0..0).start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_keys_and_array_entries() {
        let src = "format = 1\n[[purposes]]\nid = \"a\"\n[[purposes]]\nid = \"b\"\nretention = { period = \"P1Y\" }\n";
        let map = SourceMap::new(src);
        let p = DocPath::root().key("purposes").index(1).key("retention").key("period");
        assert_eq!(map.position(&p).unwrap().line, 6);
        let missing = DocPath::root().key("purposes").index(0).key("basis");
        let pos = map.position(&missing).unwrap();
        assert!(pos.line == 2 || pos.line == 3, "{pos:?}");
        assert_eq!(map.position(&DocPath::root().key("format")).unwrap(), Position { line: 1, column: 10 });
    }
}
