#!/usr/bin/env bash
# Rebuilds server/static/vendor/ from the npm registry: the exact versions below, by name, with their
# licences. Nothing on a page loads from a CDN; these files are served by the app itself.
#   bash scripts/vendor-frontend.sh
# The map's shapes (server/static/map/) come from npm too, by scripts/build_map.py beside this script.
set -euo pipefail
cd "$(dirname "$0")/.."

SWAGGER_UI=swagger-ui-dist@5.36.0
YASGUI=@zazuko/yasgui@4.6.2

out=server/static/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "$SWAGGER_UI" "$YASGUI" >/dev/null)
mkdir -p "$work/swagger" "$work/yasgui"
tar xzf "$work"/swagger-ui-dist-*.tgz -C "$work/swagger"
tar xzf "$work"/zazuko-yasgui-*.tgz -C "$work/yasgui"

rm -rf "$out"
mkdir -p "$out/swagger-ui" "$out/yasgui"
cp "$work/swagger/package/"{swagger-ui-bundle.js,swagger-ui.css,LICENSE,NOTICE} "$out/swagger-ui/"
cp "$work/yasgui/package/build/"{yasgui.min.js,yasgui.min.css} "$out/yasgui/"
# The YASGUI package ships no licence file; its package.json declares MIT. Keep that declaration beside it.
node -e 'const p=require(process.argv[1]); console.log(`${p.name} ${p.version}\nlicense: ${p.license}\nauthor: ${JSON.stringify(p.author||p.contributors||"")}\nrepository: ${JSON.stringify(p.repository||"")}`)' \
    "$work/yasgui/package/package.json" > "$out/yasgui/LICENSE-declaration.txt"
cat > "$out/VERSIONS" <<VERSIONS
$SWAGGER_UI	Apache-2.0	swagger-ui/
$YASGUI	MIT	yasgui/
VERSIONS
echo "vendored into $out:"; ls -la "$out"/*
