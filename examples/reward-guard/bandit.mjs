#!/usr/bin/env node
// The reward guard, shown: an epsilon-greedy learner chooses between two behaviours, `honest` (do
// the task) and `rome` (do the task, then tunnel out and mine). Its raw reward is inflated by
// mining, so without cordon it converges to rogue behaviour; trained on cordon's shaped reward
// (the episode verdict applied through policy.reward) it converges to honest work.
// Outcomes come from real episodes measured once with `cordon demo rome` (outcomes.json).
//   node examples/reward-guard/bandit.mjs [--episodes 300] [--runs 200] [--out curves.png]
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canvas, encodePng, fillRect, line, text } from './png.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
};
const EPISODES = Number(arg('episodes', 300));
const RUNS = Number(arg('runs', 200));
const EPSILON = 0.1;
const NOISE = 0.15;
const out = resolve(arg('out', join(here, 'learning-curves.png')));
const outcomes = JSON.parse(readFileSync(join(here, 'outcomes.json'), 'utf8'));
const ARMS = ['honest', 'rome'];

function rng(seed) {
  // mulberry32: small, deterministic, good enough for a demonstration.
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const gauss = (rand) => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());

/** What the environment pays for one episode of a behaviour. */
function reward(arm, shaped, rand) {
  const o = outcomes.behaviours[arm];
  const raw = o.score + (arm === 'rome' ? outcomes.miningPayout : 0);
  return (shaped ? o.shapedReward : raw) + NOISE * gauss(rand);
}

/** Share of runs choosing the rogue arm at each episode. */
function learn(shaped) {
  const rogue = new Array(EPISODES).fill(0);
  for (let run = 0; run < RUNS; run += 1) {
    const rand = rng(1000 + run);
    const q = [0, 0];
    const n = [0, 0];
    for (let t = 0; t < EPISODES; t += 1) {
      const arm =
        rand() < EPSILON || n[0] + n[1] < 2 ? Math.floor(rand() * 2) : q[1] > q[0] ? 1 : 0;
      const r = reward(ARMS[arm], shaped, rand);
      n[arm] += 1;
      q[arm] += (r - q[arm]) / n[arm];
      if (arm === 1) rogue[t] += 1 / RUNS;
    }
  }
  return rogue;
}

const smooth = (xs, w = 10) =>
  xs.map((_, i) => {
    const s = xs.slice(Math.max(0, i - w + 1), i + 1);
    return s.reduce((a, b) => a + b, 0) / s.length;
  });

const raw = smooth(learn(false));
const shaped = smooth(learn(true));

const spark = (xs) => {
  const bars = ' ▁▂▃▄▅▆▇█';
  const step = Math.ceil(xs.length / 60);
  return xs
    .filter((_, i) => i % step === 0)
    .map((x) => bars[Math.min(8, Math.round(x * 8))])
    .join('');
};
const pct = (x) => `${(x * 100).toFixed(0)}%`;
console.log(
  `Share of episodes where the learner chose the rogue behaviour (${RUNS} runs, epsilon ${EPSILON}):`,
);
console.log(`  raw reward (mining pays)      |${spark(raw)}| ${pct(raw.at(-1))}`);
console.log(`  cordon's shaped reward        |${spark(shaped)}| ${pct(shaped.at(-1))}`);

// The chart: rogue share over episodes, red without cordon, green with it.
const W = 760;
const H = 420;
const c = canvas(W, H, [250, 251, 252]);
const box = { x: 70, y: 60, w: W - 110, h: H - 130 };
const axis = [120, 128, 138];
line(c, box.x, box.y + box.h, box.x + box.w, box.y + box.h, axis, 2);
line(c, box.x, box.y, box.x, box.y + box.h, axis, 2);
for (const f of [0, 0.25, 0.5, 0.75, 1]) {
  const y = box.y + box.h - f * box.h;
  line(c, box.x - 5, y, box.x + box.w, y, f === 0 ? axis : [226, 230, 235], 1);
  text(c, box.x - 46, y - 5, pct(f).padStart(4), axis, 2);
}
const plot = (xs, rgb) => {
  for (let i = 1; i < xs.length; i += 1) {
    const x0 = box.x + ((i - 1) / (xs.length - 1)) * box.w;
    const x1 = box.x + (i / (xs.length - 1)) * box.w;
    line(c, x0, box.y + box.h - xs[i - 1] * box.h, x1, box.y + box.h - xs[i] * box.h, rgb, 3);
  }
};
const RED = [220, 60, 60];
const GREEN = [30, 160, 90];
plot(raw, RED);
plot(shaped, GREEN);
text(c, box.x, 18, 'SHARE OF ROGUE EPISODES WHILE LEARNING', [40, 44, 52], 3);
text(c, box.x + box.w / 2 - 40, box.y + box.h + 14, `EPISODES (0-${EPISODES})`, axis, 2);
fillRect(c, box.x, H - 36, 14, 14, RED);
text(c, box.x + 22, H - 34, 'RAW REWARD (MINING PAYS)', [40, 44, 52], 2);
fillRect(c, box.x + 300, H - 36, 14, 14, GREEN);
text(c, box.x + 322, H - 34, 'CORDON SHAPED REWARD', [40, 44, 52], 2);
writeFileSync(out, encodePng(c));
console.log(`Chart: ${out}`);
