-- MemoryGenerate: "on this day" memories, one per user and earlier year with timeline assets of
-- this month and day (local date), idempotent per user and day.
\getenv abs_srcdir PG_ABS_SRCDIR
\set db db_jobs_memories
\set setup :abs_srcdir '/sql/db_jobs_setup.psql'
\i :setup

CREATE FUNCTION memories() RETURNS TABLE (owner text, data jsonb, memory_at timestamp, show_at timestamp,
                                          hide_at timestamp, assets text)
  LANGUAGE sql AS $$
  SELECT right(m."ownerId"::text, 1), m.data, m."memoryAt" AT TIME ZONE 'UTC', m."showAt" AT TIME ZONE 'UTC',
         m."hideAt" AT TIME ZONE 'UTC', string_agg(right(ma."assetId"::text, 2), ',' ORDER BY ma."assetId")
  FROM memory m LEFT JOIN memory_asset ma ON ma."memoriesId" = m.id
  WHERE m.type = 'on_this_day' GROUP BY m.id ORDER BY 1, 2
$$;

SELECT add_user(1), add_user(2), add_user(3, '1 day');
-- user 1: two assets on 15 June 2020 (one late in the evening, local time), one on 15 June 2021,
-- one archived and one trashed on 15 June, one of this year, one on 16 June 2022
SELECT add_asset(11, 1, local_time => '2020-06-15 08:00+00'), add_asset(12, 1, local_time => '2020-06-15 23:30+00'),
       add_asset(13, 1, local_time => '2021-06-15 12:00+00'),
       add_asset(14, 1, local_time => '2021-06-15 12:00+00', visibility => 'archive'),
       add_asset(15, 1, '2 days', '2019-06-15 12:00+00'),
       add_asset(16, 1, local_time => '2026-06-15 12:00+00'), add_asset(17, 1, local_time => '2022-06-16 00:30+00');
-- user 2: a hidden asset on 15 June 2018, a timeline one on 15 June 2015; user 3 (deleted): 2019
SELECT add_asset(21, 2, local_time => '2018-06-15 12:00+00', visibility => 'hidden'),
       add_asset(22, 2, local_time => '2015-06-15 12:00+00'), add_asset(31, 3, local_time => '2019-06-15 12:00+00');

SELECT * FROM run('MemoryGenerate', '{"date": "2026-06-15", "batchSize": 100}');
SELECT * FROM memories();
-- the same day again: nothing new
SELECT * FROM run('MemoryGenerate', '{"date": "2026-06-15"}');
SELECT count(*) FROM memory;
-- a memory the user deleted (Immich soft-deletes) is not made again that day
UPDATE memory SET "deletedAt" = now() WHERE data->>'year' = '2015';
SELECT * FROM run('MemoryGenerate', '{"date": "2026-06-15"}');
-- the next day
SELECT * FROM run('MemoryGenerate', '{"date": "2026-06-16"}');
SELECT * FROM memories() WHERE data->>'year' = '2022';

-- 29 February: only leap years match
SELECT add_asset(18, 1, local_time => '2024-02-29 12:00+00'), add_asset(19, 1, local_time => '2023-02-28 12:00+00');
SELECT step, counts FROM run('MemoryGenerate', '{"date": "2028-02-29"}');
SELECT step, counts FROM run('MemoryGenerate', '{"date": "2027-02-28"}');
SELECT owner, data, memory_at, assets FROM memories() WHERE memory_at < '2025-01-01' AND memory_at >= '2023-01-01';

-- today by default (in immich_maint.timezone): an asset of four years ago today
SELECT add_asset(41, 2, local_time => (date_trunc('day', now() AT TIME ZONE 'GMT') - interval '4 years' + interval '12 hours') AT TIME ZONE 'UTC');
SELECT step, status FROM run('MemoryGenerate');
SELECT count(*) AS memories_of_asset_41 FROM memory_asset WHERE "assetId" = uid(41);

-- an older version: no "showAt"/"hideAt", no visibility (every asset counts)
ALTER TABLE memory DROP COLUMN "showAt", DROP COLUMN "hideAt";
ALTER TABLE asset DROP COLUMN visibility CASCADE;
SELECT step, counts FROM run('MemoryGenerate', '{"date": "2026-06-15"}');
SELECT * FROM notes();
SELECT m.data, ma."assetId" = uid(21) AS hidden_asset_21
  FROM memory m JOIN memory_asset ma ON ma."memoriesId" = m.id WHERE m.data->>'year' = '2018';
SELECT * FROM immich_maint.run_now('MemoryGenerate', '{"date": "someday"}');

-- no memory table at all
DROP TABLE memory CASCADE;
SELECT * FROM run('MemoryGenerate');
SELECT * FROM notes();

\c immich_regress
DROP DATABASE db_jobs_memories;
