//! The app crate's integration tests, in one binary (one link, less disk).

/// One test per back end for each case, given an app on a fresh store (concurrency.rs
/// has its own, which also hands the store over).
macro_rules! both_backends {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = store::test_support::fresh(store::Backend::Sqlite).await.unwrap();
                super::$case(app::App::new(db.store.clone(), Default::default())).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = store::test_support::fresh(store::Backend::Postgres).await {
                    super::$case(app::App::new(db.store.clone(), Default::default())).await;
                }
            }
        }
    )*};
}

mod concurrency;
mod dashboards;
mod search;
mod use_cases;
