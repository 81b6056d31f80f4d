/** The describe tree as text (aligned columns, tree lines, colour on a terminal) or as data for -o json|yaml. */
import type { Condition } from '../../api/v1alpha1/index.js';
import type { TreeNode } from './tree.js';

export interface RenderOptions {
  colour: boolean;
  /** The clock SINCE is measured against (a fixed one in golden tests). */
  now: Date;
}

/** kubectl's short durations: 45s, 3m12s, 2h5m, 4d3h. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 && d < 8 ? `${d}d${h % 24}h` : `${d}d`;
}

const since = (c: Condition | undefined, now: Date): string => {
  const t = Date.parse(c?.lastTransitionTime ?? '');
  return Number.isNaN(t) ? '' : humanDuration(now.getTime() - t);
};

const ANSI = { green: '32', red: '31', yellow: '33', cyan: '36', grey: '90', bold: '1' } as const;
const paint = (on: boolean, code: string, s: string): string => (on && s.trim() !== '' ? `\u001b[${code}m${s}\u001b[0m` : s);

/** Green when True; False in red (Error), yellow (Warning) or cyan (Info); Unknown grey. */
function statusColour(c: Condition | undefined): string {
  if (!c) return ANSI.grey;
  if (c.status === 'True') return ANSI.green;
  if (c.status === 'False') return c.severity === 'Error' ? ANSI.red : c.severity === 'Warning' ? ANSI.yellow : ANSI.cyan;
  return ANSI.grey;
}

interface Row { prefix: string; node: TreeNode }

function flatten(node: TreeNode, lead: string, self: string, out: Row[]): void {
  out.push({ prefix: self, node });
  node.children.forEach((child, i) => {
    const last = i === node.children.length - 1;
    flatten(child, lead + (last ? '  ' : '│ '), lead + (last ? '└─' : '├─'), out);
  });
}

const oneLine = (s: string | undefined): string => (s ?? '').replace(/\s*\n\s*/g, ' ').trim();

export function renderTree(root: TreeNode, opts: RenderOptions): string {
  const rows: Row[] = [];
  flatten(root, '', '', rows);
  const cells = rows.map(({ prefix, node }) => {
    const c = node.condition;
    return {
      name: prefix + node.label,
      ready: c?.status ?? '',
      severity: c && c.status !== 'True' ? c.severity ?? '' : '',
      reason: c && c.status !== 'True' ? c.reason ?? '' : '',
      since: since(c, opts.now),
      message: oneLine(c?.message),
      node,
    };
  });
  const head = { name: 'NAME', ready: 'READY', severity: 'SEVERITY', reason: 'REASON', since: 'SINCE', message: 'MESSAGE' };
  const w = (k: 'name' | 'ready' | 'severity' | 'reason' | 'since'): number => Math.max(head[k].length, ...cells.map((x) => [...x[k]].length));
  const widths = { name: w('name'), ready: w('ready'), severity: w('severity'), reason: w('reason'), since: w('since') };
  const pad = (s: string, n: number): string => s + ' '.repeat(Math.max(0, n - [...s].length));
  const line = (x: typeof head, colour?: { node: TreeNode; c: Condition | undefined }): string => {
    const col = colour ? statusColour(colour.c) : '';
    const name = pad(x.name, widths.name);
    const parts = [
      colour && colour.node.isCondition ? paint(opts.colour, ANSI.grey, name) : colour && colour.node.kind === 'Cluster' ? paint(opts.colour, ANSI.bold, name) : name,
      colour ? paint(opts.colour, col, pad(x.ready, widths.ready)) : pad(x.ready, widths.ready),
      colour ? paint(opts.colour, col, pad(x.severity, widths.severity)) : pad(x.severity, widths.severity),
      pad(x.reason, widths.reason),
      pad(x.since, widths.since),
      x.message,
    ];
    return parts.join('  ').trimEnd();
  };
  return [line(head), ...cells.map((x) => line(x, { node: x.node, c: x.node.condition }))].join('\n') + '\n';
}

/** The tree as plain data (for -o json|yaml): every row with its columns and children. */
export interface TreeData {
  name: string;
  ready?: string;
  severity?: string;
  reason?: string;
  lastTransitionTime?: string;
  message?: string;
  machines?: string[];
  conditions?: TreeData[];
  children?: TreeData[];
}

export function treeData(node: TreeNode): TreeData {
  const c = node.condition;
  const conditionRows = node.children.filter((n) => n.isCondition);
  const others = node.children.filter((n) => !n.isCondition);
  return {
    name: node.label,
    ...(c ? { ready: c.status } : {}),
    ...(c?.severity ? { severity: c.severity } : {}),
    ...(c?.reason ? { reason: c.reason } : {}),
    ...(c?.lastTransitionTime ? { lastTransitionTime: c.lastTransitionTime } : {}),
    ...(c?.message ? { message: c.message } : {}),
    ...(node.grouped ? { machines: node.grouped } : {}),
    ...(conditionRows.length > 0 ? { conditions: conditionRows.map(treeData) } : {}),
    ...(others.length > 0 ? { children: others.map(treeData) } : {}),
  };
}
