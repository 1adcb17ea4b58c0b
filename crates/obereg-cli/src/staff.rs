//! `obereg staff …`: console accounts, straight in the database (the operator at the
//! command line acts with full rights, as with tokens). Passwords are read from standard
//! input or `OBEREG_STAFF_PASSWORD`, never from the command line, where other users of the
//! machine and the shell history could see them.

use std::io::BufRead;

use obereg_engine::Actor;
use secrecy::zeroize::Zeroizing;

use crate::Failure;
use crate::config::Config;
use crate::setup;

#[derive(Debug, clap::Subcommand)]
pub enum StaffCommand {
    /// Create a console account; the password is read from stdin or OBEREG_STAFF_PASSWORD
    Add {
        #[arg(long)]
        login: String,
        /// A [[roles]] id of the tenant's catalog, or admin
        #[arg(long)]
        role: String,
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
    },
    /// List the tenant's console accounts
    List {
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
    },
    /// Set a new password (read like `add`); ends the account's sessions and lifts a lock
    Password {
        #[arg(long)]
        login: String,
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
    },
    /// Disable an account and end its sessions
    Disable {
        #[arg(long)]
        login: String,
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
    },
    /// Enable a disabled account
    Enable {
        #[arg(long)]
        login: String,
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
    },
    /// Set up a TOTP second factor; prints the secret and the otpauth:// address once
    Totp {
        #[arg(long)]
        login: String,
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
    },
}

fn read_password() -> Result<Zeroizing<String>, Failure> {
    if let Ok(p) = std::env::var("OBEREG_STAFF_PASSWORD") {
        return Ok(Zeroizing::new(p));
    }
    eprintln!("password (one line on stdin) / пароль (одна строка на stdin):");
    let mut line = Zeroizing::new(String::new());
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|_| Failure::usage("cannot read the password from stdin / не удалось прочитать пароль"))?;
    Ok(Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_owned()))
}

fn print(a: &obereg_engine::web::staff::StaffAccountView) {
    let state = if a.disabled {
        "disabled"
    } else if a.locked {
        "locked"
    } else {
        "active"
    };
    let factor = if a.second_factor { "totp" } else { "password" };
    println!("{}\t{}\t{}\t{state}\t{factor}", a.id, a.login, a.role);
}

pub async fn run(config: Config, command: StaffCommand) -> Result<u8, Failure> {
    let engine = setup::open_engine(&config).await?;
    match command {
        StaffCommand::Add { login, role, tenant } => {
            let password = read_password()?;
            let made = engine
                .create_staff_account(&Actor::local_operator(&tenant), &login, &role, &password)
                .await
                .map_err(setup::engine_failure)?;
            print(&made);
        }
        StaffCommand::List { tenant } => {
            for a in engine.staff_accounts(&Actor::local_operator(&tenant)).await.map_err(setup::engine_failure)? {
                print(&a);
            }
        }
        StaffCommand::Password { login, tenant } => {
            let password = read_password()?;
            print(&engine.set_staff_password(&Actor::local_operator(&tenant), &login, &password).await.map_err(setup::engine_failure)?);
        }
        StaffCommand::Disable { login, tenant } => {
            print(&engine.set_staff_disabled(&Actor::local_operator(&tenant), &login, true).await.map_err(setup::engine_failure)?);
        }
        StaffCommand::Enable { login, tenant } => {
            print(&engine.set_staff_disabled(&Actor::local_operator(&tenant), &login, false).await.map_err(setup::engine_failure)?);
        }
        StaffCommand::Totp { login, tenant } => {
            let enrolled = engine.enroll_staff_totp(&Actor::local_operator(&tenant), &login).await.map_err(setup::engine_failure)?;
            println!("{}", enrolled.uri.as_str());
            eprintln!(
                "secret {}: add it to an authenticator app; shown once / добавьте в приложение-аутентификатор; показан один раз",
                enrolled.secret_base32.as_str()
            );
        }
    }
    Ok(0)
}
