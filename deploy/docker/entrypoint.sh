#!/bin/sh
# Lectio's container entry point, and the script CI runs (server/test/container-entrypoint.test.ts):
#
#   1. connection URLs from parts, when the URL itself is not given. ECS injects the database
#      password, the Redis AUTH token and the JWT secret from Secrets Manager as separate values
#      (infra/lib/app.ts); the app reads DATABASE_URL, DATABASE_REPLICA_URLS, REDIS_URL and
#      JWT_SIGNING_KEYS. Values are URL-encoded, so any character in a password is safe.
#   2. for `serve`: apply pending migrations first. Several instances may start at once; the
#      migration runs under a transaction-level advisory lock, so the later ones find nothing to do.
#   3. exec the Lectio CLI with the arguments (default `serve --api`), so it is PID 1's process
#      and receives SIGTERM itself (it drains requests and jobs before exiting).
#   4. a lone API process (the image's default: one per container, scaled by adding tasks) gets
#      the heap limit `serve --processes` gives each of its processes (API_HEAP_LIMIT_MB, 192 MB):
#      without one V8 sizes the heap from the host's memory and lets garbage pile up, and one such
#      process passed 340 MB RSS under load (docs/benchmarks.md, "API process memory"). A limit
#      already in NODE_OPTIONS wins; `--processes` sets its own.
#
# Nothing secret is printed.
set -eu

root=$(CDPATH= cd -- "$(dirname -- "$0")/../.." && pwd)
cli="$root/server/dist/main/cli.js"

urlencode() {
  node -e 'process.stdout.write(encodeURIComponent(process.argv[1]))' "$1"
}

if [ -z "${DATABASE_URL:-}" ] && [ -n "${DB_HOST:-}" ]; then
  db_auth="$(urlencode "${DB_USER:-lectio}")"
  if [ -n "${DB_PASSWORD:-}" ]; then db_auth="$db_auth:$(urlencode "$DB_PASSWORD")"; fi
  db_query="${DB_SSLMODE:+?sslmode=$DB_SSLMODE}"
  DATABASE_URL="postgres://$db_auth@$DB_HOST:${DB_PORT:-5432}/${DB_NAME:-lectio}$db_query"
  export DATABASE_URL
  if [ -z "${DATABASE_REPLICA_URLS:-}" ] && [ -n "${DB_REPLICA_HOSTS:-}" ]; then
    replicas=""
    old_ifs=$IFS
    IFS=','
    for host in $DB_REPLICA_HOSTS; do
      [ -n "$host" ] || continue
      replicas="${replicas:+$replicas,}postgres://$db_auth@$host:${DB_PORT:-5432}/${DB_NAME:-lectio}$db_query"
    done
    IFS=$old_ifs
    DATABASE_REPLICA_URLS=$replicas
    export DATABASE_REPLICA_URLS
  fi
fi

if [ -z "${REDIS_URL:-}" ] && [ -n "${REDIS_HOST:-}" ]; then
  case "${REDIS_TLS:-false}" in true | 1 | yes) redis_scheme=rediss ;; *) redis_scheme=redis ;; esac
  redis_auth=""
  if [ -n "${REDIS_AUTH_TOKEN:-}" ]; then redis_auth=":$(urlencode "$REDIS_AUTH_TOKEN")@"; fi
  REDIS_URL="$redis_scheme://$redis_auth$REDIS_HOST:${REDIS_PORT:-6379}"
  export REDIS_URL
fi

if [ -z "${JWT_SIGNING_KEYS:-}" ] && [ -n "${JWT_SIGNING_SECRET:-}" ]; then
  JWT_SIGNING_KEYS="${JWT_SIGNING_KEY_ID:-k1}:$JWT_SIGNING_SECRET"
  export JWT_SIGNING_KEYS
fi
# The parts are not needed once the URLs exist; keep them out of the app's environment.
unset DB_PASSWORD REDIS_AUTH_TOKEN JWT_SIGNING_SECRET

if [ "$#" -eq 0 ]; then set -- serve --api; fi
if [ "$1" = serve ]; then
  node "$cli" migrate
fi
node_flags=""
if [ "$1" = serve ]; then
  case " $* " in
    *" --api "*)
      case " $* ${NODE_OPTIONS:-}" in
        *--processes* | *--max-old-space-size*) ;;
        *) node_flags="--max-old-space-size=${API_HEAP_LIMIT_MB:-192}" ;;
      esac
      ;;
  esac
fi
# shellcheck disable=SC2086 # empty or one flag, split on purpose
exec node $node_flags "$cli" "$@"
