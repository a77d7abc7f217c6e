#!/usr/bin/env bash
# A short, realistic tour on the default SQLite database (or $CCCTL_DATABASE_URL).
set -euo pipefail
cd "$(dirname "$0")/.."
set -x
ccctl tenant apply -f examples/clients/ --dry-run --format table | head -n 8
ccctl tenant apply -f examples/clients/
ccctl tenant list --format table
ccctl customer import examples/customers-voyages.csv -t voyages-lumiere --format table
ccctl customer find "06 12 34 56 78" -t voyages-lumiere --format table
ccctl customer find "elodie martn" -t voyages-lumiere --format table
ccctl customer duplicates -t voyages-lumiere --format table
ccctl plugins --format table
