# Puts a Node.js that satisfies package.json's "engines" first on PATH, for this shell.
#
#   source scripts/use-node.sh        # bash or zsh, from any directory (give the path to this file)
#
# If the Node on PATH already satisfies the range below, nothing changes. Otherwise the Node the project needs is
# taken from the npm registry, which serves Node itself as a package (node-<os>-<arch>: its tarball holds bin/node,
# with no install script), into .tmp/node/ (git-ignored), and that bin/ goes first on PATH. npm stays the machine's
# npm: its `#!/usr/bin/env node` runs it on the Node found first on PATH. A user with Node 24 installed needs none
# of this. .ci/run sources this file before running the README's commands.

# Keep in step with "engines" in package.json and .nvmrc (a test checks the three agree).
PULSURA_NODE_RANGE=">=24.11 <25"
PULSURA_NODE_MAJOR=24
PULSURA_NODE_MIN_MINOR=11

pulsura_node_ok() {
  # $1: a node binary. True when its version is 24.x with x >= 11.
  "$1" -e "const [a,b]=process.versions.node.split('.').map(Number);process.exit(a===${PULSURA_NODE_MAJOR}&&b>=${PULSURA_NODE_MIN_MINOR}?0:1)" 2>/dev/null
}

# This file's own path (bash, or zsh through its %x prompt escape), so it works from any directory.
if [ -n "${BASH_SOURCE:-}" ]; then
  PULSURA_USE_NODE_SELF="${BASH_SOURCE[0]}"
else
  PULSURA_USE_NODE_SELF="$(eval 'echo ${(%):-%x}')"
fi

pulsura_use_node() {
  local root dir os arch pkg tarball version
  root="$(cd "$(dirname "$PULSURA_USE_NODE_SELF")/.." && pwd)"
  if command -v node >/dev/null 2>&1 && pulsura_node_ok node; then
    return 0
  fi
  dir="$root/.tmp/node"
  if [ -x "$dir/current/bin/node" ] && pulsura_node_ok "$dir/current/bin/node"; then
    PATH="$dir/current/bin:$PATH"
    export PATH
    return 0
  fi
  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    *) echo "use-node: no Node package for $(uname -s) on the npm registry; install Node $PULSURA_NODE_RANGE yourself" >&2; return 1 ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "use-node: no Node package for $(uname -m); install Node $PULSURA_NODE_RANGE yourself" >&2; return 1 ;;
  esac
  if ! command -v npm >/dev/null 2>&1; then
    echo "use-node: npm is needed to fetch Node $PULSURA_NODE_RANGE (and is not on PATH)" >&2
    return 1
  fi
  pkg="node-$os-$arch"
  echo "use-node: $(node --version 2>/dev/null || echo 'no node') does not satisfy $PULSURA_NODE_RANGE; fetching $pkg from the npm registry into .tmp/node" >&2
  mkdir -p "$dir"
  rm -rf "$dir/download" "$dir/current"
  mkdir "$dir/download"
  if ! tarball="$(cd "$dir/download" && npm pack --silent "$pkg@$PULSURA_NODE_RANGE")" || [ ! -f "$dir/download/$tarball" ]; then
    rm -rf "$dir/download"
    echo "use-node: npm pack $pkg@\"$PULSURA_NODE_RANGE\" failed; nothing was installed" >&2
    return 1
  fi
  if ! tar -xzf "$dir/download/$tarball" -C "$dir/download" package/bin/node package/LICENSE; then
    rm -rf "$dir/download"
    echo "use-node: could not unpack $tarball; nothing was installed" >&2
    return 1
  fi
  mv "$dir/download/package" "$dir/current"
  rm -rf "$dir/download"
  if ! pulsura_node_ok "$dir/current/bin/node"; then
    version="$("$dir/current/bin/node" --version 2>&1)"
    rm -rf "$dir/current"
    echo "use-node: the fetched Node ($version) does not satisfy $PULSURA_NODE_RANGE; removed it" >&2
    return 1
  fi
  PATH="$dir/current/bin:$PATH"
  export PATH
  echo "use-node: using $("$dir/current/bin/node" --version) from .tmp/node/current" >&2
}

# npm 11, tsc and eslint switch on Node's compile cache, by default in the OS temp dir (/tmp/node-compile-cache), where
# it would outlive every run; in .tmp/ it stays with the checkout (the plan and npm run dev use it too). Set after the
# Node is chosen, so that choosing it writes nothing.
pulsura_use_compile_cache() {
  if [ -z "${NODE_COMPILE_CACHE:-}" ]; then
    NODE_COMPILE_CACHE="$(cd "$(dirname "$PULSURA_USE_NODE_SELF")/.." && pwd)/.tmp/compile-cache"
    export NODE_COMPILE_CACHE
  fi
}

pulsura_use_node && pulsura_use_compile_cache
