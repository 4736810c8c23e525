#!/usr/bin/env bash
# Install Debian's Chromium and ChromeDriver for the site test, where this machine allows it.
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then exit 0; fi
if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "installing chromium and chromium-driver with apt-get"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null \
    || echo "could not install chromium: the browser test will skip (or fail with NNDL_REQUIRE_BROWSER=1)"
else
  echo "no apt-get as root here: install chromium and chromedriver yourself, or the browser test will skip"
fi
exit 0
