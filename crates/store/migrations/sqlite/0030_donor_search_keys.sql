-- Search keys kept with each donor (written by the store on every insert and update,
-- folded in Rust: lower case, accents removed), and their indexes, so that searches
-- by name, phone and email read an index range instead of every donor.
--   search_lf  "last first" folded     search_fl  "first last" folded
--   phone_rev  the phone's digits, last digit first ("ends with" becomes a prefix)
--   email_key  the email, trimmed and lower case
-- Rows that exist when this runs get their keys from the store right after the
-- migrations (Store::migrate), because SQLite cannot fold accents.
ALTER TABLE donors ADD COLUMN search_lf TEXT;
ALTER TABLE donors ADD COLUMN search_fl TEXT;
ALTER TABLE donors ADD COLUMN phone_rev TEXT;
ALTER TABLE donors ADD COLUMN email_key TEXT;
CREATE INDEX donors_search_lf ON donors(search_lf, donor_number);
CREATE INDEX donors_search_fl ON donors(search_fl, donor_number);
CREATE INDEX donors_phone_rev ON donors(phone_rev, donor_number);
CREATE INDEX donors_email_key ON donors(email_key);
-- The rare-donor search by blood group.
CREATE INDEX donors_group ON donors(abo, rhd, donor_number);

-- The centre's own donor numbers (D0000001 …) come from here: a registration takes
-- the next value inside its write transaction. Imported numbers never stop it: a
-- value already used by an imported donor is skipped.
CREATE TABLE donor_number_sequences (
    series TEXT PRIMARY KEY,
    last_value INTEGER NOT NULL
);
INSERT INTO donor_number_sequences (series, last_value)
SELECT 'D', COALESCE(MAX(CAST(substr(donor_number, 2) AS INTEGER)), 0)
FROM donors WHERE donor_number GLOB 'D[0-9][0-9][0-9][0-9][0-9][0-9][0-9]';
