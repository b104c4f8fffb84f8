#!/bin/sh
# Installs what the tests and the CLI need, on first use: npm packages always, Debian packages when root.
# Prints the exact command when it cannot install something itself.
set -eu
cd "$(dirname "$0")/.."

if [ ! -d node_modules/typescript ] || [ ! -d node_modules/jest ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "sipwright: installing npm packages…" >&2
  # npm ci: the lock file holds every platform's optional swc binary, so it installs exactly what is locked.
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

# Debian packages: SIPp, Kamailio and tcpdump for the suites' own tests, Java for allure generate, tshark as
# the reference the capture tests compare against, Chromium for the test that opens the generated report.
PATH="$PATH:/usr/sbin:/sbin"
missing=""
# debootstrap and docker.io build and run the container images (sipwright images build); the lab tests use
# ps and pgrep (procps) to look for leftovers, the SIPp XML tests read scenarios back with python3, and the
# Asterisk TLS tests make their certificates with openssl.
for pair in "tshark:tshark" "sipp:sip-tester" "kamailio:kamailio" "tcpdump:tcpdump" "java:default-jre-headless" "chromium:chromium" "debootstrap:debootstrap" "docker:docker.io" "ps:procps" "python3:python3" "openssl:openssl" "ip:iproute2"; do
  cmd=${pair%%:*}; pkg=${pair#*:}
  command -v "$cmd" >/dev/null 2>&1 || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "sipwright: installing Debian packages:$missing…" >&2
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing; } >&2 \
      || echo "sipwright: could not install$missing; the tests that need them will be skipped" >&2
  else
    echo "sipwright: missing Debian packages:$missing. Install them with: sudo apt-get install -y$missing" >&2
  fi
fi
