#!/bin/sh
# gen-tz-sql.sh FILE: turn libphonenumber's prefix|zone&zone map into an INSERT for textseq.phone_tz_prefix.
set -eu
f=${1:-}
[ -n "$f" ] && [ -f "$f" ] || { echo "-- no time zone data file"; exit 0; }
echo "INSERT INTO textseq.phone_tz_prefix (prefix, zones) VALUES"
grep -E '^[0-9]+\|' "$f" | awk -F'|' '
  { n = split($2, z, "&"); s = "";
    for (i = 1; i <= n; i++) s = s (i > 1 ? "," : "") "\"" z[i] "\"";
    printf "%s(%s,%s)", (NR > 1 ? ",\n" : ""), "'\''" $1 "'\''", "'\''{" s "}'\''" }
  END { print ";" }'
