//! Stored propensity scores and the claim of a day's run, on both back ends.

use chrono::{Duration, NaiveDate};
use store::{RunClaim, Store};
use uuid::Uuid;

contract!(
    a_run_is_claimed_filled_and_read_back_as_the_latest,
    two_concurrent_claims_of_one_day_give_one_run,
    a_stale_claim_is_taken_over_and_a_failed_one_released,
    only_the_two_newest_runs_keep_their_scores,
);

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

async fn donors(store: &Store, n: u32) -> Vec<Uuid> {
    let mut tx = store.begin_write().await.unwrap();
    let mut ids = vec![];
    for i in 0..n {
        let d = store::DonorRow {
            id: Uuid::now_v7(),
            donor_number: format!("S{i:07}"),
            first_name: "Ann".into(),
            last_name: "Lee".into(),
            birth_date: day("1980-01-01"),
            sex: domain::Sex::Female,
            group: store::GroupOnRecord(None),
            email: None,
            phone: None,
            preferred_site: None,
            created_at: store::now(),
        };
        tx.insert_donor(&d).await.unwrap();
        ids.push(d.id);
    }
    tx.commit().await.unwrap();
    ids
}

async fn claim(store: &Store, as_of: NaiveDate, by: &str) -> RunClaim {
    let mut tx = store.begin_write().await.unwrap();
    let now = store::now();
    let c = tx.claim_score_run(as_of, by, now, now - Duration::hours(1)).await.unwrap();
    tx.commit().await.unwrap();
    c
}

async fn fill(store: &Store, run: Uuid, scores: &[(Uuid, f64)], model: &str) {
    let mut tx = store.begin_write().await.unwrap();
    tx.insert_scores(run, scores).await.unwrap();
    tx.finish_score_run(run, model, "{}", scores.len() as i64, store::now()).await.unwrap();
    tx.commit().await.unwrap();
}

async fn a_run_is_claimed_filled_and_read_back_as_the_latest(store: Store) {
    assert_eq!(store.latest_score_run().await.unwrap(), None);
    let ids = donors(&store, 2500).await;
    let RunClaim::Claimed(run) = claim(&store, day("2026-06-01"), "server-a").await else { panic!("first claim") };
    // Claimed but not done: not yet the latest.
    assert_eq!(store.latest_score_run().await.unwrap(), None);
    assert_eq!(store.score_run(day("2026-06-01")).await.unwrap().unwrap().status, "running");
    let scores: Vec<(Uuid, f64)> = ids.iter().enumerate().map(|(i, id)| (*id, i as f64 / 2500.0)).collect();
    fill(&store, run, &scores, "logistic").await;
    let latest = store.latest_score_run().await.unwrap().unwrap();
    assert_eq!((latest.id, latest.status.as_str(), latest.model.as_deref(), latest.donors), (run, "done", Some("logistic"), 2500));
    assert!(latest.finished_at.is_some());
    let mut back = store.run_scores(run).await.unwrap();
    back.sort_by(|a, b| a.1.total_cmp(&b.1));
    assert_eq!(back, scores, "2500 scores in three batches, read back exactly");
    // The same day again: taken, with the finished run.
    match claim(&store, day("2026-06-01"), "server-b").await {
        RunClaim::Taken(r) => assert_eq!((r.id, r.status.as_str(), r.claimed_by.as_str()), (run, "done", "server-a")),
        other => panic!("{other:?}"),
    }
    // An earlier day computed later does not become the latest.
    let RunClaim::Claimed(old) = claim(&store, day("2026-05-01"), "cli").await else { panic!() };
    fill(&store, old, &scores[..3], "recency").await;
    assert_eq!(store.latest_score_run().await.unwrap().unwrap().id, run);
    assert_eq!(store.score_runs(10).await.unwrap().iter().map(|r| r.as_of).collect::<Vec<_>>(), [day("2026-06-01"), day("2026-05-01")]);
}

async fn two_concurrent_claims_of_one_day_give_one_run(store: Store) {
    let as_of = day("2026-07-01");
    let mut tasks = vec![];
    for k in 0..6 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move { claim(&s, as_of, &format!("server-{k}")).await }));
    }
    let mut claimed = vec![];
    let mut taken = 0;
    for t in tasks {
        match t.await.unwrap() {
            RunClaim::Claimed(id) => claimed.push(id),
            RunClaim::Taken(r) => {
                assert_eq!(r.status, "running");
                taken += 1;
            }
        }
    }
    assert_eq!((claimed.len(), taken), (1, 5), "exactly one server computes the day");
    assert_eq!(store.score_runs(10).await.unwrap().len(), 1);
}

async fn a_stale_claim_is_taken_over_and_a_failed_one_released(store: Store) {
    let ids = donors(&store, 3).await;
    let as_of = day("2026-08-01");
    // A claim made two hours ago by a server that died.
    let mut tx = store.begin_write().await.unwrap();
    let long_ago = store::now() - Duration::hours(2);
    let RunClaim::Claimed(dead) = tx.claim_score_run(as_of, "dead-server", long_ago, long_ago - Duration::hours(1)).await.unwrap() else { panic!() };
    tx.insert_scores(dead, &[(ids[0], 0.5)]).await.unwrap();
    tx.commit().await.unwrap();
    let RunClaim::Claimed(again) = claim(&store, as_of, "live-server").await else { panic!("a stale claim is taken over") };
    assert_eq!(again, dead, "the same run row, claimed anew");
    assert!(store.run_scores(again).await.unwrap().is_empty(), "half-written scores are dropped");
    assert_eq!(store.score_run(as_of).await.unwrap().unwrap().claimed_by, "live-server");
    // A fresh claim is not taken over.
    assert!(matches!(claim(&store, as_of, "third").await, RunClaim::Taken(_)));
    // Released after a failure: the day can be claimed again.
    let mut tx = store.begin_write().await.unwrap();
    tx.release_score_run(again).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.score_run(as_of).await.unwrap(), None);
    assert!(matches!(claim(&store, as_of, "retry").await, RunClaim::Claimed(_)));
}

async fn only_the_two_newest_runs_keep_their_scores(store: Store) {
    let ids = donors(&store, 4).await;
    let scores: Vec<(Uuid, f64)> = ids.iter().map(|id| (*id, 0.25)).collect();
    let mut runs = vec![];
    for as_of in ["2026-01-01", "2026-01-02", "2026-01-03"] {
        let RunClaim::Claimed(run) = claim(&store, day(as_of), "server").await else { panic!() };
        fill(&store, run, &scores, "frequency_12m").await;
        runs.push(run);
    }
    assert!(store.run_scores(runs[0]).await.unwrap().is_empty(), "the oldest run's scores are dropped");
    assert_eq!(store.run_scores(runs[1]).await.unwrap().len(), 4);
    assert_eq!(store.run_scores(runs[2]).await.unwrap().len(), 4);
    assert_eq!(store.score_runs(10).await.unwrap().len(), 3, "every run stays on record");
}
