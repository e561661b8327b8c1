#!/bin/sh
# The image's entrypoint. With the image's CMD it runs `kommodore serve --host 0.0.0.0 --port
# 8000`, and `kommodore demo` first when KOMMODORE_DEMO=1 (creates the demo account once, prints
# an admin token and a curl line). Other kommodore commands run as given:
#   podman run --rm -v kommodore-data:/data kommodore token create --subdomain demo --admin
# and anything else runs as a program (`podman run --rm -it kommodore sh`).
set -eu

if [ "$#" -eq 0 ]; then
  set -- serve --host 0.0.0.0 --port 8000
fi
case "$1" in
  serve | migrate | demo | token | integration | user | lead | worker | -*)
    set -- kommodore "$@" ;;
esac

if [ "$1" = kommodore ] && [ "${2:-}" = serve ] && [ "${KOMMODORE_DEMO:-0}" = 1 ]; then
  # The curl line that demo prints names the port serve is given.
  port=8000
  previous=
  for arg in "$@"; do
    case "$arg" in
      --port=*) port=${arg#--port=} ;;
      *) if [ "$previous" = --port ]; then port=$arg; fi ;;
    esac
    previous=$arg
  done
  kommodore demo --port "$port"
fi

exec "$@"
