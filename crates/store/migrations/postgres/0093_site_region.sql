-- The US state a site collects in: regional donation tests (Babesia) depend on it.
ALTER TABLE site_versions ADD COLUMN region TEXT;
