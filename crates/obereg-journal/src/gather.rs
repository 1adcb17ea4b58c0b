//! Gathering entries that differ only in their subject into entries naming several.
//!
//! A bulk import collects the same categories for the same purpose from tens of thousands
//! of subjects at once. Journaled one entry per subject, the journal grew by ~450 bytes and
//! one random by-subject index row per subject, inside the import's transaction: about a
//! quarter of the import's time at a million subjects (docs/benchmarks.md). Gathered, one
//! entry names up to [`MAX_ENTRY_SUBJECTS`] subjects and says the same thing about each of
//! them: who did it, which operation, for which purpose, which categories, with which
//! outcome. The store indexes such entries by subject behind the appends, so each subject's
//! history still lists it.
//!
//! Only drafts that name exactly one subject are gathered; every other draft passes through
//! unchanged. A gathered entry carries the latest time of the drafts it replaces: the
//! operation is done when the last of them is (they are written in one transaction).

use std::collections::HashMap;

use crate::entry::{Actor, EntryDraft, MAX_ENTRY_SUBJECTS, Outcome};

/// Everything of a draft but its subject and time: drafts equal in this say the same.
#[derive(PartialEq, Eq, Hash)]
struct Said<'a> {
    tenant: &'a str,
    actor: &'a Actor,
    operation: &'a str,
    purpose: Option<&'a str>,
    categories: &'a [String],
    object: Option<&'a str>,
    request: Option<&'a str>,
    outcome: Outcome,
}

impl<'a> Said<'a> {
    fn of(draft: &'a EntryDraft) -> Self {
        Said {
            tenant: &draft.tenant,
            actor: &draft.actor,
            operation: &draft.operation,
            purpose: draft.purpose.as_deref(),
            categories: &draft.categories,
            object: draft.object.as_deref(),
            request: draft.request.as_deref(),
            outcome: draft.outcome,
        }
    }
}

/// Replaces drafts that say the same about one subject each by drafts naming up to
/// [`MAX_ENTRY_SUBJECTS`] subjects (sorted, without repeats), in the order each group first
/// appears; a group of one stays a one-subject draft.
pub fn gather_by_subject(drafts: Vec<EntryDraft>) -> Vec<EntryDraft> {
    // Group by what the draft says; a group holds the positions of its drafts.
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut order: Vec<Result<usize, usize>> = Vec::new();
    {
        let mut by_said: HashMap<Said<'_>, usize> = HashMap::new();
        for (at, draft) in drafts.iter().enumerate() {
            if draft.subject.is_none() || !draft.subjects.is_empty() {
                order.push(Err(at));
                continue;
            }
            let group = *by_said.entry(Said::of(draft)).or_insert_with(|| {
                groups.push(Vec::new());
                order.push(Ok(groups.len() - 1));
                groups.len() - 1
            });
            groups[group].push(at);
        }
    }
    let mut drafts: Vec<Option<EntryDraft>> = drafts.into_iter().map(Some).collect();
    let mut out = Vec::with_capacity(order.len());
    for place in order {
        let members = match place {
            Err(at) => {
                out.extend(drafts[at].take());
                continue;
            }
            Ok(group) => std::mem::take(&mut groups[group]),
        };
        let mut members: Vec<EntryDraft> = members.into_iter().filter_map(|at| drafts[at].take()).collect();
        members.sort_by(|a, b| a.subject.cmp(&b.subject));
        // A subject named twice in a group is named once, at the later time.
        members.dedup_by(|later, kept| {
            let same = later.subject == kept.subject;
            if same {
                kept.time = kept.time.max(later.time);
            }
            same
        });
        for part in members.chunks_mut(MAX_ENTRY_SUBJECTS) {
            let time = part.iter().map(|d| d.time).max();
            let subjects: Vec<String> = part.iter_mut().filter_map(|d| d.subject.take()).collect();
            let Some(mut gathered) = part.first().cloned() else { continue };
            if let Some(time) = time {
                gathered.time = time;
            }
            if subjects.len() == 1 {
                gathered.subject = subjects.into_iter().next();
            } else {
                gathered.subjects = subjects;
            }
            out.push(gathered);
        }
    }
    out
}
