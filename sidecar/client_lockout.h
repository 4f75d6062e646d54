// Keeping other clients out of a database while a restore replaces it. PostgreSQL has one switch
// that stops every new connection, superusers included (Immich usually connects as one):
// ALTER DATABASE .. ALLOW_CONNECTIONS false, which must be issued from another database. So the
// connections the restore needs (psql, pg_dump for the restore point, its own) connect first,
// then the switch is thrown and every other session of the database is terminated.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "sidecar/db_settings.h"
#include "sidecar/pg_connection.h"

namespace immich_maint::sidecar {

// The same server, user and password, another database: `postgres`, else `template1`. Throws
// core::Failure(kConnectionFailed) naming both when neither accepts us.
std::unique_ptr<PgConnection> ConnectToMaintenanceDatabase(const DbSettings& db,
                                                           const std::string& application_name);

// DbSettings with dbname replaced.
DbSettings WithDatabase(const DbSettings& db, const std::string& database);

// From a connection to another database of the same server.
void SetAllowConnections(PgConnection& other_db, const std::string& database, bool allow);

struct Spared {
  std::vector<std::string> pids;               // backend pids, as text
  std::vector<std::string> application_names;  // exact names
};

// Terminates every session of `database` except the spared ones and waits (up to 10 s each) for
// them to go; returns how many there were.
int TerminateOthers(PgConnection& conn, const std::string& database, const Spared& spared);

// The pid of the session with this application_name, once it is connected; polls until
// `timeout` or until `gave_up()` says the process behind it is gone. Throws
// core::Failure(kTimeout) `<what> did not connect to the database within N s`.
std::string WaitForSession(PgConnection& conn, const std::string& application_name,
                           const std::string& what, std::chrono::seconds timeout,
                           const std::function<bool()>& gave_up);

// Terminates the session with this application_name (if any) and waits until it has ended, so
// its transaction is rolled back and its locks released before the caller goes on.
void EndSession(PgConnection& conn, const std::string& application_name);

}  // namespace immich_maint::sidecar
