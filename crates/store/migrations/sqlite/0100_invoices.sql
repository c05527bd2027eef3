-- Invoices and credit notes to hospital accounts, their lines, what each line was for
-- (once: a shipped unit, a shipment's delivery, a return are invoiced at most once,
-- whatever the code does), and the payment of an invoice. All append-only: an issued
-- invoice never changes; corrections are credit notes.
CREATE TABLE invoices (
    id BLOB PRIMARY KEY,
    -- INV-2026-000001 or CN-2026-000001
    number TEXT NOT NULL UNIQUE,
    -- invoice or credit_note
    kind TEXT NOT NULL,
    hospital_id BLOB NOT NULL REFERENCES hospitals(id),
    contract_id BLOB NOT NULL REFERENCES contracts(id),
    -- on a credit note: the invoice it corrects
    credits_invoice_id BLOB REFERENCES invoices(id),
    -- what it covers in words: "shipment SH-2026-000001", "November 2026"
    covers TEXT NOT NULL,
    issued_on TEXT NOT NULL,
    due_on TEXT NOT NULL,
    payment_terms_days INTEGER NOT NULL,
    currency TEXT NOT NULL,
    net_cents INTEGER NOT NULL,
    tax_cents INTEGER NOT NULL,
    total_cents INTEGER NOT NULL,
    reason TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    issued_by TEXT NOT NULL
);
CREATE INDEX invoices_hospital ON invoices(hospital_id, issued_on);
CREATE INDEX invoices_credits ON invoices(credits_invoice_id);
CREATE TRIGGER invoices_no_update BEFORE UPDATE ON invoices
BEGIN SELECT RAISE(ABORT, 'invoices are append-only'); END;
CREATE TRIGGER invoices_no_delete BEFORE DELETE ON invoices
BEGIN SELECT RAISE(ABORT, 'invoices are append-only'); END;

CREATE TABLE invoice_lines (
    invoice_id BLOB NOT NULL REFERENCES invoices(id),
    -- from 0, as shown and as credit notes name them
    line_no INTEGER NOT NULL,
    -- product, surcharge, delivery, return_credit, apheresis, adjustment
    kind TEXT NOT NULL,
    description TEXT NOT NULL,
    reference TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    unit_cents INTEGER NOT NULL,
    amount_cents INTEGER NOT NULL,
    -- hundredths of a percent
    tax_hundredths INTEGER NOT NULL,
    -- on a credit note: the line of the credited invoice it reverses
    credits_line INTEGER,
    -- what the line is for: shipment_item, shipment, return, procedure (NULL: nothing)
    source_kind TEXT,
    source_id BLOB,
    PRIMARY KEY (invoice_id, line_no)
);
CREATE INDEX invoice_lines_source ON invoice_lines(source_kind, source_id);
CREATE TRIGGER invoice_lines_no_update BEFORE UPDATE ON invoice_lines
BEGIN SELECT RAISE(ABORT, 'invoice lines are append-only'); END;
CREATE TRIGGER invoice_lines_no_delete BEFORE DELETE ON invoice_lines
BEGIN SELECT RAISE(ABORT, 'invoice lines are append-only'); END;

-- Each thing charged or credited, once: the key refuses a second invoice of the same
-- shipped unit, shipment delivery or return even if two requests race.
CREATE TABLE invoiced_sources (
    source_kind TEXT NOT NULL,
    source_id BLOB NOT NULL,
    invoice_id BLOB NOT NULL REFERENCES invoices(id),
    PRIMARY KEY (source_kind, source_id)
);
CREATE INDEX invoiced_sources_invoice ON invoiced_sources(invoice_id);
CREATE TRIGGER invoiced_sources_no_update BEFORE UPDATE ON invoiced_sources
BEGIN SELECT RAISE(ABORT, 'invoiced sources are append-only'); END;
CREATE TRIGGER invoiced_sources_no_delete BEFORE DELETE ON invoiced_sources
BEGIN SELECT RAISE(ABORT, 'invoiced sources are append-only'); END;

-- The payment of an invoice, recorded once, in full.
CREATE TABLE invoice_payments (
    invoice_id BLOB PRIMARY KEY REFERENCES invoices(id),
    paid_on TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    reference TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE TRIGGER invoice_payments_no_update BEFORE UPDATE ON invoice_payments
BEGIN SELECT RAISE(ABORT, 'payments are append-only'); END;
CREATE TRIGGER invoice_payments_no_delete BEFORE DELETE ON invoice_payments
BEGIN SELECT RAISE(ABORT, 'payments are append-only'); END;
