/**
 * Keeping a misbehaving peer out of the log's way. Text that comes from the peer (service paths,
 * method names, metadata, error texts built from them) is cut short before it is logged, and
 * warnings that one connection can cause are rate-limited, so a flood of bad connections costs a
 * few log lines a second, not one per connection.
 */
import type { Logger } from './logger.js';

/** Longest peer-supplied text written to a log line. */
export const MAX_LOGGED_TEXT = 128;

/** `text` cut to `max` characters, saying how much was cut. */
export function peerText(text: string, max: number = MAX_LOGGED_TEXT): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… (${text.length - max} more characters)`;
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
 * Lets `burst` warnings per window through to the logger; the rest are counted, and the first
 * warning of the next window says how many were suppressed.
 */
export class WarningLimiter {
  private readonly burst: number;
  private readonly windowMs: number;
  private readonly now: () => number;
  private windowStart = Number.NEGATIVE_INFINITY;
  private passed = 0;
  private suppressed = 0;

  constructor(
    private readonly logger: Logger,
    options: WarningLimiterOptions = {},
  ) {
    this.burst = Math.max(1, options.burst ?? 10);
    this.windowMs = Math.max(1, options.windowMs ?? 1000);
    this.now = options.now ?? Date.now;
  }

  /** Warnings dropped since the last one that went through. */
  get suppressedCount(): number {
    return this.suppressed;
  }

  warn(message: string, fields?: Record<string, unknown>): void {
    this.log('warn', message, fields);
  }

  info(message: string, fields?: Record<string, unknown>): void {
    this.log('info', message, fields);
  }

  private log(level: 'warn' | 'info', message: string, fields?: Record<string, unknown>): void {
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
      fields = { ...fields, suppressed: this.suppressed };
      message = `${message} (${this.suppressed} similar messages suppressed)`;
      this.suppressed = 0;
    }
    this.logger[level](message, fields);
  }
}
