//! The privacy policy (152-FZ art. 18.1): every purpose with its subjects, data, basis,
//! operations, recipients, storage and retention; the recipients and cross-border
//! transfers; the subject's rights, their terms and how to use them; cookies; the security
//! measures obereg itself implements; contacts.

use crate::catalog::{Catalog, CookieKind, Jurisdiction, RecipientKind};
use crate::consent::document::{operations, recipients, storage};
use crate::text::Lang;

use super::{Doc, bases, local, on_consent, retention};

/// The policy in `lang`.
pub(super) fn policy(catalog: &Catalog, lang: Lang) -> Doc {
    let ru = lang == Lang::Ru;
    let pick = |en: &str, ru_text: &str| if ru { ru_text.to_owned() } else { en.to_owned() };
    let o = &catalog.operator;
    let name = local(&o.legal_name, lang);
    let mut d = Doc::new(pick("Personal data processing policy", "Политика в отношении обработки персональных данных"), lang);
    d.para(format!(
        "{} {name}. {} {}, {} {}.",
        pick("Operator:", "Оператор:"),
        pick("Version", "Редакция"),
        catalog.documents.policy_version,
        pick("in force from", "действует с"),
        catalog.documents.effective_date.0
    ));

    d.heading(pick("1. General provisions", "1. Общие положения"));
    d.para(pick(
        "This policy sets out how the operator processes personal data and protects it, and is published under 152-FZ art. 18.1 p.2 with unrestricted access. It covers all personal data the operator processes for the purposes below, with and without automation.",
        "Настоящая политика определяет порядок обработки и защиты персональных данных оператором и опубликована в соответствии с ч. 2 ст. 18.1 Федерального закона № 152-ФЗ с неограниченным доступом. Она распространяется на все персональные данные, которые оператор обрабатывает для целей, указанных ниже, с использованием средств автоматизации и без них.",
    ));
    let mut identity = vec![format!("{}: {}", pick("Address", "Адрес"), o.address)];
    if let Some(inn) = &o.inn {
        identity.push(format!("{}: {inn}", pick("INN", "ИНН")));
    }
    if let Some(ogrn) = &o.ogrn {
        identity.push(format!("{}: {ogrn}", pick("OGRN", "ОГРН")));
    }
    if let Some(n) = &o.rkn_registry_number {
        identity.push(format!(
            "{}: {n}",
            pick("Entry in the RKN register of operators", "Регистрационный номер в реестре операторов Роскомнадзора")
        ));
    }
    d.list(identity);
    if o.jurisdictions.contains(&Jurisdiction::EuGdpr) {
        d.para(pick(
            "For data subjects in the European Union the operator also applies Regulation (EU) 2016/679 (GDPR).",
            "В отношении субъектов в Европейском союзе оператор также применяет Регламент (ЕС) 2016/679 (GDPR).",
        ));
    }

    for (n, p) in catalog.purposes.iter().enumerate() {
        d.heading(format!("2.{} {}: {}", n + 1, pick("Purpose", "Цель"), local(&p.name, lang)));
        if let Some(desc) = &p.description {
            d.para(local(desc, lang));
        }
        let kinds: Vec<String> =
            catalog.subject_kinds.iter().filter(|k| p.subject_kinds.contains(&k.id)).map(|k| local(&k.name, lang)).collect();
        let cats = |ids: &[String]| -> String {
            let names: Vec<String> = catalog.categories.iter().filter(|c| ids.contains(&c.id)).map(|c| local(&c.name, lang)).collect();
            if names.is_empty() { "—".into() } else { names.join(", ") }
        };
        let ops: Vec<String> = operations(&[p]).iter().map(|op| op.label().get(lang).to_owned()).collect();
        let recips: Vec<String> = recipients(catalog, &[p]).iter().map(|r| local(&r.name, lang)).collect();
        let (places, _) = storage(catalog, &[p]);
        let mut lines = vec![
            format!("{}: {}", pick("Data subjects", "Категории субъектов"), if kinds.is_empty() { "—".into() } else { kinds.join(", ") }),
            format!("{}: {}", pick("Data required", "Обрабатываемые данные (обязательные)"), cats(&p.required_categories)),
            format!("{}: {}", pick("Data given at will", "Данные, предоставляемые по желанию"), cats(&p.optional_categories)),
            format!("{}: {}", pick("Legal basis", "Правовое основание"), bases(p, lang)),
            format!("{}: {}", pick("Operations", "Действия с данными"), ops.join(", ")),
            format!(
                "{}: {}",
                pick("Recipients and processors", "Получатели и лица, действующие по поручению"),
                if recips.is_empty() { "—".into() } else { recips.join(", ") }
            ),
            format!("{}: {}", pick("Where kept", "Место хранения"), if places.is_empty() { "—".into() } else { places.join("; ") }),
            format!("{}: {}", pick("Retention", "Срок хранения"), retention(p, lang)),
        ];
        if p.marketing {
            lines.push(pick(
                "Advertising is sent only with prior consent for each channel and stops at once when the subject asks (38-FZ art. 18, 152-FZ art. 15).",
                "Реклама направляется только с предварительного согласия на каждый канал связи и прекращается немедленно по требованию субъекта (ст. 18 38-ФЗ, ст. 15 152-ФЗ).",
            ));
        }
        if on_consent(p) {
            lines.push(pick(
                "Consent is given as a separate document and can be withdrawn at any time; the data is then destroyed within 30 days unless another basis applies.",
                "Согласие оформляется отдельным документом и может быть отозвано в любой момент; после отзыва данные уничтожаются в течение 30 дней, если нет иного основания.",
            ));
        }
        d.list(lines);
    }

    d.heading(pick(
        "3. Recipients, processors and cross-border transfer",
        "3. Получатели, обработка по поручению и трансграничная передача",
    ));
    if catalog.recipients.is_empty() {
        d.para(pick("The operator passes personal data to no one.", "Оператор не передаёт персональные данные третьим лицам."));
    }
    let rows = catalog
        .recipients
        .iter()
        .map(|r| {
            let kind = match (r.kind, ru) {
                (RecipientKind::Processor, true) => "обработка по поручению оператора",
                (RecipientKind::Processor, false) => "processes on the operator's instruction",
                (RecipientKind::Partner, true) => "самостоятельный оператор",
                (RecipientKind::Partner, false) => "an independent operator",
                (RecipientKind::Authority, true) => "государственный орган (по закону)",
                (RecipientKind::Authority, false) => "a state body (under law)",
            };
            vec![local(&r.name, lang), kind.to_owned(), r.country.clone()]
        })
        .collect::<Vec<_>>();
    if !rows.is_empty() {
        d.table(vec![pick("Recipient", "Получатель"), pick("Role", "Роль"), pick("Country", "Страна")], rows);
    }
    let foreign: Vec<String> =
        catalog.recipients.iter().filter(|r| r.country != "RU").map(|r| format!("{} ({})", local(&r.name, lang), r.country)).collect();
    d.para(if foreign.is_empty() {
        pick("Personal data is not transferred abroad.", "Трансграничная передача персональных данных не осуществляется.")
    } else {
        format!(
            "{} {}.",
            pick(
                "Personal data is transferred abroad, after notifying Roskomnadzor (152-FZ art. 12), to:",
                "Трансграничная передача осуществляется после уведомления Роскомнадзора (ст. 12 152-ФЗ) следующим получателям:"
            ),
            foreign.join(", ")
        )
    });

    d.heading(pick("4. Where data is kept", "4. Место хранения и локализация"));
    let every: Vec<&crate::catalog::Purpose> = catalog.purposes.iter().collect();
    let (places, russian) = storage(catalog, &every);
    if russian {
        d.para(pick(
            "Data of citizens of the Russian Federation is recorded, organised, accumulated, stored, updated and retrieved in databases located in the Russian Federation (152-FZ art. 18 p.5).",
            "Запись, систематизация, накопление, хранение, уточнение и извлечение персональных данных граждан Российской Федерации осуществляются с использованием баз данных, находящихся на территории Российской Федерации (ч. 5 ст. 18 152-ФЗ).",
        ));
    }
    d.list(places);

    d.heading(pick("5. Retention and destruction", "5. Сроки хранения и уничтожение"));
    d.para(pick(
        "Data is kept no longer than its purposes require: each value is kept until the latest term among the purposes it was collected for. When the purpose is achieved or consent is withdrawn, the data is destroyed within 30 days unless a law requires keeping it; data kept under such a duty is blocked and used for nothing else. Every destruction is recorded in an act with an extract from the processing log, kept for three years (RKN Order No. 179).",
        "Данные хранятся не дольше, чем этого требуют цели обработки: каждое значение хранится до окончания наибольшего из сроков целей, для которых оно собрано. При достижении цели или отзыве согласия данные уничтожаются в течение 30 дней, если закон не обязывает их хранить; хранимые по такой обязанности данные блокируются и ни для чего другого не используются. Каждое уничтожение оформляется актом с выгрузкой из журнала, которые хранятся три года (приказ Роскомнадзора № 179).",
    ));
    let terms: Vec<String> = catalog.purposes.iter().map(|p| format!("{}: {}", local(&p.name, lang), retention(p, lang))).collect();
    d.list(terms);

    d.heading(pick("6. Your rights and how to use them", "6. Права субъекта персональных данных и порядок их реализации"));
    d.list(vec![
        pick("to know whether and how your data is processed and to receive a copy (152-FZ art. 14): answered within 10 working days, extendable once by 5 with a reasoned notice", "получать сведения об обработке своих данных и их копию (ст. 14 152-ФЗ): ответ в течение 10 рабочих дней, срок может быть продлён один раз на 5 рабочих дней с мотивированным уведомлением"),
        pick("to have inaccurate data corrected: within 7 working days (art. 21 p.2)", "требовать уточнения неточных данных: в течение 7 рабочих дней (ч. 2 ст. 21)"),
        pick("to have data blocked or destroyed when it is incomplete, outdated, inaccurate, unlawfully obtained or not needed (art. 14 p.1, art. 21)", "требовать блокирования или уничтожения данных, если они неполные, устаревшие, неточные, незаконно полученные или не нужны для цели (ч. 1 ст. 14, ст. 21)"),
        pick("to withdraw consent at any time, the same way it was given (art. 9 p.2)", "отозвать согласие в любой момент тем же способом, каким оно дано (ч. 2 ст. 9)"),
        pick("to demand that processing stop (art. 21 p.5.1): within 10 working days, extendable by 5", "требовать прекращения обработки (ч. 5.1 ст. 21): в течение 10 рабочих дней с возможным продлением на 5"),
        pick("to stop advertising at once (art. 15)", "требовать немедленного прекращения рекламной рассылки (ст. 15)"),
        pick("to complain to Roskomnadzor or to a court (art. 17)", "обжаловать действия оператора в Роскомнадзор или в суд (ст. 17)"),
    ]);
    if o.jurisdictions.contains(&Jurisdiction::EuGdpr) {
        d.para(pick(
            "Under the GDPR you may also receive your data in a machine-readable format or have it sent to another controller (art. 20), object to processing based on legitimate interests (art. 21), and complain to a supervisory authority (art. 77); answers come within one month, extendable by two.",
            "По GDPR вы также вправе получить данные в машиночитаемом формате или передать их другому оператору (ст. 20), возразить против обработки на основании законных интересов (ст. 21) и обратиться в надзорный орган (ст. 77); ответ даётся в течение месяца с возможным продлением на два.",
        ));
    }
    let mut how = Vec::new();
    if let Some(e) = &o.requests_email {
        how.push(format!("{}: {e}", pick("email", "электронная почта")));
    }
    if let Some(ph) = &o.requests_phone {
        how.push(format!("{}: {ph}", pick("phone", "телефон")));
    }
    how.push(format!("{}: {}", pick("post", "почтой по адресу"), o.address));
    d.para(pick(
        "Send a request by any of the means below. We confirm who you are before answering (a one-time code to the address on file, or an identity document) and answer within the term the law sets.",
        "Направьте запрос любым из способов ниже. Перед ответом мы подтверждаем вашу личность (одноразовым кодом на известный нам адрес или по документу) и отвечаем в установленный законом срок.",
    ));
    d.list(how);

    if !catalog.cookies.is_empty() {
        d.heading(pick("7. Cookies", "7. Файлы cookie"));
        d.para(pick(
            "Only necessary cookies are set without consent; the others wait for your choice in the site's banner, which you can change at any time. A browser's Global Privacy Control signal is honoured as a refusal of advertising cookies.",
            "Без согласия используются только необходимые cookie; остальные — только после вашего выбора в баннере сайта, который можно изменить в любой момент. Сигнал браузера Global Privacy Control считается отказом от рекламных cookie.",
        ));
        let rows = catalog
            .cookies
            .iter()
            .map(|c| {
                let kind = match (c.kind, ru) {
                    (CookieKind::Necessary, true) => "необходимые",
                    (CookieKind::Necessary, false) => "necessary",
                    (CookieKind::Functional, true) => "функциональные",
                    (CookieKind::Functional, false) => "functional",
                    (CookieKind::Analytics, true) => "аналитические",
                    (CookieKind::Analytics, false) => "analytics",
                    (CookieKind::Advertising, true) => "рекламные",
                    (CookieKind::Advertising, false) => "advertising",
                };
                let vendors: Vec<String> = c.vendors.iter().map(|v| format!("{} ({})", v.name, v.country)).collect();
                let days = c.lifetime_days.map(|n| n.to_string()).unwrap_or_else(|| "—".into());
                vec![local(&c.name, lang), kind.to_owned(), days, if vendors.is_empty() { "—".into() } else { vendors.join(", ") }]
            })
            .collect();
        d.table(
            vec![
                pick("Category", "Категория"),
                pick("Kind", "Вид"),
                pick("Lifetime, days", "Срок, дней"),
                pick("Third parties", "Третьи лица"),
            ],
            rows,
        );
    }

    d.heading(pick("8. Security measures", "8. Меры по обеспечению безопасности"));
    d.list(vec![
        pick("each person's data is encrypted under a key of its own; destroying the key destroys every copy, backups included", "данные каждого субъекта зашифрованы на отдельном ключе; уничтожение ключа уничтожает все копии, включая резервные"),
        pick("staff see only the data their role needs for the purpose they name, masked where full values are not needed", "работники видят только данные, необходимые их роли для указанной цели, с маскированием там, где полные значения не нужны"),
        pick("every access and change is recorded in a tamper-evident log with signed checkpoints", "каждое обращение к данным и их изменение фиксируется в журнале, защищённом от незаметного изменения, с подписанными контрольными точками"),
        pick("lookups by phone or email use keyed indexes, without decrypting stored data", "поиск по телефону или адресу почты выполняется по ключевым индексам без расшифровки хранимых данных"),
        pick("a person responsible for organising processing is appointed; internal control of processing is carried out", "назначен ответственный за организацию обработки; осуществляется внутренний контроль обработки"),
    ]);

    d.heading(pick("9. Contacts", "9. Контакты"));
    let mut contacts = Vec::new();
    if let Some(p) = &o.responsible_person {
        contacts.push(format!(
            "{}: {}{}",
            pick("Person responsible for organising processing", "Ответственный за организацию обработки персональных данных"),
            p.name,
            [p.email.as_deref(), p.phone.as_deref()].into_iter().flatten().map(|c| format!(", {c}")).collect::<String>()
        ));
    }
    if let Some(p) = &o.dpo {
        contacts.push(format!(
            "{}: {}{}",
            pick("Data protection officer", "Инспектор по защите данных (DPO)"),
            p.name,
            [p.email.as_deref(), p.phone.as_deref()].into_iter().flatten().map(|c| format!(", {c}")).collect::<String>()
        ));
    }
    contacts.push(format!("{}: {name}, {}", pick("Operator", "Оператор"), o.address));
    d.list(contacts);

    d.heading(pick("10. Changes to this policy", "10. Изменение политики"));
    d.para(pick(
        "Each version of the policy is kept with its date. Subjects are told of material changes before they take effect; where a change needs new consent, it is asked for again.",
        "Каждая редакция политики хранится с датой вступления в силу. О существенных изменениях субъекты уведомляются до их вступления в силу; если изменение требует нового согласия, оно запрашивается повторно.",
    ));
    d
}
