use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("{0}")]
    BadUrl(String),
    /// A unique key refused the write. `constraint` names the database constraint
    /// (or SQLite's message) for the server log; people are told in plain words.
    #[error("duplicate record refused by {constraint}")]
    Duplicate { constraint: String },
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
                return StoreError::Duplicate { constraint: db.constraint().map(str::to_string).unwrap_or_else(|| db.message().to_string()) };
            }
        }
        StoreError::Database(e)
    }
}
