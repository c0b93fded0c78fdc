#!/usr/bin/env python3
"""Compare a tool's --json event stream with a golden one in testdata/golden/.

    json_golden.py GOLDEN ACTUAL      exit 0 when ACTUAL fits GOLDEN, else 1 and the reasons
    json_golden.py --shapes ACTUAL    print one line per distinct event shape (to write a golden)

What is compared is the shape, not the values (times, ports, addresses and counters
change from run to run): for every event in ACTUAL, its kind ("event") must be one the
golden file has, and its field names, in their order, with the JSON type of each value
(string, integer, number with a fraction, boolean, object: compared the same way, array)
must be those of one of the golden events of that kind. Every kind of the golden file
must occur in ACTUAL, except those it names on a "# optional: KIND, KIND" line.

Golden files are JSON Lines; lines starting with '#' are comments. Lines of ACTUAL that
are not JSON objects (a tool's plain "warning:" lines on the same stderr) are skipped.
"""
import json
import sys


def type_name(value):
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "array"
    return "object"


def shape(value):
    """Field names in order with their types; objects inside are shapes too."""
    if isinstance(value, dict):
        return tuple((key, shape(v)) for key, v in value.items())
    return type_name(value)


def shape_text(s):
    if isinstance(s, tuple):
        return "{" + ", ".join(f"{k}: {shape_text(v)}" for k, v in s) + "}"
    return s


def read_events(path, golden):
    events, optional = [], set()
    with open(path, encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            if line.startswith("#"):
                if golden and line[1:].strip().startswith("optional:"):
                    optional.update(k.strip() for k in line.split(":", 1)[1].split(",") if k.strip())
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                if golden:
                    sys.exit(f"{path}:{number}: not JSON: {line[:80]}")
                continue
            if not isinstance(obj, dict) or "event" not in obj:
                if golden:
                    sys.exit(f"{path}:{number}: not an event object")
                continue
            events.append((number, obj))
    return events, optional


def main(argv):
    if len(argv) == 3 and argv[1] == "--shapes":
        seen = set()
        for _, obj in read_events(argv[2], False)[0]:
            s = (obj["event"], shape(obj))
            if s not in seen:
                seen.add(s)
                print(json.dumps(obj, separators=(",", ":")))
        return 0
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    golden_path, actual_path = argv[1], argv[2]
    golden, optional = read_events(golden_path, True)
    allowed = {}
    for _, obj in golden:
        allowed.setdefault(obj["event"], set()).add(shape(obj))
    unknown_optional = optional - allowed.keys()
    if unknown_optional:
        print(f"{golden_path}: optional kinds without an example: {', '.join(sorted(unknown_optional))}", file=sys.stderr)
        return 1
    problems, seen = [], set()
    actual, _ = read_events(actual_path, False)
    for number, obj in actual:
        kind = obj["event"]
        seen.add(kind)
        if kind not in allowed:
            problems.append(f"line {number}: event '{kind}' is not in the golden file")
        elif shape(obj) not in allowed[kind]:
            expected = " or ".join(sorted(shape_text(s) for s in allowed[kind]))
            problems.append(f"line {number}: '{kind}' has {shape_text(shape(obj))}; golden: {expected}")
    for kind in sorted(allowed.keys() - seen - optional):
        problems.append(f"no '{kind}' event (the golden file has one)")
    if not actual:
        problems.append("no events at all")
    for p in problems[:20]:
        print(f"{actual_path} vs {golden_path}: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
