-- Registration details: address, proof of identity and consent per contact channel.
ALTER TABLE donors ADD COLUMN address TEXT;
ALTER TABLE donors ADD COLUMN id_document TEXT;
ALTER TABLE donors ADD COLUMN consent_email BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE donors ADD COLUMN consent_sms BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE donors ADD COLUMN consent_phone BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE donors ADD COLUMN consent_post BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX donors_birth_date ON donors(birth_date);
