/**
 * Credits, on the base floor (imports nothing): 1 credit = 1 US cent of agent usage, kept exact to the
 * millionth. The ledger (lib/db/run-billing.ts), the metering of a running run (lib/session) and the
 * notification summaries all count with these.
 */

/** 1 credit = 1 US cent of agent usage. */
export const CREDITS_PER_USD = 100;

/** The ledger's unit: amounts are credits exact to the millionth (numeric(20, 6)). */
export const MICROCREDITS_PER_CREDIT = 1_000_000;

/** The code of a session stopped because its cost reached the balance or its `maxCredits`. */
export const OUT_OF_CREDITS_CODE = "payment_required:credits";

/**
 * The credits a cost is debited as: exact to the micro-credit (US$10^-8, rounded to the nearest; a
 * token costs at least five), never rounded up to a whole credit. The result is `micro / 10^6`, whose
 * shortest decimal form (what postgres.js sends) is the exact numeric the ledger stores.
 */
export function creditsFor(costUsd: number): number {
  return microCreditsFor(costUsd) / MICROCREDITS_PER_CREDIT;
}

/** A cost in whole micro-credits (integer arithmetic for running totals). */
export function microCreditsFor(costUsd: number): number {
  return Math.max(0, Math.round(costUsd * CREDITS_PER_USD * MICROCREDITS_PER_CREDIT));
}
