// The `<apiary-view>` element that `init()` defines (see README.md).
export interface ApiaryViewQueryRun { spec: Record<string, unknown>; rows: number; matched: number }
export interface ApiaryViewSelection { selection: Record<string, unknown>; selected: number; baseline: number }
export interface ApiaryViewError { message: string }

export interface ApiaryViewElement extends HTMLElement {
  /** Run a Honeycomb query (JSON text or an object) in this view. */
  setQuery(query: string | Record<string, unknown>): void;
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
