//! The PostgreSQL backend, for production and for several obereg servers over one database.

use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use crate::queries::{insert_token, shared_queries};
use crate::{Backend, StoreError, schema};

static MIGRATOR: Migrator = sqlx::migrate!("migrations/postgres");

/// Connections per server; several servers share one database, so keep it modest.
const CONNECTIONS: u32 = 10;

/// A store in a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PgStore {
    write: PgPool,
    read: PgPool,
}

impl PgStore {
    /// The tables a bulk import grows; lookups and deduplication read them.
    const SETTLE_BULK_LOAD: &'static str = "ANALYZE subjects, subject_items, subject_blinds, keystore.subject_keys";

    /// PostgreSQL exposes no commit mark without a query: every freshness probe queries.
    fn read_commit_mark(&self) -> Option<crate::CommitMark> {
        None
    }

    /// Connects to `url` and migrates the database.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let options: PgConnectOptions = url.parse()?;
        // Over TCP, every new connection gets Nagle's algorithm turned off (see `nodelay`).
        let tcp_port = tcp_port(&options);
        let pool = PgPoolOptions::new()
            .max_connections(CONNECTIONS)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |_, _| {
                Box::pin(async move {
                    if let Some(port) = tcp_port {
                        crate::nodelay::on_sockets_to(port);
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        schema::guard(Self::applied_schema_version(&pool).await, &MIGRATOR)?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { write: pool.clone(), read: pool })
    }
}

/// The server's port when the connection goes over TCP; `None` over a Unix socket.
fn tcp_port(options: &PgConnectOptions) -> Option<u16> {
    (options.get_socket().is_none() && !options.get_host().starts_with('/')).then(|| options.get_port())
}

shared_queries!(PgStore, PgPool, sqlx::Postgres, Backend::Postgres);

#[cfg(test)]
mod tests {
    #[test]
    fn nagle_is_turned_off_over_tcp_only() {
        let port = |url: &str| super::tcp_port(&url.parse().unwrap());
        assert_eq!(port("postgres://obereg@127.0.0.1:6543/obereg"), Some(6543));
        assert_eq!(port("postgres://obereg@db.internal/obereg"), Some(5432));
        assert_eq!(port("postgres://obereg@localhost/obereg?host=/var/run/postgresql"), None);
    }
}
