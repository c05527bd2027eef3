-- A red cell exchange is ordered with its targets: the hematocrit wanted at the end and
-- the HbS fraction now and wanted after (fractions). Empty for other procedures.
ALTER TABLE apheresis_requests ADD COLUMN hematocrit_target DOUBLE PRECISION;
ALTER TABLE apheresis_requests ADD COLUMN hbs_initial DOUBLE PRECISION;
ALTER TABLE apheresis_requests ADD COLUMN hbs_target DOUBLE PRECISION;
