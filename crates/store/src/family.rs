//! A donor's record family (the surviving record and every record merged into it),
//! read through a write transaction with the donor rows locked.
//!
//! Every decision about a donor that leads to a write (collection, deferral, merge,
//! blood group) reads the donor through [`WriteTx::lock_donor_family`]: the facts it
//! returns cannot change until the transaction ends, on either back end. SQLite's
//! `BEGIN IMMEDIATE` already serialises writers; PostgreSQL locks the family's rows
//! `FOR UPDATE`, in id order so that two writers never wait on each other in a cycle.

use crate::donors::{DEFERRAL_SELECT, DONOR_COLUMNS};
use crate::{on_tx, Backend, DeferralRow, DeterminationRow, DonationRow, DonorRow, MergeRow, ResolutionRow, Result, WriteTx};
use uuid::Uuid;

/// Which record to start from.
#[derive(Debug, Clone, Copy)]
pub enum DonorKey<'a> {
    Number(&'a str),
    Id(Uuid),
}

/// The locked family of a donor. Only [`WriteTx::lock_donor_family`] makes one, so a
/// decision that takes it was made on facts read under the lock.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LockedDonor {
    /// The record asked for (may have been merged away).
    pub asked: DonorRow,
    /// The surviving record.
    pub donor: DonorRow,
    /// The survivor first, then every record merged into it (directly or not).
    pub family: Vec<Uuid>,
    pub merges: Vec<MergeRow>,
    /// Every donation of the family, oldest first.
    pub donations: Vec<DonationRow>,
    /// Every register entry of the family, newest first, with reentry and correction.
    pub deferrals: Vec<DeferralRow>,
}

impl LockedDonor {
    /// True when the number asked for was merged into another record.
    pub fn is_merged_away(&self) -> bool {
        self.asked.id != self.donor.id
    }
}

const MERGE_COLUMNS: &str = "duplicate_id, survivor_id, merged_at, merged_by, reason";

impl WriteTx {
    /// Runs `sql`, in which `{ids}` stands for the list of `ids`, in this transaction.
    pub(crate) async fn fetch_for_ids<T>(&mut self, sql: &str, ids: &[Uuid]) -> Result<Vec<T>>
    where
        T: Send + Unpin + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
    {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let sql = crate::with_id_list(sql, ids.len());
        Ok(on_tx!(self, c => {
            let mut q = sqlx::query_as(&sql);
            for id in ids {
                q = q.bind(*id);
            }
            q.fetch_all(c).await?
        }))
    }

    /// Locks these donor rows until the transaction ends (PostgreSQL; SQLite's write
    /// transaction already excludes every other writer).
    pub async fn lock_donor_rows(&mut self, ids: &[Uuid]) -> Result<()> {
        if self.backend() == Backend::Postgres && !ids.is_empty() {
            let mut sorted = ids.to_vec();
            sorted.sort();
            sorted.dedup();
            let _: Vec<(Uuid,)> = self.fetch_for_ids("SELECT id FROM donors WHERE id IN ({ids}) ORDER BY id FOR UPDATE", &sorted).await?;
        }
        Ok(())
    }

    async fn donor_row(&mut self, key: DonorKey<'_>) -> Result<Option<DonorRow>> {
        match key {
            DonorKey::Number(n) => self.donor_by_number(n).await,
            DonorKey::Id(id) => self.donor_by_id(id).await,
        }
    }

    /// The survivor of `start` and its whole family, as the merges say now.
    async fn family_of(&mut self, start: &DonorRow) -> Result<(DonorRow, Vec<Uuid>, Vec<MergeRow>)> {
        let mut donor = start.clone();
        for _ in 0..64 {
            match self.merge_of(donor.id).await? {
                Some(m) => match self.donor_by_id(m.survivor_id).await? {
                    Some(s) => donor = s,
                    None => break,
                },
                None => break,
            }
        }
        let mut family = vec![donor.id];
        let mut merges = Vec::new();
        let mut frontier = vec![donor.id];
        while !frontier.is_empty() && family.len() < 1000 {
            let found: Vec<MergeRow> = self
                .fetch_for_ids(&format!("SELECT {MERGE_COLUMNS} FROM donor_merges WHERE survivor_id IN ({{ids}}) ORDER BY merged_at"), &frontier)
                .await?;
            frontier = found.iter().map(|m| m.duplicate_id).filter(|id| !family.contains(id)).collect();
            family.extend(&frontier);
            merges.extend(found);
        }
        Ok((donor, family, merges))
    }

    /// Reads the donor's family and locks its rows; the family is read again under the
    /// lock, and the lock widened, until no merge slipped in between.
    pub async fn lock_donor_family(&mut self, key: DonorKey<'_>) -> Result<Option<LockedDonor>> {
        let Some(asked) = self.donor_row(key).await? else { return Ok(None) };
        let (mut donor, mut family, mut merges) = self.family_of(&asked).await?;
        let mut locked: Vec<Uuid> = Vec::new();
        for _ in 0..8 {
            let mut want: Vec<Uuid> = family.iter().copied().chain(std::iter::once(asked.id)).collect();
            want.sort();
            want.dedup();
            if want.iter().all(|id| locked.contains(id)) {
                break;
            }
            self.lock_donor_rows(&want).await?;
            locked = want;
            (donor, family, merges) = self.family_of(&asked).await?;
        }
        // Re-read the rows now that they are locked.
        let asked = self.donor_by_id(asked.id).await?.unwrap_or(asked);
        let donor = self.donor_by_id(donor.id).await?.unwrap_or(donor);
        let donations: Vec<DonationRow> = self
            .fetch_for_ids(
                "SELECT id, donor_id, din, procedure, site_id, collected_at FROM donations WHERE donor_id IN ({ids}) ORDER BY collected_at",
                &family,
            )
            .await?;
        let deferrals: Vec<DeferralRow> =
            self.fetch_for_ids(&format!("{DEFERRAL_SELECT} WHERE d.donor_id IN ({{ids}}) ORDER BY d.entered_at DESC"), &family).await?;
        Ok(Some(LockedDonor { asked, donor, family, merges, donations, deferrals }))
    }

    /// Donor rows of these ids, through the transaction.
    pub async fn donors_by_ids(&mut self, ids: &[Uuid]) -> Result<Vec<DonorRow>> {
        self.fetch_for_ids(&format!("SELECT {DONOR_COLUMNS} FROM donors WHERE id IN ({{ids}}) ORDER BY donor_number"), ids).await
    }

    /// The donation collected after this visit, if any, through the transaction.
    pub async fn donation_of_visit(&mut self, visit_id: Uuid) -> Result<Option<DonationRow>> {
        Ok(on_tx!(self, c => sqlx::query_as(
            "SELECT id, donor_id, din, procedure, site_id, collected_at FROM donations WHERE screening_visit_id = $1")
            .bind(visit_id).fetch_optional(c).await?))
    }

    /// Blood group determinations of these donors, in the order they were entered.
    pub async fn determinations_of(&mut self, ids: &[Uuid]) -> Result<Vec<DeterminationRow>> {
        self.fetch_for_ids(
            "SELECT id, donor_id, abo, rhd, determined_on, source, din, entered_by, entered_at FROM blood_group_determinations \
             WHERE donor_id IN ({ids}) ORDER BY entered_at, id",
            ids,
        )
        .await
    }

    pub async fn resolutions_of(&mut self, ids: &[Uuid]) -> Result<Vec<ResolutionRow>> {
        self.fetch_for_ids(
            "SELECT id, donor_id, abo, rhd, reason, resolved_by, resolved_at FROM blood_group_resolutions WHERE donor_id IN ({ids}) ORDER BY resolved_at, id",
            ids,
        )
        .await
    }
}
