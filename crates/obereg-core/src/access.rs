//! Who may touch which personal data, for which purpose: the vault's permission matrix as a
//! pure function of the catalog.
//!
//! A staff role (catalog `[[roles]]`) reads a category for a purpose only when the role is
//! granted the purpose, the category and the operation, and the purpose itself processes
//! the category with that operation; categories listed in the role's `masked` come back
//! masked. Administrators (API admin and platform tokens, the local operator) configure the
//! tenant and feed it data, but read no personal data: that needs a role the catalog names.
//! A restricted (blocked) subject's data is kept but used by no one except a `dpo` role.
//!
//! Refusals carry a reason in both languages ("role `support` may not use purpose
//! `marketing`") that names ids from the catalog, never a value.

use std::collections::BTreeMap;

use crate::catalog::{Catalog, Purpose, Role};
use crate::operation::Operation;
use crate::text::Bilingual;

/// Who is acting, as the catalog sees it.
#[derive(Debug, Clone, Copy)]
pub enum Principal<'a> {
    /// Admin and platform tokens and the local operator.
    Administrator,
    /// A holder of a catalog staff role.
    Staff(&'a Role),
}

/// Why something was refused, and whether it was the caller's rights or the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    pub code: &'static str,
    pub reason: Bilingual,
    /// `true` when the request itself is malformed (unknown purpose, a category the purpose
    /// does not process), `false` when the caller lacks the right.
    pub invalid_request: bool,
}

impl Denial {
    fn forbidden(code: &'static str, en: String, ru: String) -> Self {
        Self { code, reason: Bilingual::new(en, ru), invalid_request: false }
    }

    fn invalid(code: &'static str, en: String, ru: String) -> Self {
        Self { code, reason: Bilingual::new(en, ru), invalid_request: true }
    }
}

/// How a readable category is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Full,
    Masked,
}

/// What one read may return: categories and how each is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadScope {
    pub categories: BTreeMap<String, Visibility>,
}

/// The purpose named `id`, or an invalid-request denial.
pub fn purpose<'c>(catalog: &'c Catalog, id: &str) -> Result<&'c Purpose, Denial> {
    catalog.purposes.iter().find(|p| p.id == id).ok_or_else(|| {
        Denial::invalid("subject.unknown_purpose", format!("purpose `{id}` is not in the catalog"), format!("цели `{id}` нет в каталоге"))
    })
}

/// What `principal` may read of a subject for `purpose_id`.
pub fn read_scope(catalog: &Catalog, principal: Principal<'_>, purpose_id: &str, restricted: bool) -> Result<ReadScope, Denial> {
    let purpose = purpose(catalog, purpose_id)?;
    let role = match principal {
        Principal::Administrator => {
            return Err(Denial::forbidden(
                "access.administrator_reads_no_data",
                "administrator tokens manage the tenant and read no personal data; use a token of a catalog role".into(),
                "токены администратора управляют арендатором и не читают персональные данные; используйте токен роли из каталога".into(),
            ));
        }
        Principal::Staff(role) => role,
    };
    role_may_use(role, purpose, Operation::Extraction)?;
    if restricted && !role.dpo {
        return Err(restricted_denial());
    }
    let categories = purpose
        .categories()
        .filter(|c| role.categories.contains(c))
        .map(|c| (c.clone(), if role.masked.contains(c) { Visibility::Masked } else { Visibility::Full }))
        .collect();
    Ok(ReadScope { categories })
}

/// Whether `principal` may find subjects by a value of `category` for `purpose_id`.
/// Administrators may (a lookup answers ids and status only); a staff role needs the
/// category in what it may read for the purpose.
pub fn check_lookup(catalog: &Catalog, principal: Principal<'_>, purpose_id: &str, category: &str) -> Result<(), Denial> {
    if matches!(principal, Principal::Administrator) {
        return purpose(catalog, purpose_id).map(|_| ());
    }
    let scope = read_scope(catalog, principal, purpose_id, false)?;
    if scope.categories.contains_key(category) {
        Ok(())
    } else {
        Err(Denial::forbidden(
            "access.category_not_granted",
            format!("this role may not search by `{category}` for `{purpose_id}`"),
            format!("этой роли нельзя искать по `{category}` для цели `{purpose_id}`"),
        ))
    }
}

/// A write of one value: its category, the purposes it is collected for and the operation.
#[derive(Debug, Clone, Copy)]
pub struct Write<'a> {
    pub operation: Operation,
    pub subject_kind: &'a str,
    pub category: &'a str,
    pub purposes: &'a [String],
}

/// Whether `principal` may perform `write` on a subject; `restricted` subjects accept only
/// clarification (rectification) by a `dpo` role.
pub fn check_write(catalog: &Catalog, principal: Principal<'_>, restricted: bool, write: &Write<'_>) -> Result<(), Denial> {
    let Write { operation, subject_kind, category, purposes } = *write;
    if !catalog.categories.iter().any(|c| c.id == category) {
        return Err(Denial::invalid(
            "subject.unknown_category",
            format!("category `{category}` is not in the catalog"),
            format!("категории `{category}` нет в каталоге"),
        ));
    }
    if purposes.is_empty() {
        return Err(Denial::invalid(
            "subject.no_purpose",
            format!("a value of `{category}` names no purpose; every value is collected for a purpose"),
            format!("для значения `{category}` не указана цель; любое значение собирается ради цели"),
        ));
    }
    for id in purposes {
        let p = purpose(catalog, id)?;
        if !p.categories().any(|c| c == category) {
            return Err(Denial::invalid(
                "subject.category_outside_purpose",
                format!("purpose `{id}` does not process `{category}`"),
                format!("цель `{id}` не предусматривает обработку `{category}`"),
            ));
        }
        if !p.subject_kinds.is_empty() && !p.subject_kinds.iter().any(|k| k == subject_kind) {
            return Err(Denial::invalid(
                "subject.kind_outside_purpose",
                format!("purpose `{id}` does not concern subjects of kind `{subject_kind}`"),
                format!("цель `{id}` не относится к субъектам вида `{subject_kind}`"),
            ));
        }
        if !p.operations.contains(&operation) {
            return Err(Denial::invalid(
                "subject.operation_outside_purpose",
                format!("purpose `{id}` does not include the operation {}", operation.label().en),
                format!("цель `{id}` не предусматривает действие «{}»", operation.label().ru),
            ));
        }
        if let Principal::Staff(role) = principal {
            role_may_use(role, p, operation)?;
            if !role.categories.iter().any(|c| c == category) {
                return Err(Denial::forbidden(
                    "access.category_not_granted",
                    format!("role `{}` may not process `{category}`", role.id),
                    format!("роли `{}` не разрешена обработка `{category}`", role.id),
                ));
            }
        }
    }
    if restricted && !(operation == Operation::Clarification && matches!(principal, Principal::Staff(r) if r.dpo)) {
        return Err(restricted_denial());
    }
    Ok(())
}

/// Whether `principal` may perform a whole-subject operation: erasure (`Destruction`),
/// restriction (`Blocking`). Lifting a restriction is `Blocking` by a `dpo` role or an
/// administrator.
pub fn check_subject_operation(principal: Principal<'_>, operation: Operation, lifting: bool) -> Result<(), Denial> {
    let Principal::Staff(role) = principal else { return Ok(()) };
    if !role.operations.contains(&operation) {
        return Err(operation_denial(role, operation));
    }
    if lifting && !role.dpo {
        return Err(restricted_denial());
    }
    Ok(())
}

fn role_may_use(role: &Role, purpose: &Purpose, operation: Operation) -> Result<(), Denial> {
    if !role.purposes.contains(&purpose.id) {
        return Err(Denial::forbidden(
            "access.purpose_not_granted",
            format!("role `{}` may not use purpose `{}`", role.id, purpose.id),
            format!("роли `{}` не разрешена цель `{}`", role.id, purpose.id),
        ));
    }
    if !role.operations.contains(&operation) {
        return Err(operation_denial(role, operation));
    }
    if !purpose.operations.contains(&operation) {
        return Err(Denial::forbidden(
            "access.operation_outside_purpose",
            format!("purpose `{}` does not include the operation {}", purpose.id, operation.label().en),
            format!("цель `{}` не предусматривает действие «{}»", purpose.id, operation.label().ru),
        ));
    }
    Ok(())
}

fn operation_denial(role: &Role, operation: Operation) -> Denial {
    Denial::forbidden(
        "access.operation_not_granted",
        format!("role `{}` may not perform {}", role.id, operation.label().en),
        format!("роли `{}` не разрешено действие «{}»", role.id, operation.label().ru),
    )
}

fn restricted_denial() -> Denial {
    Denial::forbidden(
        "subject.restricted",
        "the subject's data is blocked: it is stored but used by no one except the DPO role".into(),
        "данные субъекта заблокированы: они хранятся, но доступны только роли ответственного (DPO)".into(),
    )
}

#[cfg(test)]
mod tests;
