# tools/deps.sh: the Debian packages sitecast needs, and how they are installed.
# Sourced (bash) by tools/test and tools/demo:
#
#   . tools/deps.sh
#   deps_install WHO PACKAGE...    apt-get install the PACKAGEs not installed yet;
#                                  WHO prefixes the messages (tools/test, tools/demo)
#
# The lists:
#   SITECAST_BUILD_PACKAGES  build sitecastd and sitecastctl (configure needs CUnit too)
#   SITECAST_RUN_PACKAGES    the sites in network namespaces of the network scenarios
#                            and the demo: Avahi, D-Bus, iproute2, python3
#   SITECAST_DEB_PACKAGES    tools/test's Debian package stage (tests/deb/run)
#   SITECAST_TEST_PACKAGES   the rest of tools/test: clang (libFuzzer), valgrind,
#                            systemd (systemd-analyze verify of the unit), Knot DNS
#                            and BIND (real servers of the wide-area scenarios)

SITECAST_BUILD_PACKAGES=(build-essential autoconf automake libtool pkg-config
	libldns-dev libyaml-dev libevent-dev libssl-dev libcunit1-dev libavahi-client-dev
	libsystemd-dev)
SITECAST_RUN_PACKAGES=(avahi-daemon avahi-utils dbus iproute2 python3 python3-dnspython python3-dbus
	openssl procps psmisc)
# The package stage of tools/test (tests/deb/run): build, lintian, a clean chroot.
SITECAST_DEB_PACKAGES=(debhelper dpkg-dev lintian debootstrap)
SITECAST_TEST_PACKAGES=(clang valgrind systemd knot knot-dnsutils bind9)

deps_install() {
	local who=$1 p missing=()
	shift
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -gt 0 ] || return 0
	echo "$who: installing ${missing[*]}"
	if [ "$(id -u)" -ne 0 ]; then
		echo "$who: must run as root to install packages" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# Do not let the package start an avahi-daemon on the host's own network.
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	local rc=0
	apt-get install -y -qq --no-install-recommends "${missing[@]}" || rc=$?
	rm -f /usr/sbin/policy-rc.d
	if [ "$rc" -ne 0 ]; then
		echo "$who: apt-get install ${missing[*]} failed (status $rc)" >&2
		exit 1
	fi
}
