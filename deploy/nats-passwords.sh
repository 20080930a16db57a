#!/bin/sh
# Prints a random NATS password for each identity of deploy/nats.conf and
# for the cluster's routes (user route), as an .env file for docker compose:
#   deploy/nats-passwords.sh > .env
# Rotating one: make a new value, restart the NATS servers (they read it
# at start), then the services that use it (docs/operations.md, Security).
set -eu
for id in OPERATOR API WORKER PROJECTOR ROUTE; do
	echo "COMMENTD_NATS_${id}_PASSWORD=$(openssl rand -hex 32)"
done
