//! The console's account pages: a staff member's own account (password, second factor) and,
//! for tenant administrators, everyone's accounts (create, disable, enable, reset password).
//! The same engine use cases back the `obereg staff` CLI; these pages only call them with the
//! signed-in member's actor, so an account that is not an administrator gets the engine's
//! refusal here as anywhere.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use obereg_engine::web::staff::{ADMIN_ROLE, StaffAccountView};
use obereg_engine::{Engine, EngineError};
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::problem::status_for;

use super::console::{DoneQuery, staff};
use super::{Page, error_page, error_text, html, moscow_time, see_other, text};

pub fn routes() -> axum::Router<Engine> {
    axum::Router::new()
        .route("/console/account", get(account))
        .route("/console/account/password", post(change_password))
        .route("/console/account/second-factor", post(start_second_factor))
        .route("/console/account/second-factor/confirm", post(confirm_second_factor))
        .route("/console/staff", get(accounts).post(create_account))
        .route("/console/staff/{login}/disable", post(disable_account))
        .route("/console/staff/{login}/enable", post(enable_account))
        .route("/console/staff/{login}/password", post(reset_password))
}

const ACCOUNT: (&str, &str) = ("My account", "Моя учётная запись");
const STAFF: (&str, &str) = ("Staff accounts", "Сотрудники");

#[derive(Template)]
#[template(path = "console/account.html")]
struct AccountPage {
    page: Page,
    account: StaffAccountView,
    created: String,
}

async fn render_account(engine: &Engine, session: &obereg_engine::web::staff::StaffSession, page: Page, status: StatusCode) -> Response {
    match engine.own_staff_account(&session.actor).await {
        Ok(account) => {
            let created = moscow_time(account.created_at);
            let mut response = html(&AccountPage { page, account, created });
            *response.status_mut() = status;
            response
        }
        Err(e) => error_page(page, status_for(&e), &e),
    }
}

async fn account(State(engine): State<Engine>, headers: HeaderMap, Query(q): Query<DoneQuery>) -> Response {
    let (session, mut page) = match staff(&engine, &headers, ACCOUNT, "/console/account").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !q.done.is_empty() {
        page.notice = Some(page.t("Done.", "Готово.").to_owned());
    }
    render_account(&engine, &session, page, StatusCode::OK).await
}

#[derive(Deserialize)]
struct PasswordForm {
    current: String,
    new: String,
    repeat: String,
}

async fn change_password(State(engine): State<Engine>, headers: HeaderMap, Form(form): Form<PasswordForm>) -> Response {
    let (session, mut page) = match staff(&engine, &headers, ACCOUNT, "/console/account").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (current, new) = (Zeroizing::new(form.current), Zeroizing::new(form.new));
    if *new != form.repeat {
        page.error = Some(page.t("The new password and its repetition differ.", "Новый пароль и его повтор не совпадают.").to_owned());
        return render_account(&engine, &session, page, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    match engine.change_own_password(&session.actor, &current, &new).await {
        // Every session of the account ended with the change: sign in with the new password.
        Ok(_) => see_other("/console/sign-in?changed=password"),
        Err(e) => {
            page.error = Some(error_text(page.lang, &e));
            render_account(&engine, &session, page, status_for(&e)).await
        }
    }
}

#[derive(Template)]
#[template(path = "console/second_factor.html")]
struct SecondFactorPage {
    page: Page,
    secret: String,
    uri: String,
    sealed: String,
}

async fn start_second_factor(State(engine): State<Engine>, headers: HeaderMap) -> Response {
    let (session, page) = match staff(&engine, &headers, ("Second factor", "Второй фактор"), "/console/account").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match engine.start_own_totp(&session.actor).await {
        Ok(pending) => html(&SecondFactorPage {
            page,
            secret: pending.enrollment.secret_base32.to_string(),
            uri: pending.enrollment.uri.to_string(),
            sealed: pending.sealed,
        }),
        Err(e) => error_page(page, status_for(&e), &e),
    }
}

#[derive(Deserialize)]
struct ConfirmForm {
    sealed: String,
    code: String,
}

async fn confirm_second_factor(State(engine): State<Engine>, headers: HeaderMap, Form(form): Form<ConfirmForm>) -> Response {
    let (session, mut page) = match staff(&engine, &headers, ACCOUNT, "/console/account").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match engine.confirm_own_totp(&session.actor, &form.sealed, &form.code).await {
        Ok(_) => see_other("/console/sign-in?changed=second-factor"),
        Err(e) => {
            page.error = Some(error_text(page.lang, &e));
            render_account(&engine, &session, page, status_for(&e)).await
        }
    }
}

struct ShownAccount {
    account: StaffAccountView,
    role_name: String,
    created: String,
}

#[derive(Template)]
#[template(path = "console/staff.html")]
struct StaffPage {
    page: Page,
    accounts: Vec<ShownAccount>,
    roles: Vec<(String, String)>,
    login: String,
    role: String,
}

/// The accounts page, with what the create form held (after a refusal).
async fn render_accounts(
    engine: &Engine,
    session: &obereg_engine::web::staff::StaffSession,
    page: Page,
    login: String,
    role: String,
    status: StatusCode,
) -> Response {
    let (list, catalog) = match (engine.staff_accounts(&session.actor).await, engine.public_catalog(&session.actor.tenant).await) {
        (Ok(list), Ok(catalog)) => (list, catalog),
        (Err(e), _) | (_, Err(e)) => return error_page(page, status_for(&e), &e),
    };
    let lang = page.lang;
    let mut roles: Vec<(String, String)> = catalog.roles.iter().map(|r| (r.id.clone(), text(lang, &r.name))).collect();
    roles.push((ADMIN_ROLE.to_owned(), lang.t("Administrator", "Администратор").to_owned()));
    let role_name = |id: &str| roles.iter().find(|(r, _)| r == id).map(|(_, n)| n.clone()).unwrap_or_else(|| id.to_owned());
    let accounts = list
        .into_iter()
        .map(|account| ShownAccount { role_name: role_name(&account.role), created: moscow_time(account.created_at), account })
        .collect();
    let mut response = html(&StaffPage { page, accounts, roles, login, role });
    *response.status_mut() = status;
    response
}

async fn accounts(State(engine): State<Engine>, headers: HeaderMap, Query(q): Query<DoneQuery>) -> Response {
    let (session, mut page) = match staff(&engine, &headers, STAFF, "/console/staff").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !session.admin {
        return error_page(page, StatusCode::FORBIDDEN, &EngineError::Forbidden);
    }
    if !q.done.is_empty() {
        page.notice = Some(page.t("Done.", "Готово.").to_owned());
    }
    render_accounts(&engine, &session, page, String::new(), String::new(), StatusCode::OK).await
}

#[derive(Deserialize)]
struct NewAccountForm {
    login: String,
    role: String,
    password: String,
}

async fn create_account(State(engine): State<Engine>, headers: HeaderMap, Form(form): Form<NewAccountForm>) -> Response {
    let (session, mut page) = match staff(&engine, &headers, STAFF, "/console/staff").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let password = Zeroizing::new(form.password);
    match engine.create_staff_account(&session.actor, form.login.trim(), &form.role, &password).await {
        Ok(_) => see_other("/console/staff?done=1"),
        Err(e) => {
            page.error = Some(error_text(page.lang, &e));
            let status = status_for(&e);
            if status == StatusCode::FORBIDDEN {
                return error_page(page, status, &e);
            }
            render_accounts(&engine, &session, page, form.login, form.role, status).await
        }
    }
}

/// Runs an administrator's action on the account `login` and comes back to the list.
async fn on_account(
    engine: &Engine,
    headers: &HeaderMap,
    action: impl AsyncFnOnce(&Engine, &obereg_engine::Actor) -> Result<StaffAccountView, EngineError>,
) -> Response {
    let (session, mut page) = match staff(engine, headers, STAFF, "/console/staff").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match action(engine, &session.actor).await {
        Ok(_) => see_other("/console/staff?done=1"),
        Err(EngineError::Forbidden) => error_page(page, StatusCode::FORBIDDEN, &EngineError::Forbidden),
        Err(e) => {
            page.error = Some(error_text(page.lang, &e));
            render_accounts(engine, &session, page, String::new(), String::new(), status_for(&e)).await
        }
    }
}

async fn disable_account(State(engine): State<Engine>, headers: HeaderMap, Path(login): Path<String>) -> Response {
    on_account(&engine, &headers, async |engine, actor| engine.set_staff_disabled(actor, &login, true).await).await
}

async fn enable_account(State(engine): State<Engine>, headers: HeaderMap, Path(login): Path<String>) -> Response {
    on_account(&engine, &headers, async |engine, actor| engine.set_staff_disabled(actor, &login, false).await).await
}

#[derive(Deserialize)]
struct ResetForm {
    password: String,
}

async fn reset_password(
    State(engine): State<Engine>,
    headers: HeaderMap,
    Path(login): Path<String>,
    Form(form): Form<ResetForm>,
) -> Response {
    let password = Zeroizing::new(form.password);
    on_account(&engine, &headers, async |engine, actor| engine.set_staff_password(actor, &login, &password).await).await
}
