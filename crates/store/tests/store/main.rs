//! The store crate's integration tests, in one binary (one link, less disk).

/// One test per back end for each story, given a fresh store.
macro_rules! contract {
    ($($story:ident),* $(,)?) => {$(
        mod $story {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = store::test_support::fresh(store::Backend::Sqlite).await.unwrap();
                super::$story(db.store.clone()).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = store::test_support::fresh(store::Backend::Postgres).await {
                    super::$story(db.store.clone()).await;
                }
            }
        }
    )*};
}

mod consignees;
mod contract;
mod quality;
mod scores;
mod truncate;
