#!/usr/bin/env bash
# A newcomer's first minutes, measured: clone the repository into a temporary folder, run the
# README's two commands as written (`npm install && npm start`), timing each, walk through the
# demo with curl, stop npm start with SIGTERM and check nothing is left, then time a second
# start on the built tree and `tadfuq validate`.
#   bin/fresh-clone-check.sh [REPOSITORY (default: this checkout)] [BRANCH]
# PORT (default 3210) keeps it off a server already on 3000. The temp folder is removed at the end
# (KEEP=1 keeps it). npm test is not run here (about ten minutes on 2 cores).
set -euo pipefail
REPO=${1:-$(cd "$(dirname "$0")/.." && pwd)}
BRANCH=${2:-}
PORT=${PORT:-3210}
export PORT
WORK=$(mktemp -d /tmp/tadfuq-fresh-XXXXXX)
NPM_PID=
cleanup() {
  local status=$?
  if [ -n "$NPM_PID" ] && kill -0 "$NPM_PID" 2>/dev/null; then kill -TERM "$NPM_PID" 2>/dev/null || true; wait "$NPM_PID" 2>/dev/null || true; fi
  # A failed run keeps its folder (logs, node_modules) for a look.
  if [ -z "${KEEP:-}" ] && [ "$status" -eq 0 ]; then rm -rf "$WORK"; else echo "kept $WORK"; fi
}
trap cleanup EXIT
now() { date +%s.%N; }
since() { printf '%.1f' "$(echo "$(now) - $1" | bc)"; }
step() { printf '\n== %s\n' "$*"; }

step "clone $REPO ${BRANCH:+($BRANCH)} into $WORK"
git clone -q ${BRANCH:+--branch "$BRANCH"} "$REPO" "$WORK/tadfuq"
cd "$WORK/tadfuq"
echo "node $(node --version), npm $(npm --version), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

step "npm install"
t=$(now)
npm install 2>&1 | tail -n 15
echo "npm install: $(since "$t") s"

start_server() {
  npm start >"$WORK/start-$1.log" 2>&1 &
  NPM_PID=$!
  local t0; t0=$(now)
  until curl -sf "localhost:$PORT/healthz" >/dev/null; do
    if ! kill -0 "$NPM_PID" 2>/dev/null; then cat "$WORK/start-$1.log"; wait "$NPM_PID"; echo "npm start exited ($?)"; NPM_PID=; exit 1; fi
    sleep 0.05
  done
  echo "npm start ($1): /healthz answered after $(since "$t0") s"
}

step "npm start (first: builds the editor)"
start_server first
echo "--- npm start output (warnings would show here):"
grep -v '^{"level":30' "$WORK/start-first.log" || true

step "demo walk-through (README)"
curl -si -XPOST "localhost:$PORT/hooks/demo/leads" -H 'content-type: application/json' \
  -d '{"name":"سارة","company":"Acme","budget_sar":"75000"}' | tee "$WORK/lead.txt" | grep -iE '^HTTP|^x-execution-id|^\{'
EXEC=$(grep -i '^x-execution-id' "$WORK/lead.txt" | tr -d '\r' | cut -d' ' -f2)
TOKEN=$(curl -s -XPOST "localhost:$PORT/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"email":"admin@demo.tadfuq.test","password":"tadfuq-demo-2026"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).accessToken')
echo "GET /api/v1/executions/$EXEC:"
curl -s "localhost:$PORT/api/v1/executions/$EXEC" -H "authorization: Bearer $TOKEN" | node -pe 'const e=JSON.parse(require("fs").readFileSync(0)); `${e.status}: ${e.steps.map((s) => s.node + "→" + (s.port ?? s.status)).join(", ")}`'
echo "without budget_sar:"
curl -s -XPOST "localhost:$PORT/hooks/demo/leads" -H 'content-type: application/json' -d '{"name":"Sara"}' -w ' [%{http_code}]\n'
echo "curl -d without a content type:"
curl -s -XPOST "localhost:$PORT/hooks/demo/leads" -d '{"name":"Sara","budget_sar":"1"}' -w ' [%{http_code}]\n'
echo "executions by flow and status:"
curl -s "localhost:$PORT/api/v1/executions?limit=100" -H "authorization: Bearer $TOKEN" | node -pe 'const c={}; for (const e of JSON.parse(require("fs").readFileSync(0)).items) { const k=e.flowId+" "+e.status; c[k]=(c[k]||0)+1 } JSON.stringify(c)'
echo "open escalations:"
curl -s "localhost:$PORT/api/v1/escalations?status=open" -H "authorization: Bearer $TOKEN" | node -pe 'JSON.parse(require("fs").readFileSync(0)).items.map((e) => "- " + e.reason).join("\n")'

step "stop npm start with SIGTERM"
TREE=$(pstree -p "$NPM_PID" | grep -o '([0-9]*)' | tr -d '()' | tr '\n' ' ')
kill -TERM "$NPM_PID"; wait "$NPM_PID" || true; NPM_PID=
sleep 1
LEFT=$(for p in $TREE; do if kill -0 "$p" 2>/dev/null; then echo "$p"; fi; done)
echo "processes under npm before: $(echo "$TREE" | wc -w); left after: ${LEFT:-none}"
curl -s "localhost:$PORT/healthz" >/dev/null && echo "port $PORT still answers!" || echo "port $PORT free"

step "npm start again (built tree)"
start_server second
kill -TERM "$NPM_PID"; wait "$NPM_PID" || true; NPM_PID=

step "npx tadfuq validate"
t=$(now); npx tadfuq validate seeds/flows/outreach-sequence.json; echo "npx tadfuq validate: $(since "$t") s"
t=$(now); node bin/tadfuq.js validate seeds/flows/lead-intake.json; echo "node bin/tadfuq.js validate: $(since "$t") s"
