-- Outbox versions are assigned at commit time (docs/decisions/0005-commit-time-versions.md).
-- A Postgres writer inserts its outbox rows with a provisional negative version; this deferred
-- trigger runs as the transaction commits, takes the version lock and gives each row the next
-- version, in insertion order. The lock is held only from here to the end of the commit, inside
-- the server, so writers no longer queue behind each other's client round trips, and versions
-- stay in commit order. The last version given is left in the session setting
-- switchyard.last_version, which the writer reads in the same round trip as its COMMIT.
-- Rows inserted with a real version (PGlite, where transactions already run one at a time) are
-- left as they are.
CREATE SEQUENCE "config_events_provisional_seq";
--> statement-breakpoint
CREATE FUNCTION "switchyard_assign_version"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  assigned bigint;
BEGIN
  IF NEW.version >= 0 THEN
    RETURN NULL;
  END IF;
  PERFORM pg_advisory_xact_lock(727002);
  assigned := nextval('config_events_version_seq');
  UPDATE "config_events" SET "version" = assigned WHERE "version" = NEW.version;
  PERFORM set_config('switchyard.last_version', assigned::text, false);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER "config_events_assign_version" AFTER INSERT ON "config_events"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "switchyard_assign_version"();
