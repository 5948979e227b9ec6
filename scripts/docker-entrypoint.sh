#!/bin/sh
# The image's entrypoint: runs the process KONG_ROLE names (Kong's variable), or the command
# given to `docker run` / compose `command:` when there is one.
#   control_plane → Admin API + cluster endpoints   data_plane → proxy + status
#   traditional (default) → both in one process, like `npm start`
# The mains are compiled JavaScript; the switchyard-dist condition makes the workspace packages
# resolve to their dist/ too (docs/decisions/0005).
set -e
if [ "$#" -gt 0 ]; then exec "$@"; fi
case "${KONG_ROLE:-traditional}" in
  control_plane) main=apps/control-plane/dist/main.js ;;
  data_plane) main=apps/data-plane/dist/main.js ;;
  traditional) main=apps/gateway/dist/main.js ;;
  *) echo "unknown KONG_ROLE '${KONG_ROLE}': expected control_plane, data_plane or traditional" >&2; exit 64 ;;
esac
exec node --conditions=switchyard-dist "$main"
