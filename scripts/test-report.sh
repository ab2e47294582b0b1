#!/usr/bin/env bash
# The per-suite report of one `cargo test` run against one host:
#   bash scripts/test-report.sh HOST DIR
# HOST is `native` or `worker`; DIR is the PANORAMIX_TEST_REPORT_DIR the run wrote to:
#   DIR/cargo-test.log      cargo test's output, stdout and stderr (`2>&1 | tee`)
#   DIR/not-applicable.tsv  suite, test, host, reason: one line per test that returned
#                           because it does not apply to the host (tests/common's
#                           not_applicable)
#   DIR/servers.tsv         suite, test, host: one line per server a test started
# For each suite: the tests that ran (libtest's "N passed; M failed" minus the ones
# not applicable), those not applicable, ignored and failed, and the servers started
# on each host; then every not-applicable test with its reason. Fails when the log
# has no suite, when a not-applicable line names another host or an unknown suite,
# or, in a Worker run, when a native server was started or a test that ran started
# no Worker (on the Worker row nothing runs natively).
set -euo pipefail
host=${1:?usage: test-report.sh native|worker DIR}
dir=${2:?usage: test-report.sh native|worker DIR}
log=$dir/cargo-test.log
[ -f "$log" ] || { echo "test-report.sh: no $log" >&2; exit 2; }
touch "$dir/not-applicable.tsv" "$dir/servers.tsv"

awk -v host="$host" -F '\t' '
  # pass 1: not-applicable.tsv; pass 2: servers.tsv; pass 3: the cargo log
  FILENAME == ARGV[1] {
    if ($3 != host) { printf "test-report.sh: %s::%s is reported not applicable to %s in a %s run\n", $1, $2, $3, host > "/dev/stderr"; bad = 1 }
    na[$1]++; reason[$1, na[$1]] = $2 ": " $4
    next
  }
  FILENAME == ARGV[2] {
    servers[$1, $3]++
    if (!(($1, $2, $3) in tested)) { tested[$1, $2, $3] = 1; testers[$1, $3]++ }
    next
  }
  /^ *Running / {
    split($0, w, " "); unit = (w[2] == "unittests")
    path = $0; sub(/^.*\(/, "", path); sub(/\)$/, "", path)
    n = split(path, parts, "/"); name = parts[n]; sub(/-[0-9a-f]+$/, "", name)
    suite = unit ? name " (unit)" : name
    if (!(suite in seen)) { seen[suite] = 1; order[++count] = suite }
    next
  }
  /^ *Doc-tests / {
    suite = $0; sub(/^ *Doc-tests /, "", suite); suite = suite " (doc)"
    if (!(suite in seen)) { seen[suite] = 1; order[++count] = suite }
    next
  }
  /^test result: / {
    line = $0
    passed[suite] += field(line, "passed"); failed[suite] += field(line, "failed")
    ignored[suite] += field(line, "ignored")
    next
  }
  function field(s, word,   m) {
    if (match(s, "[0-9]+ " word)) { m = substr(s, RSTART, RLENGTH); sub(/ .*/, "", m); return m + 0 }
    return 0
  }
  END {
    if (count == 0) { print "test-report.sh: no test suite in the log" > "/dev/stderr"; exit 1 }
    printf "\n=== tests on the %s host, per suite\n", host
    printf "%-34s %5s %5s %8s %7s  %s\n", "suite", "ran", "n/a", "ignored", "failed", "servers started (native, worker)"
    for (i = 1; i <= count; i++) {
      s = order[i]
      ran = passed[s] + failed[s] - na[s]
      if (ran < 0) { printf "test-report.sh: %s: more tests not applicable than run\n", s > "/dev/stderr"; bad = 1 }
      printf "%-34s %5d %5d %8d %7d  %d, %d\n", s, ran, na[s], ignored[s], failed[s], servers[s, "native"], servers[s, "worker"]
      if (host == "worker" && testers[s, "worker"] != ran) {
        printf "test-report.sh: %s: %d tests ran on the Worker row but %d started a Worker\n", s, ran, testers[s, "worker"] > "/dev/stderr"; bad = 1
      }
      t_ran += ran; t_na += na[s]; t_ign += ignored[s]; t_fail += failed[s]
      t_nat += servers[s, "native"]; t_wrk += servers[s, "worker"]
    }
    printf "%-34s %5d %5d %8d %7d  %d, %d\n", "total", t_ran, t_na, t_ign, t_fail, t_nat, t_wrk
    for (s in na) if (!(s in seen)) { printf "test-report.sh: not-applicable lines of an unknown suite %s\n", s > "/dev/stderr"; bad = 1 }
    if (t_na > 0) {
      printf "\nnot applicable to the %s host:\n", host
      for (i = 1; i <= count; i++) for (j = 1; j <= na[order[i]]; j++) printf "  %s::%s\n", order[i], reason[order[i], j]
    }
    if (host == "worker" && t_nat > 0) {
      printf "test-report.sh: the Worker run started %d native servers\n", t_nat > "/dev/stderr"; bad = 1
    }
    exit bad
  }
' "$dir/not-applicable.tsv" "$dir/servers.tsv" "$log"
