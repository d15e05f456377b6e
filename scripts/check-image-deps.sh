#!/usr/bin/env bash
# No Docker engine runs here, so the image cannot be built in CI. This checks the next
# best thing: every shared library `ldd` lists for the built binary comes from a package
# the Dockerfile's runtime stage installs, or from one debian:12-slim already has.
# Usage: scripts/check-image-deps.sh [BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-build/operator/phase-maintenance-operator}
[ -x "$binary" ] || { echo "check-image-deps: $binary not built" >&2; exit 1; }

# Packages of debian:12-slim that the binary may rely on without installing them.
base="libc6 libgcc-s1 libstdc++6 zlib1g libzstd1 liblzma5 libbz2-1.0 libcrypt1 libselinux1 libpcre2-8-0 libtinfo6 libgmp10 libacl1 libattr1"
# The runtime stage's packages, read from the Dockerfile itself.
runtime=$(awk '/^FROM debian:12-slim/{f=1} f' Dockerfile | tr ' \\' '\n\n' | grep -E '^lib|^ca-certificates$' | sort -u | tr '\n' ' ')
[ -n "$runtime" ] || { echo "check-image-deps: no runtime packages found in Dockerfile" >&2; exit 1; }

# Everything those packages pull in (Depends, recursively) counts as present.
closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
            --no-replaces --no-enhances $runtime $base 2>/dev/null | grep -v '^ ' | sed 's/:.*//' | sort -u)

# The image also carries the pg_repack client (vacuum --method repack), copied from the
# postgresql-15-repack package: its libraries must be there too.
repack=/usr/lib/postgresql/15/bin/pg_repack
[ -x "$repack" ] || { echo "check-image-deps: $repack missing: scripts/setup.sh installs postgresql-15-repack" >&2; exit 1; }
grep -q "^COPY --from=repack $repack " Dockerfile ||
  { echo "check-image-deps: the Dockerfile's runtime stage does not copy $repack" >&2; exit 1; }

missing=0
for bin in "$binary" "$repack"; do
while read -r lib path; do
  [ -n "$path" ] || continue
  real=$(readlink -f "$path")
  pkg=$(dpkg -S "$real" 2>/dev/null | head -1 | cut -d: -f1) || true
  [ -n "$pkg" ] || pkg=$(dpkg -S "$path" 2>/dev/null | head -1 | cut -d: -f1) || true
  if [ -z "$pkg" ]; then
    echo "check-image-deps: $lib ($path) belongs to no Debian package" >&2; missing=1; continue
  fi
  if ! grep -qx "$pkg" <<<"$closure"; then
    echo "check-image-deps: $lib comes from $pkg, which the runtime image does not install" >&2; missing=1
  fi
done < <(ldd "$bin" | awk '/=>/ {print $1, $3}')
done

if [ $missing -ne 0 ]; then
  echo "check-image-deps: FAILED: add the packages above to the Dockerfile's runtime stage" >&2
  exit 1
fi
echo "check-image-deps: ok: every library of $binary and pg_repack is provided by: $runtime(+ debian:12-slim base)"
