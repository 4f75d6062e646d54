#!/usr/bin/env bash
# The Immich-like fixture (tests/fixtures) loads into a fresh database, fills the key tables,
# is deterministic for a given seed and reference time, and its audit triggers record deletes.
# Other tests and bench/ build on it, so a broken fixture should fail here first.
set -euo pipefail
source "$ROOT/scripts/lib.sh"
source "$ROOT/tests/integration/assert.sh"

fixtures="$ROOT/tests/fixtures"
db=fixture_loads_a db2=fixture_loads_b
now='2026-01-15 12:00:00+00'
# Files go to psql on stdin: the postgres user may not be able to read the checkout.
q() { as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -X -q -v ON_ERROR_STOP=1 "$@"; }
val() { q -At -d "$db" -c "$1"; }
cleanup() {
  q -d postgres -c 'SET client_min_messages = warning' \
    -c "DROP DATABASE IF EXISTS $db" -c "DROP DATABASE IF EXISTS $db2" || true
}
trap cleanup EXIT
cleanup

q -d postgres -c "CREATE DATABASE $db"
q -d "$db" < "$fixtures/immich_schema.sql"
q -d "$db" -v scale=1 -v seed=1 -v now="$now" < "$fixtures/generate_data.sql"

for table in '"user"' asset asset_exif asset_file session tag tag_closure tag_asset person \
             asset_face memory memory_asset notification album album_asset album_user partner \
             stack library asset_audit asset_face_audit album_asset_audit memory_audit \
             person_audit user_audit system_metadata version_history; do
  n=$(val "SELECT count(*) FROM $table")
  [ "$n" -gt 0 ] || { echo "FAILED: table $table is empty" >&2; exit 1; }
done
assert_eq "$(val 'SELECT count(*) FROM asset')" 3000 "assets at scale 1"
assert_eq "$(val "SELECT version FROM version_history ORDER BY \"createdAt\" DESC LIMIT 1")" 2.5.0 "running version"
assert_eq "$(val "SELECT value->'mountChecks' ? 'encoded-video' FROM system_metadata WHERE key = 'system-flags'")" t "mountChecks"
assert_eq "$(val "SELECT count(*) FROM \"user\" WHERE \"isAdmin\"")" 1 "one admin"
assert_eq "$(val "SELECT count(*) FROM asset WHERE \"originalPath\" NOT LIKE '/data/upload/%' AND NOT \"isExternal\"")" 0 "upload paths"

# Both sides of the cleanup rules the jobs are tested against (reference §6).
assert_eq "$(val "SELECT count(*) FILTER (WHERE \"deletedAt\" < '$now'::timestamptz - interval '31 days') > 0
                        AND count(*) FILTER (WHERE \"deletedAt\" >= '$now'::timestamptz - interval '31 days') > 0
                 FROM asset_audit")" t "audit rows on both sides of 31 days"
assert_eq "$(val "SELECT count(*) > 0 FROM tag t WHERE NOT EXISTS (SELECT 1 FROM tag_closure c
                   JOIN tag_asset ta ON ta.\"tagId\" = c.id_descendant WHERE c.id_ancestor = t.id)")" t "unused tags"
assert_eq "$(val "SELECT count(*) > 0 FROM person p WHERE NOT EXISTS (SELECT 1 FROM asset_face f
                   WHERE f.\"personId\" = p.id AND f.\"isVisible\" AND f.\"deletedAt\" IS NULL)")" t "people without faces"
assert_eq "$(val "SELECT count(*) > 0 FROM asset WHERE \"deletedAt\" < '$now'::timestamptz - interval '30 days'")" t "old trash"

# Re-runnable into another fresh database (through the wrapper), with the same rows.
"$fixtures/generate" --port "$PGPORT" --db "$db2" --scale 1 --seed 1 --now "$now" --create
digest="SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM asset_exif t"
assert_eq "$(q -At -d "$db2" -c "$digest")" "$(val "$digest")" "same seed, same rows"

# Deleting an asset writes an asset_audit row (statement trigger) and cascades to its faces,
# whose deletion is audited too.
asset=$(val "SELECT \"assetId\" FROM asset_face GROUP BY 1 ORDER BY 1 LIMIT 1")
faces=$(val "SELECT count(*) FROM asset_face WHERE \"assetId\" = '$asset'")
val "DELETE FROM asset WHERE id = '$asset'" >/dev/null
assert_eq "$(val "SELECT count(*) FROM asset_audit WHERE \"assetId\" = '$asset'
                   AND \"deletedAt\" > now() - interval '1 minute'")" 1 "asset_audit row"
assert_eq "$(val "SELECT count(*) FROM asset_face_audit WHERE \"assetId\" = '$asset'")" "$faces" "asset_face_audit rows"
assert_eq "$(val "SELECT count(*) FROM asset_exif WHERE \"assetId\" = '$asset'")" 0 "exif cascaded"
echo "fixture ok"
