use super::*;

fn c(number: &str, from: &str, to: Option<&str>) -> ContractRow {
    ContractRow {
        id: Uuid::now_v7(),
        hospital_id: Uuid::nil(),
        number: number.into(),
        effective_from: from.parse().unwrap(),
        effective_to: to.map(|t| t.parse().unwrap()),
        price_list: String::new(),
        created_at: Utc::now(),
        created_by: "s".into(),
    }
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[test]
fn a_later_contract_supersedes_an_open_one_and_a_bounded_one_ends() {
    let all = vec![c("A", "2026-01-01", None), c("B", "2026-07-01", Some("2026-09-30"))];
    assert_eq!(contract_in_force(&all, d("2025-12-31")).map(|x| x.number.as_str()), None);
    assert_eq!(contract_in_force(&all, d("2026-06-30")).map(|x| x.number.as_str()), Some("A"));
    assert_eq!(contract_in_force(&all, d("2026-07-01")).map(|x| x.number.as_str()), Some("B"));
    assert_eq!(contract_in_force(&all, d("2026-09-30")).map(|x| x.number.as_str()), Some("B"));
    assert_eq!(contract_in_force(&all, d("2026-10-01")).map(|x| x.number.as_str()), None, "B ended; A was superseded");
}

#[test]
fn overlapping_periods_are_refused_with_the_contract_in_the_way() {
    let all = vec![c("A", "2026-01-01", None), c("B", "2026-07-01", Some("2026-09-30"))];
    assert!(contract_overlap(&all, d("2026-01-01"), None).unwrap().contains("already starts on 2026-01-01"));
    assert!(contract_overlap(&all, d("2026-08-01"), None).unwrap().contains("2026-10-01"));
    assert!(contract_overlap(&all, d("2026-03-01"), Some(d("2026-07-01"))).unwrap().contains("B starts on 2026-07-01"));
    assert_eq!(contract_overlap(&all, d("2026-03-01"), Some(d("2026-06-30"))), None);
    assert_eq!(contract_overlap(&all, d("2026-10-01"), None), None);
    assert_eq!(contract_overlap(&all, d("2026-02-01"), None), None, "an open contract is superseded by a later start");
}
