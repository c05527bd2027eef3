-- Invoices and credit notes to hospital accounts, their lines, what each line was for
-- (once: a shipped unit, a shipment's delivery, a return are invoiced at most once,
-- whatever the code does), and the payment of an invoice. All append-only: an issued
-- invoice never changes; corrections are credit notes.
CREATE TABLE invoices (
    id UUID PRIMARY KEY,
    -- INV-2026-000001 or CN-2026-000001
    number TEXT NOT NULL UNIQUE,
    -- invoice or credit_note
    kind TEXT NOT NULL,
    hospital_id UUID NOT NULL REFERENCES hospitals(id),
    contract_id UUID NOT NULL REFERENCES contracts(id),
    -- on a credit note: the invoice it corrects
    credits_invoice_id UUID REFERENCES invoices(id),
    -- what it covers in words: "shipment SH-2026-000001", "November 2026"
    covers TEXT NOT NULL,
    issued_on DATE NOT NULL,
    due_on DATE NOT NULL,
    payment_terms_days BIGINT NOT NULL,
    currency TEXT NOT NULL,
    net_cents BIGINT NOT NULL,
    tax_cents BIGINT NOT NULL,
    total_cents BIGINT NOT NULL,
    reason TEXT NOT NULL,
    issued_at TIMESTAMPTZ NOT NULL,
    issued_by TEXT NOT NULL
);
CREATE INDEX invoices_hospital ON invoices(hospital_id, issued_on);
CREATE INDEX invoices_credits ON invoices(credits_invoice_id);
SELECT hemaflow_protect_append_only('invoices');

CREATE TABLE invoice_lines (
    invoice_id UUID NOT NULL REFERENCES invoices(id),
    -- from 0, as shown and as credit notes name them
    line_no BIGINT NOT NULL,
    -- product, surcharge, delivery, return_credit, apheresis, adjustment
    kind TEXT NOT NULL,
    description TEXT NOT NULL,
    reference TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    unit_cents BIGINT NOT NULL,
    amount_cents BIGINT NOT NULL,
    -- hundredths of a percent
    tax_hundredths BIGINT NOT NULL,
    -- on a credit note: the line of the credited invoice it reverses
    credits_line BIGINT,
    -- what the line is for: shipment_item, shipment, return, procedure (NULL: nothing)
    source_kind TEXT,
    source_id UUID,
    PRIMARY KEY (invoice_id, line_no)
);
CREATE INDEX invoice_lines_source ON invoice_lines(source_kind, source_id);
SELECT hemaflow_protect_append_only('invoice_lines');

-- Each thing charged or credited, once: the key refuses a second invoice of the same
-- shipped unit, shipment delivery or return even if two requests race.
CREATE TABLE invoiced_sources (
    source_kind TEXT NOT NULL,
    source_id UUID NOT NULL,
    invoice_id UUID NOT NULL REFERENCES invoices(id),
    PRIMARY KEY (source_kind, source_id)
);
CREATE INDEX invoiced_sources_invoice ON invoiced_sources(invoice_id);
SELECT hemaflow_protect_append_only('invoiced_sources');

-- The payment of an invoice, recorded once, in full.
CREATE TABLE invoice_payments (
    invoice_id UUID PRIMARY KEY REFERENCES invoices(id),
    paid_on DATE NOT NULL,
    amount_cents BIGINT NOT NULL,
    reference TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    recorded_by TEXT NOT NULL
);
SELECT hemaflow_protect_append_only('invoice_payments');
