use super::synthetic::{coarse, uci_shaped, UCI_MEAN_FREQUENCY, UCI_MEAN_RECENCY, UCI_MEAN_TIME, UCI_POSITIVE_SHARE};
use super::*;
use chrono::Datelike;
use rand::{Rng, SeedableRng};

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Regular donors give every 60–80 days and keep on; the others stopped 1–2 years ago.
/// Without the signal, every donor follows one memoryless process.
fn planted(n: usize, signal: bool, seed: u64) -> (Vec<DonorHistory>, NaiveDate) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let as_of = day("2026-06-01");
    let mut out = vec![];
    for i in 0..n {
        let regular = rng.gen_bool(0.4);
        let stopped = as_of - chrono::Duration::days(rng.gen_range(365..730));
        let mut donations = vec![];
        let mut t = as_of - chrono::Duration::days(1200 + rng.gen_range(0..60));
        while t < as_of + chrono::Duration::days(60) {
            let keep = if signal { regular || t < stopped } else { rng.gen_bool(0.3) };
            if keep {
                donations.push((t, false));
            }
            t += chrono::Duration::days(if signal { rng.gen_range(60..80) } else { rng.gen_range(1..60) });
        }
        out.push(DonorHistory {
            donor_number: format!("D{i:07}"),
            birth_date: day("1980-01-01"),
            female: rng.gen_bool(0.5),
            donations,
            deferrals: vec![],
        });
    }
    (out, as_of)
}

#[test]
fn the_model_learns_a_planted_signal_and_not_noise() {
    let (donors, as_of) = planted(1500, true, 7);
    let s = score(&donors, as_of);
    let a = s.report.chosen_auc().unwrap();
    assert!(a > 0.8, "planted signal: AUC {a}");
    assert!(s.report.held_out_donors > 200 && s.report.held_out_donors < 400, "a fifth held out: {}", s.report.held_out_donors);
    assert_eq!(s.report.training_rows, s.report.training_donors * 12, "12 snapshots per training donor");
    let (noise, as_of) = planted(1500, false, 7);
    let r = score(&noise, as_of).report;
    for c in &r.candidates {
        assert!((c.auc.unwrap() - 0.5).abs() < 0.06, "noise: {:?}", c);
    }
}

#[test]
fn cut_dates_are_month_starts_whose_outcome_month_ends_by_as_of() {
    let cuts = cut_dates(day("2026-06-01"), 12);
    assert_eq!((cuts[0], cuts[11], cuts.len()), (day("2026-05-01"), day("2025-06-01"), 12));
    assert_eq!(cut_dates(day("2026-06-17"), 3), [day("2026-05-01"), day("2026-04-01"), day("2026-03-01")]);
    assert_eq!(cut_dates(day("2026-05-31"), 1), [day("2026-04-01")]);
    for as_of in [day("2026-03-01"), day("2026-03-31"), day("2024-02-29"), day("2026-12-31")] {
        assert!(cut_dates(as_of, 24).iter().all(|c| outcome_end(*c) <= as_of && c.day() == 1), "{as_of}");
    }
}

#[test]
fn outcome_windows_tile_the_months_so_a_month_rounded_donation_counts_once() {
    let cuts = cut_dates(day("2026-06-01"), 24);
    for w in cuts.windows(2) {
        assert_eq!(outcome_end(w[1]), w[0], "windows follow one another without gap or overlap");
    }
    // A donation dated the 1st or the 15th of any month in range is the outcome of exactly
    // one snapshot, and a feature (dated before the cut) only of later snapshots.
    let mut d = cuts[23];
    while d < day("2026-06-01") {
        for x in [d, d.with_day(15).unwrap()] {
            let outcome_of: Vec<_> = cuts.iter().filter(|c| **c <= x && x < outcome_end(**c)).collect();
            assert_eq!(outcome_of.len(), 1, "{x}");
            assert!(cuts.iter().filter(|c| x < **c).all(|c| *c > *outcome_of[0]));
        }
        d = outcome_end(d);
    }
}

#[test]
fn features_read_only_the_past_and_count_calendar_months() {
    let d = DonorHistory {
        donor_number: "D1".into(),
        birth_date: day("1990-01-01"),
        female: true,
        donations: vec![(day("2024-12-01"), false), (day("2025-12-01"), true), (day("2026-01-01"), false), (day("1901-01-01"), false)],
        deferrals: vec![DeferralSpan {
            entered_on: day("2025-12-01"),
            starts_on: day("2025-12-01"),
            until: Some(day("2026-01-15")),
            reentered_on: None,
        }],
    };
    let f = features(&d, day("2026-01-01"));
    assert!((f[0] - (1.0 + 31.0 / 30.44f64).ln()).abs() < 1e-12, "last donation 2025-12-01, 31 days before");
    assert_eq!(f[1..5], [1.0, 0.0, 0.0, 0.0], "within 2 months");
    // 2024-12-01 is 13 months back: not in the last 12 (from 2025-01-01), in the last 24.
    assert_eq!((f[5], f[6]), (1.0, 2.0));
    assert!((f[7] - 3f64.ln()).abs() < 1e-12, "three donations; the one dated before birth is ignored");
    assert_eq!((f[11], f[12], f[13], f[14]), (1.0, 1.0, 1.0, 0.0), "female, apheresis last, deferred");
    assert_eq!(features(&d, day("2026-01-15"))[13], 0.0);
    assert_eq!(features(&d, day("2024-12-01"))[14], 1.0, "never donated before the first day");
    // Twelve calendar months back from a month start include the whole first month.
    let g = DonorHistory { donations: vec![(day("2025-06-01"), false), (day("2025-05-31"), false)], deferrals: vec![], ..d.clone() };
    assert_eq!(features(&g, day("2026-06-01"))[5], 1.0);
    let h = DonorHistory { donations: vec![(day("2026-03-15"), false)], deferrals: vec![], ..d };
    assert_eq!(features(&h, day("2026-06-01"))[1..5], [0.0, 1.0, 0.0, 0.0], "2 to 4 months ago");
}

#[test]
fn on_month_rounded_histories_the_chosen_model_is_at_least_as_good_as_every_baseline() {
    let as_of = day("2026-06-01");
    let donors = coarse(4000, 11, as_of);
    let r = score(&donors, as_of).report;
    let auc = |c| r.auc_of(c).unwrap();
    let best_baseline = [Candidate::Frequency12m, Candidate::RecencyFrequency, Candidate::Recency].into_iter().map(auc).fold(0.0, f64::max);
    assert!(r.chosen_auc().unwrap() >= best_baseline, "{r:?}");
    // The logistic model is not worse than frequency by more than a little, or frequency (or better) is chosen.
    if auc(Candidate::Logistic) < auc(Candidate::Frequency12m) - 0.005 {
        assert_ne!(r.chosen, Candidate::Logistic);
    }
    assert!(auc(Candidate::Logistic) > auc(Candidate::Frequency12m) - 0.02, "{r:?}");
    assert!(auc(Candidate::Frequency12m) > 0.6, "the data has signal: {r:?}");
}

#[test]
fn donations_and_deferrals_on_or_after_as_of_change_nothing() {
    let as_of = day("2026-06-01");
    let mut donors = coarse(1500, 5, as_of);
    let before = score(&donors, as_of);
    for (i, d) in donors.iter_mut().enumerate() {
        d.donations.push((as_of + chrono::Duration::days(i as i64 % 40), i % 3 == 0));
        d.donations.push((day("2026-06-01"), false));
        d.deferrals.push(DeferralSpan { entered_on: as_of, starts_on: as_of - chrono::Duration::days(90), until: None, reentered_on: None });
    }
    assert_eq!(score(&donors, as_of), before);
    // And removing the future the generator already wrote changes nothing either.
    for d in &mut donors {
        d.donations.retain(|(x, _)| *x < as_of);
    }
    assert_eq!(score(&donors, as_of), before);
}

#[test]
fn the_same_histories_give_the_same_scores_in_any_order() {
    let as_of = day("2026-06-17");
    let donors = coarse(1200, 9, as_of);
    let a = score(&donors, as_of);
    let mut shuffled = donors.clone();
    shuffled.reverse();
    shuffled.swap(3, 700);
    assert_eq!(score(&shuffled, as_of), a);
    assert_eq!(score(&donors, as_of), a);
    assert!(a.scores.iter().all(|(_, p)| (0.0..=1.0).contains(p)));
    // Another seed, another split: the held-out donors differ.
    let other = score_with(&donors, as_of, &Config { seed: 1, ..Config::default() });
    assert_ne!(other.report.held_out_donors, 0);
    assert_ne!(other.report.candidates, a.report.candidates);
}

#[test]
fn held_out_donors_are_never_fitted_on() {
    let as_of = day("2026-06-01");
    let donors = coarse(1500, 21, as_of);
    let config = Config::default();
    let fit = |d: &[DonorHistory]| {
        let order: Vec<usize> = (0..d.len()).collect();
        let sorted: Vec<_> = d.iter().map(features::prepared).collect();
        train(d, &sorted, &order, as_of, &config)
    };
    let a = fit(&donors);
    // Rewrite every held-out donor's history: the fitted model must not move, the AUCs do.
    let mut changed = donors.clone();
    let held: Vec<usize> = (0..donors.len()).filter(|&i| held_out(config.seed, &donors[i].donor_number)).collect();
    assert!(held.len() > 200);
    for (k, &i) in held.iter().enumerate() {
        changed[i].donations = donors[held[(k + 1) % held.len()]].donations.clone();
    }
    let b = fit(&changed);
    assert_eq!(a.model, b.model);
    assert_eq!(a.report.training_rows, b.report.training_rows);
    assert_ne!(a.report.candidates, b.report.candidates);
}

#[test]
fn thinning_caps_the_rows_and_keeps_the_ranking_sound() {
    let as_of = day("2026-06-01");
    let donors = coarse(2000, 4, as_of);
    let r = score_with(&donors, as_of, &Config { max_rows: 3000, ..Config::default() }).report;
    assert!(r.training_rows <= 3000 && r.training_rows > 1500, "{}", r.training_rows);
    assert!(r.held_out_rows <= 3000);
    assert!(r.chosen_auc().unwrap() > 0.6);
}

/// A summary of candidates on data, forward in time too: scores as of `as_of` against
/// donations in the month from `as_of` (the generator wrote the future).
fn forward(donors: &[DonorHistory], as_of: NaiveDate) -> (ModelReport, Vec<(Candidate, f64)>) {
    let mut order: Vec<usize> = (0..donors.len()).collect();
    order.sort_by(|a, b| donors[*a].donor_number.cmp(&donors[*b].donor_number));
    let sorted: Vec<_> = donors.iter().map(features::prepared).collect();
    let t = train(donors, &sorted, &order, as_of, &Config::default());
    let y: Vec<bool> = sorted.iter().map(|s| features::donated_between(s, as_of, outcome_end(as_of))).collect();
    let f: Vec<Features> = donors.iter().zip(&sorted).map(|(d, s)| features::features_of(d, s, as_of, as_of)).collect();
    let out = Candidate::ALL.into_iter().map(|c| (c, auc(&f.iter().map(|x| t.raw(c, x)).collect::<Vec<_>>(), &y).unwrap())).collect();
    (t.report, out)
}

fn table(name: &str, r: &ModelReport, fwd: &[(Candidate, f64)]) {
    eprintln!("{name}: {} training / {} held-out donors, {} / {} snapshots", r.training_donors, r.held_out_donors, r.training_rows, r.held_out_rows);
    for (c, f) in fwd {
        let mark = if *c == r.chosen { " (chosen)" } else { "" };
        eprintln!("  {:<18} held-out AUC {:.4}  next-month AUC {:.4}{mark}", c.name(), r.auc_of(*c).unwrap(), f);
    }
}

#[test]
fn month_rounded_histories_held_out_and_forward_figures() {
    let as_of = day("2026-06-01");
    let donors = coarse(5000, 2026, as_of);
    let (r, fwd) = forward(&donors, as_of);
    table("month-rounded generated histories, 5000 donors", &r, &fwd);
    let chosen_forward = fwd.iter().find(|(c, _)| *c == r.chosen).unwrap().1;
    let freq_forward = fwd.iter().find(|(c, _)| *c == Candidate::Frequency12m).unwrap().1;
    // Picked on held-out donors, it holds up a month later too (within noise).
    assert!(chosen_forward > freq_forward - 0.03, "{fwd:?}");
}

#[test]
fn uci_shaped_histories_match_the_published_figures_and_rank_march_donors() {
    let (donors, as_of) = uci_shaped(748, 1);
    // The generated data looks like the public one: months only, same means, same share.
    let (mut rec, mut freq, mut time, mut pos) = (0.0, 0.0, 0.0, 0.0);
    let mut counted = 0.0;
    for d in &donors {
        let before: Vec<NaiveDate> = d.donations.iter().map(|x| x.0).filter(|x| *x < as_of).collect();
        if let (Some(first), Some(last)) = (before.iter().min(), before.iter().max()) {
            let months = |x: &NaiveDate| ((as_of - *x).num_days() as f64 / 30.44).round();
            rec += months(last);
            time += months(first);
            freq += before.len() as f64;
            counted += 1.0;
        }
        if d.donations.iter().any(|x| x.0 == as_of) {
            pos += 1.0;
        }
    }
    let (rec, freq, time, share) = (rec / counted, freq / counted, time / counted, pos / donors.len() as f64);
    eprintln!("UCI-shaped: recency {rec:.1} months (published {UCI_MEAN_RECENCY}), frequency {freq:.1} ({UCI_MEAN_FREQUENCY}), time {time:.1} months ({UCI_MEAN_TIME}), gave in March 2007 {share:.3} ({UCI_POSITIVE_SHARE})");
    assert!((rec / UCI_MEAN_RECENCY - 1.0).abs() < 0.25, "recency {rec}");
    assert!((freq / UCI_MEAN_FREQUENCY - 1.0).abs() < 0.25, "frequency {freq}");
    assert!((time / UCI_MEAN_TIME - 1.0).abs() < 0.3, "time {time}");
    assert!((share / UCI_POSITIVE_SHARE - 1.0).abs() < 0.3, "share {share}");
    let (r, fwd) = forward(&donors, as_of);
    table("UCI-shaped generated histories, 748 donors, March 2007", &r, &fwd);
    let best_baseline = fwd.iter().filter(|(c, _)| *c != Candidate::Logistic).map(|x| x.1).fold(0.0, f64::max);
    let chosen = fwd.iter().find(|(c, _)| *c == r.chosen).unwrap().1;
    assert!(chosen > 0.6, "{fwd:?}");
    assert!(chosen > best_baseline - 0.05, "{fwd:?}");
}

/// Figures for docs/return-model.md: `cargo test -p domain --lib scoring_half_a_million -- --ignored --nocapture`.
#[test]
#[ignore = "a timing, not a check: run by hand"]
fn scoring_half_a_million_donors_takes_seconds() {
    let as_of = day("2026-06-01");
    let t = std::time::Instant::now();
    let donors = coarse(500_000, 3, as_of);
    let made = t.elapsed();
    let t = std::time::Instant::now();
    let s = score(&donors, as_of);
    eprintln!(
        "500,000 month-rounded donors ({} donations) made in {:.1} s, trained, compared and scored in {:.1} s: {} training / {} held-out snapshots, chosen {} (AUC {:.4})",
        donors.iter().map(|d| d.donations.len()).sum::<usize>(),
        made.as_secs_f64(),
        t.elapsed().as_secs_f64(),
        s.report.training_rows,
        s.report.held_out_rows,
        s.report.chosen.name(),
        s.report.chosen_auc().unwrap()
    );
}

/// Every donor born the same day: an age that grew with the cut date would let the
/// model learn the calendar. A donor who gave once, 13 months ago, must not outscore
/// one who gives every 70 days (as the command-line test had it).
#[test]
fn age_is_taken_at_as_of_so_it_cannot_stand_for_the_cut_date() {
    let as_of = day("2026-06-01");
    let donors: Vec<DonorHistory> = (1..=60i64)
        .map(|i| DonorHistory {
            donor_number: format!("D{i:07}"),
            birth_date: day("1980-01-01"),
            female: i % 2 == 0,
            donations: if i % 3 == 0 { vec![20, 90, 160, 230, 300] } else { vec![400 + i] }
                .into_iter()
                .map(|g| (as_of - chrono::Duration::days(g), false))
                .collect(),
            deferrals: vec![],
        })
        .collect();
    let s = score(&donors, as_of);
    let p = |n: &str| s.scores.iter().find(|x| x.0 == n).unwrap().1;
    assert!(p("D0000003") > p("D0000004"), "{} vs {}: {:?}", p("D0000003"), p("D0000004"), s.report);
    assert!(p("D0000004") < 0.05, "lapsed for 13 months: {}", p("D0000004"));
}
