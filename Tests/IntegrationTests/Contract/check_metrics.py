#!/usr/bin/env python3
"""Checks a Prometheus text exposition (batchd's /metrics) with prometheus_client's
parser and the format's rules a parser lets pass: every family typed, declared once,
counters named *_total, histograms with cumulative buckets, +Inf equal to _count, and
_sum. Usage: check_metrics.py FILE; prints the families, exits 1 on a problem."""
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    text = open(sys.argv[1], encoding="utf-8").read()
    problems = []
    seen = set()
    families = list(text_string_to_metric_families(text))
    for family in families:
        if family.name in seen:
            problems.append(f"{family.name}: declared twice")
        seen.add(family.name)
        if family.type == "unknown":
            problems.append(f"{family.name}: no TYPE")
        if family.type == "histogram":
            buckets = [s for s in family.samples if s.name == family.name + "_bucket"]
            counts = [s for s in family.samples if s.name == family.name + "_count"]
            sums = [s for s in family.samples if s.name == family.name + "_sum"]
            values = [b.value for b in buckets]
            if not buckets or buckets[-1].labels.get("le") != "+Inf":
                problems.append(f"{family.name}: no +Inf bucket last")
            if values != sorted(values):
                problems.append(f"{family.name}: buckets not cumulative")
            if len(counts) != 1 or len(sums) != 1:
                problems.append(f"{family.name}: needs one _count and one _sum")
            elif buckets and buckets[-1].value != counts[0].value:
                problems.append(f"{family.name}: +Inf bucket {buckets[-1].value} != _count {counts[0].value}")
    # The parser renames counters to *_total itself: the names as written are checked here.
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[:2] == ["#", "TYPE"] and parts[3] == "counter" and not parts[2].endswith("_total"):
            problems.append(f"{parts[2]}: a counter's name must end in _total")
    print(f"{len(families)} families: " + ", ".join(f"{f.name} ({f.type})" for f in families))
    for problem in problems:
        print("PROBLEM", problem)
    sys.exit(1 if problems or not families else 0)


if __name__ == "__main__":
    main()
