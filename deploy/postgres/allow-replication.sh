#!/bin/sh
# Run once by the postgres image when it initialises the primary's data directory (docker-compose.yml): the
# replica service connects as the database owner for streaming replication, with the password.
set -e
echo "host replication ${POSTGRES_USER} all scram-sha-256" >> "$PGDATA/pg_hba.conf"
