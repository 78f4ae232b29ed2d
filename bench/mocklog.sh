#!/usr/bin/env bash
# bench/mocklog.sh: summarise the mock provider's message log for the
# benchmarks: lines FROM..end of LOG (1-based), optionally with the epoch
# times a client committed work for each recipient (latency mode).
#
#   bash bench/mocklog.sh LOG FROM_LINE
#       prints "count first_epoch last_epoch duplicates" where duplicates
#       counts (to, body) pairs logged more than once.
#   bash bench/mocklog.sh LOG FROM_LINE COMMITS
#       COMMITS has lines "+E164 epoch"; prints one latency in ms per
#       recipient (mock received_at - commit time), unsorted.
# Reads the log with regular expressions (its lines are flat JSON written by
# the mock), not a JSON parser: a million lines take seconds.
set -euo pipefail
tail -n +"$2" "$1" | perl -MTime::Local -e '
  my %commit;
  if (@ARGV) { open my $c, "<", $ARGV[0] or die; while (<$c>) { my ($to, $t) = split; $commit{$to} = $t } @ARGV = () }
  my ($n, $first, $last, %seen, $dups) = (0, undef, undef);
  while (<STDIN>) {
    my ($to) = /"to":"([^"]*)"/;
    my ($body) = /"body":"((?:[^"\\]|\\.)*)"/;
    my ($y, $mo, $d, $h, $mi, $s, $f) = /"received_at":"(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)(\.\d+)?Z"/ or next;
    my $t = timegm($s, $mi, $h, $d, $mo - 1, $y) + ($f // 0);
    if (%commit) { printf "%.3f\n", ($t - $commit{$to}) * 1000 if exists $commit{$to}; next }
    $n++;
    $first = $t if !defined $first || $t < $first;
    $last = $t if !defined $last || $t > $last;
    $dups++ if $seen{"$to|$body"}++ == 1;
  }
  printf "%d %.6f %.6f %d\n", $n, $first // 0, $last // 0, $dups // 0 unless %commit;
' ${3:+"$3"}
