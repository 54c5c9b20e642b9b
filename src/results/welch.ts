/**
 * Welch's unequal-variance t-test and the special functions behind its p-value (Student's t survival through the
 * regularised incomplete beta and log-gamma), kept apart from the descriptive statistics and the bootstrap.
 */
import { mean, sampleStd, type Numbers } from './stats.js';

export interface WelchResult {
  t: number;
  df: number;
  /** Two-sided p-value. */
  p: number;
}

/** Welch's unequal-variance t-test of mean(b) − mean(a). Null when either side has fewer than 2 values. */
export function welchTTest(a: Numbers, b: Numbers): WelchResult | null {
  if (a.length < 2 || b.length < 2) return null;
  const ma = mean(a)!;
  const mb = mean(b)!;
  const va = sampleStd(a)! ** 2 / a.length;
  const vb = sampleStd(b)! ** 2 / b.length;
  const se2 = va + vb;
  if (se2 === 0) {
    // No spread at all: the means either coincide exactly or differ with certainty.
    return ma === mb ? { t: 0, df: a.length + b.length - 2, p: 1 } : { t: Math.sign(mb - ma) * Infinity, df: a.length + b.length - 2, p: 0 };
  }
  const t = (mb - ma) / Math.sqrt(se2);
  const df = (se2 * se2) / ((va * va) / (a.length - 1) + (vb * vb) / (b.length - 1));
  const p = Math.min(1, 2 * studentTSf(Math.abs(t), df));
  return { t, df, p };
}

/** Survival function P(T > t) of Student's t with df degrees of freedom, for t ≥ 0. */
export function studentTSf(t: number, df: number): number {
  if (!Number.isFinite(t)) return t > 0 ? 0 : 1;
  return 0.5 * regularizedIncompleteBeta(df / 2, 0.5, df / (df + t * t));
}

/** I_x(a, b) by Lentz's continued fraction (Numerical Recipes §6.4), accurate to ~1e-14 for the t test's use. */
export function regularizedIncompleteBeta(a: number, b: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  const front = Math.exp(lnFront);
  // The continued fraction converges fast only below the mean; use the symmetry I_x(a,b) = 1 − I_{1−x}(b,a) above it.
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(a, b, x)) / a;
  return 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; ~15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let s = LANCZOS[0]!;
  for (let i = 1; i < 9; i++) s += LANCZOS[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s);
}
