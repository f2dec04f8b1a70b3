#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Deploy an edge container to every device carrying a label, then wait until
# all of its instances run. Usage:
#   deploy-to-label.sh APP IMAGE KEY=VALUE [TIMEOUT]
# e.g. deploy-to-label.sh nginx nginx-alpine site=factory-3 5m
# Needs a configured evectl (evectl login ...). Exit status is evectl's.
set -eu

app=${1:?usage: $0 APP IMAGE KEY=VALUE [TIMEOUT]}
image=${2:?usage: $0 APP IMAGE KEY=VALUE [TIMEOUT]}
selector=${3:?usage: $0 APP IMAGE KEY=VALUE [TIMEOUT]}
timeout=${4:-120s}
evectl=${EVECTL:-evectl}

echo "devices matching $selector:"
$evectl device list --label "$selector"

# Re-running the script is fine: an existing app is left as it is.
if ! $evectl -q app get "$app" >/dev/null 2>&1; then
	$evectl app deploy "$app" --image "$image" --selector "$selector"
fi
$evectl app wait "$app" --state RUNNING --timeout "$timeout"
$evectl app get "$app"
