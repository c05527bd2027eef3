-- Registration details: address, proof of identity and consent per contact channel.
ALTER TABLE donors ADD COLUMN address TEXT;
ALTER TABLE donors ADD COLUMN id_document TEXT;
ALTER TABLE donors ADD COLUMN consent_email INTEGER NOT NULL DEFAULT 0;
ALTER TABLE donors ADD COLUMN consent_sms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE donors ADD COLUMN consent_phone INTEGER NOT NULL DEFAULT 0;
ALTER TABLE donors ADD COLUMN consent_post INTEGER NOT NULL DEFAULT 0;
CREATE INDEX donors_birth_date ON donors(birth_date);
