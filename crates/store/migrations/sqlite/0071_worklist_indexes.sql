-- The dashboards' counts and the lists they link to: visits of a site on a day,
-- DINs assigned in a day, indefinite deferrals waiting for review.
CREATE INDEX screening_visits_site_day ON screening_visits(site_id, screened_on);
CREATE INDEX din_assignments_assigned ON din_assignments(assigned_at);
CREATE INDEX donor_deferrals_kind ON donor_deferrals(kind, donor_id);
