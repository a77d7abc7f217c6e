#!/usr/bin/env bash
# The tour: one day of an outsourcer's operator, told step by step, in a database of its own.
#
# It never touches your default database: it (re)creates its own SQLite file each run
# (CCCTL_TOUR_DB, default: tour.db in ccctl's data folder), so running it twice shows the
# same day twice. At the end it says how to explore what it left.
set -euo pipefail
cd "$(dirname "$0")/.."

DATA_DIR="${XDG_DATA_HOME:-$HOME/.local/share}/ccctl"
TOUR_DB="${CCCTL_TOUR_DB:-$DATA_DIR/tour.db}"
OUT_DIR="$(dirname "$TOUR_DB")"
mkdir -p "$OUT_DIR"
rm -f "$TOUR_DB" "$TOUR_DB-wal" "$TOUR_DB-shm"
export CCCTL_DATABASE_URL="sqlite:///$TOUR_DB"
export CCCTL_ACTOR="tour"
unset CCCTL_TENANT CCCTL_AGENT CCCTL_UTC
T=(-t voyages-lumiere)

if [ -t 1 ]; then BOLD=$'\033[1m'; DIM=$'\033[2m'; PLAIN=$'\033[0m'; else BOLD=""; DIM=""; PLAIN=""; fi
# A chapter: what it shows and why it matters to the people who run a contact centre.
say() { printf '\n%s== %s%s\n' "$BOLD" "$1" "$PLAIN"; shift; for line in "$@"; do printf '%s   %s%s\n' "$DIM" "$line" "$PLAIN"; done; }
# An argument as you would type it: quoted when the shell needs it, so every line can be copied.
quote() {
  if [[ $1 =~ ^[A-Za-z0-9_./:=@,+%-]+$ ]]; then printf '%s' "$1"; else printf "'%s'" "${1//\'/\'\\\'\'}"; fi
}
# Echo a command, then run it; its output follows under it.
run() {
  printf '\n$'; for arg in "$@"; do printf ' '; quote "$arg"; done; printf '\n'
  "$@"
}
# The first JSON line's FIELDs, space-separated: ... --format jsonl | first FIELD...
# (Reads all of stdin: a reader that stops early breaks ccctl's pipe, and pipefail ends the tour.)
first() {
  python3 -c 'import json, sys
lines = sys.stdin.read().splitlines()
print(" ".join(str(json.loads(lines[0])[f]) for f in sys.argv[1:]) if lines and lines[0].strip() else "")' "$@"
}

say "The tour runs in its own database: $TOUR_DB" \
    "Nothing here touches your default database; every run starts this one afresh."

say "1. Clients are YAML files in git; the admin sees the diff, then applies all in one transaction." \
    "A new client's keys left at their defaults are counted, not listed (--verbose lists them)."
run ccctl tenant apply -f examples/clients/ --dry-run --format table
run ccctl tenant apply -f examples/clients/ --format table
run ccctl plugins --format table

say "2. Customers arrive from the client's CRM export; an operator finds them however the caller says it." \
    "Phone as typed, email in any case, a misspelt name: one customer, one history."
run ccctl customer import examples/customers-voyages.csv "${T[@]}" --format table
run ccctl customer find "06 12 34 56 78" "${T[@]}" --format table
run ccctl customer find "elodie martn" "${T[@]}" --format table

say "   Importing the same file again changes nothing (names keep their accents)."
run ccctl customer import examples/customers-voyages.csv "${T[@]}" --dry-run --format table

say "   Two records of one person: duplicates say which signals match; a dry run shows what a merge moves." \
    "The old id still leads to her, and customer unmerge MERGE_ID would undo it."
run ccctl customer duplicates "${T[@]}" --format table
pair=$(ccctl customer duplicates "${T[@]}" --format jsonl | first customer_b customer_a)
if [ -n "$pair" ]; then
  # shellcheck disable=SC2086  # two ids
  run ccctl customer merge $pair "${T[@]}" --dry-run --format table
  run ccctl customer merge $pair "${T[@]}" --format table
fi

say "3. A mail comes in: it is routed by the client's rules to a queue, with a due time in the client's clock." \
    "The cancellation goes to after-sales (rule annulations-remboursements), due within its 24 h SLA."
run ccctl email ingest examples/mail/annulation.eml "${T[@]}" --format table
run ccctl queue list "${T[@]}" --format table

say "4. A web visitor books a call-back in a slot of their choice; an SMS confirms it." \
    "Slots have seats; a full slot is refused with the next open ones. The SMS goes out exactly once."
slot=$(ccctl callback slots --open --days 8 "${T[@]}" --format jsonl | first start)
run ccctl callback request "${T[@]}" --phone "06 98 76 54 32" --name "Jean-Luc Moreau" \
    --reason "Changer la date de mon séjour à Lisbonne" --slot "$slot" \
    --context '{"page": "https://voyages-lumiere.example/lisbonne"}' --format table
run ccctl sms dispatch "${T[@]}" --format table
callback=$(ccctl queue list "${T[@]}" --format jsonl | python3 -c 'import json, sys
rows = [json.loads(line) for line in sys.stdin.read().splitlines()]
print(next((r["id"] for r in rows if r["channel"] == "callback"), ""))')
say "5. Before calling back, the agent's screen pop: who, why, the page they came from, the whole history."
run ccctl callback show "$callback" "${T[@]}" --format table

say "6. Self-help: the client's FAQ answers in French, and deflects questions before they become work." \
    "faq suggest shows what a new mail asking this would be offered."
run ccctl faq sync examples/faq/voyages-lumiere "${T[@]}" --format csv
run ccctl faq search "remboursement annulation" "${T[@]}" --format table
run ccctl faq suggest "Bonjour, comment annuler ma réservation ?" "${T[@]}" --format table

say "7. An agent's day: claim the best item they may take (atomically), close it and take the next in one step." \
    "Agents are known by name; an outcome comes from the client's list; the history records who did what."
run ccctl agent add marie --skill claims,booking,fr --serves voyages-lumiere --display-name "Marie Dubois" --format table
run ccctl queue next --agent marie --format table
item=$(ccctl queue list "${T[@]}" --state claimed --format jsonl | first id)
run ccctl item close "$item" --agent marie --outcome resolved --note "Annulation confirmée, avoir envoyé" --next \
    --format table
run ccctl queue stats "${T[@]}" --format table

say "   Agents have a state (available, on a call, wrap-up, paused with a reason), kept as a history:" \
    "only an available agent claims work; the history feeds the planner's figures in chapter 8."
run ccctl agent set marie --state paused --reason lunch --format table
run ccctl agent set marie --state available --format table

say "8. The client's month: KPIs (with an HTML report to send) and the invoice lines from its YAML rates."
month=$(date +%Y-%m)
run ccctl report kpi "${T[@]}" --from "$month-01" --to "$(date +%Y-%m-%d)" --html "$OUT_DIR/kpi.html" --format table
run ccctl report billing --month "$month" "${T[@]}" --format table

say "   The planner's view: each agent's occupancy (time on calls, in wrap-up or holding an item, of the" \
    "time logged in) and adherence (time logged in during the client's opening hours), from the states."
run ccctl report staffing --agents "${T[@]}" --format table

say "9. Clients never see each other: the same number is unknown to the other client."
run ccctl customer find "06 12 34 56 78" -t assurance-horizon --format table

say "Explore what the tour left:" \
    "export CCCTL_DATABASE_URL=sqlite:///$TOUR_DB" \
    "ccctl queue list -t voyages-lumiere; ccctl customer show 1 -t voyages-lumiere" \
    "The KPI report is in $OUT_DIR/kpi.html. Run the tour again: it starts afresh."
