/**
 * Keeping a misbehaving peer out of the log's way. Text that comes from the peer (service paths,
 * method names, metadata, error texts built from them) is cut short before it is logged, and
 * warnings that one connection can cause are rate-limited, so a flood of bad connections costs a
 * few log lines a second, not one per connection.
 */
import type { Logger } from './logger.js';

/** Longest peer-supplied text written to a log line. */
export const MAX_LOGGED_TEXT = 128;

/** `text` cut to `max` characters (never inside a surrogate pair), saying how much was cut. */
export function peerText(text: string, max: number = MAX_LOGGED_TEXT): string {
  if (text.length <= max) return text;
  const last = text.charCodeAt(max - 1);
  const cut = last >= 0xd800 && last <= 0xdbff ? max - 1 : max;
  return `${text.slice(0, cut)}… (${text.length - cut} more characters)`;
}

export interface WarningLimiterOptions {
  /** Warnings let through per window. Default 10. */
  burst?: number;
  /** Window length (ms). Default 1000. */
  windowMs?: number;
  /** The clock (ms), injectable for tests. Default `Date.now`. */
  now?: () => number;
}

/**
 * Lets `burst` lines per window and level through to the logger (warnings and info lines each
 * have their own budget, so a flood of routine disconnects cannot hide a warning); the rest are
 * counted, and the first line of that level in a later window says how many were suppressed.
 */
export class WarningLimiter {
  private readonly warnings: LevelBudget;
  private readonly infos: LevelBudget;

  constructor(logger: Logger, options: WarningLimiterOptions = {}) {
    const burst = Math.max(1, options.burst ?? 10);
    const windowMs = Math.max(1, options.windowMs ?? 1000);
    const now = options.now ?? Date.now;
    this.warnings = new LevelBudget((m, f) => logger.warn(m, f), burst, windowMs, now);
    this.infos = new LevelBudget((m, f) => logger.info(m, f), burst, windowMs, now);
  }

  /** Lines dropped (both levels) since the last of their level that went through. */
  get suppressedCount(): number {
    return this.warnings.suppressed + this.infos.suppressed;
  }

  warn(message: string, fields?: Record<string, unknown>): void {
    this.warnings.log(message, fields);
  }

  info(message: string, fields?: Record<string, unknown>): void {
    this.infos.log(message, fields);
  }
}

/** The budget of one log level. */
class LevelBudget {
  suppressed = 0;
  private windowStart = Number.NEGATIVE_INFINITY;
  private passed = 0;

  constructor(
    private readonly write: (message: string, fields?: Record<string, unknown>) => void,
    private readonly burst: number,
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  log(message: string, fields?: Record<string, unknown>): void {
    const now = this.now();
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.passed = 0;
    }
    if (this.passed >= this.burst) {
      this.suppressed++;
      return;
    }
    this.passed++;
    if (this.suppressed > 0) {
      const count = this.suppressed;
      fields = { ...fields, suppressed: count };
      message = `${message} (${count} similar ${count === 1 ? 'message' : 'messages'} suppressed)`;
      this.suppressed = 0;
    }
    this.write(message, fields);
  }
}
