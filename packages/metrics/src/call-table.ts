/**
 * The counters of calls, one `MethodCells` per service and method, resolved once and then reached
 * by two map reads per call. A call adds to plain numbers; the families read them when scraped.
 */
import { Family, HistogramCell, type Labels, type Sample } from './family.js';
import { Label, OK, RPC_SYSTEM, splitAddress } from './names.js';

/** The outcomes of one method at one server (the server side has one, keyed ''). */
export class EndpointCells {
  readonly ok: HistogramCell;
  /** Failed calls by status code. */
  readonly failed = new Map<string, HistogramCell>();

  constructor(
    private readonly labels: Labels,
    private readonly bounds: readonly number[],
  ) {
    this.ok = new HistogramCell({ ...labels, [Label.StatusCode]: OK }, bounds);
  }

  /** The duration histogram of calls that failed with `status`. */
  failure(status: string): HistogramCell {
    let cell = this.failed.get(status);
    if (cell === undefined) {
      cell = new HistogramCell(
        { ...this.labels, [Label.StatusCode]: status, [Label.ErrorType]: status },
        this.bounds,
      );
      this.failed.set(status, cell);
    }
    return cell;
  }
}

export class MethodCells {
  started = 0;
  active = 0;
  /** `rpc_system_name`, `rpc_service`, `rpc_method`. */
  readonly labels: Labels;
  readonly requestSize: HistogramCell | undefined;
  readonly responseSize: HistogramCell | undefined;
  readonly endpoints = new Map<string, EndpointCells>();
  /** The endpoint of the last call: a Client's calls all go to one. */
  #lastKey: string | undefined = undefined;
  #last: EndpointCells | undefined = undefined;

  constructor(
    service: string,
    method: string,
    private readonly durationBuckets: readonly number[],
    sizeBuckets: readonly number[] | undefined,
  ) {
    this.labels = Object.freeze({
      [Label.System]: RPC_SYSTEM,
      [Label.Service]: service,
      [Label.Method]: method,
    });
    if (sizeBuckets !== undefined) {
      this.requestSize = new HistogramCell(this.labels, sizeBuckets);
      this.responseSize = new HistogramCell(this.labels, sizeBuckets);
    }
  }

  /** The outcomes at `where` (`host:port` of the server; '' when not known or not labelled). */
  endpoint(where: string): EndpointCells {
    if (where === this.#lastKey) return this.#last!;
    let cells = this.endpoints.get(where);
    if (cells === undefined) {
      let labels = this.labels;
      if (where !== '') {
        const { address, port } = splitAddress(where);
        labels = { ...labels, [Label.ServerAddress]: address };
        if (port !== '') labels = { ...labels, [Label.ServerPort]: port };
      }
      cells = new EndpointCells(labels, this.durationBuckets);
      this.endpoints.set(where, cells);
    }
    this.#lastKey = where;
    this.#last = cells;
    return cells;
  }

  /** A call ended after `seconds`: `status` undefined when it succeeded. */
  finish(where: string, seconds: number, status: string | undefined): void {
    this.active--;
    const endpoint = this.endpoint(where);
    (status === undefined ? endpoint.ok : endpoint.failure(status)).observe(seconds);
  }

  reset(): void {
    this.started = 0;
    this.requestSize?.reset();
    this.responseSize?.reset();
    for (const endpoint of this.endpoints.values()) {
      endpoint.ok.reset();
      for (const cell of endpoint.failed.values()) cell.reset();
    }
  }
}

export interface CallTableOptions {
  durationBuckets: readonly number[];
  /** Undefined: no size histograms. */
  sizeBuckets: readonly number[] | undefined;
}

/** The methods seen so far, by service path, then method. */
export class CallTable {
  readonly services = new Map<string, Map<string, MethodCells>>();

  constructor(private readonly options: CallTableOptions) {}

  get(service: string, method: string): MethodCells | undefined {
    return this.services.get(service)?.get(method);
  }

  /** A new entry for `service`/`method`, labelled `labelService` and `labelMethod`. */
  add(service: string, method: string, labelService = service, labelMethod?: string): MethodCells {
    let methods = this.services.get(service);
    if (methods === undefined) {
      methods = new Map();
      this.services.set(service, methods);
    }
    const cells = this.create(labelService, labelMethod ?? `${service}/${method}`);
    methods.set(method, cells);
    return cells;
  }

  /** Entries kept outside the table (the `_OTHER` of unknown methods) are listed here too. */
  readonly extra: MethodCells[] = [];

  create(labelService: string, labelMethod: string): MethodCells {
    return new MethodCells(
      labelService,
      labelMethod,
      this.options.durationBuckets,
      this.options.sizeBuckets,
    );
  }

  *all(): IterableIterator<MethodCells> {
    for (const methods of this.services.values()) yield* methods.values();
    yield* this.extra;
  }

  reset(): void {
    for (const cells of this.all()) cells.reset();
  }

  /** The families of calls: started, active, duration (and sizes when kept). */
  families(names: {
    started: string;
    active: string;
    duration: string;
    requestSize?: string;
    responseSize?: string;
    side: 'server' | 'client';
  }): Family[] {
    const side = names.side;
    const reset = () => this.reset();
    const families = [
      new Family(
        names.started,
        `Calls started by this ${side}, by method.`,
        'counter',
        (_name, out) => {
          for (const cells of this.all()) out.push({ labels: cells.labels, value: cells.started });
        },
        reset,
      ),
      new Family(
        names.duration,
        side === 'server'
          ? 'Duration of calls handled by this server, by method and status (rpc.server.call.duration).'
          : 'Duration of calls made by this client, by method, server and status (rpc.client.call.duration).',
        'histogram',
        (name, out) => {
          for (const cells of this.all()) collectDurations(cells, name, out);
        },
        reset,
      ),
      new Family(
        names.active,
        `Calls in progress on this ${side}, by method.`,
        'gauge',
        (_name, out) => {
          for (const cells of this.all()) out.push({ labels: cells.labels, value: cells.active });
        },
      ),
    ];
    if (this.options.sizeBuckets !== undefined && names.requestSize && names.responseSize) {
      for (const [name, which] of [
        [names.requestSize, 'request'],
        [names.responseSize, 'response'],
      ] as const) {
        const cellOf = (cells: MethodCells) =>
          which === 'request' ? cells.requestSize : cells.responseSize;
        families.push(
          new Family(
            name,
            `${which === 'request' ? 'Request' : 'Response'} payload sizes (uncompressed, without header and metadata), by method (rpc.server.${which}.size).`,
            'histogram',
            (familyName, out) => {
              for (const cells of this.all()) cellOf(cells)?.collect(familyName, out);
            },
            reset,
          ),
        );
      }
    }
    return families;
  }
}

function collectDurations(cells: MethodCells, name: string, out: Sample[]): void {
  for (const endpoint of cells.endpoints.values()) {
    endpoint.ok.collect(name, out);
    for (const cell of endpoint.failed.values()) cell.collect(name, out);
  }
}
