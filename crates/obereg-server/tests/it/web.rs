//! The console and the portal over HTTP: security headers, cookies, refusals without a
//! session or from another site, role limits, and the whole errand of a subject and a DPO
//! through the pages. Pages are followed as a browser would: cookies kept, forms posted
//! with the token found in the page.

use std::collections::HashMap;

use axum::body::Body;
use obereg_engine::Actor;
use serde_json::json;

use crate::harness::{Answer, TestServer};
use crate::requests::{Outbox, customer, newsletter_document};

pub(crate) const PASSWORD: &str = "correct horse battery staple";

/// A browser: keeps cookies, sends same-origin headers, finds form tokens in pages.
pub(crate) struct Browser<'a> {
    server: &'a TestServer,
    cookies: HashMap<String, String>,
    last: String,
}

impl<'a> Browser<'a> {
    pub(crate) fn new(server: &'a TestServer) -> Self {
        Self { server, cookies: HashMap::new(), last: String::new() }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn keep(&mut self, answer: &Answer) {
        for value in answer.headers.get_all("set-cookie") {
            let text = value.to_str().unwrap();
            let (pair, _) = text.split_once(';').unwrap_or((text, ""));
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), v.to_owned());
            }
        }
    }

    pub(crate) async fn get(&mut self, path: &str) -> Answer {
        let cookie = self.cookie_header();
        let answer = self.server.send_with("GET", path, None, None, &[("cookie", &cookie), ("host", "obereg.test")], Body::empty()).await;
        self.keep(&answer);
        if answer.status.is_success() {
            self.last = answer.text.clone();
        }
        answer
    }

    /// Posts a form with the token of the last page, as that page's form would.
    pub(crate) async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let token = csrf_in(&self.last);
        let mut all = vec![("csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all, &[("origin", "http://obereg.test"), ("sec-fetch-site", "same-origin")]).await
    }

    async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)], extra: &[(&str, &str)]) -> Answer {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let cookie = self.cookie_header();
        let mut headers = vec![("cookie", cookie.as_str()), ("host", "obereg.test")];
        headers.extend_from_slice(extra);
        let answer = self.server.send_with("POST", path, None, Some("application/x-www-form-urlencoded"), &headers, body).await;
        self.keep(&answer);
        if answer.status.is_success() {
            self.last = answer.text.clone();
        }
        answer
    }

    /// Follows a redirect answer.
    pub(crate) async fn follow(&mut self, answer: &Answer) -> Answer {
        assert_eq!(answer.status, 303, "{}", answer.text);
        let to = answer.headers.get("location").unwrap().to_str().unwrap().to_owned();
        self.get(&to).await
    }
}

fn csrf_in(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").map(|i| i + 19).unwrap_or(0);
    html[at..].split('"').next().unwrap_or("").to_owned()
}

pub(crate) async fn staff_account(server: &TestServer, login: &str, role: &str) {
    let local = Actor::local_operator("default");
    server.engine.create_staff_account(&local, login, role, PASSWORD).await.unwrap();
}

pub(crate) async fn signed_in_staff<'a>(server: &'a TestServer, login: &str) -> Browser<'a> {
    let mut b = Browser::new(server);
    assert_eq!(b.get("/console/sign-in").await.status, 200);
    let answer = b.post("/console/sign-in", &[("tenant", "default"), ("login", login), ("password", PASSWORD), ("code", "")]).await;
    assert_eq!(answer.status, 303, "{}", answer.text);
    b
}

/// A subject's browser that asked for a code for `address`, received it through the outbox
/// and sent it back; returns the browser and the answer to the code (a redirect to the data).
pub(crate) async fn signing_in_subject<'a>(server: &'a TestServer, outbox: &Outbox, address: &str) -> (Browser<'a>, Answer) {
    let mut me = Browser::new(server);
    assert!(me.get("/me").await.text.contains("Отправить код"));
    let code_page = me.post("/me/code", &[("tenant", "default"), ("address", address)]).await;
    assert_eq!(code_page.status, 200, "{}", code_page.text);
    let id = code_page.text.split("name=\"id\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let code = outbox.code_for(server, &address.to_lowercase(), "код для входа").await;
    let signed = me.post("/me/verify", &[("tenant", "default"), ("id", &id), ("code", &code)]).await;
    (me, signed)
}

#[tokio::test]
async fn pages_carry_the_security_headers() {
    let server = TestServer::start().await;
    let mut b = Browser::new(&server);
    for path in ["/console/sign-in", "/me"] {
        let answer = b.get(path).await;
        assert_eq!(answer.status, 200);
        let h = |name: &str| answer.headers.get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        assert!(h("content-security-policy").contains("script-src 'self'"), "{path}");
        assert!(h("content-security-policy").contains("frame-ancestors 'none'"));
        assert!(!h("content-security-policy").contains("unsafe-inline"));
        assert_eq!(h("x-frame-options"), "DENY");
        assert_eq!(h("x-content-type-options"), "nosniff");
        assert_eq!(h("referrer-policy"), "same-origin", "not no-referrer: browsers would then send Origin: null with the forms");
        assert_eq!(h("cache-control"), "no-store");
        // Nothing is loaded from elsewhere.
        assert!(!answer.text.contains("http://") && !answer.text.contains("https://"), "{path}");
        assert!(!answer.text.contains("<script"), "{path}");
    }
    let css = b.get("/static/obereg.css").await;
    assert_eq!(css.content_type(), "text/css; charset=utf-8");
}

#[tokio::test]
async fn every_console_and_portal_page_refuses_without_a_session() {
    let server = TestServer::start().await;
    let mut b = Browser::new(&server);
    for (path, to) in [
        ("/console", "/console/sign-in"),
        ("/console/subjects", "/console/sign-in"),
        ("/console/subjects/0123", "/console/sign-in"),
        ("/console/requests", "/console/sign-in"),
        ("/console/requests/R-ABC", "/console/sign-in"),
        ("/console/requests/R-ABC/export", "/console/sign-in"),
        ("/console/consents", "/console/sign-in"),
        ("/console/journal", "/console/sign-in"),
        ("/console/journal/proof/0", "/console/sign-in"),
        ("/console/catalog", "/console/sign-in"),
        ("/console/consents/documents/00", "/console/sign-in"),
        ("/console/account", "/console/sign-in"),
        ("/console/staff", "/console/sign-in"),
        ("/console/incidents", "/console/sign-in"),
        ("/console/incidents/I-1", "/console/sign-in"),
        ("/me/data", "/me"),
        ("/me/data.json", "/me"),
        ("/me/data.html", "/me"),
        ("/me/consents", "/me"),
        ("/me/consents/give?purpose=product_news", "/me"),
        ("/me/requests", "/me"),
        ("/me/journal", "/me"),
    ] {
        let answer = b.get(path).await;
        assert_eq!(answer.status, 303, "{path}");
        assert_eq!(answer.headers.get("location").unwrap(), to, "{path}");
    }
    // A made-up session cookie is no session either.
    b.cookies.insert("__Host-obereg-console".into(), format!("obs_{}", "A".repeat(43)));
    assert_eq!(b.get("/console").await.status, 303);
    // Forms without a token are refused before anything runs.
    for path in [
        "/console/sign-in",
        "/console/catalog",
        "/console/requests/R-ABC/complete",
        "/console/account/password",
        "/console/account/second-factor/confirm",
        "/console/staff",
        "/console/staff/dpo/disable",
        "/me/code",
        "/me/consents/withdraw",
        "/me/requests",
    ] {
        let answer = b.post_raw(path, &[("x", "y")], &[]).await;
        assert_eq!(answer.status, 403, "{path}");
    }
}

#[tokio::test]
async fn staff_sign_in_sets_a_strict_host_only_cookie_and_wrong_passwords_do_not() {
    let server = TestServer::start().await;
    staff_account(&server, "support", "support").await;
    let mut b = Browser::new(&server);
    b.get("/console/sign-in").await;
    let pre = b.last.clone();
    let wrong =
        b.post("/console/sign-in", &[("tenant", "default"), ("login", "support"), ("password", "wrong password!"), ("code", "")]).await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.text.contains("Неверный логин") || wrong.text.contains("неверный логин"), "{}", wrong.text);
    assert!(!b.cookies.contains_key("__Host-obereg-console"));
    b.last = pre;
    let ok = b.post("/console/sign-in", &[("tenant", "default"), ("login", "support"), ("password", PASSWORD), ("code", "")]).await;
    let set = ok
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("__Host-obereg-console="))
        .unwrap();
    for flag in ["Path=/", "Secure", "HttpOnly", "SameSite=Strict", "Max-Age=43200"] {
        assert!(set.contains(flag), "{set}");
    }
    assert!(!set.contains("Domain"), "{set}");
    let dashboard = b.follow(&ok).await;
    assert_eq!(dashboard.status, 200);
    assert!(dashboard.text.contains("support · Служба поддержки"), "{}", dashboard.text);
    // The session value never reaches the logs.
    let value = b.cookies["__Host-obereg-console"].clone();
    assert!(!crate::harness::captured_logs().contains(&value));
}

#[tokio::test]
async fn a_support_session_cannot_open_dpo_pages_or_change_the_catalog() {
    let server = TestServer::start().await;
    staff_account(&server, "support", "support").await;
    let mut b = signed_in_staff(&server, "support").await;
    let dashboard = b.get("/console").await;
    assert!(!dashboard.text.contains("/console/requests\""), "the menu hides what the role may not open");
    for path in ["/console/requests", "/console/journal", "/console/requests/R-ABC", "/console/staff", "/console/incidents"] {
        assert_eq!(b.get(path).await.status, 403, "{path}");
    }
    assert!(!dashboard.text.contains("/console/staff\""), "the menu hides the accounts page");
    b.get("/console/subjects").await;
    let changed = b.post("/console/catalog", &[("source", "nonsense")]).await;
    assert_eq!(changed.status, 403, "{}", changed.text);
    // Nor manage accounts, its own included.
    b.get("/console/account").await;
    let made = b.post("/console/staff", &[("login", "intruder"), ("role", "admin"), ("password", PASSWORD)]).await;
    assert_eq!(made.status, 403, "{}", made.text);
    let disabled = b.post("/console/staff/support/disable", &[]).await;
    assert_eq!(disabled.status, 403, "{}", disabled.text);
    assert!(server.engine.staff_accounts(&Actor::local_operator("default")).await.unwrap().iter().all(|a| !a.disabled));
}

fn base32_decode(text: &str) -> Vec<u8> {
    obereg_engine::web::totp::base32_decode(text).expect("the page shows a base32 key")
}

#[tokio::test]
async fn a_staff_member_changes_the_password_and_sets_up_a_second_factor_in_the_console() {
    let server = TestServer::start().await;
    staff_account(&server, "support", "support").await;
    let mut b = signed_in_staff(&server, "support").await;
    let page = b.get("/console/account").await;
    assert!(page.text.contains("support") && page.text.contains("выключен"), "{}", page.text);
    // A wrong current password or a mistyped repetition changes nothing.
    let wrong = b
        .post(
            "/console/account/password",
            &[("current", "not it at all"), ("new", "a new long passphrase"), ("repeat", "a new long passphrase")],
        )
        .await;
    assert_eq!(wrong.status, 422, "{}", wrong.text);
    assert!(wrong.text.contains("текущий пароль указан неверно"), "{}", wrong.text);
    let typo = b
        .post("/console/account/password", &[("current", PASSWORD), ("new", "a new long passphrase"), ("repeat", "a new long passphrasf")])
        .await;
    assert!(typo.text.contains("не совпадают"), "{}", typo.text);
    assert_eq!(b.get("/console").await.status, 200, "still signed in");

    // The second factor: shown, confirmed with the app's code, then needed to sign in.
    let shown = b.post("/console/account/second-factor", &[]).await;
    assert_eq!(shown.status, 200, "{}", shown.text);
    assert!(shown.text.contains("otpauth://totp/"), "{}", shown.text);
    let secret = shown.text.split("<code class=\"secret\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
    let sealed = shown.text.split("name=\"sealed\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let now = jiff::Timestamp::now().as_second();
    let code = obereg_engine::web::totp::code_at(&base32_decode(&secret), now);
    let wrong_code = if code == "000000" { "111111" } else { "000000" };
    let refused = b.post("/console/account/second-factor/confirm", &[("sealed", &sealed), ("code", wrong_code)]).await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(!server.engine.staff_accounts(&Actor::local_operator("default")).await.unwrap()[0].second_factor);
    let on = b.post("/console/account/second-factor/confirm", &[("sealed", &sealed), ("code", &code)]).await;
    assert_eq!(on.headers.get("location").unwrap(), "/console/sign-in?changed=second-factor");
    assert!(b.follow(&on).await.text.contains("Второй фактор включён"));
    assert_eq!(b.get("/console").await.status, 303, "the session ended");
    let without = b.post("/console/sign-in", &[("tenant", "default"), ("login", "support"), ("password", PASSWORD), ("code", "")]).await;
    assert_eq!(without.status, 401);
    let code = obereg_engine::web::totp::code_at(&base32_decode(&secret), jiff::Timestamp::now().as_second());
    let with = b.post("/console/sign-in", &[("tenant", "default"), ("login", "support"), ("password", PASSWORD), ("code", &code)]).await;
    assert_eq!(with.status, 303, "{}", with.text);

    // The password, changed with the current one, ends the session.
    b.get("/console/account").await;
    let changed = b
        .post("/console/account/password", &[("current", PASSWORD), ("new", "a new long passphrase"), ("repeat", "a new long passphrase")])
        .await;
    assert_eq!(changed.headers.get("location").unwrap(), "/console/sign-in?changed=password");
    assert_eq!(b.get("/console").await.status, 303);
}

#[tokio::test]
async fn an_administrator_manages_staff_accounts_in_the_console() {
    let server = TestServer::start().await;
    staff_account(&server, "boss", "admin").await;
    let mut admin = signed_in_staff(&server, "boss").await;
    let page = admin.get("/console/staff").await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("boss") && page.text.contains("<option value=\"support\""), "{}", page.text);
    // A bad login is refused inline, keeping what was typed.
    let bad = admin.post("/console/staff", &[("login", "Big Letters"), ("role", "support"), ("password", PASSWORD)]).await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(bad.text.contains("value=\"Big Letters\"") && bad.text.contains("логин"), "{}", bad.text);
    let made = admin.post("/console/staff", &[("login", "anna"), ("role", "support"), ("password", PASSWORD)]).await;
    assert_eq!(made.status, 303, "{}", made.text);
    let list = admin.follow(&made).await;
    assert!(list.text.contains("anna") && list.text.contains("Готово"), "{}", list.text);
    let mut anna = signed_in_staff(&server, "anna").await;
    assert_eq!(anna.get("/console").await.status, 200);
    // Disabling ends her session at once; enabling lets her back in.
    let disabled = admin.post("/console/staff/anna/disable", &[]).await;
    assert_eq!(disabled.status, 303, "{}", disabled.text);
    assert!(admin.follow(&disabled).await.text.contains("отключена"));
    assert_eq!(anna.get("/console").await.status, 303);
    let again = admin.post("/console/staff/anna/enable", &[]).await;
    assert_eq!(again.status, 303);
    admin.follow(&again).await;
    // A new password handed over: the old one stops working.
    let reset = admin.post("/console/staff/anna/password", &[("password", "handed over in person")]).await;
    assert_eq!(reset.status, 303, "{}", reset.text);
    let mut anna = Browser::new(&server);
    anna.get("/console/sign-in").await;
    let old = anna.post("/console/sign-in", &[("tenant", "default"), ("login", "anna"), ("password", PASSWORD), ("code", "")]).await;
    assert_eq!(old.status, 401);
    let new = anna
        .post("/console/sign-in", &[("tenant", "default"), ("login", "anna"), ("password", "handed over in person"), ("code", "")])
        .await;
    assert_eq!(new.status, 303);
    // An unknown account is a clear error, not a crash.
    let unknown = admin.post("/console/staff/nobody/disable", &[]).await;
    assert_eq!(unknown.status, 404, "{}", unknown.text);
}

#[tokio::test]
async fn the_console_lists_consent_documents_current_and_superseded() {
    let server = TestServer::start().await;
    let first = server.post_json("/v1/consent-documents", &server.token, json!({"purposes": ["product_news"]})).await.json()["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    let changed = crate::harness::EXAMPLE.replace("Рассылка новостей и предложений о продуктах", "Рассылка новостей и опросов");
    assert!(server.put_toml(&server.token, changed).await.status.is_success());
    let second = server.post_json("/v1/consent-documents", &server.token, json!({"purposes": ["product_news"]})).await.json()["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    staff_account(&server, "dpo", "privacy_officer").await;
    let mut dpo = signed_in_staff(&server, "dpo").await;
    let page = dpo.get("/console/consents").await;
    assert!(
        page.text.contains(&format!("/console/consents/documents/{first}"))
            && page.text.contains(&format!("/console/consents/documents/{second}"))
    );
    assert!(page.text.contains("действующий") && page.text.contains("заменён"), "{}", page.text);
    let old = dpo.get(&format!("/console/consents/documents/{first}")).await;
    assert!(old.text.contains("Рассылка новостей и предложений о продуктах") && old.text.contains("заменён"), "{}", old.text);
    assert_eq!(dpo.get("/console/consents/documents/ffff").await.status, 404);
}

#[tokio::test]
async fn cross_site_posts_are_refused_and_change_nothing() {
    let server = TestServer::start().await;
    staff_account(&server, "support", "support").await;
    let mut b = signed_in_staff(&server, "support").await;
    b.get("/console").await;
    let token = csrf_in(&b.last);
    for headers in [
        vec![("origin", "https://evil.example")],
        vec![("sec-fetch-site", "cross-site")],
        vec![("origin", "http://obereg.test.evil.example")],
    ] {
        let answer = b.post_raw("/console/sign-out", &[("csrf", &token)], &headers).await;
        assert_eq!(answer.status, 403, "{headers:?}");
    }
    // A token of another session does not pass either.
    let wrong = obereg_engine::web::csrf_token(&format!("obs_{}", "B".repeat(43)));
    assert_eq!(b.post_raw("/console/sign-out", &[("csrf", &wrong)], &[]).await.status, 403);
    // Still signed in: nothing happened.
    assert_eq!(b.get("/console").await.status, 200);
    let out = b.post("/console/sign-out", &[]).await;
    assert_eq!(out.status, 303);
    assert_eq!(b.get("/console").await.status, 303);
}

#[tokio::test]
async fn a_subject_and_a_dpo_do_an_erasure_through_the_pages() {
    erasure_through_the_pages(TestServer::start().await).await;
}

#[tokio::test]
async fn the_pages_work_on_postgres() {
    if let Some(server) = TestServer::on_postgres().await {
        erasure_through_the_pages(server).await;
    }
}

async fn erasure_through_the_pages(server: TestServer) {
    let outbox = Outbox::default();
    let document = newsletter_document(&server).await;
    let subject = customer(&server, "marina@example.ru", &document).await;
    staff_account(&server, "dpo", "privacy_officer").await;

    // The subject signs in with a code from the outbox.
    let (mut me, signed) = signing_in_subject(&server, &outbox, "Marina@Example.ru").await;
    let set = signed.headers.get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(set.starts_with("__Host-obereg-me=") && set.contains("SameSite=Lax") && set.contains("HttpOnly"), "{set}");
    let data = me.follow(&signed).await;
    assert!(data.text.contains("марина цветаева") && data.text.contains("+79035550177"), "{}", data.text);
    let json = me.get("/me/data.json").await;
    assert_eq!(json.content_type(), "application/json");
    assert!(json.text.contains("marina@example.ru"));

    // Withdraws marketing consent in one click.
    let consents = me.get("/me/consents").await;
    assert!(consents.text.contains("Отозвать"), "{}", consents.text);
    let withdrawn = me.post("/me/consents/withdraw", &[("purpose", "product_news"), ("channel", "email")]).await;
    let after = me.follow(&withdrawn).await;
    assert!(after.text.contains("Согласие отозвано"));
    let history = server.get(&format!("/v1/subjects/{subject}/consents"), Some(&server.token)).await;
    assert!(history.text.contains("\"withdrawn\""), "{}", history.text);

    // Files an erasure request.
    me.get("/me/requests").await;
    let filed = me.post("/me/requests", &[("kind", "erasure"), ("details", "Удалите мои данные")]).await;
    let list = me.follow(&filed).await;
    assert!(list.text.contains("Удалить мои данные") && list.text.contains("в работе"), "{}", list.text);
    let request_id = list.text.split("\">R-").nth(1).map(|s| format!("R-{}", s.split('<').next().unwrap())).unwrap();

    // The DPO sees it on the dashboard and completes it.
    let mut dpo = signed_in_staff(&server, "dpo").await;
    let dashboard = dpo.get("/console").await;
    assert!(dashboard.text.contains(&request_id), "{}", dashboard.text);
    assert!(dashboard.text.contains("<svg"), "the consent chart is drawn");
    let page = dpo.get(&format!("/console/requests/{request_id}")).await;
    assert!(page.text.contains("Удалите мои данные"));
    let done = dpo.post(&format!("/console/requests/{request_id}/complete"), &[("note", "Данные удалены")]).await;
    let page = dpo.follow(&done).await;
    assert!(page.text.contains("исполнен"), "{}", page.text);

    // The subject was erased: the old session shows no one's data, and the journal page
    // of a new visitor for the address is empty; the request shows its result.
    let list = me.get("/me/requests").await;
    assert!(list.text.contains("исполнен"), "{}", list.text);
    let data = me.get("/me/data").await;
    assert!(!data.text.contains("марина"), "{}", data.text);

    // The DPO browses the journal and verifies it.
    dpo.get("/console/journal").await;
    let verified = dpo.post("/console/journal/verify", &[]).await;
    assert!(verified.text.contains("Журнал цел"), "{}", verified.text);
    let proof = dpo.get("/console/journal/proof/0").await;
    assert_eq!(proof.content_type(), "application/json");
}

#[tokio::test]
async fn the_portal_journal_says_who_read_the_data_in_plain_words() {
    let server = TestServer::start().await;
    let outbox = Outbox::default();
    let document = newsletter_document(&server).await;
    let subject = customer(&server, "anna@example.ru", &document).await;
    let support = server.post_json("/v1/tokens", &server.token, json!({"role": "support", "label": "s"})).await.json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let read = server.get(&format!("/v1/subjects/{subject}?purpose=account"), Some(&support)).await;
    assert_eq!(read.status, 200, "{}", read.text);
    let (mut me, signed) = signing_in_subject(&server, &outbox, "anna@example.ru").await;
    me.follow(&signed).await;
    me.get("/lang?to=en&back=/me/journal").await;
    let journal = me.get("/me/journal").await;
    assert!(journal.text.contains("lang=\"en\""), "the language switch holds");
    assert!(journal.text.contains("staff: Support") && journal.text.contains("extraction"), "{}", journal.text);
    assert!(journal.text.contains("signed in to the portal"));
    // An open redirect is not offered by the switch.
    let evil = me.get("/lang?to=ru&back=//evil.example").await;
    assert_eq!(evil.headers.get("location").unwrap(), "/me");
}

#[tokio::test]
async fn an_administrator_publishes_the_policy_and_asks_subjects_to_consent_again_from_the_console() {
    let server = TestServer::start().await;
    let document = newsletter_document(&server).await;
    customer(&server, "olga@example.ru", &document).await;
    staff_account(&server, "boss", "admin").await;
    let mut admin = signed_in_staff(&server, "boss").await;
    let page = admin.get("/console/consents").await;
    assert!(page.text.contains("/console/consents/publish"), "{}", page.text);
    let today = obereg_engine::requests::moscow_date(jiff::Timestamp::now());
    let week = (today + jiff::Span::new().days(7)).to_string();
    let first = admin.post("/console/consents/publish", &[("effective_on", &today.to_string())]).await;
    assert_eq!(first.status, 303, "{}", first.text);
    // Nothing new: refused inline, nothing published.
    admin.get("/console/consents").await;
    let again = admin.post("/console/consents/publish", &[("effective_on", &week), ("notify", "1")]).await;
    assert_eq!(again.status, 422, "{}", again.text);
    assert!(again.text.contains("публиковать нечего"), "{}", again.text);
    let bad = admin.post("/console/consents/publish", &[("effective_on", "next week")]).await;
    assert_eq!(bad.status, 422);
    // The newsletter gets a new recipient (a material change, and a different consent
    // document): publishing with notices asks the subject again.
    let changed = crate::harness::EXAMPLE.replace(
        "required_categories = [\"contact.email\"]\noperations = [\"collection\", \"recording\", \"storage\", \"use\", \"destruction\"]\nretention = { period = \"P0D\"",
        "required_categories = [\"contact.email\"]\nrecipients = [\"web-analytics\"]\noperations = [\"collection\", \"recording\", \"storage\", \"use\", \"destruction\"]\nretention = { period = \"P0D\"",
    );
    assert_ne!(changed, crate::harness::EXAMPLE);
    assert!(server.put_toml(&server.token, changed).await.status.is_success());
    let second = admin.post("/console/consents/publish", &[("effective_on", &week), ("notify", "1")]).await;
    assert_eq!(second.status, 303, "{}", second.text);
    let mut walked = None;
    for _ in 0..100 {
        let list = server.engine.publications(&Actor::local_operator("default")).await.unwrap();
        if list[0].notices.done {
            walked = Some(list[0].clone());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let walked = walked.expect("the walk finishes");
    assert_eq!((walked.notify, walked.notices.queued, walked.reconsent), (true, 1, 1));
    let page = admin.follow(&second).await;
    assert!(page.text.contains("в очереди: 1") && page.text.contains("Опубликовано"), "{}", page.text);
    // A support account can neither see the form nor post it.
    staff_account(&server, "support", "support").await;
    let mut support = signed_in_staff(&server, "support").await;
    let theirs = support.get("/console/consents").await;
    assert!(!theirs.text.contains("/console/consents/publish"));
    assert_eq!(support.post("/console/consents/publish", &[("effective_on", &week)]).await.status, 403);
}

#[tokio::test]
async fn a_dpo_corrects_the_values_a_subject_asked_to_correct_and_stops_the_purposes_named() {
    let server = TestServer::start().await;
    let outbox = Outbox::default();
    let document = newsletter_document(&server).await;
    let subject = customer(&server, "pavel@example.ru", &document).await;
    staff_account(&server, "dpo", "privacy_officer").await;
    let (mut me, signed) = signing_in_subject(&server, &outbox, "pavel@example.ru").await;
    me.follow(&signed).await;
    me.get("/me/requests").await;
    let filed = me.post("/me/requests", &[("kind", "rectification"), ("details", "Мой телефон теперь +7 903 555-02-88")]).await;
    let list = me.follow(&filed).await;
    let fix_id = list.text.split("\">R-").nth(1).map(|s| format!("R-{}", s.split('<').next().unwrap())).unwrap();
    let filed = me.post("/me/requests", &[("kind", "objection"), ("details", "Не пишите мне рассылки")]).await;
    let list = me.follow(&filed).await;
    let object_id =
        list.text.split("\">R-").skip(1).filter_map(|s| s.split('<').next()).map(|s| format!("R-{s}")).find(|id| *id != fix_id).unwrap();

    let mut dpo = signed_in_staff(&server, "dpo").await;
    let page = dpo.get(&format!("/console/requests/{fix_id}")).await;
    assert!(page.text.contains("+79035550177") && page.text.contains("Номер телефона"), "{}", page.text);
    let phone_item = page.text.split("name=\"fix:").map(|s| s.split('"').next().unwrap().to_owned()).collect::<Vec<_>>();
    // The phone is the field labelled with the current phone number.
    let item = phone_item
        .iter()
        .skip(1)
        .find(|id| page.text.contains(&format!("<label for=\"fix-{id}\">Номер телефона")))
        .expect("a field for the phone")
        .clone();
    // A malformed phone is refused and changes nothing.
    let bad = dpo.post(&format!("/console/requests/{fix_id}/complete"), &[(&format!("fix:{item}"), "not a phone")]).await;
    assert!(bad.status.is_client_error(), "{}", bad.text);
    let done = dpo
        .post(&format!("/console/requests/{fix_id}/complete"), &[(&format!("fix:{item}"), "+7 903 555-02-88"), ("note", "Исправили")])
        .await;
    assert_eq!(done.status, 303, "{}", done.text);
    let support = server.post_json("/v1/tokens", &server.token, json!({"role": "support", "label": "s"})).await.json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let read = server.get(&format!("/v1/subjects/{subject}?purpose=account"), Some(&support)).await;
    // Support sees the phone masked to its last two digits: the new number's.
    assert!(read.text.contains("***-**-88") && !read.text.contains("-77"), "{}", read.text);

    // The objection names the newsletter only.
    let page = dpo.get(&format!("/console/requests/{object_id}")).await;
    assert!(page.text.contains("name=\"purpose\" value=\"product_news\""), "{}", page.text);
    let done = dpo.post(&format!("/console/requests/{object_id}/complete"), &[("purpose", "product_news")]).await;
    assert_eq!(done.status, 303, "{}", done.text);
    let decision =
        server.post_json("/v1/decisions", &support, json!({"subject": subject, "purpose": "product_news", "channel": "email"})).await;
    assert_eq!(decision.json()["allowed"], false, "{}", decision.text);
}

#[tokio::test]
async fn a_dpo_sends_a_code_to_check_a_request_entered_from_an_email() {
    let server = TestServer::start().await;
    let outbox = Outbox::default();
    staff_account(&server, "dpo", "privacy_officer").await;
    let dpo_token = server.post_json("/v1/tokens", &server.token, json!({"role": "privacy_officer", "label": "d"})).await.json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let entered = server
        .post_json(
            "/v1/requests",
            &dpo_token,
            json!({"kind": "access", "channel": "email", "email": "ivan@example.ru", "details": "Что вы обо мне знаете?"}),
        )
        .await;
    assert_eq!(entered.status, 201, "{}", entered.text);
    let id = entered.json()["id"].as_str().unwrap().to_owned();
    let mut dpo = signed_in_staff(&server, "dpo").await;
    let page = dpo.get(&format!("/console/requests/{id}")).await;
    assert!(page.text.contains("/send-code"), "{}", page.text);
    let sent = dpo.post(&format!("/console/requests/{id}/send-code"), &[]).await;
    assert_eq!(sent.status, 303, "{}", sent.text);
    let page = dpo.follow(&sent).await;
    assert!(page.text.contains("код подтверждения · email · ждёт отправки"), "the code message is listed: {}", page.text);
    // Entered through the API without a language, the request is answered in English.
    let code = outbox.code_for(&server, "ivan@example.ru", "confirmation code").await;
    assert_eq!(code.len(), 6);
}

#[tokio::test]
async fn a_dpo_works_an_incident_in_the_console_from_record_to_notice_sent() {
    let server = TestServer::start().await;
    staff_account(&server, "dpo", "privacy_officer").await;
    let mut dpo = signed_in_staff(&server, "dpo").await;
    let page = dpo.get("/console/incidents").await;
    assert!(page.text.contains("Инцидентов не зарегистрировано"), "{}", page.text);
    let now = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(3))).strftime("%Y-%m-%dT%H:%M").to_string();
    // A time in the future is refused inline and nothing is recorded.
    let future = dpo.post("/console/incidents", &[("detected_at", "2099-01-01T00:00"), ("description", "x")]).await;
    assert_eq!(future.status, 422, "{}", future.text);
    let made = dpo
        .post(
            "/console/incidents",
            &[("detected_at", &now), ("description", "Выгрузка CRM в открытом доступе"), ("systems", "crm, backup")],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.text);
    let page = dpo.follow(&made).await;
    assert!(page.text.contains("Ещё нужно заполнить: causes, harm, measures, contact"), "{}", page.text);
    assert!(page.text.contains("осталось часов: 23") || page.text.contains("осталось часов: 24"), "{}", page.text);
    let id = page
        .text
        .split("/console/incidents/I-")
        .nth(1)
        .map(|s| format!("I-{}", s.chars().take_while(char::is_ascii_alphanumeric).collect::<String>()))
        .unwrap();
    let version = page.text.split("name=\"version\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let saved = dpo
        .post(
            &format!("/console/incidents/{id}"),
            &[
                ("version", &version),
                ("detected_at", &now),
                ("description", "Выгрузка CRM в открытом доступе"),
                ("systems", "crm"),
                ("causes", "Ссылка без пароля"),
                ("harm", "Нежелательные звонки"),
                ("measures", "Ссылка удалена"),
                ("contact_name", "Мария Иванова"),
                ("contact_email", "dpo@voice-robot.example"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.text);
    let page = dpo.follow(&saved).await;
    assert!(page.text.contains("Предполагаемые причины, повлёкшие нарушение прав субъектов: Ссылка без пароля"), "{}", page.text);
    let version = page.text.split("name=\"version\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let sent = dpo.post(&format!("/console/incidents/{id}/sent/rkn_initial"), &[("version", &version)]).await;
    assert_eq!(sent.status, 303, "{}", sent.text);
    let page = dpo.follow(&sent).await;
    assert!(page.text.contains("направлено в срок"), "{}", page.text);
    let listed = dpo.get("/console/incidents").await;
    assert!(listed.text.contains(&id) && listed.text.contains("направлено в срок"));
}
