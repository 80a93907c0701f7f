"""Merge the results.json of several design-benchmark runs of the same cells into one report.

    PYTHONPATH=. python benchmarks/merge_design_results.py OUT \
        A/results.json:interp,cellbox+  B/results.json:hmlm,ude-mlp  C/results.json:hmlm:hmlm=hmlm-old

Each spec is ``path:models[:old=new,...]``: the records of those models (``*``: all) from
that run, renamed; a trailing ``+`` on the models also keeps the model-free records
(identifiability, residual correlation). Writes OUT/results.json and OUT/report.md.
"""
import json
import sys
from pathlib import Path

from hmlm_sb.benchmark.report import write_design_report, write_results
out = Path(sys.argv[1]); records = []; metas = []
for spec in sys.argv[2:]:
    path, models, *rename = spec.split(':')
    data = json.load(open(path)); metas.append(data['meta'])
    ren = dict(r.split('=') for r in rename[0].split(',')) if rename and rename[0] else {}
    keep_free = models.endswith('+')  # also keep model-free records ("-")
    models = models.rstrip('+')
    for r in data['records']:
        m = r.get('model', '-')
        if m == '-' and not keep_free:
            continue
        if m != '-' and models != '*' and m not in models.split(','):
            continue
        r = dict(r); r['model'] = ren.get(m, m); records.append(r)
meta = dict(metas[0])
meta['command'] = '` + `'.join(m['command'] for m in metas)
meta['seconds'] = sum(m.get('seconds', 0) for m in metas)
meta['budget'] = {k: v for m in metas for k, v in m.get('budget', {}).items()}
for key in ('networks', 'designs', 'generators'):  # every run's, in the order first seen
    meta[key] = list(dict.fromkeys(v for m in metas for v in m.get(key, [])))
meta['seeds'] = sorted({s for m in metas for s in m.get('seeds', [])})
write_results(records, out, meta)
write_design_report(records, out, meta)
print(out / 'report.md')
