#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# evectl login/contexts, precedence of flags/environment/config, and the
# failure exit codes: usage 1, server down 4, TLS failure 4, bad token 3.
. "$(dirname "$0")/cli_lib.bash"

# usage errors need no server
expect 1 device list --bogus
expect 1 app deploy web --image x
expect 1 app deploy web --image x --device d --selector a=b --server https://127.0.0.1:1
expect 1 app deploy web --image x --device d --memory 512 --server https://127.0.0.1:1
expect 1 app wait web --state RUNNING --timeout 10x
expect 1 device
expect 1 frobnicate
expect 1 device list                    # no server configured anywhere
expect 0 --help
grep -q "app deploy" "$OUT" || fail "top-level help lists app deploy"
expect 0 device logs --help
grep -q -- "--since DURATION" "$OUT" || fail "device logs --help shows --since"

expect 0 completion bash
bash -n "$OUT" || fail "completion script is not valid bash"
expect 0 completion zsh
grep -q "bashcompinit" "$OUT" || fail "zsh completion loads bashcompinit"
expect 1 completion fish

# server down (nothing listens yet): 4
mkdir -p "$WORK/ca" && mkcert bogusca
expect 4 --server "https://127.0.0.1:$CLI_PORT" --token t --ca "$WORK/bogusca.pem" status

start_controller

# wrong CA: TLS failure is 4
expect 4 --server "$SERVER" --token "$TOKEN" --ca "$WORK/bogusca.pem" status
# bad token: rejected, 3, with the server's message
expect 3 --server "$SERVER" --token nope --ca "$CA" device list
grep -q "HTTP 401" "$ERR" || fail "bad token message names HTTP 401"
# login with a bad token saves nothing
expect 3 login --server "$SERVER" --ca "$CA" --token nope
[ ! -e "$HOME/.config/evectl/config" ] || fail "a failed login wrote the config"

# login writes a 0600 config; the token is never listed
expect 0 login --server "$SERVER" --ca "$CA" --token "$TOKEN"
cfg=$HOME/.config/evectl/config
want 600 "$(stat -c %a "$cfg")" "config mode"
expect 0 status
expect 0 -o json status
json .version >/dev/null
expect 0 login --server "$SERVER" --ca "$CA" --token "$TOKEN" --context lab
expect 0 context list
grep -q "^\*  *lab" "$OUT" || fail "lab is current"
grep -q "$TOKEN" "$OUT" && fail "context list shows the token"
expect 0 -o json context list
want 2 "$(json '.|length')" "two contexts"
expect 0 context use default
expect 0 context list
grep -q "^\*  *default" "$OUT" || fail "default is current"
expect 2 context use nope

# precedence: environment over config, flag over environment
EVECTL_TOKEN=nope expect 3 device list
EVECTL_TOKEN=nope expect 0 --token "$TOKEN" device list
expect 1 --context nope device list
EVECTL_SERVER=https://127.0.0.1:1 expect 4 device list
# XDG_CONFIG_HOME wins over HOME
XDG_CONFIG_HOME=$WORK/xdg expect 1 device list
XDG_CONFIG_HOME=$WORK/xdg expect 0 login --server "$SERVER" --ca "$CA" --token "$TOKEN"
[ -f "$WORK/xdg/evectl/config" ] || fail "config under XDG_CONFIG_HOME"

# the server going away mid-session: 4
ctl_stop "$CTL_DIR"
expect 4 device list

# a malformed config file is a usage error, not a crash
echo '{"contexts": 3}' >"$cfg"
expect 1 device list
echo "PASS"
