# shellcheck shell=bash
# scripts/deps.sh: the packages ld-relay-token needs to build and test on
# Debian 12, and deps_install, which installs the missing ones (sourced by
# scripts/test and scripts/demo).

DEPS_PACKAGES=(build-essential autoconf automake libtool pkg-config
    libsecret-1-dev libjson-c-dev libcurl4-openssl-dev libssl-dev check
    gnome-keyring dbus dbus-daemon libsecret-tools valgrind mandoc
    groff-base git curl python3 openssl ca-certificates zsh man-db
    clang libclang-rt-14-dev)

# deps_install: apt-get installs the packages of DEPS_PACKAGES that
# dpkg-query says are missing (a warm machine runs no apt at all).
deps_install() {
	local p missing=()

	if ! command -v dpkg-query >/dev/null 2>&1; then
		echo "not a Debian system: install the equivalents of: ${DEPS_PACKAGES[*]}"
		return 0
	fi
	for p in "${DEPS_PACKAGES[@]}"; do
		if [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" \
		    2>/dev/null)" != "ii " ]; then
			missing+=("$p")
		fi
	done
	if [ "${#missing[@]}" -eq 0 ]; then
		echo "all ${#DEPS_PACKAGES[@]} packages are installed"
		return 0
	fi
	echo "installing: ${missing[*]}"
	if [ "$(id -u)" -ne 0 ]; then
		echo "run as root to install them" >&2
		return 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update && apt-get install -y --no-install-recommends "${missing[@]}"
}
