#!/bin/sh
# The image's entrypoint: runs the process KONG_ROLE names (Kong's variable), or the command
# given to `docker run` / compose `command:` when there is one.
#   control_plane → Admin API + cluster endpoints   data_plane → proxy + status
#   traditional (default) → both in one process, like `npm start`
set -e
if [ "$#" -gt 0 ]; then exec "$@"; fi
case "${KONG_ROLE:-traditional}" in
  control_plane) main=apps/control-plane/src/main.ts ;;
  data_plane) main=apps/data-plane/src/main.ts ;;
  traditional) main=apps/gateway/src/main.ts ;;
  *) echo "unknown KONG_ROLE '${KONG_ROLE}': expected control_plane, data_plane or traditional" >&2; exit 64 ;;
esac
exec node --import tsx "$main"
