"""Seconds rapidyaml (PyPI `rapidyaml`) takes to parse every YAML/JSON file under a
directory in-process, files read first: `python3 scripts/ryml_parse.py DIR`. Shared by
scripts/compare-rapidyaml.sh and scripts/measure-shapes.sh."""
import os, sys, time, ryml
paths = [os.path.join(r, f) for r, _, fs in os.walk(sys.argv[1]) for f in fs
         if f.endswith((".yaml", ".yml", ".json"))]
bufs = [open(p, "rb").read() for p in paths]
t = time.perf_counter()
for b in bufs:
    ryml.parse_in_arena(b)
print(time.perf_counter() - t)
