-- TRUNCATE skips row triggers, so the append-only tables (and the audit chain head)
-- also refuse it with a statement-level trigger. Every table that already carries the
-- append-only row trigger gets one; a later migration adding an append-only table
-- adds both (see hemaflow_protect_append_only below).
CREATE FUNCTION hemaflow_no_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only; TRUNCATE is refused', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;

-- Makes a table append-only: no UPDATE, DELETE or TRUNCATE (idempotent).
CREATE FUNCTION hemaflow_protect_append_only(tbl regclass) RETURNS void AS $$
DECLARE
    name text := (SELECT relname FROM pg_class WHERE oid = tbl);
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = tbl AND tgname = name || '_append_only') THEN
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION hemaflow_append_only()',
                       name || '_append_only', tbl);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = tbl AND tgname = name || '_no_truncate') THEN
        EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION hemaflow_no_truncate()',
                       name || '_no_truncate', tbl);
    END IF;
END;
$$ LANGUAGE plpgsql;

DO $$
DECLARE
    t regclass;
BEGIN
    FOR t IN
        SELECT DISTINCT tg.tgrelid::regclass
        FROM pg_trigger tg JOIN pg_proc p ON p.oid = tg.tgfoid
        WHERE p.proname = 'hemaflow_append_only' AND NOT tg.tgisinternal
        UNION SELECT 'donations'::regclass
    LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = t AND tgname = (SELECT relname FROM pg_class WHERE oid = t) || '_no_truncate') THEN
            EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION hemaflow_no_truncate()',
                           (SELECT relname FROM pg_class WHERE oid = t) || '_no_truncate', t);
        END IF;
    END LOOP;
END;
$$;

-- The chain head moves forward on every audit record, so it cannot be append-only,
-- but emptying it would cut the chain.
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
    FOR EACH STATEMENT EXECUTE FUNCTION hemaflow_no_truncate();
