#!/usr/bin/env bash
# The main job on bundled, benign images: hash a folder that stands for known
# material, put it in a bank, then scan a folder of new uploads (edited
# copies of known pictures, and unrelated ones) and say which matched what.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
echo "building hashwatch (the first build takes a few minutes) ..." >&2
cargo build --release --quiet -p hashwatch
hashwatch="${CARGO_TARGET_DIR:-target}/release/hashwatch"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
db=("--db" "$work/example.db")

echo
echo "== 1. Hash the known material (examples/known) =="
"$hashwatch" hash --no-progress examples/known >"$work/known.tsv"
awk -F'\t' 'NR > 1 { p = $1; sub(".*/", "", p); printf "  %-20s pdq %s...  md5 %s...\n", p, substr($2, 1, 16), substr($4, 1, 12) }' "$work/known.tsv"

echo
echo "== 2. Put the hashes in a bank named 'known' =="
"$hashwatch" "${db[@]}" bank create known --description "bundled example" 2>&1
"$hashwatch" "${db[@]}" bank import known "$work/known.tsv" --no-progress 2>&1

echo
echo "== 3. Scan new uploads (examples/uploads) against the bank =="
# --per-item: one line per upload and known picture; --unmatched: a line for
# uploads that matched nothing; --dihedral: rotated and mirrored copies too.
status=0
"$hashwatch" "${db[@]}" match --dihedral --per-item --unmatched --no-progress \
    examples/uploads >"$work/matches.tsv" || status=$?
# 0: something matched; 1: nothing did; anything else is a failure.
[ "$status" -le 1 ] || exit "$status"

awk -F'\t' '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    {
        upload = $col["query"]; sub(".*/", "", upload)
        if ($col["bank"] == "") {
            printf "  %-28s no match\n", upload
            next
        }
        item = $col["item"]; sub(".*/", "", item)
        how = $col["signal_type"] == "pdq" ? "PDQ distance " $col["distance"] : "identical file (" $col["signal_type"] ")"
        variant = $col["variant"]
        if (variant ~ /^rot/) how = how ", a turned copy (" variant ")"
        else if (variant ~ /^flip/) how = how ", a mirrored copy (" variant ")"
        printf "  %-28s MATCH  %-18s %s\n", upload, item, how
    }' "$work/matches.tsv"

matched=$(awk -F'\t' 'NR > 1 && $2 != ""' "$work/matches.tsv" | cut -f1 | sort -u | wc -l)
total=$(find examples/uploads -type f | wc -l)
echo
echo "$matched of $total uploads match known material; the other $((total - matched)) are unrelated pictures."
echo "PDQ distance: how many of 256 bits differ (0 = same picture; 31 or less counts as a match)."
