#!/usr/bin/env bash
# a1_publish.sh: s1_publish.sh in Avahi mode (sites.sh SITES_AVAHI=1): the gateways run
# avahi-daemon, sitecastd publishes through it and browses with it.
SITES_AVAHI=1 exec "$(dirname "$0")/s1_publish.sh"
