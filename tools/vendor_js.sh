#!/usr/bin/env bash
# Bring MathJax, require.js and the Jupyter widgets embedder from the npm registry into
# book/_vendor (not committed), so the website renders maths and widgets offline.
# Without npm (or without network) the book still builds and keeps the CDN links.
set -euo pipefail
dest=book/_vendor
if [ -f "$dest/.complete" ]; then exit 0; fi
if ! command -v npm >/dev/null 2>&1; then
  echo "vendor_js: npm not found; the website will load MathJax and widgets from CDNs"; exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! (cd "$tmp" && npm pack --silent mathjax@3 @jupyter-widgets/html-manager@1 requirejs@2 >/dev/null); then
  echo "vendor_js: npm pack failed; the website will load MathJax and widgets from CDNs"; exit 0
fi
rm -rf "$dest"
mkdir -p "$dest/mathjax" "$dest/widgets" "$dest/requirejs"
tar -xzf "$tmp"/mathjax-3*.tgz -C "$dest/mathjax" --strip-components=2 package/es5
tar -xzf "$tmp"/jupyter-widgets-html-manager-*.tgz -C "$dest/widgets" --strip-components=2 \
  --exclude='*.map' package/dist
tar -xzf "$tmp"/requirejs-*.tgz -C "$dest/requirejs" --strip-components=1 package/require.js
touch "$dest/.complete"
echo "vendor_js: MathJax, require.js and the widget embedder are in $dest"
