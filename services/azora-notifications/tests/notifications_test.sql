-- Tests of the notifications schema against the seeded throwaway database.

\echo 'test: the updatedAt trigger moves the timestamp on update'
BEGIN;
UPDATE "notifications" SET "updatedAt" = '2000-01-01' WHERE "userId" = 'usr_ada';
DO $$ BEGIN
  ASSERT (SELECT bool_and("updatedAt" > '2000-01-02') FROM "notifications"), 'trigger did not set updatedAt';
END $$;
ROLLBACK;

\echo 'test: channel is an enum'
BEGIN;
DO $$ BEGIN
  INSERT INTO "notifications" ("userId", "channel", "payload") VALUES ('usr_x', 'FAX', '{}');
  RAISE EXCEPTION 'channel FAX was accepted';
EXCEPTION WHEN invalid_text_representation THEN NULL;
END $$;
ROLLBACK;

\echo 'test: ids are generated in order'
DO $$ BEGIN
  ASSERT (SELECT array_agg("id" ORDER BY "id") FROM "notifications") = ARRAY[1, 2], 'ids are not 1, 2';
END $$;
