#!/bin/sh
# The image's entry point: names the server (or one-off command) to run, so that compose files and
# orchestrators say `collab` rather than a node command line. Anything else is run as given.
set -eu
cd /app
role=${1:-api}
[ "$#" -gt 0 ] && shift
case "$role" in
  api) exec node --import tsx rest-api/main.ts "$@" ;;
  collab) exec node --import tsx collab-server/main.ts "$@" ;;
  migrate) exec node --import tsx ops/migrate.ts "$@" ;;
  backup | restore | ops) exec node --import tsx "ops/$role.ts" "$@" ;;
  healthcheck)
    # One server per container: healthy when the REST port or the collab port answers /healthz.
    exec node -e '
      const ports = [process.env.PORT || "3000", process.env.COLLAB_PORT || "1234"];
      const answers = (port) =>
        fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(3000) }).then((r) => (r.ok ? true : Promise.reject()));
      Promise.any(ports.map(answers)).then(() => process.exit(0), () => process.exit(1));
    ' ;;
  *) exec "$role" "$@" ;;
esac
