// The `<apiary-view>` element that `init()` defines (see README.md).
export interface ApiaryViewQueryRun { spec: Record<string, unknown>; rows: number; matched: number }
export interface ApiaryViewSelection { selection: Record<string, unknown>; selected: number; baseline: number }
export interface ApiaryViewError { message: string }

export interface ApiaryViewElement extends HTMLElement {
  /** Run a Honeycomb query (JSON text or an object) in this view. */
  setQuery(query: string | Record<string, unknown>): void;
  /** Engine's calls, answered from this view's own data (JSON text, as `Engine` returns it). */
  query(spec: string | Record<string, unknown>): string;
  queryArrow(spec: string | Record<string, unknown>, series?: boolean): Uint8Array;
  bubbleup(spec: string | Record<string, unknown>, selection: string | Record<string, unknown>, columns?: string | string[]): string;
  quality(conventions?: string | Record<string, unknown>): string;
  slo(slo: string | Record<string, unknown>): string;
  trigger(trigger: string | Record<string, unknown>): string;
  /** Add a file's bytes to the view as a source; returns the rows the view then holds. */
  load(name: string, bytes: Uint8Array | ArrayBuffer): number;
  /** Weight by the detected sample-rate column (`auto`) or not (`none`). */
  setSampleRate(mode: 'auto' | 'none'): void;
  readonly rows: number;
  readonly byteSize: number;
  addEventListener(type: 'query-run', listener: (e: CustomEvent<ApiaryViewQueryRun>) => void): void;
  addEventListener(type: 'selection', listener: (e: CustomEvent<ApiaryViewSelection | null>) => void): void;
  addEventListener(type: 'error', listener: (e: CustomEvent<ApiaryViewError>) => void): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject): void;
}

declare global {
  interface HTMLElementTagNameMap {
    'apiary-view': ApiaryViewElement;
  }
}
