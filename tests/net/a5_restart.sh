#!/usr/bin/env bash
# a5_restart.sh: s5_restart.sh in Avahi mode (sites.sh SITES_AVAHI=1): the gateways run
# avahi-daemon, sitecastd publishes through it and browses with it.
SITES_AVAHI=1 exec "$(dirname "$0")/s5_restart.sh"
