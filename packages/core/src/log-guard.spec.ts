import { MAX_LOGGED_TEXT, peerText, WarningLimiter } from './log-guard.js';
import type { Logger } from './logger.js';

interface Line {
  level: keyof Logger;
  message: string;
  fields: Record<string, unknown> | undefined;
}

function recordingLogger(): Logger & { lines: Line[] } {
  const lines: Line[] = [];
  const record =
    (level: keyof Logger) =>
    (message: string, fields?: Record<string, unknown>): void => {
      lines.push({ level, message, fields });
    };
  return {
    lines,
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
  };
}

/** A limiter on a clock the test moves by hand. */
function limiterAt(start = 5_000, options: { burst?: number; windowMs?: number } = {}) {
  const logger = recordingLogger();
  let now = start;
  const limiter = new WarningLimiter(logger, { ...options, now: () => now });
  return {
    logger,
    limiter,
    set now(value: number) {
      now = value;
    },
    get now() {
      return now;
    },
  };
}

describe('peerText', () => {
  it('leaves text up to the limit alone', () => {
    expect(MAX_LOGGED_TEXT).toBe(128);
    expect(peerText('')).toBe('');
    expect(peerText('Arith.Mul')).toBe('Arith.Mul');
    const exactly = 'a'.repeat(128);
    expect(peerText(exactly)).toBe(exactly);
  });

  it('cuts longer text to 128 characters and says how much was cut', () => {
    const long = `${'b'.repeat(128)}${'c'.repeat(9_872)}`;
    const cut = peerText(long);
    expect(cut).toBe(`${'b'.repeat(128)}… (9872 more characters)`);
    expect(cut.length).toBeLessThan(200);
    expect(peerText('d'.repeat(129))).toBe(`${'d'.repeat(128)}… (1 more characters)`);
  });

  it('takes another limit', () => {
    expect(peerText('abcdef', 3)).toBe('abc… (3 more characters)');
    expect(peerText('abc', 3)).toBe('abc');
    expect(peerText('abcd', 0)).toBe('… (4 more characters)');
  });
});

describe('WarningLimiter', () => {
  it('lets the burst through, counts the rest, and reports them with the first line of the next window', () => {
    const t = limiterAt();
    for (let i = 0; i < 25; i++) t.limiter.warn(`bad peer ${i}`, { i });
    expect(t.logger.lines.map((l) => l.message)).toEqual(
      Array.from({ length: 10 }, (_, i) => `bad peer ${i}`),
    );
    expect(t.logger.lines.every((l) => l.level === 'warn')).toBe(true);
    expect(t.logger.lines.every((l) => l.fields?.suppressed === undefined)).toBe(true);
    expect(t.limiter.suppressedCount).toBe(15);

    // Same window, up to its last millisecond: still counted.
    t.now += 999;
    t.limiter.warn('still inside');
    expect(t.logger.lines).toHaveLength(10);
    expect(t.limiter.suppressedCount).toBe(16);

    // A full window after the first line: the next one goes through with the count.
    t.now += 1;
    t.limiter.warn('next window', { remoteAddress: '127.0.0.1:1' });
    expect(t.logger.lines).toHaveLength(11);
    expect(t.logger.lines[10]).toEqual({
      level: 'warn',
      message: 'next window (16 similar messages suppressed)',
      fields: { remoteAddress: '127.0.0.1:1', suppressed: 16 },
    });
    expect(t.limiter.suppressedCount).toBe(0);

    // Reported once: the following line is plain.
    t.limiter.warn('plain');
    expect(t.logger.lines[11]).toEqual({ level: 'warn', message: 'plain', fields: undefined });
  });

  it('gives info and warn a budget each, so routine lines cannot hide a warning', () => {
    const t = limiterAt();
    for (let i = 0; i < 12; i++) t.limiter.info(`info ${i}`);
    for (let i = 0; i < 6; i++) t.limiter.warn(`warn ${i}`);
    expect(t.logger.lines.map((l) => `${l.level}:${l.message}`)).toEqual([
      ...Array.from({ length: 10 }, (_, i) => `info:info ${i}`),
      ...Array.from({ length: 6 }, (_, i) => `warn:warn ${i}`),
    ]);
    expect(t.limiter.suppressedCount).toBe(2);

    t.now += 1_000;
    t.limiter.warn('a bomb was refused');
    expect(t.logger.lines.at(-1)).toEqual({
      level: 'warn',
      message: 'a bomb was refused',
      fields: undefined,
    });
    t.limiter.info('a connection closed');
    expect(t.logger.lines.at(-1)).toEqual({
      level: 'info',
      message: 'a connection closed (2 similar messages suppressed)',
      fields: { suppressed: 2 },
    });
  });

  it('does not change the fields object it is given', () => {
    const t = limiterAt(0, { burst: 1 });
    t.limiter.warn('first');
    t.limiter.warn('dropped');
    t.now = 1_000;
    const fields = { connection: 7 };
    t.limiter.warn('reported', fields);
    expect(fields).toEqual({ connection: 7 });
    expect(t.logger.lines.at(-1)!.fields).toEqual({ connection: 7, suppressed: 1 });
    expect(t.logger.lines.at(-1)!.fields).not.toBe(fields);
  });

  it('keeps counting across windows in which nothing passed', () => {
    const t = limiterAt(0, { burst: 2, windowMs: 100 });
    t.limiter.warn('a');
    t.limiter.warn('b');
    t.limiter.warn('c'); // suppressed
    t.now = 100;
    t.limiter.warn('d'); // passes, reports 1
    t.limiter.warn('e');
    t.limiter.warn('f'); // suppressed
    t.limiter.warn('g'); // suppressed
    expect(t.limiter.suppressedCount).toBe(2);
    t.now = 150; // same window (started at 100)
    t.limiter.warn('h'); // suppressed
    t.now = 350; // two windows later
    t.limiter.warn('i');
    expect(t.logger.lines.map((l) => l.message)).toEqual([
      'a',
      'b',
      'd (1 similar message suppressed)',
      'e',
      'i (3 similar messages suppressed)',
    ]);
    expect(t.logger.lines.map((l) => l.fields?.suppressed)).toEqual([
      undefined,
      undefined,
      1,
      undefined,
      3,
    ]);
  });

  it('starts a window at the first line after the last one ended, not on a fixed grid', () => {
    const t = limiterAt(0, { burst: 1, windowMs: 1_000 });
    t.limiter.warn('at 0');
    t.now = 1_500;
    t.limiter.warn('at 1500'); // opens the window [1500, 2500)
    t.now = 2_100;
    t.limiter.warn('at 2100'); // inside it: suppressed
    expect(t.logger.lines.map((l) => l.message)).toEqual(['at 0', 'at 1500']);
    expect(t.limiter.suppressedCount).toBe(1);
    t.now = 2_500;
    t.limiter.warn('at 2500');
    expect(t.logger.lines.at(-1)!.message).toBe('at 2500 (1 similar message suppressed)');
  });

  it('admits the default burst of 10 per 1000 ms', () => {
    const t = limiterAt();
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 50; i++) t.limiter.warn('flood');
      t.now += 1_000;
    }
    expect(t.logger.lines).toHaveLength(30);
    // Rounds 2 and 3 each open with the report of the 40 dropped before.
    expect(t.logger.lines.map((l) => l.fields?.suppressed).filter((n) => n !== undefined)).toEqual([
      40, 40,
    ]);
    expect(t.limiter.suppressedCount).toBe(40);
  });

  it('treats a burst or window below 1 as 1', () => {
    const t = limiterAt(0, { burst: 0, windowMs: 0 });
    t.limiter.warn('one');
    t.limiter.warn('two'); // same millisecond: over the burst of 1
    expect(t.logger.lines.map((l) => l.message)).toEqual(['one']);
    t.now = 1;
    t.limiter.warn('three');
    expect(t.logger.lines.map((l) => l.message)).toEqual([
      'one',
      'three (1 similar message suppressed)',
    ]);
  });

  it('uses Date.now when no clock is given', () => {
    const logger = recordingLogger();
    const limiter = new WarningLimiter(logger);
    for (let i = 0; i < 10; i++) limiter.warn(`w${i}`);
    expect(logger.lines).toHaveLength(10);
    // Whether or not a window ended meanwhile, every warning is a line or counted.
    for (let i = 0; i < 5; i++) limiter.warn('more');
    const reported = logger.lines.reduce(
      (sum, l) => sum + ((l.fields?.suppressed as number | undefined) ?? 0),
      0,
    );
    expect(logger.lines.length + reported + limiter.suppressedCount).toBe(15);
  });
});
