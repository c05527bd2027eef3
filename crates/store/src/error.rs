use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("{0}")]
    BadUrl(String),
    #[error("{what} already exists")]
    Duplicate { what: String },
    #[error("{0} was not found")]
    NotFound(String),
    #[error("the stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// An interactive read ran past its time bound and was stopped.
    #[error("the search took longer than {} s and was stopped", .0.as_secs_f64())]
    TooSlow(std::time::Duration),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            if db.is_unique_violation() {
                return StoreError::Duplicate {
                    what: db.constraint().map(|c| format!("a record with the same {c}")).unwrap_or_else(|| "a record with the same key".into()),
                };
            }
        }
        StoreError::Database(e)
    }
}
