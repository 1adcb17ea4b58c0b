//! The errand of a subject and a DPO in a real browser: headless Chromium, driven over
//! WebDriver (chromedriver), against the real server listening on a loopback port.
//!
//! The subject signs in with a code captured from the outbox, withdraws a consent and files
//! an erasure request; a DPO signs in in another browser session, finds the request on the
//! dashboard and completes it; the subject sees the result. Forms are filled by typing and
//! sent by clicking or pressing Enter, so the pages are exercised as people use them —
//! including the browser's own handling of `__Host-` cookies, `SameSite`, the CSP and the
//! `Origin` / `Sec-Fetch-Site` headers the form guard checks.
//!
//! Screenshots of the main pages are written to `target/screenshots/` (or to the folder
//! `OBEREG_SCREENSHOTS` names) as test artifacts.
//!
//! The test needs `chromedriver` and `chromium` (Debian's `chromium-driver` and `chromium`;
//! `.ci/run` installs them). Where they are missing it says so and passes, unless
//! `OBEREG_REQUIRE_BROWSER` is set — CI sets it, so there a missing browser fails.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator, key::Key};
use serde_json::{Value, json};

use crate::harness::TestServer;
use crate::requests::{Outbox, customer, newsletter_document};
use crate::web::{PASSWORD, staff_account};

/// A chromedriver process; sessions opened on it are separate browsers (own profiles,
/// own cookies). The process group is killed on drop, so a failed test leaves no browser.
struct Driver {
    process: Child,
    url: String,
    shots: PathBuf,
}

/// One browser session against the server at `base`.
struct Browser<'a> {
    client: Client,
    base: String,
    driver: &'a Driver,
}

fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|candidate| candidate.is_file())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Driver {
    /// Starts chromedriver, or `None` when it is not installed (and not required).
    async fn start() -> Option<Self> {
        let binary = std::env::var_os("OBEREG_CHROMEDRIVER").map(PathBuf::from).or_else(|| on_path("chromedriver"));
        let Some(binary) = binary else {
            assert!(
                std::env::var_os("OBEREG_REQUIRE_BROWSER").is_none(),
                "OBEREG_REQUIRE_BROWSER is set but chromedriver is not installed (apt-get install chromium chromium-driver)"
            );
            eprintln!("browser test skipped: chromedriver is not installed (apt-get install chromium chromium-driver)");
            return None;
        };
        let port = free_port();
        let process = {
            use std::os::unix::process::CommandExt;
            Command::new(binary)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .expect("chromedriver starts")
        };
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let shots = std::env::var_os("OBEREG_SCREENSHOTS")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots"));
        std::fs::create_dir_all(&shots).unwrap();
        Some(Self { process, url: format!("http://127.0.0.1:{port}"), shots })
    }

    /// Opens a fresh browser (its own temporary profile) that prefers Russian.
    async fn browser(&self, base: &str) -> Browser<'_> {
        let mut options = json!({
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--no-first-run", "--lang=ru-RU", "--window-size=1280,900"],
            "prefs": {"intl.accept_languages": "ru-RU,ru"},
        });
        if let Some(chromium) = std::env::var_os("OBEREG_CHROMIUM").map(PathBuf::from).or_else(|| on_path("chromium")) {
            options["binary"] = Value::from(chromium.to_string_lossy().into_owned());
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert("goog:chromeOptions".into(), options);
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector).capabilities(capabilities).connect(&self.url).await.expect("a browser session");
        Browser { client, base: base.to_owned(), driver: self }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // chromedriver leads its own process group: ending the group ends the browsers too.
        let _ = Command::new("kill").arg("--").arg(format!("-{}", self.process.id())).status();
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Browser<'_> {
    async fn open(&self, path: &str) {
        self.client.goto(&format!("{}{path}", self.base)).await.unwrap();
    }

    async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_owned()
    }

    /// Waits until the page's visible text contains `needle` (a click that submits a form
    /// returns when the browser has started, not finished, the next page), then returns it.
    async fn expect_text(&self, needle: &str) -> String {
        let mut text = String::new();
        for _ in 0..100 {
            if let Ok(body) = self.client.find(Locator::Css("body")).await {
                text = body.text().await.unwrap_or_default();
                if text.contains(needle) {
                    return text;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the page at {} never showed {needle:?}; it shows:\n{text}", self.path().await);
    }

    async fn type_into(&self, css: &str, text: &str) {
        let field = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("no field {css}: {e}"));
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    async fn click(&self, css: &str) {
        self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("nothing to click at {css}: {e}")).click().await.unwrap();
    }

    async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
        std::fs::write(self.driver.shots.join(format!("{name}.png")), png).unwrap();
    }

    /// Whether the page fits the window's width (no sideways scrolling).
    async fn fits_width(&self) -> bool {
        let fits = self.client.execute("return document.documentElement.scrollWidth <= window.innerWidth;", vec![]).await.unwrap();
        fits.as_bool().unwrap()
    }

    async fn close(self) {
        self.client.close().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subject_and_a_dpo_do_an_erasure_in_chromium() {
    let Some(driver) = Driver::start().await else { return };
    let server = TestServer::start().await;
    let outbox = Outbox::default();
    let document = newsletter_document(&server).await;
    let subject = customer(&server, "marina@example.ru", &document).await;
    staff_account(&server, "dpo", "privacy_officer").await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://localhost:{}", listener.local_addr().unwrap().port());
    tokio::spawn(axum::serve(listener, server.app.clone()).into_future());

    // The subject signs in with a code sent to their address, by keyboard alone.
    let me = driver.browser(&base).await;
    me.open("/me").await;
    me.expect_text("Отправить код").await;
    me.screenshot("portal-sign-in").await;
    me.type_into("#address", &format!("Marina@Example.ru{}", char::from(Key::Enter))).await;
    me.expect_text("шестизначный код").await;
    let code = outbox.code_for(&server, "marina@example.ru", "код для входа").await;
    me.type_into("#code", &format!("{code}{}", char::from(Key::Enter))).await;
    let data = me.expect_text("марина цветаева").await;
    assert!(data.contains("+79035550177"), "{data}");
    assert_eq!(me.path().await, "/me/data");
    me.screenshot("portal-data").await;

    // The portal is usable on a phone screen: nothing scrolls sideways.
    me.client.set_window_size(390, 844).await.unwrap();
    me.open("/me/consents").await;
    me.expect_text("Отозвать").await;
    me.screenshot("portal-consents-phone").await;
    assert!(me.fits_width().await, "the consents page fits a 390 px wide phone screen");
    for path in ["/me/data", "/me/requests", "/me/journal"] {
        me.open(path).await;
        assert!(me.fits_width().await, "{path} fits a 390 px wide phone screen");
    }
    me.client.set_window_size(1280, 900).await.unwrap();
    me.open("/me/consents").await;

    // Withdraws marketing consent in one click.
    me.click("button[data-purpose='product_news'][data-channel='email']").await;
    me.expect_text("Согласие отозвано").await;
    let history = server.get(&format!("/v1/subjects/{subject}/consents"), Some(&server.token)).await;
    assert!(history.text.contains("\"withdrawn\""), "{}", history.text);

    // Files an erasure request.
    me.open("/me/requests").await;
    me.click("#kind option[value='erasure']").await;
    me.type_into("#details", "Удалите мои данные").await;
    me.click("form[action='/me/requests'] button[type='submit']").await;
    let list = me.expect_text("в работе").await;
    assert!(list.contains("Удалить мои данные"), "{list}");
    let request_id = me.client.find(Locator::Css("tbody tr td")).await.unwrap().text().await.unwrap();
    assert!(request_id.starts_with("R-"), "{request_id}");
    me.screenshot("portal-requests").await;
    me.open("/me/journal").await;
    me.expect_text("вход в личный кабинет").await;
    me.screenshot("portal-journal").await;

    // A DPO, in another browser, signs in and finds the request on the dashboard.
    let dpo = driver.browser(&base).await;
    dpo.open("/console").await;
    assert_eq!(dpo.path().await, "/console/sign-in", "the console sends strangers to sign in");
    dpo.screenshot("console-sign-in").await;
    dpo.type_into("#login", "dpo").await;
    dpo.type_into("#password", PASSWORD).await;
    dpo.click("form[action='/console/sign-in'] button[type='submit']").await;
    dpo.expect_text(&request_id).await;
    assert!(dpo.client.find(Locator::Css("svg")).await.is_ok(), "the consent chart is drawn");
    dpo.screenshot("console-dashboard").await;
    for (path, marker, name) in [
        ("/console/subjects", "Найти", "console-subjects"),
        ("/console/consents", "Документы согласий", "console-consents"),
        ("/console/journal", "Журнал", "console-journal"),
        ("/console/catalog", "Каталог", "console-catalog"),
        ("/console/account", "Второй фактор", "console-account"),
        ("/console/incidents", "Зарегистрировать инцидент", "console-incidents"),
    ] {
        dpo.open(path).await;
        dpo.expect_text(marker).await;
        dpo.screenshot(name).await;
    }

    // Opens the request from the dashboard and completes it.
    dpo.open("/console").await;
    dpo.click(&format!("a[href='/console/requests/{request_id}']")).await;
    dpo.expect_text("Удалите мои данные").await;
    dpo.screenshot("console-request").await;
    dpo.type_into("#c-note", "Данные удалены").await;
    dpo.click("#complete").await;
    dpo.expect_text("исполнен").await;
    dpo.screenshot("console-request-completed").await;

    // The subject sees the result; their data is gone.
    me.open("/me/requests").await;
    me.expect_text("исполнен").await;
    me.screenshot("portal-request-completed").await;
    me.open("/me/data").await;
    let after = me.expect_text("Мои данные").await;
    assert!(!after.contains("марина"), "{after}");

    // Signing out ends the session: the console sends the DPO back to sign in.
    dpo.open("/console").await;
    dpo.click("form[action='/console/sign-out'] button").await;
    dpo.expect_text("Войти").await;
    dpo.open("/console").await;
    assert_eq!(dpo.path().await, "/console/sign-in");

    me.close().await;
    dpo.close().await;
}
