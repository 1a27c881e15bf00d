export type RetentionPeriod = '6-months' | '1-year' | '2-years' | '3-years';

const MONTHS: Record<RetentionPeriod, number> = { '6-months': 6, '1-year': 12, '2-years': 24, '3-years': 36 };

/** DEL-4: recordings of a deleted voice user are kept for the registration's period (calendar months, UTC). */
export function retentionEndsAt(deletedAt: Date, period: RetentionPeriod): Date {
  const end = new Date(deletedAt);
  const day = end.getUTCDate();
  end.setUTCDate(1);
  end.setUTCMonth(end.getUTCMonth() + MONTHS[period]);
  const lastDay = new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() + 1, 0)).getUTCDate();
  end.setUTCDate(Math.min(day, lastDay));
  return end;
}
