#!/usr/bin/env bash
# a4_unpublish.sh: s4_unpublish.sh in Avahi mode (sites.sh SITES_AVAHI=1): the gateways run
# avahi-daemon, sitecastd publishes through it and browses with it.
SITES_AVAHI=1 exec "$(dirname "$0")/s4_unpublish.sh"
