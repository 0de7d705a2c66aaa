#!/usr/bin/env bash
# Installs the Debian 12 packages Warden builds and tests with, skipping any
# already present. Safe to run again; needs root (or sudo) only when something
# is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  clang libclang-rt-14-dev
  libcli11-dev librapidcheck-dev libgtest-dev libgmock-dev libbenchmark-dev
  librocksdb-dev libssl-dev libboost-dev nlohmann-json3-dev libspdlog-dev
  python3-kazoo zookeeper libzookeeper-mt-dev
  mariadb-server mariadb-client libmysqlcppconn-dev python3-pymysql
  haproxy gnuplot-nox
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
# mariadb-server's and haproxy's postinst start their system services; the
# tests run their own instances, so forbid service starts (exit 101) for the
# install, unless a policy is already in place (Debian's Docker images ship
# one).
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  trap '"${sudo_cmd[@]}" rm -f "$policy"' EXIT
  printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee "$policy" >/dev/null
  "${sudo_cmd[@]}" chmod 755 "$policy"
fi
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
