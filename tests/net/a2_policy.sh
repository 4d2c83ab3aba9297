#!/usr/bin/env bash
# a2_policy.sh: s2_policy.sh in Avahi mode (sites.sh SITES_AVAHI=1): the gateways run
# avahi-daemon, sitecastd publishes through it and browses with it.
SITES_AVAHI=1 exec "$(dirname "$0")/s2_policy.sh"
