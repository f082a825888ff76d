-- Custom SQL (created with --create-only): keep "updatedAt" current on every UPDATE,
-- also for writes that do not go through Prisma Client.
CREATE OR REPLACE FUNCTION "set_updated_at"() RETURNS TRIGGER AS $$
BEGIN
  NEW."updatedAt" := CURRENT_TIMESTAMP;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER "notifications_set_updated_at"
BEFORE UPDATE ON "notifications"
FOR EACH ROW EXECUTE FUNCTION "set_updated_at"();
