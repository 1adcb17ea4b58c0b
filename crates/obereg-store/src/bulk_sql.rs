//! Multi-row INSERTs for bulk writes (imports, journal batches), shared by both backends.
//!
//! A bulk write is a chain of large INSERT statements on the one writer connection. Building
//! a statement (placeholders, one owned argument per cell) is CPU work on the calling task;
//! running it is work on the connection (SQLite's worker thread, or the PostgreSQL server).
//! Done one after the other, each waits for the other: at 50,000 subjects per import batch,
//! building took about a third of the batch's commit. [`insert_overlapped`] builds statement
//! N+1 while statement N runs, so the two proceed on two cores (`fetch_overlapped` does the
//! same for INSERTs that return rows).
//!
//! [`Shared`] hands out one reference-counted copy of a text that many rows repeat (tenant,
//! kind, category, purposes, source): binding it costs a counter increment, not an
//! allocation and a copy per cell.

use std::collections::HashMap;
use std::sync::Arc;

/// Texts repeated across the rows of one bulk write, each stored once.
#[derive(Default)]
pub(crate) struct Shared {
    texts: HashMap<String, Arc<str>>,
}

impl Shared {
    /// The shared copy of `text`.
    pub(crate) fn text(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.texts.get(text) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(text);
        self.texts.insert(text.to_owned(), shared.clone());
        shared
    }
}

macro_rules! bulk_helpers {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Runs one INSERT per chunk of `per` rows in `tx`, building each statement while
            /// the previous one runs (see the module documentation); returns the rows
            /// affected in all. `build` turns a chunk into its statement.
            async fn insert_overlapped<T>(
                tx: &mut sqlx::Transaction<'static, $db>,
                rows: &[T],
                per: usize,
                mut build: impl FnMut(&[T]) -> sqlx::QueryBuilder<$db>,
            ) -> Result<u64, $crate::StoreError> {
                let mut chunks = rows.chunks(per.max(1));
                let mut next = chunks.next().map(&mut build);
                let mut affected = 0;
                while let Some(mut current) = next.take() {
                    // `biased`: the statement is handed to the connection first, then the
                    // next one is built while it runs.
                    let (done, upcoming) =
                        tokio::join!(biased; current.build().execute(&mut **tx), async { chunks.next().map(&mut build) });
                    affected += done?.rows_affected();
                    next = upcoming;
                }
                Ok(affected)
            }

            /// [`insert_overlapped`] for INSERTs with a `RETURNING` clause: returns the rows
            /// every statement returned, read as `R`.
            async fn fetch_overlapped<T, R>(
                tx: &mut sqlx::Transaction<'static, $db>,
                rows: &[T],
                per: usize,
                mut build: impl FnMut(&[T]) -> sqlx::QueryBuilder<$db>,
            ) -> Result<Vec<R>, $crate::StoreError>
            where
                R: for<'r> sqlx::FromRow<'r, <$db as sqlx::Database>::Row> + Send + Unpin,
            {
                let mut chunks = rows.chunks(per.max(1));
                let mut next = chunks.next().map(&mut build);
                let mut returned = Vec::new();
                while let Some(mut current) = next.take() {
                    let (done, upcoming) =
                        tokio::join!(biased; current.build_query_as::<R>().fetch_all(&mut **tx), async { chunks.next().map(&mut build) });
                    returned.extend(done?);
                    next = upcoming;
                }
                Ok(returned)
            }
        }
    };
}

pub(crate) use bulk_helpers;
