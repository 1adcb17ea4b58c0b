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
//! **Memory.** See [`ContactTable`] for the layout. A tenant with more than
//! [`MAX_SUBJECTS`] subjects is not held: its lookups read the database as before.

use obereg_store::ContactPage;
use std::collections::HashMap;

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

type Hashed = std::hash::BuildHasherDefault<KeyHasher>;

/// A subject id as held: obereg's ids (32 lowercase hex digits) as their 16 bytes, no
/// allocation; any other text as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum HeldId {
    Bytes([u8; 16]),
    Text(Box<str>),
}

impl HeldId {
    fn of(id: &str) -> Self {
        let lower_hex = id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        let mut bytes = [0u8; 16];
        match lower_hex && hex::decode_to_slice(id, &mut bytes).is_ok() {
            true => HeldId::Bytes(bytes),
            false => HeldId::Text(id.into()),
        }
    }

    fn text(&self) -> String {
        match self {
            HeldId::Bytes(bytes) => {
                // Table-driven into a stack buffer: `hex::encode` goes char by char through an
                // iterator, which a pre-dial check answering a million contacts felt.
                let mut text = [0u8; 32];
                match hex::encode_to_slice(bytes, &mut text) {
                    Ok(()) => String::from_utf8_lossy(&text).into_owned(),
                    Err(_) => hex::encode(bytes),
                }
            }
            HeldId::Text(text) => text.to_string(),
        }
    }
}

impl std::hash::Hash for HeldId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        match self {
            // Random ids: eight of their bytes are the hash, as for `Key`.
            HeldId::Bytes(bytes) => {
                let mut first = [0u8; 8];
                first.copy_from_slice(&bytes[..8]);
                state.write_u64(u64::from_le_bytes(first));
            }
            HeldId::Text(text) => text.hash(state),
        }
    }
}

/// Marks a `by_blind` slot that names a list in `shared` rather than one subject.
const SHARED: u32 = 1 << 31;

/// The contact index of one tenant.
///
/// Laid out for a million subjects and more: each subject is one entry of `held` (its id
/// as 16 bytes, its standing and its blind indexes, no reference counting), and the blind
/// index map holds a 4-byte slot per value: the subject's place in `held`, or, for the rare
/// value several subjects share, with [`SHARED`] set, the place of their list in `shared`.
/// Freed places are reused.
#[derive(Debug, Default)]
pub(crate) struct ContactTable {
    categories: Vec<String>,
    kinds: Vec<String>,
    by_blind: HashMap<Key, u32, Hashed>,
    shared: Vec<Vec<u32>>,
    shared_free: Vec<u32>,
    held: Vec<Option<Held>>,
    held_free: Vec<u32>,
    subjects: HashMap<HeldId, u32, Hashed>,
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

/// What a lookup answers about a subject, kept small (kind by number, times as integers),
/// with the blind indexes it is held under.
#[derive(Debug)]
struct Held {
    id: HeldId,
    keys: Box<[Key]>,
    created_at: i64,
    restricted_at: Option<i64>,
    kind: u16,
    restricted: bool,
}

/// A subject found, as the vault reports it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Holder<'a> {
    pub id: String,
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

/// Puts `item` in a free place of `list` (or a new one) and returns the place.
fn place<T>(list: &mut Vec<T>, free: &mut Vec<u32>, item: T) -> u32 {
    match free.pop() {
        Some(at) => {
            list[at as usize] = item;
            at
        }
        None => {
            list.push(item);
            (list.len() - 1) as u32
        }
    }
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
        if self.held_free.is_empty() {
            self.held.reserve(subjects.len());
            self.subjects.reserve(subjects.len());
        }
        for record in subjects {
            self.remove(&record.id);
            if record.status == "erased" {
                continue;
            }
            let mut keys = Vec::new();
            for (category, blind) in values.remove(&record.id).unwrap_or_default() {
                let (Some(category), Ok(bytes)) = (number(&mut self.categories, &category), <[u8; 16]>::try_from(blind.as_slice())) else {
                    continue;
                };
                keys.push(Key(category, bytes));
            }
            let id = HeldId::of(&record.id);
            let slot = place(&mut self.held, &mut self.held_free, None);
            for key in &keys {
                self.hold(*key, slot);
            }
            self.held[slot as usize] = Some(Held {
                id: id.clone(),
                keys: keys.into_boxed_slice(),
                created_at: record.created_at,
                restricted_at: record.restricted_at,
                kind: number(&mut self.kinds, &record.kind).unwrap_or(u16::MAX),
                restricted: record.status == "restricted",
            });
            self.subjects.insert(id, slot);
        }
        if advance && let Some(last) = last {
            self.last = self.last.max(last);
        }
    }

    /// Records that the subject in `slot` holds `key`.
    fn hold(&mut self, key: Key, slot: u32) {
        match self.by_blind.get_mut(&key) {
            None => {
                self.by_blind.insert(key, slot);
            }
            Some(held) if *held & SHARED == 0 => {
                let list = place(&mut self.shared, &mut self.shared_free, vec![*held, slot]);
                *held = SHARED | list;
            }
            Some(held) => self.shared[(*held & !SHARED) as usize].push(slot),
        }
    }

    /// Drops a subject and its blind indexes.
    pub(crate) fn remove(&mut self, id: &str) {
        let Some(slot) = self.subjects.remove(&HeldId::of(id)) else { return };
        let Some(held) = self.held.get_mut(slot as usize).and_then(Option::take) else { return };
        self.held_free.push(slot);
        for key in held.keys.iter() {
            let Some(&at) = self.by_blind.get(key) else { continue };
            if at & SHARED == 0 {
                if at == slot {
                    self.by_blind.remove(key);
                }
                continue;
            }
            let list = &mut self.shared[(at & !SHARED) as usize];
            list.retain(|s| *s != slot);
            // Back to one holder (or none): the list's place is free again.
            if list.len() <= 1 {
                match list.pop() {
                    Some(one) => self.by_blind.insert(*key, one),
                    None => self.by_blind.remove(key),
                };
                self.shared_free.push(at & !SHARED);
            }
        }
    }

    /// The subjects (not erased) holding `blind` in `category`.
    #[cfg(test)]
    pub(crate) fn find(&self, category: &str, blind: &[u8]) -> Vec<Holder<'_>> {
        let mut found = Vec::new();
        self.each_holder(category, blind, |h| found.push(h));
        found
    }

    /// Hands `each` the subjects (not erased) holding `blind` in `category`, without
    /// collecting them (a pre-dial check asks this a million times).
    pub(crate) fn each_holder<'a>(&'a self, category: &str, blind: &[u8], mut each: impl FnMut(Holder<'a>)) {
        let Some(at) = self.categories.iter().position(|c| c == category).and_then(|at| u16::try_from(at).ok()) else { return };
        let Ok(bytes) = <[u8; 16]>::try_from(blind) else { return };
        let mut hand = |slot: u32| {
            if let Some(h) = self.held.get(slot as usize).and_then(Option::as_ref) {
                each(Holder {
                    id: h.id.text(),
                    kind: self.kinds.get(usize::from(h.kind)).map_or("", String::as_str),
                    restricted: h.restricted,
                    created_at: h.created_at,
                    restricted_at: h.restricted_at,
                });
            }
        };
        match self.by_blind.get(&Key(at, bytes)) {
            None => {}
            Some(&slot) if slot & SHARED == 0 => hand(slot),
            Some(&list) => self.shared[(list & !SHARED) as usize].iter().for_each(|&slot| hand(slot)),
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

    #[test]
    fn ids_are_held_as_bytes_and_a_shared_value_goes_back_to_one_holder() {
        let (a, b) = ("0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210");
        let upper = "0123456789ABCDEF0123456789ABCDEF";
        assert!(matches!(HeldId::of(a), HeldId::Bytes(_)));
        assert!(matches!(HeldId::of(upper), HeldId::Text(_)), "only what hex::encode gives back is held as bytes");
        assert_eq!(HeldId::of(a).text(), a);
        assert_eq!(HeldId::of(upper).text(), upper);
        let mut table = ContactTable::new();
        table.apply(
            page(&[(a, "active", &[("phone", 1)]), (b, "active", &[("phone", 1)]), (upper, "active", &[("phone", 1), ("email", 2)])], 3),
            true,
        );
        assert_eq!(ids(&table, "phone", 1), [upper, a, b]);
        table.remove(a);
        assert_eq!(ids(&table, "phone", 1), [upper, b]);
        table.remove(b);
        assert_eq!(ids(&table, "phone", 1), [upper]);
        let key = Key(0, [1; 16]);
        assert_eq!(table.by_blind[&key] & SHARED, 0, "one holder again: no list");
        assert_eq!(table.shared_free.len(), 1);
        table.remove(upper);
        assert!(ids(&table, "phone", 1).is_empty() && ids(&table, "email", 2).is_empty());
        assert!(table.by_blind.is_empty());
        assert_eq!(table.len(), 0);
        // Freed places are used again, the list's too.
        table.apply(page(&[(a, "active", &[("phone", 1)]), (b, "active", &[("phone", 1)])], 4), true);
        assert_eq!(table.held.len(), 3);
        assert_eq!(table.shared.len(), 1);
        assert_eq!(ids(&table, "phone", 1), [a, b]);
    }
}
