#!/usr/bin/env bash
# A short, realistic tour on the default SQLite database (or $CCCTL_DATABASE_URL).
# Safe to run again: applying, importing and ingesting are idempotent, and only listed
# duplicates are merged.
set -euo pipefail
cd "$(dirname "$0")/.."
run() { printf '\n$ %s\n' "$*"; "$@"; }
first() {  # the first JSON line's FIELDs, space-separated: ... --format jsonl | first FIELD...
  python3 -c 'import json, sys
line = sys.stdin.readline()
print(" ".join(str(json.loads(line)[f]) for f in sys.argv[1:]) if line.strip() else "")' "$@"
}
T="-t voyages-lumiere"

# An admin applies the clients' YAML files: first the diff, then for real (one transaction).
run ccctl tenant apply -f examples/clients/ --dry-run --format table
run ccctl tenant apply -f examples/clients/ --format table
run ccctl tenant list --format table
run ccctl plugins --format table

# Customers arrive from the client's CRM export (CSV or JSONL, a file or - for stdin).
run ccctl customer import examples/customers-voyages.csv $T --format table

# An operator looks someone up by the phone as typed, by email, or by a misspelt name.
run ccctl customer find "06 12 34 56 78" $T --format table
run ccctl customer find "KARIM.BENALI@example.fr" $T --format table
run ccctl customer find "elodie martn" $T --format table

# Re-importing the same file changes nothing (names keep their accents).
run ccctl customer import examples/customers-voyages.csv $T --dry-run --format table

# Two records of one person (same name and address): list them, see what a merge moves, merge;
# the old id still leads to her, and `customer unmerge MERGE_ID` would undo it.
run ccctl customer duplicates $T --format table
pair=$(ccctl customer duplicates $T --format jsonl | first customer_b customer_a)
if [ -n "$pair" ]; then
  run ccctl customer merge $pair $T --dry-run --format table
  run ccctl customer merge $pair $T --format table
fi

# She writes in: the email becomes a queue item and joins her one history.
run ccctl email ingest examples/mail/annulation.eml $T --no-ack --format table
elodie=$(ccctl customer find "06 12 34 56 78" $T --format jsonl | first id)
run ccctl customer show "$elodie" $T --format table
run ccctl queue list $T --format table

# An agent of the after-sales team takes the next item, works it and closes it.
ccctl agent list --format jsonl | grep -q '"name": "marie"' ||
  run ccctl agent add marie --skill claims,fr --serves voyages-lumiere --display-name "Marie Dubois" --format table
item=$(ccctl queue next --agent marie --format jsonl | first id)
if [ -n "$item" ]; then
  run ccctl item close "$item" --agent marie --outcome resolved --note "Annulation confirmée, avoir envoyé" --format table
fi
run ccctl queue stats $T --format table

# The same number is unknown to the other client: tenants never see each other.
run ccctl customer find "06 12 34 56 78" -t assurance-horizon --format table
