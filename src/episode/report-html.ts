/**
 * A self-contained HTML page (no scripts, no external assets) showing episodes side by side: the
 * outcome cards, then each step with what cordon saw and did. Everything from the episode is
 * escaped: agent output and commands are untrusted text.
 */
import { summarizeFinding } from '../detect/index.js';
import type { TimelineStep } from './timeline.js';
import type { EpisodeResult } from './types.js';

export interface HtmlEpisode {
  title: string;
  result: EpisodeResult;
  timeline: TimelineStep[];
}

export interface HtmlReportInput {
  title: string;
  subtitle: string;
  episodes: HtmlEpisode[];
  generatedAt: Date;
  notes?: string[] | undefined;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

const CSS = `
:root{--bg:#0f1419;--card:#171d24;--line:#263040;--text:#dde3ea;--dim:#8a96a3;--red:#ff6b6b;--green:#4cd08a;--amber:#f5b94a;--blue:#6cb6ff}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--text);font:15px/1.5 system-ui,-apple-system,Segoe UI,sans-serif}
main{max-width:1280px;margin:0 auto;padding:32px 24px}h1{margin:0 0 4px;font-size:28px}h2{margin:0 0 12px;font-size:19px}
.sub{color:var(--dim);margin:0 0 28px}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:20px}
.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:18px 20px}
.stats{display:grid;grid-template-columns:repeat(4,1fr);gap:10px;margin:10px 0 4px}.stat{background:#11171d;border-radius:8px;padding:10px}
.stat b{display:block;font-size:22px}.stat span{color:var(--dim);font-size:12px;text-transform:uppercase;letter-spacing:.05em}
.rogue{color:var(--red)}.clean{color:var(--green)}.suspicious{color:var(--amber)}
ol{list-style:none;margin:14px 0 0;padding:0}li{border-top:1px solid var(--line);padding:10px 0}
.step{display:flex;gap:10px;align-items:baseline}.sid{color:var(--dim);font:12px ui-monospace,monospace;min-width:54px}
.flag{border-left:3px solid var(--red);padding-left:10px;margin-left:-13px}
code{display:block;font:12px/1.45 ui-monospace,SFMono-Regular,monospace;color:var(--dim);white-space:pre-wrap;word-break:break-all;margin:4px 0 0 64px}
.saw,.did{margin:4px 0 0 64px;font-size:13px}.saw{color:var(--blue)}.did{color:var(--red)}.saw:before{content:"saw  "}.did:before{content:"did  "}
.saw:before,.did:before{color:var(--dim);font:12px ui-monospace,monospace}
table{border-collapse:collapse;width:100%;margin-top:8px}td,th{text-align:left;padding:6px 8px;border-top:1px solid var(--line);font-size:14px}
th{color:var(--dim);font-weight:500}footer{color:var(--dim);font-size:12px;margin-top:28px}
`;

function card(e: HtmlEpisode): string {
  const r = e.result;
  const steps = e.timeline
    .map((s) => {
      const saw = s.saw.map((l) => `<div class="saw">${escapeHtml(l)}</div>`).join('');
      const did = s.did.map((l) => `<div class="did">${escapeHtml(l)}</div>`).join('');
      return `<li class="${s.flagged ? 'flag' : ''}"><div class="step"><span class="sid">${escapeHtml(s.stepId)}</span><span>${escapeHtml(s.action)}</span></div><code>$ ${escapeHtml(s.command)}</code>${saw}${did}</li>`;
    })
    .join('');
  return `<section class="card"><h2>${escapeHtml(e.title)}</h2>
<div class="stats">
<div class="stat"><span>task score</span><b>${r.score.toFixed(2)}</b></div>
<div class="stat"><span>verdict</span><b class="${r.verdict}">${escapeHtml(r.verdict.toUpperCase())}</b></div>
<div class="stat"><span>findings</span><b>${r.findings.filter((f) => f.severity !== 'info' && f.severity !== 'low').length}</b></div>
<div class="stat"><span>shaped reward</span><b class="${r.reward < 0 ? 'rogue' : 'clean'}">${r.reward.toFixed(2)}</b></div>
</div><ol>${steps}</ol></section>`;
}

function findingsTable(episodes: HtmlEpisode[]): string {
  const rows = episodes.flatMap((e) =>
    e.result.findings
      .filter((f) => f.severity !== 'info' && f.severity !== 'low')
      .map(
        (f) =>
          `<tr><td>${escapeHtml(e.result.agent)}</td><td>${escapeHtml(f.stepId ?? '')}</td><td>${escapeHtml(f.category)}</td><td>${escapeHtml(f.rule)}</td><td>${escapeHtml(summarizeFinding(f))}</td><td>${escapeHtml(f.attack.join(', '))}</td></tr>`,
      ),
  );
  if (!rows.length) return '';
  return `<section class="card" style="margin-top:20px"><h2>Findings</h2><table><tr><th>agent</th><th>step</th><th>category</th><th>rule</th><th>what happened</th><th>ATT&amp;CK</th></tr>${rows.join('')}</table></section>`;
}

/** The whole page. */
export function renderEpisodesHtml(input: HtmlReportInput): string {
  const notes = (input.notes ?? []).map((n) => `<div>${escapeHtml(n)}</div>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(input.title)}</title><style>${CSS}</style></head><body><main>
<h1>${escapeHtml(input.title)}</h1><p class="sub">${escapeHtml(input.subtitle)}</p>
<div class="grid">${input.episodes.map(card).join('')}</div>
${findingsTable(input.episodes)}
<footer>${notes}<div>Generated by cordon at ${escapeHtml(input.generatedAt.toISOString())}.</div></footer>
</main></body></html>
`;
}
