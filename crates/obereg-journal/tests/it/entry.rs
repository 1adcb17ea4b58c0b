//! The entry encoding: fixed field order, position prefix, and drafts that refuse free text.

use obereg_journal::{Actor, Entry, EntryDraft, Outcome};

fn draft() -> EntryDraft {
    EntryDraft {
        time: jiff::Timestamp::from_microsecond(1_790_000_000_123_456).unwrap(),
        tenant: "default".into(),
        actor: Actor::Token { token: "0193a1b2-0000-7000-8000-000000000001".into(), role: "admin".into() },
        operation: "token.issued".into(),
        purpose: None,
        subject: None,
        subjects: vec![],
        categories: vec![],
        object: Some("token:0193a1b2-0000-7000-8000-000000000002".into()),
        request: Some("req-1".into()),
        outcome: Outcome::Ok,
    }
}

#[test]
fn encoding_is_one_compact_line_in_a_fixed_order() {
    let entry = draft().seal(41, Some(3));
    let text = String::from_utf8(entry.encode()).unwrap();
    assert_eq!(
        text,
        "{\"v\":1,\"index\":41,\"time\":\"2026-09-21T14:13:20.123456Z\",\"tenant\":\"default\",\
         \"actor\":{\"kind\":\"token\",\"token\":\"0193a1b2-0000-7000-8000-000000000001\",\"role\":\"admin\"},\
         \"operation\":\"token.issued\",\"purpose\":null,\"subject\":null,\"categories\":[],\
         \"object\":\"token:0193a1b2-0000-7000-8000-000000000002\",\"request\":\"req-1\",\"outcome\":\"ok\",\"catalog_version\":3}"
    );
    assert!(text.starts_with(&Entry::prefix(41)));
    assert!(Entry::is_at(text.as_bytes(), 41));
    for (other, at) in [(4, false), (410, false), (41, true)] {
        assert_eq!(Entry::is_at(text.as_bytes(), other), at, "{other}");
    }
    assert!(Entry::is_at(b"{\"v\":1,\"index\":0,", 0));
    assert!(!Entry::is_at(b"{\"v\":1,\"index\":0", 0));
    assert!(!Entry::is_at(b"{\"v\":2,\"index\":0,", 0));
    assert_eq!(Entry::decode(text.as_bytes()).unwrap(), entry);
}

#[test]
fn several_subjects_are_encoded_after_subject_and_only_when_there_are_any() {
    let mut d = draft();
    d.subjects = vec!["s1".into(), "s2".into()];
    d.validate().unwrap();
    let entry = d.seal(7, None);
    let text = String::from_utf8(entry.encode()).unwrap();
    assert!(text.contains("\"subject\":null,\"subjects\":[\"s1\",\"s2\"],\"categories\":[]"), "{text}");
    assert_eq!(Entry::decode(text.as_bytes()).unwrap(), entry);
    // An entry written before the field existed decodes, and encodes to the same bytes
    // (its leaf hash is unchanged).
    let old = String::from_utf8(draft().seal(8, None).encode()).unwrap();
    assert!(!old.contains("subjects"));
    assert_eq!(Entry::decode(old.as_bytes()).unwrap().encode(), old.as_bytes());
}

#[test]
fn drafts_with_free_text_are_refused() {
    assert!(draft().validate().is_ok());
    type Mutation = Box<dyn Fn(&mut EntryDraft)>;
    let cases: Vec<(&str, Mutation)> = vec![
        ("purpose", Box::new(|d| d.purpose = Some("звонки Иванову".into()))),
        ("subject", Box::new(|d| d.subject = Some("+7 999 123-45-67".into()))),
        ("object", Box::new(|d| d.object = Some("ivan@example.com is here".into()))),
        ("request", Box::new(|d| d.request = Some("a\nb".into()))),
        ("operation", Box::new(|d| d.operation = String::new())),
        ("categories", Box::new(|d| d.categories = vec!["contact phone".into()])),
        ("categories", Box::new(|d| d.categories = (0..65).map(|i| format!("c{i}")).collect())),
        ("actor.role", Box::new(|d| d.actor = Actor::Token { token: "t".into(), role: "Ivan Petrov".into() })),
        ("tenant", Box::new(|d| d.tenant = "x".repeat(121))),
        ("subjects", Box::new(|d| d.subjects = vec!["s1".into(), "Иван".into()])),
        ("subjects", Box::new(|d| d.subjects = (0..1001).map(|i| format!("s{i}")).collect())),
        (
            "subjects",
            Box::new(|d| {
                d.subject = Some("s1".into());
                d.subjects = vec!["s2".into(), "s3".into()];
            }),
        ),
    ];
    for (field, mutate) in cases {
        let mut d = draft();
        mutate(&mut d);
        assert_eq!(d.validate().unwrap_err().0, field);
    }
}

#[test]
fn non_token_actors_encode_as_their_kind() {
    for (actor, json) in
        [(Actor::Operator, "{\"kind\":\"operator\"}"), (Actor::Subject, "{\"kind\":\"subject\"}"), (Actor::System, "{\"kind\":\"system\"}")]
    {
        assert_eq!(serde_json::to_string(&actor).unwrap(), json);
    }
}

fn collection(subject: &str, purpose: &str, at: i64) -> EntryDraft {
    EntryDraft {
        time: jiff::Timestamp::from_microsecond(1_790_000_000_000_000 + at).unwrap(),
        actor: Actor::Operator,
        operation: "collection".into(),
        purpose: Some(purpose.into()),
        subject: Some(subject.into()),
        categories: vec!["contact.email".into(), "contact.phone".into()],
        object: None,
        request: None,
        ..draft()
    }
}

#[test]
fn drafts_saying_the_same_about_one_subject_each_are_gathered_into_entries_naming_several() {
    use obereg_journal::entry::MAX_ENTRY_SUBJECTS;
    let mut drafts = Vec::new();
    // 1,500 subjects for one purpose (two entries), 2 for another, one of them named twice,
    // a subject-less draft and one already naming several, which pass through as they are.
    for n in (0..1500).rev() {
        drafts.push(collection(&format!("s{n:05}"), "account", n));
    }
    drafts.push(draft());
    drafts.push(collection("s00007", "marketing", 5));
    drafts.push(collection("s00003", "marketing", 9));
    drafts.push(collection("s00007", "marketing", 11));
    let several = EntryDraft { subjects: vec!["a1".into(), "b2".into()], operation: "use".into(), ..draft() };
    drafts.push(several.clone());
    let mut other_categories = collection("s00001", "account", 3);
    other_categories.categories = vec!["contact.email".into()];
    drafts.push(other_categories.clone());

    let gathered = obereg_journal::gather_by_subject(drafts);
    assert_eq!(gathered.len(), 6, "{gathered:#?}");
    let (first, second) = (&gathered[0], &gathered[1]);
    assert_eq!(first.subjects.len(), MAX_ENTRY_SUBJECTS);
    assert_eq!(second.subjects.len(), 500);
    let all: Vec<&String> = first.subjects.iter().chain(&second.subjects).collect();
    assert!(all.windows(2).all(|w| w[0] < w[1]), "sorted, no repeats");
    assert_eq!(all[0], "s00000");
    assert_eq!(all[1499], "s01499");
    for g in [first, second] {
        assert_eq!(g.subject, None);
        assert_eq!((g.operation.as_str(), g.purpose.as_deref()), ("collection", Some("account")));
        assert_eq!(g.categories, ["contact.email", "contact.phone"]);
        assert!(g.validate().is_ok());
    }
    // The latest time of the drafts each entry replaces.
    assert_eq!(first.time, collection("", "", 999).time);
    assert_eq!(second.time, collection("", "", 1499).time);
    assert_eq!(gathered[2], draft());
    let marketing = &gathered[3];
    assert_eq!(marketing.subjects, ["s00003", "s00007"]);
    assert_eq!(marketing.time, collection("", "", 11).time);
    assert_eq!(gathered[4], several);
    // A group of one stays a one-subject draft.
    assert_eq!(gathered[5], other_categories);
}
