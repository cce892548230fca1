// Agreement check: our L2 logistic regression against scikit-learn's LogisticRegression(C = 1/l2, lbfgs)
// on the same standardised propensity features and the same customer split of the generated data.
// Passes when the two validation AUCs are within 0.005. Needs python3 with scikit-learn (Debian:
// python3-sklearn); prints "skipped" otherwise.
// Run: npx tsx test/bench/logistic.ts [--customers 20000] [--seed 11] [--window 30]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { rocAuc } from '../../lib/models/evaluation.js';
import {
  buildSelfLabelledSample,
  designMatrix,
  fitScoreModel,
  isValidationCustomer,
  mergeSamples,
  predict,
} from '../../lib/models/propensity.js';
import { GENERATED_END_MS, generatedTransactions } from '../support/predictive.js';

function findSklearnPython(): string | undefined {
  for (const python of ['/usr/bin/python3', 'python3']) {
    try {
      execFileSync(python, ['-c', 'import sklearn'], { stdio: 'ignore' });
      return python;
    } catch {
      // not this one
    }
  }
  return undefined;
}

const SKLEARN = `
import sys, numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
d = np.loadtxt(sys.argv[1], delimiter=',')
split, y, X = d[:, 0], d[:, 1], d[:, 2:]
tr, va = split == 0, split == 1
m = LogisticRegression(C=float(sys.argv[2]), tol=1e-10, max_iter=10000).fit(X[tr], y[tr])
print(roc_auc_score(y[va], m.predict_proba(X[va])[:, 1]))
`;

export function benchLogistic(customers: number, seed: number, windowDays: number) {
  const { tx } = generatedTransactions(customers, seed);
  const target = { name: 'purchase', kind: 'purchase' as const, windowDays };
  const merged = mergeSamples(
    [buildSelfLabelledSample(tx, GENERATED_END_MS, target, 1_000_000, 42).sample],
    1_000_000,
  );
  const settings = {
    l2: 1,
    validationShare: 0.3,
    minPositives: 100,
    minNegatives: 100,
    bands: { high: 0.2, medium: 0.3 },
    leakageAuc: 0.98,
  };
  const started = performance.now();
  const model = fitScoreModel(merged, target, settings);
  const seconds = (performance.now() - started) / 1000;
  const ours = model.validation?.auc ?? Number.NaN;
  // the same split and the same standardised matrix for scikit-learn
  const columns: Record<string, Float64Array> = {};
  merged.names.forEach((name, j) => {
    columns[name] = merged.values[j];
  });
  const n = merged.customerId.length;
  const d = model.features.length;
  const X = designMatrix(model, columns, n);
  let csv = '';
  for (let i = 0; i < n; i++) {
    const row = [
      isValidationCustomer(merged.customerId[i], settings.validationShare) ? 1 : 0,
      merged.label[i],
    ];
    for (let j = 0; j < d; j++) row.push(X[i * d + j]);
    csv += `${row.join(',')}\n`;
  }
  // sanity: our AUC recomputed from the exported rows
  const valid = merged.customerId.map((id) => isValidationCustomer(id, settings.validationShare));
  const p = predict(model, columns, n);
  const ourCheck = rocAuc(
    Float64Array.from(p.filter((_, i) => valid[i])),
    Uint8Array.from(merged.label.filter((_, i) => valid[i])),
  );
  const python = findSklearnPython();
  let sklearn = Number.NaN;
  if (python) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'logistic-bench-'));
    try {
      writeFileSync(path.join(dir, 'data.csv'), csv);
      writeFileSync(path.join(dir, 'fit.py'), SKLEARN);
      const out = execFileSync(python, [
        path.join(dir, 'fit.py'),
        path.join(dir, 'data.csv'),
        String(1 / settings.l2),
      ]);
      sklearn = Number(out.toString().trim());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { customers: n, features: d, seconds, ours, ourCheck, sklearn, python };
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const { values } = parseArgs({
    options: {
      customers: { type: 'string', default: '20000' },
      seed: { type: 'string', default: '11' },
      window: { type: 'string', default: '30' },
    },
  });
  const r = benchLogistic(Number(values.customers), Number(values.seed), Number(values.window));
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}`);
  console.log(
    `customers in training sample: ${r.customers}, features: ${r.features}, our fit+validation ${r.seconds.toFixed(2)} s`,
  );
  console.log(`validation AUC  ours ${r.ours.toFixed(5)} (recomputed ${r.ourCheck.toFixed(5)})`);
  if (!r.python) {
    console.log('scikit-learn: skipped (python3 with sklearn not found)');
  } else {
    const gap = Math.abs(r.ours - r.sklearn);
    console.log(
      `validation AUC  scikit-learn ${r.sklearn.toFixed(5)}  |gap| ${gap.toFixed(5)}  ${gap <= 0.005 ? 'PASS (<= 0.005)' : 'FAIL (> 0.005)'}`,
    );
    if (gap > 0.005) process.exitCode = 1;
  }
}
