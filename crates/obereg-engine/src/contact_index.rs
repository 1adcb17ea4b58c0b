//! The contact index: which subjects hold a searchable value (phone, email), by blind index,
//! in memory, so a lookup or a pre-dial check asks the database nothing but the freshness
//! probe it shares with decisions.
//!
//! Why: a pre-dial check of a million numbers read a million blind indexes from SQLite,
//! each row handed from the database thread to the caller — about 5 µs a contact, more
//! than everything else together. In memory the same answer costs a hash lookup.
//!
//! **Exactness.** The index of a tenant is kept with the decision index (`decision_index`)
//! and answers only after a freshness probe that started after the caller arrived. The
//! change feed tells it what moved: every write that adds, changes or removes a subject's
//! searchable values, or its standing, stamps the subject (`subject` changes: the subject is
//! read again before the next answer), and every creation of subjects stamps `contacts/new`
//! (subjects numbered past the last one read are read). A tenant's subjects are numbered in
//! commit order, so "past the last one read" misses none. What the feed says changed is
//! read from the database after the probe, so it is at least as new as the caller.
//!
//! **Memory.** About 250 bytes a subject with two searchable values. A tenant with more
//! than [`MAX_SUBJECTS`] subjects is not held: its lookups read the database as before.

use std::collections::HashMap;
use std::sync::Arc;

use obereg_store::ContactPage;

/// Most subjects held per tenant; past it the tenant's lookups read the database.
pub(crate) const MAX_SUBJECTS: usize = 5_000_000;

/// Subjects read per page while a tenant's index is built or catches up.
pub(crate) const PAGE: u32 = 50_000;

/// A blind index as held: the category's number in `categories` and the 16 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key(u16, [u8; 16]);

impl std::hash::Hash for Key {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // Blind indexes are HMAC outputs, uniform already: eight of their bytes are the hash.
        let mut first = [0u8; 8];
        first.copy_from_slice(&self.1[..8]);
        state.write_u64(u64::from_le_bytes(first) ^ u64::from(self.0));
    }
}

/// Takes the one `u64` a [`Key`] writes as the hash (see `Key::hash`).
#[derive(Debug, Default, Clone, Copy)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }

    fn write(&mut self, bytes: &[u8]) {
        // Not reached through `Key`; a plain FNV-1a keeps the hasher total.
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

type ByBlind = HashMap<Key, Holders, std::hash::BuildHasherDefault<KeyHasher>>;

/// The contact index of one tenant.
#[derive(Debug, Default)]
pub(crate) struct ContactTable {
    categories: Vec<String>,
    kinds: Vec<String>,
    by_blind: ByBlind,
    subjects: HashMap<Box<str>, (Arc<Held>, Vec<Key>)>,
    /// The position of the last subject read by number (`ContactPage::last`); `-1` at first.
    pub last: i64,
    /// Subjects the feed said changed, to read again before the next answer, each with the
    /// mark of the probe that said so (a reading that began before a later mark is not
    /// enough for it).
    pub stale: HashMap<String, u64>,
    /// Marks handed out by probes that saw subjects created; `read_new` is the one the last
    /// completed reading by number began after.
    pub marks: u64,
    pub read_new: u64,
}

/// The subjects holding one blind index: almost always one.
#[derive(Debug, Clone)]
enum Holders {
    One(Arc<Held>),
    Many(Vec<Arc<Held>>),
}

/// What a lookup answers about a subject, kept small (kind by number, times as integers).
#[derive(Debug)]
struct Held {
    id: Box<str>,
    kind: u16,
    restricted: bool,
    created_at: i64,
    restricted_at: Option<i64>,
}

/// A subject found, as the vault reports it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Holder<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    pub restricted: bool,
    pub created_at: i64,
    pub restricted_at: Option<i64>,
}

fn number(names: &mut Vec<String>, name: &str) -> Option<u16> {
    if let Some(at) = names.iter().position(|c| c == name) {
        return u16::try_from(at).ok();
    }
    let at = u16::try_from(names.len()).ok()?;
    names.push(name.to_owned());
    Some(at)
}

impl ContactTable {
    /// An empty table that reads every subject from the start.
    pub(crate) fn new() -> Self {
        Self { last: -1, marks: 1, read_new: 0, ..Self::default() }
    }

    /// Whether the table must read something before it may answer.
    pub(crate) fn behind(&self) -> bool {
        self.read_new != self.marks || !self.stale.is_empty()
    }

    /// A probe saw `id` change.
    pub(crate) fn mark_stale(&mut self, id: &str) {
        self.marks += 1;
        self.stale.insert(id.to_owned(), self.marks);
    }

    /// A probe saw subjects created.
    pub(crate) fn mark_new(&mut self) {
        self.marks += 1;
    }

    /// What a catch-up must read: the stale subjects with their marks, where reading by
    /// number resumes, and the mark it answers for.
    pub(crate) fn pending(&self) -> (Vec<(String, u64)>, i64, u64) {
        (self.stale.iter().map(|(id, m)| (id.clone(), *m)).collect(), self.last, self.marks)
    }

    /// A catch-up that began at `pending` has read all it asked: stale marks it covered go,
    /// and reading by number counts as done up to `marks`.
    pub(crate) fn caught_up(&mut self, stale: &[(String, u64)], marks: u64) {
        for (id, mark) in stale {
            if self.stale.get(id) == Some(mark) {
                self.stale.remove(id);
            }
        }
        self.read_new = self.read_new.max(marks);
    }

    /// How many subjects it holds.
    pub(crate) fn len(&self) -> usize {
        self.subjects.len()
    }

    /// Takes in what a page read: each subject replaces what was held of it (an erased
    /// one is dropped). `advance` moves `last` (pages read by number do; re-reads don't).
    pub(crate) fn apply(&mut self, page: ContactPage, advance: bool) {
        let ContactPage { subjects, blinds, last } = page;
        let mut values: HashMap<String, Vec<(String, Vec<u8>)>> = HashMap::new();
        for (id, category, blind) in blinds {
            values.entry(id).or_default().push((category, blind));
        }
        for record in subjects {
            self.remove(&record.id);
            if record.status == "erased" {
                continue;
            }
            let held = Arc::new(Held {
                id: record.id.as_str().into(),
                kind: number(&mut self.kinds, &record.kind).unwrap_or(u16::MAX),
                restricted: record.status == "restricted",
                created_at: record.created_at,
                restricted_at: record.restricted_at,
            });
            let mut keys = Vec::new();
            for (category, blind) in values.remove(&record.id).unwrap_or_default() {
                let (Some(category), Ok(bytes)) = (number(&mut self.categories, &category), <[u8; 16]>::try_from(blind.as_slice())) else {
                    continue;
                };
                let key = Key(category, bytes);
                keys.push(key);
                match self.by_blind.get_mut(&key) {
                    None => {
                        self.by_blind.insert(key, Holders::One(held.clone()));
                    }
                    Some(Holders::One(other)) => {
                        let other = other.clone();
                        self.by_blind.insert(key, Holders::Many(vec![other, held.clone()]));
                    }
                    Some(Holders::Many(list)) => list.push(held.clone()),
                }
            }
            self.subjects.insert(record.id.into_boxed_str(), (held, keys));
        }
        if advance && let Some(last) = last {
            self.last = self.last.max(last);
        }
    }

    /// Drops a subject and its blind indexes.
    pub(crate) fn remove(&mut self, id: &str) {
        let Some((held, keys)) = self.subjects.remove(id) else { return };
        for key in keys {
            let empty = match self.by_blind.get_mut(&key) {
                Some(Holders::One(_)) | None => true,
                Some(Holders::Many(list)) => {
                    list.retain(|h| !Arc::ptr_eq(h, &held));
                    list.is_empty()
                }
            };
            if empty {
                self.by_blind.remove(&key);
            }
        }
    }

    /// The subjects (not erased) holding `blind` in `category`.
    pub(crate) fn find<'a>(&'a self, category: &str, blind: &[u8]) -> Vec<Holder<'a>> {
        let Some(at) = self.categories.iter().position(|c| c == category).and_then(|at| u16::try_from(at).ok()) else {
            return Vec::new();
        };
        let Ok(bytes) = <[u8; 16]>::try_from(blind) else { return Vec::new() };
        let holder = |h: &'a Arc<Held>| Holder {
            id: &h.id,
            kind: self.kinds.get(usize::from(h.kind)).map_or("", String::as_str),
            restricted: h.restricted,
            created_at: h.created_at,
            restricted_at: h.restricted_at,
        };
        match self.by_blind.get(&Key(at, bytes)) {
            None => Vec::new(),
            Some(Holders::One(h)) => vec![holder(h)],
            Some(Holders::Many(list)) => list.iter().map(holder).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use obereg_store::SubjectRecord;

    use super::*;

    fn subject(id: &str, status: &str) -> SubjectRecord {
        SubjectRecord {
            tenant_id: "t".into(),
            id: id.into(),
            kind: "customer".into(),
            status: status.into(),
            created_at: 0,
            updated_at: 0,
            restricted_at: None,
            erased_at: None,
        }
    }

    /// A subject's id, status and searchable values (category, the byte its blind repeats).
    type Row<'a> = (&'a str, &'a str, &'a [(&'a str, u8)]);

    fn page(subjects: &[Row<'_>], last: i64) -> ContactPage {
        ContactPage {
            subjects: subjects.iter().map(|(id, status, _)| subject(id, status)).collect(),
            blinds: subjects
                .iter()
                .flat_map(|(id, _, values)| values.iter().map(move |(c, b)| ((*id).to_owned(), (*c).to_owned(), vec![*b; 16])))
                .collect(),
            last: Some(last),
        }
    }

    fn ids(table: &ContactTable, category: &str, b: u8) -> Vec<String> {
        let mut ids: Vec<String> = table.find(category, &[b; 16]).into_iter().map(|s| s.id.to_owned()).collect();
        ids.sort();
        ids
    }

    #[test]
    fn values_are_found_by_category_and_follow_every_change() {
        let mut table = ContactTable::new();
        assert!(table.behind());
        let (stale, from, marks) = table.pending();
        assert_eq!((stale.len(), from), (0, -1));
        table.apply(page(&[("a", "active", &[("phone", 1), ("email", 2)]), ("b", "active", &[("phone", 1)])], 7), true);
        table.caught_up(&stale, marks);
        assert!(!table.behind());
        assert_eq!(table.last, 7);
        assert_eq!(ids(&table, "phone", 1), ["a", "b"], "a shared number");
        assert_eq!(ids(&table, "email", 2), ["a"]);
        assert!(ids(&table, "email", 1).is_empty(), "same bytes, other category");
        assert!(ids(&table, "fax", 1).is_empty());
        // Re-read: `a` changed its phone and `b` was erased; a re-read does not move `last`.
        table.mark_stale("a");
        table.mark_stale("b");
        let (stale, _, marks) = table.pending();
        // A probe marks `b` again while the re-read runs: one more re-read is owed.
        table.mark_stale("b");
        table.apply(page(&[("a", "active", &[("phone", 3), ("email", 2)]), ("b", "erased", &[])], 99), false);
        table.caught_up(&stale, marks);
        assert!(table.behind());
        assert_eq!(table.stale.keys().collect::<Vec<_>>(), ["b"]);
        let (stale, _, marks) = table.pending();
        table.caught_up(&stale, marks);
        assert!(!table.behind());
        // Subjects created while a reading by number runs are owed a reading too.
        table.mark_new();
        let (stale, _, marks) = table.pending();
        table.mark_new();
        table.caught_up(&stale, marks);
        assert!(table.behind());
        let (stale, _, marks) = table.pending();
        table.caught_up(&stale, marks);
        assert_eq!(table.last, 7);
        assert!(ids(&table, "phone", 1).is_empty());
        assert_eq!(ids(&table, "phone", 3), ["a"]);
        assert_eq!(table.len(), 1);
        // Restricted subjects stay findable, with their standing.
        table.apply(page(&[("a", "restricted", &[("phone", 3)])], 8), true);
        assert!(table.find("phone", &[3; 16])[0].restricted);
        assert!(ids(&table, "email", 2).is_empty());
        assert_eq!(table.last, 8);
        // A malformed blind (not 16 bytes) is never held nor found.
        let mut odd = page(&[("c", "active", &[])], 9);
        odd.blinds.push(("c".into(), "phone".into(), vec![5; 3]));
        table.apply(odd, true);
        assert!(table.find("phone", &[5; 3]).is_empty());
        assert_eq!(table.len(), 2);
    }
}
